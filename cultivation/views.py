"""Ladder pages: overview by rung, funnel, expiring certificates, stalled pool, pre-diagnosis,
and the forms that add dated records to an enterprise's history."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from core.dates import today
from core.http import require_form_methods, require_safe, xlsx_attachment
from core.params import date_param, paginate, unit_choices, unit_param, year_param
from core.scoping import VIEW, can_write, get_for_change, get_for_user_or_404
from enterprises.filters import TOWN_ORDER
from enterprises.models import Enterprise
from enterprises.selectors import enterprises_for

from . import annual_reports as annual
from . import prediagnosis, selectors, services
from .choices import Rung
from .forms import (
    AdvanceForm,
    AnnualReportForm,
    AnnualReportImportForm,
    ApplicationForm,
    CertificateForm,
    EndPoolForm,
    EvaluationForm,
    HonourForm,
    ImportForm,
    PoolForm,
)
from .io import lists
from .io.annual_reports import import_annual_reports
from .io.ladder import build_template, import_ladder
from .models import Application, PoolMembership

# kind in the URL → (form, service, title)
RECORD_KINDS: dict[str, tuple[type[forms.BaseForm], Callable[..., object], str]] = {
    "evaluation": (EvaluationForm, services.record_evaluation, "登记科技型中小企业评价"),
    "pool": (PoolForm, services.add_pool_membership, "登记培育库入库"),
    "application": (ApplicationForm, services.add_application, "登记高企申报"),
    "certificate": (CertificateForm, services.record_certificate, "登记高企证书"),
    "honour": (HonourForm, services.add_honour, "登记荣誉称号"),
    "annual_report": (AnnualReportForm, services.record_annual_report, "登记年报填报"),
}


def _context(request, **extra):
    unit = unit_param(request)
    return {"unit": unit, "units": unit_choices(request.user, unit), "today": today(), **extra}


def _in_unit(request, unit):
    return enterprises_for(request.user).in_unit(unit)


@require_safe
@login_required
def overview(request):
    context = _context(request)
    rows = selectors.rung_table(enterprises_for(request.user), context["unit"])
    totals = {r.value: sum(row[r.value] for row in rows) for r in Rung}
    totals["total"] = sum(row["total"] for row in rows)
    return render(
        request,
        "cultivation/overview.html",
        {**context, "rows": rows, "totals": totals, "rungs": Rung},
    )


@require_safe
@login_required
def funnel(request):
    context = _context(request)
    year = year_param(request, today().year)
    unit = context["unit"]
    children = list(unit.children.filter(is_active=True).order_by("order"))
    steps = selectors.funnel_by_child(unit, year)
    per_child = [{"unit": child, "steps": steps[child.pk]} for child in children]
    return render(
        request,
        "cultivation/funnel.html",
        {**context, "year": year, "steps": steps[unit.pk], "per_child": per_child},
    )


@require_safe
@login_required
def behind(request):
    """The enterprises behind a count (?metric=&year=&unit=[&on=]): the funnel's steps and
    any registered ladder metric, attributed to the unit as of the count's date."""
    context = _context(request)
    metric = selectors.COUNTS.get(request.GET.get("metric", ""))
    if metric is None:
        raise Http404("没有这项统计。")
    year = year_param(request, today().year)
    on = date_param(request, "on") or selectors.as_of_in(year)
    ids = metric.ids(year, on)
    enterprises = selectors.enterprises_in(ids, context["unit"], on).filter(
        pk__in=enterprises_for(request.user).values("pk")
    )
    page = paginate(request, enterprises.order_by(*TOWN_ORDER, "name"))
    return render(
        request,
        "cultivation/behind.html",
        {**context, "year": year, "on": on, "metric": metric, **page},
    )


