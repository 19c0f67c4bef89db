"""Thin views: parse the request, call a selector or a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from core.dates import today
from core.downloads import count_rows
from core.http import require_form_methods, require_safe
from core.params import paginate
from core.scoping import VIEW, can_write, get_for_change, get_for_user_or_404
from core.selectors import history_for, pending_for, reported_quarter
from cultivation import selectors as ladder

from . import selectors, services
from .forms import EnterpriseForm, MoveForm, YearForm
from .io import exports
from .models import Enterprise

PAGE_SIZES = (20, 50, 100)


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return min(max(size, 1), PAGE_SIZES[-1])


def _enterprise(request, pk, *, write=False) -> Enterprise:
    """In scope or 404; leaders (read-only) get a clear 403 on write pages."""
    enterprises = Enterprise.objects.select_related("town")
    if write:
        denied = "您的账号为只读权限，不能修改企业信息。"
        return get_for_change(enterprises, request.user, denied=denied, pk=pk)
    return get_for_user_or_404(enterprises, request.user, VIEW, pk=pk)


def _apply_service_errors(form, error: ValidationError):
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


LIST_READS = ("enterprises", "cultivation", "core")


@require_safe
@login_required
def enterprise_list(request):
    filterset = selectors.enterprise_filter(request)
    # the list filters on the ladder too (rung, honours, certificates)
    listing = paginate(request, filterset.qs, _page_size(request), count_domains=LIST_READS)
    return render(
        request,
        "enterprises/list.html",
        {
            "filter": filterset,
            **listing,
            "ladder": selectors.ladder_cells(listing["page"].object_list),
            "can_write": can_write(request.user),
            "page_sizes": PAGE_SIZES,
        },
    )


@require_safe
@login_required
def export(request):
    filterset = selectors.enterprise_filter(request)
    year = selectors.latest_year()
    response: HttpResponseBase
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            exports.stream_csv(filterset.qs, year), content_type="text/csv; charset=utf-8"
        )
        name = exports.filename("csv")
    else:
        response = HttpResponse(
            exports.write_xlsx(filterset.qs, year),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = exports.filename("xlsx")
    response["Content-Disposition"] = content_disposition_header(True, name)
    # For the download audit (core.middleware): one COUNT, as the list page makes anyway.
    return count_rows(response, filterset.qs.count())


@require_safe
@login_required
def enterprise_detail(request, pk):
    enterprise = _enterprise(request, pk)
    return render(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "years": selectors.years_of(enterprise),
            # this year's row is year-to-date: say how far it reaches
            "current_year": today().year,
            "current_quarter": reported_quarter(enterprise, today().year),
            "town_spans": enterprise.town_spans.select_related("town"),
            "entries": history_for(enterprise),
            "pending": pending_for(enterprise),
            "timeline": ladder.timeline(enterprise),
            "rung": ladder.rung_of(enterprise),
            "can_write": can_write(request.user),
        },
    )


@require_form_methods
@login_required
def enterprise_create(request):
    if not can_write(request.user):
        raise PermissionDenied("您的账号为只读权限，不能新增企业。")
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.create_enterprise(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, f"已新增企业“{enterprise.name}”。{form.uscc_warning}")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "title": "新增企业"})


@require_form_methods
@login_required
def enterprise_edit(request, pk):
    enterprise = _enterprise(request, pk, write=True)
    # The form edits its own copy, so `enterprise` still holds the "before" for the change log.
    form = EnterpriseForm(
        request.POST or None, instance=_enterprise(request, pk, write=True), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_enterprise(
                actor=request.user, enterprise=enterprise, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, f"已保存“{enterprise.name}”的修改。{form.uscc_warning}")
            return redirect("enterprises:detail", pk=pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": f"修改企业信息：{enterprise.name}", "enterprise": enterprise},
    )


@require_form_methods
@login_required
def enterprise_move(request, pk):
    enterprise = _enterprise(request, pk, write=True)
    form = MoveForm(request.POST or None, user=request.user, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_enterprise(actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, f"“{enterprise.name}”已迁入{enterprise.town}。")
            return (
                redirect("enterprises:detail", pk=pk)
                if can_view(request, pk)
                else redirect("enterprises:index")
            )
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": f"迁移所属镇（园区）：{enterprise.name}", "enterprise": enterprise},
    )


def can_view(request, pk) -> bool:
    return selectors.enterprises_for(request.user).filter(pk=pk).exists()


@require_POST
@login_required
def enterprise_set_active(request, pk):
    enterprise = _enterprise(request, pk, write=True)
    active = request.POST.get("active") == "1"
    services.set_active(
        actor=request.user,
        enterprise=enterprise,
        active=active,
        note=request.POST.get("note", "")[:500],
    )
    messages.success(request, f"“{enterprise.name}”已{'恢复为有效' if active else '停用'}。")
    return redirect("enterprises:detail", pk=pk)


@require_form_methods
@login_required
def year_edit(request, pk, year=None):
    enterprise = _enterprise(request, pk, write=True)
    instance = get_object_or_404(enterprise.years, year=year) if year else None
    form = YearForm(request.POST or None, instance=instance, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields if name != "year"}
        try:
            services.save_year(
                actor=request.user,
                enterprise=enterprise,
                year=form.cleaned_data["year"],
                values=values,
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, f"已保存{form.cleaned_data['year']}年度指标。")
            return redirect("enterprises:detail", pk=pk)
    title = f"{year}年度指标" if year else "新增年度指标"
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": f"{title}：{enterprise.name}", "enterprise": enterprise},
    )


@require_safe
@login_required
def duplicates(request):
    return render(
        request, "enterprises/duplicates.html", {"groups": selectors.duplicate_names(request.user)}
    )
