"""Reads that assemble the 驾驶舱 (dashboard): one JSON-ready payload per block.

Every number comes from the selectors that define it everywhere else (targets' completion,
the ladder's point-in-time counts, reporting rate, pre-diagnosis); nothing is recounted here.
Payloads are cached per block, unit, year and data version (dashboard/cache.py).
"""

import datetime
import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max
from django.urls import reverse

from core.cache import fresh
from core.dates import quarter_ends, today
from core.models import OrgUnit
from core.scoping import scope_digest
from cultivation import selectors as ladder
from cultivation.prediagnosis import ranked
from enterprises.models import Enterprise
from reports.models import ReportingPeriod
from reports.selectors import missing_units
from targets.choices import Status
from targets.models import TargetPlan
from targets.selectors import cached_completion

from . import cache
from .cache import cached
from .models import Snapshot

QUARTER_LABELS = ["一季度末", "二季度末", "三季度末", "四季度末"]
CLOSEST_LIMIT = 10


def payload(endpoint: str, unit: OrgUnit, year: int) -> dict:
    """What one JSON endpoint returns (summary and ranking share one completion run)."""
    block, part = ENDPOINTS[endpoint]
    data = cached(block, unit, year, BLOCKS[block])
    return data[part] if part else data


def scoped(payload: dict, visible: set[int]) -> dict:
    """Drop every row about a unit outside `visible`: a second line behind unit_param."""

    def keep(rows):
        return [row for row in rows if row["unit_id"] in visible]

    result = dict(payload)
    for key in ("rows", "units"):
        if key in result:
            result[key] = keep(result[key])
    if "metrics" in result:
        result["metrics"] = [
            {**m, "rows": keep(m["rows"])} if "rows" in m else m for m in result["metrics"]
        ]
    return result


def block_json(endpoint: str, unit: OrgUnit, year: int, visible: set[int]) -> bytes:
    """One endpoint's payload as JSON, for a reader who sees `visible`: what the page's
    fetches and the API (/api/v1/dashboard/…) answer. Cached as bytes: the ranking of 100
    towns is ~140 KB, and serialising it again on every request cost more than reading it."""
    block, _part = ENDPOINTS[endpoint]

    def render_json() -> bytes:
        data = scoped(payload(endpoint, unit, year), visible)
        return json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder).encode()

    json_key = cache.key(f"json-{endpoint}", unit, year, scope_digest(visible))
    return fresh(json_key, cache.version(block, unit), render_json, cache.CACHE_SECONDS)


# --- small helpers -------------------------------------------------------------------------------


