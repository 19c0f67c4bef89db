"""Point-in-time reads of the ladder — the only place that says what "counts".

Targets, dashboards, bulletins and notifications count only through these. Each metric is
a set of enterprise ids plus a date; `count_by_child` attributes each enterprise to the
town it belonged to ON THAT DATE (TownSpan), so a later move never rewrites the past.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from core.dates import today
from core.models import OrgUnit
from core.scoping import subtree_q
from enterprises.models import Enterprise, EnterpriseQuerySet, TownSpan, TownSpanQuerySet

from .choices import DECIDED, FILED, ApplicationKind, ApplicationStatus, Rung
from .models import (
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


# --- enterprise-id sets ----------------------------------------------------------------------


def valid_hte_ids(on: datetime.date) -> QuerySet:
    """Enterprises holding a valid 高企 certificate on `on`."""
    return Certificate.objects.filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on), issued_on__lte=on, expires_on__gte=on
    ).values("enterprise_id")


def expiring_ids(year: int) -> QuerySet:
    """Certificates whose 3 years run out in `year`: those enterprises must re-apply."""
    return Certificate.objects.filter(expires_on__year=year, revoked_on__isnull=True).values(
        "enterprise_id"
    )


def new_hte_ids(year: int) -> QuerySet:
    """First-time certifications in `year` (not renewals): 新增高企."""
    earlier = Certificate.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), issued_on__lt=OuterRef("issued_on")
    )
    return (
        Certificate.objects.filter(issued_on__year=year)
        .exclude(Exists(earlier))
        .values("enterprise_id")
    )


def application_ids(year: int, kind: str | None = None, statuses=FILED) -> QuerySet:
    """Applications filed in `year` (已申报 / 通过 / 未通过), optionally of one kind."""
    queryset = Application.objects.filter(year=year, status__in=statuses)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.values("enterprise_id")


def pool_entry_ids(year: int) -> QuerySet:
    return PoolMembership.objects.filter(year=year).values("enterprise_id")


def pool_active_ids(year: int) -> QuerySet:
    """Pool members at any time during `year`."""
    return PoolMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=datetime.date(year, 1, 1)), start__lte=year_end(year)
    ).values("enterprise_id")


def sme_ids(year: int) -> QuerySet:
    return TechSMEEvaluation.objects.filter(year=year).values("enterprise_id")


# --- attribution to units --------------------------------------------------------------------


def spans_on(on: datetime.date) -> TownSpanQuerySet:
    return TownSpan.objects.filter(
        Q(start__isnull=True) | Q(start__lte=on), Q(end__isnull=True) | Q(end__gte=on)
    )


def count_by_child(ids: QuerySet, parent: OrgUnit, on: datetime.date) -> dict[int, int]:
    """{child unit id: count} for each child of `parent`, plus parent.id: the total.

    One grouped query whatever the number of towns; the roll-up to children happens on
    the (few hundred) unit paths in Python. Grouped by town id, not path: the subtree's
    spans are read per town (index-only, migration cultivation 0004) and each probed against
    the id set, so a unit's count scales with its subtree, not with the database; the paths
    for the roll-up come from one small query over the subtree's units.
    """
    paths = _subtree_paths(parent)
    per_town = (
        spans_on(on)
        .order_by()  # TownSpan's default ordering would join in every enterprise for nothing
        .filter(subtree_q(parent, "town"), enterprise_id__in=ids)
        .values_list("town_id")
        .annotate(n=Count("enterprise_id", distinct=True))
    )
    return _roll_up({paths[town_id]: n for town_id, n in per_town}, parent)


def _subtree_paths(parent: OrgUnit) -> dict[int, str]:
    """{unit id: path} for `parent` and every unit below it."""
    return dict(OrgUnit.objects.filter(subtree_q(parent, "")).values_list("id", "path"))


def _roll_up(per_town: dict[str, int], parent: OrgUnit) -> dict[int, int]:
    """{town path: n} → {child id: n, parent id: total}."""
    children = list(parent.children.values_list("id", "path"))
    result = {child_id: 0 for child_id, _ in children}
    for path, n in per_town.items():
        for child_id, child_path in children:
            if path.startswith(child_path):
                result[child_id] += n
                break
    result[parent.id] = sum(per_town.values())
    return result


def application_outcomes(parent: OrgUnit, years, on: datetime.date) -> dict[int, tuple[int, int]]:
    """{child id (and parent id): (passed, decided)} applications in `years`, each counted
    for the town its enterprise belonged to on `on` (once per span covering `on`) — one
    grouped query.

    Written in SQL because the ORM can only reach an application's spans through the
    enterprise table (application → enterprise → spans), a join of every enterprise in the
    database for nothing; here the applications meet the subtree's spans directly on
    enterprise id, grouped by town id like `count_by_child`.
    """
    years = [int(year) for year in years]
    statuses = [str(status) for status in DECIDED]
    if not years or not statuses:
        return {unit_id: (0, 0) for unit_id in _roll_up({}, parent)}
    paths = _subtree_paths(parent)
    towns, town_params = (
        OrgUnit.objects.filter(subtree_q(parent, "")).values("id").query.sql_with_params()
    )
    app, span = Application._meta.db_table, TownSpan._meta.db_table
    sql = (
        f"SELECT s.town_id, SUM(CASE WHEN a.status = %s THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM {app} a JOIN {span} s ON s.enterprise_id = a.enterprise_id "
        f'WHERE (s.start IS NULL OR s.start <= %s) AND (s."end" IS NULL OR s."end" >= %s) '
        f"AND s.town_id IN ({towns}) "
        f"AND a.year IN ({', '.join(['%s'] * len(years))}) "
        f"AND a.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"GROUP BY s.town_id"
    )
    params = [str(ApplicationStatus.PASSED), on, on, *town_params, *years, *statuses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(paths[town_id], p, d) for town_id, p, d in cursor.fetchall()]
    passed = _roll_up({path: p for path, p, _ in rows}, parent)
    decided = _roll_up({path: d for path, _, d in rows}, parent)
    return {unit_id: (passed[unit_id], decided[unit_id]) for unit_id in decided}


def enterprises_in(ids: QuerySet, unit: OrgUnit, on: datetime.date) -> QuerySet:
    """The enterprises behind a number: drill-down for any count above."""
    in_unit = spans_on(on).in_unit(unit).filter(enterprise_id=OuterRef("pk"))
    return Enterprise.objects.filter(Exists(in_unit), id__in=ids).select_related("town")


# --- the metric registry targets and dashboards use -------------------------------------------


@dataclass(frozen=True)
class LadderMetric:
    code: str
    label: str
    ids: Callable[[int, datetime.date], QuerySet]  # (year, as-of date) → enterprise ids


LADDER_METRICS = {
    m.code: m
    for m in [
        LadderMetric("valid_hte", "有效高企数", lambda y, on: valid_hte_ids(on)),
        LadderMetric(
            "new_hte", "新增高企数", lambda y, on: new_hte_ids(y).filter(issued_on__lte=on)
        ),
        LadderMetric("expiring", "高企到期数", lambda y, on: expiring_ids(y)),
        LadderMetric(
            "renewal_applications",
            "到期重新认定申报数",
            lambda y, on: application_ids(y, ApplicationKind.RENEWAL),
        ),
        LadderMetric(
            "first_applications",
            "高企新申报数",
            lambda y, on: application_ids(y, ApplicationKind.FIRST),
        ),
        LadderMetric("applications", "高企申报数", lambda y, on: application_ids(y)),
        LadderMetric("pool_entries", "培育入库数", lambda y, on: pool_entry_ids(y)),
        LadderMetric("sme_evaluated", "科技型中小企业评价入库数", lambda y, on: sme_ids(y)),
    ]
}


def as_of_in(year: int, on: datetime.date | None = None) -> datetime.date:
    """The counting date for `year`: the given date (or today) clipped to that year."""
    on = on or today()
    return max(datetime.date(year, 1, 1), min(on, year_end(year)))


def metric_ids(
    code: str, year: int, on: datetime.date | None = None
) -> tuple[QuerySet, datetime.date]:
    on = as_of_in(year, on)
    return LADDER_METRICS[code].ids(year, on), on


def metric_counts(code: str, year: int, parent: OrgUnit, on: datetime.date | None = None):
    """Counts of one registered metric for `parent`'s children (and total), as of `on`."""
    ids, on = metric_ids(code, year, on)
    return count_by_child(ids, parent, on)


