"""Completion of a target plan: target, actual (computed — never typed twice), completion,
序时进度, status, rank among siblings and a year-end forecast with its inputs.

Every actual comes from the ladder's point-in-time selectors (or approved quarterly
submissions for "reported" metrics), one grouped query per metric: the number of queries
does not grow with the number of towns.
"""

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from core.cache import fresh, versions
from core.dates import quarter_ends, today
from core.models import OrgUnit
from cultivation import selectors as ladder
from cultivation.choices import ApplicationKind, ApplicationStatus

from .choices import MetricSource, ProgressMode, Status
from .models import Metric, PlanMetric, TargetPlan

# Ladder metrics whose forecast adds pending applications × pass rate, or planned filings.
CERTIFICATION_METRICS = {"new_hte", "valid_hte"}
FILING_METRICS = {
    "renewal_applications": ApplicationKind.RENEWAL,
    "first_applications": ApplicationKind.FIRST,
    "applications": None,
}


@dataclass
class Cell:
    target: Decimal | None = None
    actual: Decimal | int | None = None
    completion: float | None = None
    status: Status | None = None
    rank: int | None = None
    forecast: float | None = None
    forecast_inputs: dict = field(default_factory=dict)


@dataclass
class Row:
    unit: OrgUnit
    cells: dict[int, Cell]  # by metric id
    is_total: bool = False


@dataclass
class Completion:
    plan: TargetPlan
    on: datetime.date
    expected: float  # 序时进度, 0..1
    columns: list[PlanMetric]
    rows: list[Row]
    total: Row
    mismatches: list[str]  # children's values not adding up to the parent's (Chinese)
    parent_values: dict[int, Decimal]  # what the plan one level up sets for this unit


def expected_progress(plan: TargetPlan, on: datetime.date) -> float:
    """序时进度: by completed quarters (Q1 25 %, …) or by day of the year."""
    if on.year < plan.year:
        return 0.0
    if on.year > plan.year:
        return 1.0
    if plan.progress_mode == ProgressMode.DAY:
        days = (datetime.date(plan.year, 12, 31) - datetime.date(plan.year, 1, 1)).days + 1
        return on.timetuple().tm_yday / days
    return sum(on >= end for end in quarter_ends(plan.year)) / 4


def status_of(completion: float | None, expected: float, lag_points: int) -> Status | None:
    if completion is None:
        return None
    if completion >= 1:
        return Status.DONE
    if completion >= expected:
        return Status.AHEAD
    if completion >= expected - lag_points / 100:
        return Status.BEHIND
    return Status.SEVERE


def _actuals(metric, plan: TargetPlan, on: datetime.date) -> dict[int, Decimal | int | None]:
    if metric.source == MetricSource.REPORTED:
        return reported_actuals(metric, plan, on)
    if metric.baseline:  # last year's closing figure, e.g. 2018年底高企数
        return ladder.metric_counts(metric.ladder_metric, plan.year - 1, plan.unit)
    return ladder.metric_counts(metric.ladder_metric, plan.year, plan.unit, on)


# Actuals the registry cannot know come from approved quarterly submissions' year-to-date
# figures. Quarterly reporting builds on this catalogue (its template lists the reported
# metrics), so it registers the source at start-up (ReportsConfig.ready) rather than this
# module importing it: (metric code, year, parent unit, as of) → {unit id: value or None}.
ReportedSource = Callable[[str, int, OrgUnit, datetime.date], dict[int, Decimal | None]]
REPORTED_SOURCES: list[ReportedSource] = []


def reported_actuals(
    metric, plan: TargetPlan, on: datetime.date
) -> dict[int, Decimal | int | None]:
    found: dict[int, Decimal | int | None] = {}
    for source in REPORTED_SOURCES:
        found.update(source(metric.code, plan.year, plan.unit, on))
    return found


def reported_metrics() -> dict[str, str]:
    """Code → name of the active metrics towns report themselves (a template's 汇总指标)."""
    return dict(reported_metric_queryset().values_list("code", "name"))


def reported_metric_rows() -> list[tuple[str, str, str]]:
    """(code, name, unit of measure) of those metrics, in catalogue order."""
    return list(reported_metric_queryset().values_list("code", "name", "unit"))


def reported_metric_queryset():
    return Metric.objects.filter(source=MetricSource.REPORTED, is_active=True).order_by(
        "order", "code"
    )


def pass_rates(plan: TargetPlan) -> dict[int, float | None]:
    """Per child (and the plan unit): passed ÷ decided applications over the previous 3 years."""
    outcomes = ladder.application_outcomes(
        plan.unit, range(plan.year - 3, plan.year), ladder.year_end(plan.year - 1)
    )
    return {unit_id: (p / d if d else None) for unit_id, (p, d) in outcomes.items()}