def _num(value):
    """Decimal/int/float → a JSON number (whole numbers as int); None stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def dashboard_url(unit_id: int, year: int) -> str:
    return f"{reverse('dashboard:page')}?unit={unit_id}&year={year}"


def _status_label(status) -> str:
    return Status(status).label if status else ""


# The badge colour of each status (the label always goes with it: colour is never alone).
TONES = {Status.DONE: "ok", Status.AHEAD: "ok", Status.BEHIND: "warn", Status.SEVERE: "bad"}


def _unit(unit: OrgUnit) -> dict:
    return {"unit_id": unit.pk, "name": unit.name, "label": unit.label}


# --- target completion: cards and ranking --------------------------------------------------------


def _plan_rows(unit: OrgUnit, year: int):
    """(plan, completion, the unit's row, rows to rank, source) or None when no plan applies.

    The unit's own plan when it issued one; otherwise its row in the parent's plan (a town's
    targets are set by the district)."""
    plan = TargetPlan.objects.filter(unit=unit, year=year).select_related("unit").first()
    if plan is not None:
        result = cached_completion(plan, today())
        return plan, result, result.total, result.rows, "own"
    if unit.parent_id:
        plan = (
            TargetPlan.objects.filter(unit_id=unit.parent_id, year=year)
            .select_related("unit")
            .first()
        )
        if plan is not None:
            result = cached_completion(plan, today())
            row = next((r for r in result.rows if r.unit.pk == unit.pk), None)
            if row is not None:
                return plan, result, row, [row], "parent"
    return None


def _plan_info(plan: TargetPlan, source: str) -> dict:
    return {
        "id": plan.pk,
        "title": str(plan),
        "unit_name": plan.unit.name,
        "url": reverse("targets:detail", args=[plan.pk]),
        "source": source,
        "progress_mode": plan.get_progress_mode_display(),
    }


def _drill_url(plan: TargetPlan, metric, unit_id: int) -> str | None:
    if not metric.ladder_metric:
        return None  # reported figures have no enterprise list behind them
    return f"{reverse('targets:drill_down', args=[plan.pk])}?metric={metric.code}&unit={unit_id}"


def _cell(plan, column, cell, unit_id: int, expected: float) -> dict:
    metric = column.metric
    gap = None
    if cell.completion is not None and not metric.baseline:
        gap = round((cell.completion - expected) * 100, 1)
    return {
        "code": metric.code,
        "name": metric.name,
        "header": column.header,
        "measure": metric.unit,
        "baseline": metric.baseline,
        "target": _num(cell.target),
        "actual": _num(cell.actual),
        "completion": _num(cell.completion),
        "status": cell.status or "",
        "status_label": _status_label(cell.status),
        "tone": TONES.get(cell.status, ""),
        "gap_points": gap,  # percentage points ahead of (+) or behind (−) 序时进度
        "rank": cell.rank,
        "forecast": _num(cell.forecast),
        "forecast_inputs": {k: _num(v) for k, v in cell.forecast_inputs.items()},
        "drill_url": _drill_url(plan, metric, unit_id),
    }


def _ranked_of(result, column) -> int:
    """How many siblings have a completion for the column: the "of" in "第 3 名 / 11"."""
    return sum(1 for r in result.rows if r.cells[column.metric_id].completion is not None)


def targets(unit: OrgUnit, year: int) -> dict:
    """The summary cards and the ranking, from one completion run of the applicable plan."""
    found = _plan_rows(unit, year)
    return {"summary": summary(unit, year, found), "ranking": ranking(year, found)}


def summary(unit: OrgUnit, year: int, found) -> dict:
    """One card per target metric of the plan that applies to the unit."""
    on = ladder.as_of_in(year, today())
    head = {"unit": _unit(unit), "year": year, "on": on.isoformat(), "plan": None}
    if found is None:
        return {**head, "expected": None, "cards": [], "mismatches": []}
    plan, result, row, _rows, source = found
    columns = result.columns if source == "own" else [c for c in result.columns if c.breakdown]
    cards = []
    for column in columns:
        card = _cell(plan, column, row.cells[column.metric_id], unit.pk, result.expected)
        if source == "parent":  # a town's rank among its siblings
            card["rank_of"] = _ranked_of(result, column)
        cards.append(card)
    return {
        **head,
        "plan": _plan_info(plan, source),
        "expected": result.expected,
        "cards": cards,
        "mismatches": result.mismatches if source == "own" else [],
    }


def ranking(year: int, found) -> dict:
    """Per ranked metric: the unit's children by rank (a town: only its own row)."""
    if found is None:
        return {"plan": None, "expected": None, "metrics": []}
    plan, result, _row, rows, source = found
    metrics = []
    for column in result.columns:
        if column.metric.baseline or not column.breakdown:
            continue  # a baseline has no completion; own goals are not broken down
        cells = [(r, r.cells[column.metric_id]) for r in rows]
        cells.sort(key=lambda rc: (rc[1].rank is None, rc[1].rank or 0, rc[0].unit.order))
        metrics.append(
            {
                "code": column.metric.code,
                "name": column.metric.name,
                "header": column.header,
                "ranked_of": _ranked_of(result, column),
                "rows": [
                    {
                        **_cell(plan, column, cell, r.unit.pk, result.expected),
                        **_unit(r.unit),  # after the cell: "name" is the unit's here
                        "url": dashboard_url(r.unit.pk, year),
                    }
                    for r, cell in cells
                ],
            }
        )
    return {
        "plan": _plan_info(plan, source),
        "expected": result.expected,
        "self_only": source == "parent",
        "metrics": metrics,
    }


# --- history from snapshots ----------------------------------------------------------------------


def trend(unit: OrgUnit, year: int) -> dict:
    """Each ladder metric at the quarter ends of the year and the one before, from snapshots."""
    years = [year - 1, year]
    dates = {y: quarter_ends(y) for y in years}
    wanted = [d for y in years for d in dates[y]]
    values = {
        (metric, date): value
        for metric, date, value in Snapshot.objects.filter(unit=unit, date__in=wanted).values_list(
            "metric", "date", "value"
        )
    }
    taken = {date for _, date in values}
    latest = Snapshot.objects.filter(unit=unit).aggregate(latest=Max("date"))["latest"]
    return {
        "unit": _unit(unit),
        "years": years,
        "labels": QUARTER_LABELS,
        "dates": {str(y): [d.isoformat() for d in dates[y]] for y in years},
        "metrics": [
            {
                "code": code,
                "label": metric.label,
                "series": {str(y): [_num(values.get((code, d))) for d in dates[y]] for y in years},
            }
            for code, metric in ladder.LADDER_METRICS.items()
        ],
        # past quarter ends with no snapshot: the chart shows a gap, the page says how to fill it
        "missing": [d.isoformat() for d in wanted if d < today() and d not in taken],
        "latest": latest.isoformat() if latest else None,
    }


# --- the ladder ----------------------------------------------------------------------------------


def funnel(unit: OrgUnit, year: int) -> dict:
    steps = [{**step, "rate": _num(step["rate"])} for step in ladder.funnel(unit, year)]
    return {
        "year": year,
        "steps": steps,
        "empty": not any(step["count"] for step in steps),
        "url": f"{reverse('cultivation:funnel')}?unit={unit.pk}&year={year}",
    }


def expiring(unit: OrgUnit, year: int) -> dict:
    """Certificates running out this year and next, per child (attributed as of today)."""
    on = ladder.as_of_in(year, today())
    counts = {y: ladder.count_by_child(ladder.expiring_ids(y), unit, on) for y in (year, year + 1)}
    url = reverse("cultivation:expiring")
    children = unit.children.order_by("order", "path")
    units = [c for c in children if c.is_active or counts[year][c.pk] or counts[year + 1][c.pk]]

    def row(u: OrgUnit) -> dict:
        return {
            **_unit(u),
            "counts": [counts[y].get(u.pk, 0) for y in (year, year + 1)],
            "urls": [f"{url}?year={y}&unit={u.pk}" for y in (year, year + 1)],
            "dashboard_url": dashboard_url(u.pk, year),
        }

    return {
        "years": [year, year + 1],
        "rows": [row(u) for u in units],
        "total": row(unit),
    }


# --- reporting -----------------------------------------------------------------------------------


def current_period(unit: OrgUnit, on: datetime.date) -> ReportingPeriod | None:
    """The open (or latest started) period of the unit's bureau on `on`: the one whose
    missing reports the dashboard and the home page name."""
    return (
        ReportingPeriod.objects.filter(unit_id__in=unit.lineage_ids, window_start__lte=on)
        .order_by("-year", "-quarter", "-window_start")
        .first()
    )


def missing(unit: OrgUnit, year: int) -> dict:
    """Who in the unit's subtree has not reported for the open (or latest started) period."""
    on = ladder.as_of_in(year, today())
    period = current_period(unit, on)
    if period is None:
        return {"period": None, "units": [], "required": 0, "only_self": False}
    units = [u for u in missing_units(period) if u.is_within(unit)]
    required = list(period.required_units.in_unit(unit).values_list("pk", flat=True))
    now = today()
    return {
        "period": {
            "id": period.pk,
            "label": str(period),
            "deadline": period.deadline.isoformat(),
            "open": period.window_start <= now <= period.deadline,
            "overdue": now > period.deadline,
            "url": reverse("reports:period", args=[period.pk]),
        },
        "required": len(required),
        "only_self": required == [unit.pk],  # a town: "本单位已报送 / 尚未报送"
        "units": [{**_unit(u), "url": dashboard_url(u.pk, year)} for u in units],
    }


# --- pre-diagnosis -------------------------------------------------------------------------------


def closest(unit: OrgUnit, year: int) -> dict:
    """The pool members (在库, not yet certified) closest to passing 高企 pre-diagnosis.

    Ranked from the stored results (cultivation.models.Prediagnosis): only the members
    without a fresh row — new, changed since (the change hook marks them), or diagnosed on
    another date — are diagnosed, so the first request after a change stays fast.
    """
    on = ladder.as_of_in(year, today())
    candidates = ladder.in_pool(Enterprise.objects.in_unit(unit), on)
    rows = ranked(candidates, apply_year=year)
    detail = reverse("cultivation:diagnosis")
    return {
        "year": year,
        "candidates": rows.count(),
        # the same ranking, all of it: the pre-diagnosis list of the pool members
        "all_url": f"{detail}?unit={unit.pk}&year={year}&pool=1",
        "rows": [
            {
                "unit_id": row.enterprise.town_id,
                "id": row.enterprise_id,
                "name": row.enterprise.name,
                "town": row.enterprise.town.label,
                "verdict": row.hte_verdict,
                "undecided": row.undecided,
                "summary": row.summary,
                "failing": row.failing,
                "unknown": row.unknown,
                "score": row.score_estimate,
                "url": reverse("cultivation:diagnosis_detail", args=[row.enterprise_id])
                + f"?year={year}",
            }
            for row in rows[:CLOSEST_LIMIT]
        ],
    }


BLOCKS = {
    "targets": targets,
    "trend": trend,
    "funnel": funnel,
    "expiring": expiring,
    "missing": missing,
    "closest": closest,
}
# endpoint → (cached block, part of it)
ENDPOINTS = {
    "summary": ("targets", "summary"),
    "ranking": ("targets", "ranking"),
    **{name: (name, None) for name in ("trend", "funnel", "expiring", "missing", "closest")},
}
