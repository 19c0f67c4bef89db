"""Reads for quarterly reporting: what a user may see, the reporting rate, reported figures."""

import datetime
import re
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Q

from core.choices import Action
from core.models import ChangeLog, Notification, OrgUnit
from core.scoping import can_change, can_write, visible_unit_ids
from enterprises.models import Enterprise, EnterpriseYear
from targets.models import Metric

from .choices import SubmissionStatus
from .columns import BY_CODE
from .io.staging import staged_rows, text_of
from .models import Reopening, ReportingPeriod, Submission, UploadRow


def periods_for(user):
    return ReportingPeriod.objects.for_user(user).select_related("unit")


def can_open_periods(user) -> bool:
    """Periods are opened by a unit that has units below it (the district bureau): the page's
    开启 button and the API's POST /reporting-periods/ ask the same question."""
    return can_write(user) and user.unit_id is not None and user.unit.children.exists()


def manages(user, period: ReportingPeriod) -> bool:
    """Whoever may change the period — write for its opening unit, the district bureau —
    reviews and reopens."""
    return can_change(user, period)


def reviews(user, submission: Submission) -> bool:
    """Who may review a version: whoever manages its period, but never for their own unit."""
    return manages(user, submission.period) and user.unit_id != submission.unit_id


def visible_required_units(period: ReportingPeriod, user) -> list[OrgUnit]:
    """The period's reporting units the user may see (the period page's rows), in order."""
    visible = visible_unit_ids(user)
    return [u for u in period.required_units.order_by("order") if u.pk in visible]


def periods_closing(on: datetime.date, last_day: datetime.date):
    """Periods open on `on` whose deadline falls between `on` and `last_day` (reminders)."""
    return ReportingPeriod.objects.filter(
        window_start__lte=on, deadline__gte=on, deadline__lte=last_day
    ).select_related("unit")


def periods_closed(on: datetime.date, *, since: datetime.date):
    """Periods whose deadline passed before `on`, but not before `since` (overdue notices)."""
    return ReportingPeriod.objects.filter(deadline__lt=on, deadline__gte=since).select_related(
        "unit"
    )


def versions(period: ReportingPeriod, unit: OrgUnit):
    """A unit's submissions for a period, the newest version first."""
    return Submission.objects.filter(period=period, unit=unit).order_by("-version")


def latest_submission(period: ReportingPeriod, unit: OrgUnit) -> Submission | None:
    return versions(period, unit).first()


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
        "missing": total - count["received"],
        **{f"{k}_rate": (v / total if total else None) for k, v in count.items()},
    }


def missing_units(period: ReportingPeriod, units=None) -> list[OrgUnit]:
    """The required units (or those of `units`) with no version yet."""
    return [row["unit"] for row in reporting_rate(period, units) if not row["received"]]


def reopened_until(period: ReportingPeriod, on: datetime.date) -> dict[int, datetime.date]:
    """Unit id → the last day its reopening of the period runs to, for those reopened on `on`
    (a reopening that has run out no longer counts: upload_refusal's rule)."""
    reopenings = Reopening.objects.filter(period=period, until__gte=on).values_list(
        "unit_id", "until"
    )
    found: dict[int, datetime.date] = {}
    for unit_id, until in reopenings:
        found[unit_id] = max(until, found.get(unit_id, until))
    return found


# --- 截止提醒 (deadline reminders) ------------------------------------------------------------------
# The daily job's key is one per period and unit: it reminds a unit once. A reminder sent by
# hand (提醒未报送单位) is one per period, unit and day: the district may remind again on a
# later day, but a unit gets at most one reminder a day, whoever sends it first.


def _reminder_prefix(period: ReportingPeriod) -> str:
    return f"reminder:{period.code}:p{period.pk}:unit"


def reminder_key(period: ReportingPeriod, unit: OrgUnit) -> str:
    return f"{_reminder_prefix(period)}{unit.pk}"


def manual_reminder_key(period: ReportingPeriod, unit: OrgUnit, day: datetime.date) -> str:
    return f"{reminder_key(period, unit)}:{day.isoformat()}"