def _expiring(request):
    """The expiring page's certificates: the unit's, running out in the year (or one of its
    quarters — the home page's "本季度到期" links here with ?quarter=)."""
    context = _context(request)
    year = year_param(request, today().year)
    quarter = request.GET.get("quarter", "")
    quarter = int(quarter) if quarter in ("1", "2", "3", "4") else None
    certificates = selectors.expiring_certificates(
        _in_unit(request, context["unit"]), year, quarter
    )
    return {**context, "year": year, "quarter": quarter}, certificates


@require_safe
@login_required
def expiring(request):
    context, certificates = _expiring(request)
    page = paginate(request, certificates)
    return render(request, "cultivation/expiring.html", {**context, **page})


@require_safe
@login_required
def expiring_export(request):
    context, certificates = _expiring(request)
    title = f"{context['year']}年" + (f"第{context['quarter']}季度" if context["quarter"] else "")
    data = lists.expiring_workbook(
        certificates, unit_name=context["unit"].name, year=context["year"], on=today()
    )
    return xlsx_attachment(
        data, f"{context['unit'].name}{title}到期高企证书名单（{today():%Y%m%d}）.xlsx"
    )


@require_safe
@login_required
def stalled(request):
    context = _context(request)
    enterprises = selectors.stalled_pool(context["unit"]).filter(
        pk__in=enterprises_for(request.user).values("pk")
    )
    page = paginate(request, enterprises.order_by(*TOWN_ORDER, "name"))
    return render(request, "cultivation/stalled.html", {**context, **page})


def _diagnosis(request):
    """The pre-diagnosis ranking the list and its export show: (context, stored rows)."""
    context = _context(request)
    year = year_param(request, prediagnosis.default_apply_year())
    enterprises = _in_unit(request, context["unit"])
    # 仅培育库: the dashboard's "closest to passing" ranks these, and links here with it on,
    # so both pages number the same enterprise alike.
    pool_only = request.GET.get("pool") == "1"
    if pool_only:
        enterprises = selectors.in_pool(enterprises, selectors.as_of_in(year))
    ranked = prediagnosis.ranked(enterprises, apply_year=year)
    return {**context, "year": year, "pool_only": pool_only}, ranked


@require_safe
@login_required
def diagnosis_list(request):
    context, ranked = _diagnosis(request)
    # Ranked from the stored results; only the page shown is diagnosed in full (its messages).
    page = paginate(request, ranked)
    shown = page["page"]
    shown.object_list = prediagnosis.results_for(
        [row.enterprise for row in shown.object_list], apply_year=context["year"]
    )
    return render(request, "cultivation/diagnosis_list.html", {**context, **page})


@require_safe
@login_required
def diagnosis_export(request):
    context, ranked = _diagnosis(request)
    year, unit = context["year"], context["unit"]
    on = prediagnosis.as_of_for(year)
    data = lists.diagnosis_workbook(ranked, unit_name=unit.name, year=year, on=on)
    scope = "培育库" if context["pool_only"] else ""
    return xlsx_attachment(
        data, f"{unit.name}{scope}预诊断名单（{year}年申报，{today():%Y%m%d}）.xlsx"
    )


@require_safe
@login_required
def diagnosis_detail(request, pk):
    enterprise = get_for_user_or_404(Enterprise.objects.all(), request.user, VIEW, pk=pk)
    year = year_param(request, prediagnosis.default_apply_year())
    result = prediagnosis.diagnose_one(enterprise, apply_year=year)
    return render(
        request,
        "cultivation/diagnosis_detail.html",
        {"enterprise": enterprise, "year": year, "result": result},
    )


def _writable(request, queryset, pk):
    return get_for_change(
        queryset, request.user, denied="您的账号为只读权限，不能修改梯次培育记录。", pk=pk
    )


def _form_page(request, form, service_call, *, title, enterprise, success):
    if request.method == "POST" and form.is_valid():
        try:
            service_call(form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, success)
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": f"{title}：{enterprise.name}", "enterprise": enterprise},
    )