# --- views of the ladder ------------------------------------------------------------------------


# Counts the funnel shows beyond the metric registry (which targets choose from).
FUNNEL_COUNTS = {
    "pool_active": LadderMetric("pool_active", "培育库在库", lambda y, on: pool_active_ids(y)),
    "first_passed": LadderMetric(
        "first_passed",
        "首次申报认定通过",
        lambda y, on: application_ids(
            y, ApplicationKind.FIRST, statuses=[ApplicationStatus.PASSED]
        ),
    ),
    "renewal_passed": LadderMetric(
        "renewal_passed",
        "重新认定通过",
        lambda y, on: application_ids(
            y, ApplicationKind.RENEWAL, statuses=[ApplicationStatus.PASSED]
        ),
    ),
}
# Every count a page may link to the enterprises behind (cultivation:behind).
COUNTS = {**LADDER_METRICS, **FUNNEL_COUNTS}

# 科小 → 入库 → 首次申报 → 认定: the cultivation path. Renewals (重新认定) are certified
# enterprises re-applying, not pool graduates: dividing all applications by the pool read
# "153.8%", so they are counted beside the funnel, never in its rates.
FUNNEL_STEPS = [
    ("sme_evaluated", "科技型中小企业"),
    ("pool_active", "培育库在库"),
    ("first_applications", "高企首次申报"),
    ("first_passed", "首次申报通过"),
]
RENEWAL_STEPS = [("renewal_applications", "到期重新认定申报"), ("renewal_passed", "重新认定通过")]


