"""通报 pages: the list (scoped), generating one on demand, the Excel file, the print page.

A bulletin holds every town's row, so it is scoped by its unit (the district): district
staff and leaders of that unit or above see it; a town sees none. Only who may change the
plan's unit generates one (district staff, administrators) — leaders read.
"""

from csp.constants import SELF, UNSAFE_HASHES, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.dates import today
from core.http import XLSX, AuthedRequest, require_safe, xlsx_attachment
from core.params import paginate
from core.scoping import get_for_user_or_404

from . import services
from .forms import BulletinForm
from .io import write_xlsx
from .models import Bulletin
from .selectors import NOT_ISSUER, issuable_plans


def _list(
    request: AuthedRequest, form: BulletinForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    plans = issuable_plans(user)
    if form is None and plans.exists():
        current = plans.filter(year=today().year).first() or plans.first()
        form = BulletinForm(user=user, initial={"plan": current, "as_of": today()})
    queryset = Bulletin.objects.for_user(user).select_related("unit", "created_by")
    context = {
        **paginate(request, queryset, 20),
        "form": form,
        # A user whose unit has no units below it (a town) is not shown bulletins at all.
        "town_user": bool(user.unit and not user.unit.children.exists())
        and not user.is_portal_admin,
        "day_of_month": getattr(settings, "BULLETIN_DAY_OF_MONTH", 5),
    }
    return render(request, "bulletins/list.html", context, status=status)


@require_safe
@login_required
def bulletin_list(request: AuthedRequest) -> HttpResponse:
    return _list(request)


@require_POST
@login_required
def bulletin_create(request: AuthedRequest) -> HttpResponse:
    if not issuable_plans(request.user).exists():
        raise PermissionDenied(NOT_ISSUER)
    form = BulletinForm(request.POST, user=request.user)
    if not form.is_valid():
        return _list(request, form, status=400)
    bulletin = services.issue_bulletin(
        actor=request.user, plan=form.cleaned_data["plan"], on=form.cleaned_data["as_of"]
    )
    messages.success(
        request, f"已生成“{bulletin.title}”（截至{bulletin.as_of:%Y-%m-%d}），并已发送给领导。"
    )
    return redirect("bulletins:list")


def _bulletin(request: AuthedRequest, pk: int) -> Bulletin:
    return get_for_user_or_404(Bulletin.objects.select_related("unit"), request.user, pk=pk)


# The stored page is standalone on purpose (styles inlined, a print button): its own policy
# allows exactly that — inline styles, and the one handler "window.print()" by its hash.
PRINT_PAGE_CSP = {
    "style-src": [SELF, UNSAFE_INLINE],
    "script-src": [SELF, UNSAFE_HASHES, "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='"],
}


@require_safe
@login_required
@csp_update(PRINT_PAGE_CSP)  # type: ignore[arg-type]  # its stub knows only (request)
def bulletin_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The page as issued (stored HTML, styles inlined)."""
    return HttpResponse(_bulletin(request, pk).html)


@require_safe
@login_required
def bulletin_xlsx(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return xlsx_download(_bulletin(request, pk))


def xlsx_download(bulletin: Bulletin) -> HttpResponseBase:
    """The bulletin's Excel file as an attachment (the page's link and the API's download)."""
    name = f"{bulletin.title}（截至{bulletin.as_of:%Y%m%d}）.xlsx"
    if bulletin.xlsx and bulletin.xlsx.storage.exists(bulletin.xlsx.name or ""):
        return FileResponse(
            bulletin.xlsx.open("rb"), as_attachment=True, filename=name, content_type=XLSX
        )
    # The media volume lost the file: the stored data rebuild the same workbook.
    return xlsx_attachment(write_xlsx(bulletin.data), name)
