"""Writes to target plans: create, edit, set values, replace from an imported table. Logged."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.changelog import log_change, snapshot
from core.choices import Action
from core.models import OrgUnit, User
from core.scoping import ensure_unit_in_scope

from .models import Metric, PlanMetric, TargetPlan, TargetValue

PLAN_FIELDS = ["title", "doc_number", "issued_on", "notes", "progress_mode", "lag_threshold"]


@dataclass
class PlanTable:
    """A plan's table as imported or edited: columns (metric, merged header) and cells."""

    columns: list[tuple[Metric, str]]
    cells: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (metric id, unit id)


def _guard(actor, unit: OrgUnit):
    if actor is not None:
        ensure_unit_in_scope(actor, unit)


def _cells(plan: TargetPlan) -> dict[tuple[int, int], Decimal]:
    return {(v.metric_id, v.unit_id): v.value for v in plan.values.all()}


def _cells_for_log(plan: TargetPlan, cells: dict) -> dict:
    metrics = {m.pk: m.name for m in Metric.objects.all()}
    units = {u.pk: u.label for u in OrgUnit.objects.in_unit(plan.unit)}
    return {
        f"{units.get(u, u)}·{metrics.get(m, m)}": f"{v.normalize():f}"  # 30, not 3E+1
        for (m, u), v in sorted(cells.items())
    }


@transaction.atomic
def create_plan(
    *,
    actor: User | None,
    unit: OrgUnit,
    year: int,
    title: str = "",
    doc_number: str = "",
    issued_on: datetime.date | None = None,
    notes: str = "",
    progress_mode: str = "quarter",
    lag_threshold: int = 20,
    columns: Sequence[tuple[Metric, str]] = (),
    own_goals: Sequence[Metric] = (),
) -> TargetPlan:
    _guard(actor, unit)
    if TargetPlan.objects.filter(unit=unit, year=year).exists():
        raise ValidationError({"year": f"{unit}已有{year}年的目标任务，请直接修改。"})
    plan = TargetPlan(
        unit=unit,
        year=year,
        title=title or f"{year}年{unit}高新技术企业任务分解表",
        doc_number=doc_number,
        issued_on=issued_on,
        notes=notes,
        progress_mode=progress_mode,
        lag_threshold=lag_threshold,
        created_by=actor,
    )
    plan.full_clean()
    plan.save()
    _set_columns(plan, columns)
    _set_columns(plan, [(m, "") for m in own_goals], breakdown=False)
    log_change(actor=actor, instance=plan, action=Action.CREATE, unit=unit, after=snapshot(plan))
    return plan


def _set_columns(plan: TargetPlan, columns, *, breakdown: bool = True):
    """Make the plan's broken-down (or own-goal) columns exactly `columns`, in that order."""
    plan.plan_metrics.filter(breakdown=breakdown).exclude(
        metric__in=[m for m, _ in columns]
    ).delete()
    offset = 0 if breakdown else 100  # own goals list after the table's columns
    for order, (metric, group) in enumerate(columns, start=offset):
        PlanMetric.objects.update_or_create(
            plan=plan,
            metric=metric,
            defaults={"order": order, "group": group, "breakdown": breakdown},
        )


@transaction.atomic
def update_plan(
    *,
    actor: User | None,
    plan: TargetPlan,
    columns: Sequence[tuple[Metric, str]] | None = None,
    own_goals: Sequence[Metric] | None = None,
    **changes: object,
) -> TargetPlan:
    """Edit the header fields and, if given, the table columns and own-goal metrics."""
    _guard(actor, plan.unit)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = {**snapshot(plan), "指标": _column_names(plan)}
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    if columns is not None:
        _set_columns(plan, columns)
    if own_goals is not None:
        _set_columns(plan, [(m, "") for m in own_goals], breakdown=False)
    plan.values.exclude(metric__in=plan.plan_metrics.values("metric")).delete()
    after = {**snapshot(plan), "指标": _column_names(plan)}
    if before != after:
        log_change(
            actor=actor,
            instance=plan,
            action=Action.UPDATE,
            unit=plan.unit,
            before=before,
            after=after,
        )
    return plan


def _column_names(plan: TargetPlan) -> str:
    return "、".join(str(pm.metric) for pm in plan.plan_metrics.select_related("metric"))


@transaction.atomic
def set_values(
    *,
    actor: User | None,
    plan: TargetPlan,
    cells: Mapping[tuple[int, int], Decimal | None],
    action: str = Action.UPDATE,
    note: str = "",
) -> int:
    """Write cells (None clears one); logs one entry with every changed cell. Returns changes."""
    _guard(actor, plan.unit)
    allowed_units = set(plan.unit.children.values_list("pk", flat=True)) | {plan.unit.pk}
    allowed_metrics = set(plan.plan_metrics.values_list("metric_id", flat=True))
    before = _cells(plan)
    for (metric_id, unit_id), value in cells.items():
        outside = unit_id not in allowed_units or metric_id not in allowed_metrics
        if value is not None and outside:  # clearing a stale cell is always allowed
            raise ValidationError("目标值只能填写本计划的指标、下达单位及其直属下级单位。")
        if value is not None and value < 0:
            raise ValidationError("目标值不能为负数。")
        if value is None:
            TargetValue.objects.filter(plan=plan, metric_id=metric_id, unit_id=unit_id).delete()
        else:
            TargetValue.objects.update_or_create(
                plan=plan, metric_id=metric_id, unit_id=unit_id, defaults={"value": value}
            )
    after = _cells(plan)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if changed:
        log_change(
            actor=actor,
            instance=plan,
            action=action,
            unit=plan.unit,
            before=_cells_for_log(plan, {k: before[k] for k in changed if k in before}),
            after=_cells_for_log(plan, {k: after[k] for k in changed if k in after}),
            note=note,
        )
    return len(changed)


@transaction.atomic
def replace_table(*, actor: User | None, plan: TargetPlan, table: PlanTable, note: str = "") -> int:
    """Make the plan's breakdown table exactly `table` (an import); own goals stay."""
    _guard(actor, plan.unit)
    own_goals = set(plan.plan_metrics.filter(breakdown=False).values_list("metric_id", flat=True))
    _set_columns(plan, [(m, g) for m, g in table.columns if m.pk not in own_goals])
    incoming = {key: value for key, value in table.cells.items() if key[0] not in own_goals}
    stale = {key: None for key in _cells(plan) if key not in incoming and key[0] not in own_goals}
    return set_values(
        actor=actor, plan=plan, cells={**stale, **table.cells}, action=Action.IMPORT, note=note
    )
