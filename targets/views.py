"""Target plans: list, completion table, create/edit, value grid, Excel import/export, drill-down."""

import datetime
import hashlib
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core.cache import fresh
from core.dates import today
from core.downloads import count_rows
from core.http import require_form_methods, require_safe, xlsx_attachment
from core.params import paginate, unit_param
from core.scoping import (
    CHANGE,
    VIEW,
    can_change,
    can_write,
    get_for_change,
    get_for_user_or_404,
    scope_digest,
    visible_unit_ids,
)
from cultivation import selectors as ladder
from enterprises.filters import TOWN_ORDER
from enterprises.selectors import enterprises_for

from . import selectors, services
from .forms import PlanForm, TableImportForm
from .io import (
    TableErrors,
    completion_filename,
    parse_attachment,
    write_attachment,
    write_completion,
)
from .models import TargetPlan


def _plan(request, pk, action=VIEW) -> TargetPlan:
    plans = TargetPlan.objects.select_related("unit")
    if action == CHANGE:
        denied = "您只能查看该目标任务，不能修改（只读账号或上级单位下达的任务）。"
        return get_for_change(plans, request.user, denied=denied, pk=pk)
    return get_for_user_or_404(plans, request.user, VIEW, pk=pk)


@require_safe
@login_required
def plan_list(request):
    plans = selectors.plans_for(request.user)
    return render(
        request, "targets/list.html", {"plans": plans, "can_write": can_write(request.user)}
    )


def _as_of(request, plan: TargetPlan) -> tuple[datetime.date, str]:
    """?as_of=2019-06-30: the counting date chosen on the page (clipped to the plan's year,
    as every count is), else today; with a message (Chinese) when the text is no date."""
    raw = request.GET.get("as_of", "").strip()
    problem = ""
    try:
        chosen = datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        chosen = None
        problem = f"统计日期“{raw[:20]}”不是有效日期（格式如 {plan.year}-06-30），已按今天统计。"
    return ladder.as_of_in(plan.year, chosen or today()), problem


@require_safe
@login_required
def plan_detail(request, pk):
    plan = _plan(request, pk)
    visible = visible_unit_ids(request.user)
    can_edit = can_change(request.user, plan)
    on, date_problem = _as_of(request, plan)
    show = sorted(set(request.GET.getlist("show")))

    def render_results() -> str:
        table = selectors.completion_table(plan, on, visible=visible, show=show)
        context = {
            "plan": plan,
            "table": table,
            "result": table.result,
            "drillable": visible,  # units whose enterprises this user may list
            "own_goals": table.own_goals,
            "rows": table.rows,  # a town: its own
            "table_columns": table.columns,
            "can_edit": can_edit,
        }
        return render_to_string("targets/_results.html", context, request)

    # Rendering 100 towns × 6 metrics costs more than computing them once: the cards and
    # the table are cached as HTML, per plan, date, what this user may see and may edit, and
    # the metric groups chosen (those not chosen are rendered hidden, for the toggles).
    chosen = hashlib.sha256(",".join(show).encode()).hexdigest()[:12]
    key = f"targets:results:{plan.pk}:{on.isoformat()}:{scope_digest(visible)}:{can_edit}:{chosen}"
    version = selectors.completion_version(plan)
    html = fresh(key, version, render_results, selectors.CACHE_SECONDS)
    context = {
        "plan": plan,
        "can_edit": can_edit,
        "results": mark_safe(html),
        "on": on,
        "date_problem": date_problem,
        "year_start": datetime.date(plan.year, 1, 1),
        "year_end": datetime.date(plan.year, 12, 31),
        "toggles": selectors.metric_toggles(plan, show),
        "export_query": _export_query(on, show),
    }
    return render(request, "targets/detail.html", context)


def _export_query(on: datetime.date, show: list[str]) -> str:
    query = QueryDict(mutable=True)
    query["as_of"] = on.isoformat()
    query.setlist("show", show)
    return query.urlencode()


@require_form_methods
@login_required
def plan_create(request):
    if not can_write(request.user):
        raise PermissionDenied("您的账号为只读权限，不能新建目标任务。")
    unit = unit_param(request)
    form = PlanForm(request.POST or None, initial={"year": today().year})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(
                actor=request.user,
                unit=unit,
                columns=form.columns(),
                own_goals=list(form.cleaned_data["own_metrics"]),
                **{k: form.cleaned_data[k] for k in PlanForm.Meta.fields},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "已新建目标任务，请填写各单位目标值或导入任务分解表。")
            return redirect("targets:values", pk=plan.pk)
    return render(
        request,
        "targets/plan_form.html",
        {"form": form, "unit": unit, "title": f"新建目标任务（{unit}）"},
    )