def behind_url(code: str, year: int, unit: OrgUnit, on: datetime.date) -> str:
    """The list of the enterprises a count counts (cultivation:behind)."""
    query = f"metric={code}&year={year}&unit={unit.pk}&on={on.isoformat()}"
    return f"{reverse('cultivation:behind')}?{query}"


def funnel_by_child(unit: OrgUnit, year: int) -> dict[int, list[dict]]:
    """The cultivation funnel for a year for `unit` and each of its children (by id): each
    step's conversion from the one before, then the renewals (rate: passed of filed), every
    step with the link to its enterprises. One grouped count per step for all of them."""
    on = year_end(year)
    steps = FUNNEL_STEPS + RENEWAL_STEPS
    counts = {code: count_by_child(COUNTS[code].ids(year, on), unit, on) for code, _ in steps}
    units = {u.pk: u for u in [unit, *unit.children.all()]}
    result: dict[int, list[dict]] = {}
    for unit_id, each in units.items():
        rows: list[dict] = []
        for group, kind in ((FUNNEL_STEPS, "funnel"), (RENEWAL_STEPS, "renewal")):
            previous: int | None = None
            for code, label in group:
                count = counts[code].get(unit_id, 0)
                rows.append(
                    {
                        "code": code,
                        "label": label,
                        "count": count,
                        "rate": count / previous if previous else None,
                        "kind": kind,
                        "url": behind_url(code, year, each, on),
                    }
                )
                previous = count
        result[unit_id] = rows
    return result


def funnel(unit: OrgUnit, year: int) -> list[dict]:
    """The unit's own funnel (funnel_by_child's row for it)."""
    return funnel_by_child(unit, year)[unit.pk]