@require_form_methods
@login_required
def record_add(request, pk, kind):
    if kind not in RECORD_KINDS:
        raise Http404("未知的记录类型。")
    enterprise = _writable(request, Enterprise.objects.all(), pk)
    form_class, service, title = RECORD_KINDS[kind]
    # a 年报 entered in 2019 is almost always the 2018 report
    initial = {"year": today().year - 1} if kind == "annual_report" else None
    form = form_class(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda data: service(actor=request.user, enterprise=enterprise, **data),
        title=title,
        enterprise=enterprise,
        success=f"已{title}。",
    )


@require_form_methods
@login_required
def application_advance(request, pk):
    application = _writable(request, Application.objects.select_related("enterprise"), pk)
    form = AdvanceForm(request.POST or None, application=application, initial={"on": today()})
    return _form_page(
        request,
        form,
        lambda data: services.advance_application(
            actor=request.user, application=application, **data
        ),
        title=f"更新申报状态（{application}）",
        enterprise=application.enterprise,
        success="申报状态已更新。",
    )


@require_form_methods
@login_required
def pool_end(request, pk):
    membership = _writable(request, PoolMembership.objects.select_related("enterprise"), pk)
    form = EndPoolForm(request.POST or None, initial={"end": today()})
    return _form_page(
        request,
        form,
        lambda data: services.end_pool_membership(
            actor=request.user, membership=membership, **data
        ),
        title=f"出库（{membership}）",
        enterprise=membership.enterprise,
        success="已登记出库。",
    )


@require_safe
@login_required
def import_template(request):
    return xlsx_attachment(build_template(), "梯次培育历史导入模板.xlsx")


@require_form_methods
@login_required
def import_history(request):
    if not can_write(request.user):
        raise PermissionDenied("您的账号为只读权限，不能导入。")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = import_ladder(
            request.FILES["file"], actor=request.user, dry_run=form.cleaned_data["dry_run"]
        )
    return render(request, "cultivation/import.html", {"form": form, "result": result})


@require_safe
@login_required
def annual_reports(request):
    """Who has not filed the year's 年报: before 31 May the ones still to file, after it the
    overdue — each with the qualification risk of the years it has missed (art. 19)."""
    context = _context(request)
    on = today()
    year = year_param(request, on.year - 1)
    deadline = annual.annual_report_deadline(year)
    unit = context["unit"]
    enterprises = selectors.enterprises_in(
        annual.annual_report_unfiled_ids(year, on), unit, on
    ).filter(pk__in=enterprises_for(request.user).values("pk"))
    risks = annual.report_risks(enterprises.values_list("pk", flat=True), on)
    only_cancellation = request.GET.get("risk") == "2"
    if only_cancellation:
        enterprises = enterprises.filter(pk__in=[k for k, r in risks.items() if r.cancellation])
    page = paginate(request, enterprises.order_by(*TOWN_ORDER, "name"))
    for enterprise in page["page"].object_list:
        enterprise.report_risk = risks.get(enterprise.pk)
    counts = annual.annual_report_counts(unit, year, on) if unit.children.exists() else []
    return render(
        request,
        "cultivation/annual_reports.html",
        {
            **context,
            **page,
            "year": year,
            "year_label": "报告年度",
            "deadline": deadline,
            "overdue": on > deadline,
            "counts": counts,
            "cancellation_count": sum(r.cancellation for r in risks.values()),
            "only_cancellation": only_cancellation,
            "can_write": can_write(request.user),
        },
    )


@require_form_methods
@login_required
def annual_report_import(request):
    if not can_write(request.user):
        raise PermissionDenied("您的账号为只读权限，不能导入年报名单。")
    form = AnnualReportImportForm(
        request.POST or None, request.FILES or None, initial={"year": today().year - 1}
    )
    result = None
    if request.method == "POST" and form.is_valid():
        result = import_annual_reports(
            request.FILES["file"],
            actor=request.user,
            year=form.cleaned_data["year"],
            dry_run=form.cleaned_data["dry_run"],
        )
    return render(
        request, "cultivation/annual_report_import.html", {"form": form, "result": result}
    )