def _forecast_inputs(plan: TargetPlan, on: datetime.date):
    """What the forecasts need, computed once per plan (constant number of queries)."""
    pending = ladder.count_by_child(
        ladder.application_ids(
            plan.year, ApplicationKind.FIRST, statuses=[ApplicationStatus.SUBMITTED]
        ),
        plan.unit,
        on,
    )
    planned = {
        code: ladder.count_by_child(
            ladder.application_ids(plan.year, kind, statuses=[ApplicationStatus.PLANNED]),
            plan.unit,
            on,
        )
        for code, kind in FILING_METRICS.items()
        if kind is not None
    }
    # Every application is 首次 or 重新认定: "all planned" is their sum (one query fewer).
    first, renewal = planned["first_applications"], planned["renewal_applications"]
    planned["applications"] = {
        u: first.get(u, 0) + renewal.get(u, 0) for u in first.keys() | renewal.keys()
    }
    return pending, planned, pass_rates(plan)


def _forecast(metric, unit_id, actual, inputs) -> tuple[float | None, dict]:
    pending, planned, rates = inputs
    if actual is None or metric.baseline:
        return None, {}
    code = metric.ladder_metric if metric.source == MetricSource.LADDER else None
    if code in CERTIFICATION_METRICS:
        rate = rates.get(unit_id)
        waiting = pending.get(unit_id, 0)
        expected_passes = waiting * (rate if rate is not None else 0)
        return float(actual) + expected_passes, {"已申报待结果": waiting, "近三年通过率": rate}
    if code in FILING_METRICS:
        extra = planned[code].get(unit_id, 0)
        return float(actual) + extra, {"拟申报": extra}
    return float(actual), {}


# What a completion table reads, by domain (core.cache): targets, the ladder and the
# registry it counts, approved submissions for reported metrics, the unit tree.
DOMAINS = ("targets", "reports", "cultivation", "enterprises", "core")
CACHE_SECONDS = 26 * 60 * 60
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]


def cached_completion(plan: TargetPlan, on: datetime.date | None = None) -> Completion:
    """`completion`, kept in the cache until something it reads changes in the plan's
    subtree — or its parent's plan changes (the 上级下达 check reads it). One request
    recomputes after a change; concurrent ones get the previous table meanwhile."""
    on = ladder.as_of_in(plan.year, on or today())
    key = f"targets:completion:{plan.pk}:{on.isoformat()}"
    return fresh(key, completion_version(plan), lambda: completion(plan, on), CACHE_SECONDS)


def completion_version(plan: TargetPlan) -> tuple | None:
    """What a plan's completion (and anything rendered from it) was computed from; None
    while the cache is down."""
    found = versions(DOMAINS, plan.unit.parent_id or plan.unit_id)
    return None if found is None else (CODE_VERSION, plan.updated_at.isoformat(), found)


def completion(plan: TargetPlan, on: datetime.date | None = None) -> Completion:
    """The table computed afresh (pages read `cached_completion`)."""
    on = ladder.as_of_in(plan.year, on or today())
    expected = expected_progress(plan, on)
    columns = list(plan.plan_metrics.select_related("metric"))
    children = list(plan.unit.children.filter(is_active=True).order_by("order"))
    targets = {(v.metric_id, v.unit_id): v.value for v in plan.values.all()}
    inputs = _forecast_inputs(plan, on)
    rows = {unit.pk: Row(unit, {}) for unit in children}
    total = Row(plan.unit, {}, is_total=True)
    for column in columns:
        metric = column.metric
        actuals = _actuals(metric, plan, on)
        for row in [*rows.values(), total]:
            row.cells[metric.pk] = _cell(
                metric,
                targets.get((metric.pk, row.unit.pk)),
                actuals.get(row.unit.pk),
                plan,
                expected,
            )
            cell = row.cells[metric.pk]
            cell.forecast, cell.forecast_inputs = _forecast(
                metric, row.unit.pk, cell.actual, inputs
            )
        _rank([row.cells[metric.pk] for row in rows.values()])
    parent_values = _parent_values(plan)
    return Completion(
        plan=plan,
        on=on,
        expected=expected,
        columns=columns,
        rows=list(rows.values()),
        total=total,
        mismatches=_mismatches(plan, columns, targets, children, parent_values),
        parent_values=parent_values,
    )


@dataclass
class CompletionTable:
    """The completion table as one reader may see it: what the 目标任务 page shows and the
    完成情况表 export lays out, so the two always carry the same numbers for a date."""

    result: Completion
    rows: list[Row]  # the child units the reader may see, in the plan's order
    columns: list[PlanMetric]  # every metric broken down to the units, in the plan's order
    shown: list[PlanMetric]  # the ones chosen to show (every one unless chosen)
    own_goals: list[PlanMetric]  # goals the plan sets for its own unit only (cards)
    hidden: set[str]  # codes of the columns not chosen (the page renders them hidden)

    @property
    def chosen(self) -> bool:
        """Whether some metric groups are left out (the page says so; the export too)."""
        return bool(self.hidden)


