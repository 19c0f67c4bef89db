"""通报 pages: the list (scoped), generating one on demand, the Excel file, the print page.

A bulletin holds every town's row, so it is scoped by its unit (the district): district
staff and leaders of that unit or above see it; a town sees none. Only who may change the
plan's unit generates one (district staff, administrators) — leaders read.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from core.dates import today
from core.params import paginate
from core.scoping import CHANGE, get_for_user_or_404
from targets.models import TargetPlan

from . import bulletins, notices
from .models import Bulletin

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def issuable_plans(user):
    """Plans the user may issue a bulletin for: in their write scope, with units below."""
    return (
        TargetPlan.objects.for_user(user, CHANGE)
        .filter(unit__children__isnull=False)
        .distinct()
        .select_related("unit")
        .order_by("-year", "unit__path")
    )


class BulletinForm(forms.Form):
    plan = forms.ModelChoiceField(label="目标任务", queryset=TargetPlan.objects.none())
    as_of = forms.DateField(
        label="统计日期",
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date"}, format="%Y-%m-%d"
        ),  # what <input type=date> reads
        help_text="留空为今天；早于或晚于计划年度时，取该年度的1月1日或12月31日。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = issuable_plans(user)
        self.fields["plan"].empty_label = None
        self.fields["plan"].label_from_instance = lambda p: f"{p.year}年 {p.unit} · {p}"


def _list(request, form=None, status=200):
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
        "town_user": bool(user.unit_id and not user.unit.children.exists())
        and not user.is_portal_admin,
        "day_of_month": getattr(settings, "BULLETIN_DAY_OF_MONTH", 5),
    }
    return render(request, "reports/bulletin_list.html", context, status=status)


@login_required
def bulletin_list(request):
    return _list(request)


@login_required
@require_POST
def bulletin_create(request):
    if not issuable_plans(request.user).exists():
        raise PermissionDenied("只有区科技局工作人员可以生成通报；领导可查阅已生成的通报。")
    form = BulletinForm(request.POST, user=request.user)
    if not form.is_valid():
        return _list(request, form, status=400)
    bulletin = notices.issue_bulletin(
        actor=request.user, plan=form.cleaned_data["plan"], on=form.cleaned_data["as_of"]
    )
    messages.success(
        request, f"已生成“{bulletin.title}”（截至{bulletin.as_of:%Y-%m-%d}），并已发送给领导。"
    )
    return redirect("reports:bulletins")


def _bulletin(request, pk) -> Bulletin:
    return get_for_user_or_404(Bulletin.objects.select_related("unit"), request.user, pk=pk)


@login_required
def bulletin_print(request, pk):
    """The page as issued (stored HTML, styles inlined)."""
    return HttpResponse(_bulletin(request, pk).html)


@login_required
def bulletin_xlsx(request, pk):
    bulletin = _bulletin(request, pk)
    name = f"{bulletin.title}（截至{bulletin.as_of:%Y%m%d}）.xlsx"
    if bulletin.xlsx and bulletin.xlsx.storage.exists(bulletin.xlsx.name):
        return FileResponse(
            bulletin.xlsx.open("rb"), as_attachment=True, filename=name, content_type=XLSX
        )
    # The media volume lost the file: the stored data rebuild the same workbook.
    response = HttpResponse(bulletins.write_xlsx(bulletin.data), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