@require_form_methods
@login_required
def plan_edit(request, pk):
    plan = _plan(request, pk, CHANGE)
    columns = list(plan.plan_metrics.select_related("metric"))
    initial = {
        "breakdown_metrics": [c.metric for c in columns if c.breakdown],
        "own_metrics": [c.metric for c in columns if not c.breakdown],
        "group": next((c.group for c in columns if c.group), ""),
    }
    # The form edits its own copy, so `plan` still holds the "before" for the change log.
    form = PlanForm(request.POST or None, instance=_plan(request, pk, CHANGE), initial=initial)
    form.fields["year"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in PlanForm.Meta.fields if k != "year"}
        own = list(form.cleaned_data["own_metrics"])
        try:
            services.update_plan(
                actor=request.user, plan=plan, columns=form.columns(), own_goals=own, **fields
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "目标任务已保存。")
            return redirect("targets:detail", pk=pk)
    return render(
        request,
        "targets/plan_form.html",
        {"form": form, "unit": plan.unit, "title": f"修改：{plan}", "plan": plan},
    )


@require_form_methods
@login_required
def plan_values(request, pk):
    """The value grid: one input per unit (children and the plan's own total) per metric."""
    plan = _plan(request, pk, CHANGE)
    value_grid = selectors.value_grid(plan)
    columns, units, current = value_grid.columns, value_grid.units, value_grid.current
    errors = []
    if request.method == "POST":
        cells = {}
        for column in columns:
            for unit in units:
                if not value_grid.enabled(column, unit):
                    continue
                raw = (
                    request.POST.get(f"v_{column.metric_id}_{unit.pk}", "").strip().replace(",", "")
                )
                try:
                    cells[(column.metric_id, unit.pk)] = Decimal(raw) if raw else None
                except InvalidOperation:
                    errors.append(f"{unit.label}【{column.metric.name}】：“{raw}”不是数字")
        if not errors:
            try:
                changed = services.set_values(actor=request.user, plan=plan, cells=cells)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                messages.success(request, f"已保存，{changed} 个目标值有变化。")
                return redirect("targets:detail", pk=pk)
        current = {**current, **{k: v for k, v in cells.items() if v is not None}}
    grid = [
        {
            "unit": unit,
            "is_total": unit == plan.unit,
            "cells": [
                {
                    "name": f"v_{c.metric_id}_{unit.pk}",
                    "value": current.get((c.metric_id, unit.pk)),
                    "enabled": value_grid.enabled(c, unit),
                }
                for c in columns
            ],
        }
        for unit in units
    ]
    return render(
        request,
        "targets/values.html",
        {"plan": plan, "columns": columns, "grid": grid, "errors": errors},
    )


@require_safe
@login_required
def plan_export(request, pk):
    plan = _plan(request, pk)
    # The export follows the page: a town gets its own row and the total, nothing more.
    data = write_attachment(plan, units=visible_unit_ids(request.user))
    return xlsx_attachment(data, f"{plan.year}年{plan.unit.label}任务分解表.xlsx")


@require_safe
@login_required
def completion_export(request, pk):
    """The completion table as the 完成情况表 sent upward: the page's numbers for the page's
    date and metric groups, and only the rows the page shows this user."""
    plan = _plan(request, pk)
    on, _ = _as_of(request, plan)
    table = selectors.completion_table(
        plan, on, visible=visible_unit_ids(request.user), show=request.GET.getlist("show")
    )
    response = xlsx_attachment(write_completion(table), completion_filename(table))
    return count_rows(response, len(table.rows))  # its rows (units and total), for the audit


@require_form_methods
@login_required
def plan_import(request, pk):
    plan = _plan(request, pk, CHANGE)
    form = TableImportForm(request.POST or None, request.FILES or None)
    errors, preview = [], None
    if request.method == "POST" and form.is_valid():
        try:
            table = parse_attachment(request.FILES["file"], unit=plan.unit, year=plan.year)
        except TableErrors as error:
            errors = error.errors
        else:
            if form.cleaned_data["dry_run"]:
                preview = table
            else:
                changed = services.replace_table(
                    actor=request.user, plan=plan, table=table, note=request.FILES["file"].name
                )
                messages.success(request, f"任务分解表已导入，{changed} 个目标值有变化。")
                return redirect("targets:detail", pk=pk)
    return render(
        request,
        "targets/import.html",
        {"plan": plan, "form": form, "errors": errors, "preview": preview},
    )


@require_safe
@login_required
def drill_down(request, pk):
    """The enterprises behind one number of the completion table (inside the user's scope)."""
    plan = _plan(request, pk)
    code = request.GET.get("metric", "")
    column = plan.plan_metrics.select_related("metric").filter(metric__code=code).first()
    if column is None or not column.metric.ladder_metric:
        raise Http404("该指标的实际值不来自企业库，没有企业名单。")
    unit = unit_param(request)
    if not unit.is_within(plan.unit):
        raise Http404("该单位不在本目标任务范围内。")
    metric = column.metric
    year = plan.year - 1 if metric.baseline else plan.year
    # The date of the completion table the number was clicked on (a baseline: its year end).
    ids, on = ladder.metric_ids(metric.ladder_metric, year, _as_of(request, plan)[0])
    enterprises = ladder.enterprises_in(ids, unit, on).filter(
        pk__in=enterprises_for(request.user).values("pk")
    )
    page = paginate(request, enterprises.order_by(*TOWN_ORDER, "name"))
    return render(
        request,
        "targets/drill_down.html",
        {
            "plan": plan,
            "metric": metric,
            "unit": unit,
            "on": on,
            **page,
        },
    )