def completion_table(
    plan: TargetPlan,
    on: datetime.date | None = None,
    *,
    visible: set[int] | None,
    show: Iterable[str] = (),
) -> CompletionTable:
    """`cached_completion` cut to what a reader sees: the children in `visible`
    (`core.scoping.visible_unit_ids`; None for every row — the shell) and the total row,
    always (a town sees the district's total, as the notice prints it). `show`: metric codes
    of the groups to show; none, or none known, shows them all."""
    result = cached_completion(plan, on)
    columns = [c for c in result.columns if c.breakdown]
    wanted = set(show)
    shown = [c for c in columns if c.metric.code in wanted] or columns
    return CompletionTable(
        result=result,
        rows=[r for r in result.rows if visible is None or r.unit.pk in visible],
        columns=columns,
        shown=shown,
        own_goals=[c for c in result.columns if not c.breakdown],
        hidden={c.metric.code for c in columns if c not in shown},
    )


def metric_toggles(plan: TargetPlan, show: Iterable[str] = ()) -> list[dict]:
    """The page's "显示指标" boxes: each broken-down metric, ticked if `completion_table`
    shows it for the same `show` (read apart from it: the table itself is cached as HTML)."""
    columns = list(plan.plan_metrics.filter(breakdown=True).select_related("metric"))
    codes = {c.metric.code for c in columns}
    chosen = (set(show) & codes) or codes
    return [
        {"code": c.metric.code, "name": c.metric.name, "checked": c.metric.code in chosen}
        for c in columns
    ]


def _cell(metric, target, actual, plan, expected) -> Cell:
    cell = Cell(target=target, actual=actual)
    if target and actual is not None and not metric.baseline:
        cell.completion = float(actual) / float(target)
        cell.status = status_of(cell.completion, expected, plan.lag_threshold)
    return cell


def _rank(cells: list[Cell]):
    """Competition ranking by completion (1, 2, 2, 4); cells without a target get none."""
    ranked = sorted(
        (c for c in cells if c.completion is not None), key=lambda c: -(c.completion or 0)
    )
    for position, cell in enumerate(ranked, start=1):
        previous = ranked[position - 2] if position > 1 else None
        cell.rank = (
            previous.rank if previous and previous.completion == cell.completion else position
        )


def _parent_values(plan: TargetPlan) -> dict[int, Decimal]:
    if not plan.unit.parent_id:
        return {}
    parent = TargetPlan.objects.filter(unit=plan.unit.parent, year=plan.year).first()
    if parent is None:
        return {}
    return dict(parent.values.filter(unit=plan.unit).values_list("metric_id", "value"))


def _mismatches(plan, columns, targets, children, parent_values) -> list[str]:
    problems = []
    for column in columns:
        metric = column.metric
        own = targets.get((metric.pk, plan.unit.pk))
        values = [targets[(metric.pk, c.pk)] for c in children if (metric.pk, c.pk) in targets]
        if values and own is not None and sum(values) != own:
            problems.append(
                f"【{metric.name}】各下级单位之和为 {_n(sum(values))}，{plan.unit.label}合计为 {_n(own)}"
            )
        upper = parent_values.get(metric.pk)
        if upper is not None and own is not None and upper != own:
            problems.append(f"【{metric.name}】上级下达 {_n(upper)}，本级合计为 {_n(own)}")
    return problems


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass
class ValueGrid:
    """The value page's grid (and the API's values document): the plan's columns, its
    active child units in display order then the plan's own unit (the total row), and the
    values stored today."""

    plan: TargetPlan
    columns: list[PlanMetric]
    units: list[OrgUnit]
    current: dict[tuple[int, int], Decimal]  # (metric id, unit id) → value

    def enabled(self, column: PlanMetric, unit: OrgUnit) -> bool:
        """Whether the grid has an input there: own goals are set for the plan's unit alone."""
        return column.breakdown or unit.pk == self.plan.unit_id


def value_grid(plan: TargetPlan) -> ValueGrid:
    return ValueGrid(
        plan=plan,
        columns=list(plan.plan_metrics.select_related("metric")),
        units=[*plan.unit.children.filter(is_active=True).order_by("order"), plan.unit],
        current={(v.metric_id, v.unit_id): v.value for v in plan.values.all()},
    )


def plans_for(user):
    return TargetPlan.objects.for_user(user).select_related("unit").order_by("-year", "unit__path")