def stalled_pool(unit: OrgUnit, on: datetime.date | None = None, years: int = 2) -> QuerySet:
    """Pool members for ≥ `years` years who have not applied since entering."""
    on = on or today()
    cutoff = on.replace(year=on.year - years)
    applied = Application.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), year__gte=OuterRef("year")
    ).exclude(status=ApplicationStatus.WITHDRAWN)
    members = (
        PoolMembership.objects.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=cutoff)
        .exclude(Exists(applied))
        .values("enterprise_id")
    )
    return enterprises_in(members, unit, on)


def current_rung_annotations(on: datetime.date | None = None) -> dict:
    """Exists() annotations from which an enterprise's rung today is derived."""
    on = on or today()
    mine = {"enterprise_id": OuterRef("pk")}
    return {
        "rung_certified": Exists(valid_hte_ids(on).filter(**mine)),
        "rung_applying": Exists(
            Application.objects.filter(
                year=on.year,
                status__in=[ApplicationStatus.PLANNED, ApplicationStatus.SUBMITTED],
                **mine,
            )
        ),
        "rung_pool": Exists(
            PoolMembership.objects.filter(
                Q(end__isnull=True) | Q(end__gte=on), start__lte=on, **mine
            )
        ),
        "rung_tech_sme": Exists(TechSMEEvaluation.objects.filter(year=on.year, **mine)),
    }


def in_pool(queryset: QuerySet, on: datetime.date | None = None) -> QuerySet:
    """The enterprises of `queryset` in the cultivation pool (在库) on the date."""
    return queryset.filter(current_rung_annotations(on)["rung_pool"])


RUNG_ORDER = [Rung.CERTIFIED, Rung.APPLYING, Rung.POOL, Rung.TECH_SME]


def filter_by_rung(queryset: QuerySet, rung: str, on: datetime.date | None = None) -> QuerySet:
    """Enterprises whose highest rung today is `rung` (潜在 = none of the others)."""
    annotations = current_rung_annotations(on)
    if rung == Rung.PROSPECT:
        return queryset.exclude(Q(*[annotations[f"rung_{r}"] for r in RUNG_ORDER], _connector=Q.OR))
    if rung not in RUNG_ORDER:
        return queryset
    higher = RUNG_ORDER[: RUNG_ORDER.index(Rung(rung))]
    queryset = queryset.filter(annotations[f"rung_{rung}"])
    for above in higher:
        queryset = queryset.exclude(annotations[f"rung_{above}"])
    return queryset


def rung_of(enterprise: Enterprise, on: datetime.date | None = None) -> Rung:
    flags = (
        Enterprise.objects.filter(pk=enterprise.pk)
        .annotate(**current_rung_annotations(on))
        .values(*[f"rung_{r}" for r in RUNG_ORDER])
        .get()
    )
    return next((r for r in RUNG_ORDER if flags[f"rung_{r}"]), Rung.PROSPECT)


def with_honour(queryset: QuerySet, honour_type: str) -> QuerySet:
    return queryset.filter(
        Exists(Honour.objects.filter(enterprise_id=OuterRef("pk"), type=honour_type))
    )


def timeline(enterprise: Enterprise) -> list[dict]:
    """Every ladder record of one enterprise, newest first, for its page."""

    def event(day: datetime.date, rung: str, record: object, detail: str = "") -> dict:
        return {"date": day, "rung": rung, "record": record, "detail": detail}

    events = [
        event(cert.issued_on, "高企认定", cert, f"有效期至 {cert.expires_on:%Y-%m-%d}")
        for cert in enterprise.certificates.all()
    ]
    for application in enterprise.applications.all():
        day = application.decided_on or application.submitted_on or application.planned_on
        events.append(event(day or datetime.date(application.year, 1, 1), "高企申报", application))
    for membership in enterprise.poolmemberships.all():
        until = (
            f"，{membership.end:%Y-%m-%d} 出库（{membership.get_exit_reason_display()}）"
            if membership.end
            else ""
        )
        events.append(event(membership.start, "培育库", membership, f"入库{until}"))
    for evaluation in enterprise.techsmeevaluations.all():
        day = evaluation.evaluated_on or datetime.date(evaluation.year, 1, 1)
        events.append(event(day, "科技型中小企业", evaluation, evaluation.reg_number))
    for honour in enterprise.honours.all():
        events.append(event(datetime.date(honour.year, 1, 1), "荣誉", honour))
    return sorted(events, key=lambda e: e["date"], reverse=True)