_REMINDED_UNIT = re.compile(r":unit(\d+):")


def reminded_on(period: ReportingPeriod, day: datetime.date) -> set[int]:
    """The ids of the period's units sent a deadline reminder on `day`, by the daily job or by
    hand: the one won't follow the other on the same day. By hand, the key says the day; the
    daily job's notices are dated by when they were made (the portal's clock)."""
    keys = Notification.objects.filter(dedupe_key__startswith=_reminder_prefix(period)).filter(
        Q(dedupe_key__contains=f":{day.isoformat()}:") | Q(created_at__date=day)
    )
    return {
        int(match.group(1))
        for key in keys.values_list("dedupe_key", flat=True)
        if key and (match := _REMINDED_UNIT.search(key))
    }


def reported_figures(submission: Submission) -> list[tuple[str, int | Decimal, str]]:
    """(metric name, value, unit of measure) of the unit-level figures a version reported, in
    catalogue order: pages name metrics, never their codes (a metric since removed from the
    catalogue shows its code, the one thing left of it)."""
    reported = {c: v for c, v in (submission.summary.get("reported") or {}).items() if v != ""}
    if not reported:
        return []
    known = {
        code: (name, unit)
        for code, name, unit in Metric.objects.filter(code__in=list(reported)).values_list(
            "code", "name", "unit"
        )
    }
    rows = []
    for code in [*known, *sorted(set(reported) - set(known))]:
        name, unit = known.get(code, (code, ""))
        value = Decimal(reported[code])  # stored as text, "6.00"
        rows.append((name, int(value) if value == value.to_integral_value() else value, unit))
    return rows


