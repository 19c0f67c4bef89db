"""Reads for quarterly reporting: what a user may see, the reporting rate, reported figures."""

import datetime
from decimal import Decimal

from django.db.models import Max

from core.models import OrgUnit

from .choices import SubmissionStatus
from .models import ReportingPeriod, Submission


def periods_for(user):
    return ReportingPeriod.objects.for_user(user).select_related("unit")


def reporting_rate(period: ReportingPeriod, units=None) -> list[dict]:
    """Per required unit: received? on time? approved? latest version — DHIS2's summary."""
    units = list(units if units is not None else period.required_units.order_by("order"))
    latest_versions = dict(
        Submission.objects.filter(period=period).values_list("unit_id").annotate(v=Max("version"))
    )
    first = {s.unit_id: s for s in Submission.objects.filter(period=period, version=1)}
    latest = {
        s.unit_id: s
        for s in Submission.objects.filter(period=period).select_related("uploaded_by")
        if latest_versions.get(s.unit_id) == s.version
    }
    return [
        {
            "unit": unit,
            "received": unit.pk in latest,
            "on_time": bool(first.get(unit.pk) and first[unit.pk].on_time),
            "approved": bool(
                latest.get(unit.pk) and latest[unit.pk].status == SubmissionStatus.APPROVED
            ),
            "latest": latest.get(unit.pk),
        }
        for unit in units
    ]


def rate_totals(rows: list[dict]) -> dict:
    total = len(rows)
    count = {key: sum(1 for r in rows if r[key]) for key in ("received", "on_time", "approved")}
    return {
        "expected": total,
        **count,
        **{f"{k}_rate": (v / total if total else None) for k, v in count.items()},
    }


def missing_units(period: ReportingPeriod) -> list[OrgUnit]:
    return [row["unit"] for row in reporting_rate(period) if not row["received"]]


def reported_totals(
    code: str, year: int, parent: OrgUnit, on: datetime.date
) -> dict[int, Decimal | None]:
    """A "reported" target metric: each unit's latest approved year-to-date figure for `year`
    (as of `on`), rolled up to `parent`'s children and total."""
    approved = (
        Submission.objects.filter(
            period__year=year,
            status=SubmissionStatus.APPROVED,
            unit__path__startswith=parent.path,
            period__window_start__lte=on,  # quarters already being reported by then
        )
        .select_related("unit", "period")
        .order_by("unit_id", "-period__quarter", "-version")
    )
    latest: dict[int, Submission] = {}
    for submission in approved:
        latest.setdefault(submission.unit_id, submission)
    children = list(parent.children.values_list("id", "path"))
    result: dict[int, Decimal | None] = {child_id: None for child_id, _ in children}
    result[parent.id] = None  # None, not 0: "not reported yet" is not "reported zero"
    for submission in latest.values():
        raw = submission.summary.get("reported", {}).get(code)
        if raw is None:
            continue
        value = Decimal(raw)
        result[parent.id] = (result[parent.id] or 0) + value
        for child_id, path in children:
            if submission.unit.path.startswith(path):
                result[child_id] = (result[child_id] or 0) + value
                break
    return result


def diff_with_previous(submission: Submission) -> dict:
    """What this version changed compared with the previous one: added/removed/changed rows."""
    previous = (
        Submission.objects.filter(
            period=submission.period, unit=submission.unit, version__lt=submission.version
        )
        .order_by("-version")
        .first()
    )
    now = {r["uscc"]: r for r in submission.rows}
    before = {r["uscc"]: r for r in previous.rows} if previous else {}
    changed = []
    for uscc in now.keys() & before.keys():
        fields = {
            code: (before[uscc]["values"].get(code), value)
            for code, value in now[uscc]["values"].items()
            if before[uscc]["values"].get(code) != value
        }
        if fields:
            changed.append({"uscc": uscc, "name": now[uscc]["name"], "fields": fields})
    return {
        "previous": previous,
        "added": [now[u] for u in sorted(now.keys() - before.keys())],
        "removed": [before[u] for u in sorted(before.keys() - now.keys())],
        "changed": sorted(changed, key=lambda c: c["name"]),
    }