def rung_table(
    enterprises: EnterpriseQuerySet, unit: OrgUnit, on: datetime.date | None = None
) -> list[dict]:
    """Per child of `unit` (or the unit itself if it has none): how many enterprises stand on
    each rung today, from one annotated query over the (already scoped) enterprises."""
    flags = [f"rung_{r}" for r in RUNG_ORDER]
    rows = (
        enterprises.in_unit(unit)
        .filter(is_active=True)
        .annotate(**current_rung_annotations(on))
        .values("town__path", *flags)
        .annotate(n=Count("id"))
    )
    children = list(unit.children.filter(is_active=True).order_by("order")) or [unit]
    table = {
        child.pk: {"unit": child, "total": 0, **{r.value: 0 for r in Rung}} for child in children
    }
    for row in rows:
        child = next((c for c in children if row["town__path"].startswith(c.path)), None)
        if child is None:
            continue
        rung = next((r for r in RUNG_ORDER if row[f"rung_{r}"]), Rung.PROSPECT)
        table[child.pk][rung.value] += row["n"]
        table[child.pk]["total"] += row["n"]
    return list(table.values())


def expiring_certificates(enterprises: QuerySet, year: int, quarter: int | None = None) -> QuerySet:
    """Certificates running out in `year` (or one of its quarters) among the (scoped)
    enterprises, with whether a 重新认定 application for that year exists."""
    renewal = Application.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), year=year, kind=ApplicationKind.RENEWAL
    ).exclude(status=ApplicationStatus.WITHDRAWN)
    certificates = Certificate.objects.filter(
        expires_on__year=year, revoked_on__isnull=True, enterprise__in=enterprises
    )
    if quarter:
        certificates = certificates.filter(expires_on__month__range=(3 * quarter - 2, 3 * quarter))
    return (
        certificates.annotate(renewing=Exists(renewal))
        .select_related("enterprise__town")
        .order_by("expires_on", "enterprise__name")
    )


@dataclass(frozen=True)
class Standing:
    """An enterprise's place on the ladder on a date: its rung and, if it holds one, the valid
    高企 certificate as (issue date, expiry date)."""

    rung: Rung
    certificate: tuple[datetime.date, datetime.date] | None


def standings(enterprise_ids: list[int], on: datetime.date | None = None) -> dict[int, Standing]:
    """{id: Standing} for a page of a list or a chunk of an export, in one query whatever
    their number — with the rung filter's definitions (`current_rung_annotations`) and the
    有效高企 count's (`valid_hte_ids`), so a row never disagrees with either. Of two valid
    certificates (a renewal overlapping the old one) the newer is shown."""
    from django.db.models import Subquery  # (local: this file's imports are shared ground)

    if not enterprise_ids:
        return {}
    on = on or today()
    flags = [f"rung_{r}" for r in RUNG_ORDER]
    newest = valid_hte_ids(on).filter(enterprise_id=OuterRef("pk")).order_by("-issued_on")
    rows = (
        # the ids come from the caller's scoped queryset
        Enterprise.objects.filter(pk__in=enterprise_ids)
        .order_by()
        .annotate(
            **current_rung_annotations(on),
            certificate_issued=Subquery(newest.values("issued_on")[:1]),
            certificate_expires=Subquery(newest.values("expires_on")[:1]),
        )
        .values("pk", "certificate_issued", "certificate_expires", *flags)
    )
    result = {}
    for row in rows:
        issued, expires = row["certificate_issued"], row["certificate_expires"]
        result[row["pk"]] = Standing(
            rung=next((r for r in RUNG_ORDER if row[f"rung_{r}"]), Rung.PROSPECT),
            certificate=(issued, expires) if issued and expires else None,
        )
    return result