def reported_totals(
    code: str, year: int, parent: OrgUnit, on: datetime.date
) -> dict[int, Decimal | None]:
    """A "reported" target metric: each unit's latest approved year-to-date figure for `year`
    (as of `on`), rolled up to `parent`'s children and total."""
    approved = (
        Submission.objects.in_unit(parent)
        .filter(
            period__year=year,
            status=SubmissionStatus.APPROVED,
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
            if submission.unit.path.startswith(path):  # the child whose subtree holds it
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
    codes = submission.period.columns
    now = staged_rows(submission.job_id, codes)
    before = staged_rows(previous.job_id, codes) if previous else {}
    changed = []
    for uscc in now.keys() & before.keys():
        (name, values), (_, old) = now[uscc], before[uscc]
        fields = {code: (old[code], value) for code, value in values.items() if old[code] != value}
        if fields:
            changed.append({"uscc": uscc, "name": name, "fields": fields})

    def listed(rows, codes_):
        return [{"uscc": u, "name": rows[u][0]} for u in sorted(codes_)]

    return {
        "previous": previous,
        "added": listed(now, now.keys() - before.keys()),
        "removed": listed(before, before.keys() - now.keys()),
        "changed": sorted(changed, key=lambda c: c["name"]),
    }


def approved_upload_enterprises(entries: list[ChangeLog]):
    """cultivation.prediagnosis.TOUCHED_SOURCES: for each approval among the entries, the
    enterprises its staged rows wrote (a subquery) and the year of their indicators."""
    submission_type = ContentType.objects.get_for_model(Submission).pk
    ids = {int(e.object_id) for e in entries if e.content_type_id == submission_type}
    if not ids:
        return []
    approved = Submission.objects.filter(  # unscoped: the change log's own entries
        pk__in=ids, status=SubmissionStatus.APPROVED, job__isnull=False
    ).values_list("job_id", "period__year")
    return [
        (
            Enterprise.objects.filter(  # unscoped: what the approval wrote
                uscc__in=UploadRow.objects.filter(job_id=job_id).values("uscc")
            ).values("pk"),
            year,
        )
        for job_id, year in approved
    ]


def reported_quarter(instance, year: int) -> int | None:
    """The last quarter of `year` an approved upload wrote an enterprise's figures for."""
    if not isinstance(instance, Enterprise):
        return None
    return (
        UploadRow.objects.filter(
            uscc=instance.uscc,
            job__submission__applied_at__isnull=False,
            job__submission__period__year=year,
        )
        .aggregate(q=Max("job__submission__period__quarter"))
        .get("q")
    )


def upload_history(instance) -> list[ChangeLog]:
    """What each approved quarterly upload changed for an enterprise, as (unsaved) change-log
    entries for its history: an upload's staged rows keep its values and the registry's
    values before it (was_), instead of one change-log row per enterprise. Versions never
    approved changed nothing, and are not listed."""
    if not isinstance(instance, Enterprise):
        return []
    rows = UploadRow.objects.filter(uscc=instance.uscc, job__submission__applied_at__isnull=False)
    entries = []
    for row in rows.select_related(
        "job__submission__period",
        "job__submission__unit",
        "job__submission__uploaded_by",
        "job__submission__reviewed_by",
    ):
        submission = row.job.submission
        assert submission.applied_at is not None  # the query's condition
        changed = []
        for code in row.job.result.get("codes") or submission.period.columns:
            was, now = text_of(getattr(row, f"was_{code}"), code), text_of(getattr(row, code), code)
            if was != now:
                changed.append((BY_CODE[code].header, was, now))
        if changed:
            entries.append(
                ChangeLog(
                    created_at=submission.applied_at,
                    actor_name=submission.reviewer_name,
                    object_repr=instance.name,
                    action=Action.IMPORT,
                    before={label: was for label, was, _ in changed},
                    after={label: now for label, _, now in changed},
                    note=(
                        f"{submission.period}季度报送（{submission.unit}第{submission.version}版，"
                        f"{submission.uploader_name}报送，审核通过后写入）"
                    ),
                )
            )
    return entries


def _official(year: int, usccs, codes: list[str]) -> dict[str, dict[str, str | None]]:
    """uscc → {code: the registry's value as text} for `year`, of the given codes."""
    rows = EnterpriseYear.objects.filter(year=year, enterprise__uscc__in=usccs)
    return {
        uscc: {code: text_of(value, code) for code, value in zip(codes, values, strict=True)}
        for uscc, *values in rows.values_list("enterprise__uscc", *codes)
    }


def pending_changes(submission: Submission, limit: int = 300) -> dict:
    """What approving a pending version would change, against the registry as it is now:
    the enterprises it creates and, for the others, each value official → pending."""
    codes = (submission.job.result.get("codes") if submission.job else None) or []
    staged = staged_rows(submission.job_id, codes)
    usccs = UploadRow.objects.filter(job_id=submission.job_id).values("uscc")
    official = _official(submission.period.year, usccs, codes)
    registered = set(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", flat=True))
    created, changed = [], []
    for uscc, (name, values) in sorted(staged.items(), key=lambda item: item[1][0]):
        if uscc not in registered:
            created.append({"uscc": uscc, "name": name})
            continue
        now = official.get(uscc, {})
        fields = {c: (now.get(c), v) for c, v in values.items() if now.get(c) != v}
        if fields:
            changed.append({"uscc": uscc, "name": name, "fields": fields})
    return {
        "created": created[:limit],
        "changed": changed[:limit],
        "counts": {"created": len(created), "changed": len(changed)},
    }


def pending_for_enterprise(instance) -> list[dict]:
    """An enterprise's values in versions still waiting for review, beside the official ones."""
    if not isinstance(instance, Enterprise):
        return []
    rows = UploadRow.objects.filter(
        uscc=instance.uscc, job__submission__status=SubmissionStatus.SUBMITTED
    ).select_related("job__submission__period", "job__submission__unit")
    found = []
    for row in rows:
        submission, codes = row.job.submission, row.job.result.get("codes") or []
        official = _official(submission.period.year, [instance.uscc], codes).get(instance.uscc, {})
        changes = [
            (BY_CODE[code].header, official.get(code), text_of(getattr(row, code), code))
            for code in codes
        ]
        changes = [c for c in changes if c[1] != c[2]]
        if changes:
            found.append(
                {"submission": submission, "year": submission.period.year, "changes": changes}
            )
    return found
