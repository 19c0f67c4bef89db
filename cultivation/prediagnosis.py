"""Pre-diagnosis over stored data: loads indicators in bulk and runs the pure checks, and keeps
the results per enterprise and apply year (Prediagnosis) for the rankings to read.

The rules live in cultivation/diagnosis (no database there); `diagnose_queryset` only turns
rows into its inputs — one query for the enterprises, one for their indicator years — so a
whole town (or 10k enterprises) is diagnosed without a query per enterprise.

Rankings (the dashboard's "closest to passing", the pre-diagnosis list) read the table: each
request computes only the rows it lacks — missing, computed for another `as_of`, by other
rules, or marked stale by `on_change` (a CHANGE_HOOKS hook, registered in apps.py) when a
change log entry touches the enterprise; `refresh_prediagnoses` (a task) recomputes those.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Value, When
from django.db.models.functions import Collate

from core.dates import now, today
from core.gc import collector_paused
from core.models import ChangeLog, OrgUnit
from enterprises.models import INDICATOR_FIELDS, Enterprise, EnterpriseYear
from enterprises.selectors import latest_year

from .diagnosis import Diagnosis, Profile, YearFigures, diagnose_hte, diagnose_sme
from .models import Prediagnosis
from .selectors import valid_hte_ids

log = logging.getLogger(__name__)

# YearFigures' fields after `year`, in order: rows are loaded as tuples and passed positionally.
YEAR_FIELDS = [f.name for f in fields(YearFigures)][1:]
assert set(YEAR_FIELDS) <= set(INDICATOR_FIELDS), "every YearFigures field is an indicator"

# Bump when a rule in cultivation/diagnosis changes what a diagnosis says: stored rows
# computed by other rules are then recomputed as they are read.
RULES_VERSION = 1
CHUNK = 2000  # enterprises diagnosed and written per batch when filling the table


@dataclass(frozen=True)
class Result:
    enterprise: Enterprise
    hte: Diagnosis
    sme: Diagnosis


def default_apply_year() -> int:
    """The year whose application the data can judge: the one after the latest complete
    year of indicators. The current year's figures are year-to-date (mid-2019 holds half of
    2019's sales), so they never make the default: judging a 2020 application on them
    reads a half year as a 13% fall in sales."""
    latest = latest_year()
    if latest is None:
        return today().year
    return min(latest, today().year - 1) + 1


def as_of_for(apply_year: int) -> datetime.date:
    """The date a diagnosis for `apply_year` is made on: today, or that year's last day."""
    return min(today(), datetime.date(apply_year, 12, 31))


def diagnose_queryset(queryset: QuerySet, *, apply_year: int | None = None) -> list[Result]:
    """Both diagnoses for every enterprise in `queryset` (already scoped by the caller)."""
    apply_year = apply_year or default_apply_year()
    as_of = as_of_for(apply_year)
    holding = valid_hte_ids(as_of).filter(enterprise_id=OuterRef("pk"))
    enterprises = list(queryset.annotate(prediagnosis_certified=Exists(holding)))
    # The towns once each (a few hundred), not one instance per enterprise.
    town_field = Enterprise._meta.get_field("town")
    towns = OrgUnit.objects.in_bulk({e.town_id for e in enterprises})
    for enterprise in enterprises:
        town_field.set_cached_value(enterprise, towns[enterprise.town_id])
    figures = defaultdict(list)
    rows = EnterpriseYear.objects.filter(
        enterprise_id__in=[e.pk for e in enterprises],
        year__gte=apply_year - 3,
        year__lte=apply_year - 1,
    ).values_list("enterprise_id", "year", *YEAR_FIELDS)
    # the collector's passes were a third of a 10k diagnosis (core/gc.py)
    with collector_paused():
        for enterprise_id, *values in rows:
            figures[enterprise_id].append(YearFigures(*values))
        results = []
        for enterprise in enterprises:
            profile = Profile(
                registered_on=enterprise.registered_on,
                tech_field=enterprise.tech_field,
                is_valid_hte=enterprise.prediagnosis_certified,
            )
            years = figures[enterprise.pk]
            results.append(
                Result(
                    enterprise,
                    diagnose_hte(profile, years, apply_year=apply_year, as_of=as_of),
                    diagnose_sme(profile, years, eval_year=apply_year),
                )
            )
    return results


def diagnose_one(enterprise: Enterprise, *, apply_year: int | None = None) -> Result:
    return diagnose_queryset(Enterprise.objects.filter(pk=enterprise.pk), apply_year=apply_year)[0]


def candidates(queryset: QuerySet, *, apply_year: int) -> QuerySet:
    """Who a ranking ranks: active enterprises without a valid certificate on the as-of date."""
    holders = valid_hte_ids(as_of_for(apply_year))
    return queryset.filter(is_active=True).exclude(id__in=holders)


def closest_to_passing(
    queryset: QuerySet, *, apply_year: int | None = None, limit: int | None = None
) -> list[Result]:
    """Enterprises without a valid certificate, ranked by how close they are to passing —
    diagnosed afresh (the stored ranking, `ranked`, orders the same way)."""
    apply_year = apply_year or default_apply_year()
    results = diagnose_queryset(candidates(queryset, apply_year=apply_year), apply_year=apply_year)
    results.sort(key=lambda r: (r.hte.closeness, r.enterprise.name, r.enterprise.pk))
    return results[:limit] if limit else results


# --- stored results --------------------------------------------------------------------------


def fresh_rows(apply_year: int) -> QuerySet:
    """Rows that may be served for `apply_year` today."""
    return Prediagnosis.objects.filter(
        apply_year=apply_year, as_of=as_of_for(apply_year), rules=RULES_VERSION, stale=False
    )


def _name_order():
    # closest_to_passing sorts names as Python does (by code point): so does the "C"
    # collation on PostgreSQL (UTF-8 bytes); SQLite compares bytes already.
    if connection.vendor == "postgresql":
        return Collate("enterprise__name", "C").asc()
    return "enterprise__name"


# Diagnosis.undecided over the stored columns: nothing fails, something cannot be judged.
UNDECIDED = Case(
    When(failing_count=0, unknown_count__gt=0, then=Value(True)),
    default=Value(False),
    output_field=BooleanField(),
)


def ranked(queryset: QuerySet, *, apply_year: int) -> QuerySet:
    """Stored rows of the candidates in `queryset`, closest to passing first (as
    closest_to_passing orders them); the rows missing or stale are computed first."""
    among = candidates(queryset, apply_year=apply_year)
    fill(among, apply_year=apply_year)
    return (
        fresh_rows(apply_year)
        .filter(enterprise__in=among)
        .select_related("enterprise__town")
        .annotate(undecided=UNDECIDED)
        .order_by(
            "undecided", "failing_count", "unknown_count", "gap", _name_order(), "enterprise_id"
        )
    )


def results_for(enterprises: Iterable[Enterprise], *, apply_year: int) -> list[Result]:
    """Full diagnoses of a page of enterprises, in the order given."""
    order = [e.pk for e in enterprises]
    found = {
        r.enterprise.pk: r
        for r in diagnose_queryset(Enterprise.objects.filter(pk__in=order), apply_year=apply_year)
    }
    return [found[pk] for pk in order if pk in found]


def fill(queryset: QuerySet, *, apply_year: int) -> int:
    """Compute the rows the enterprises in `queryset` lack for `apply_year`; returns how many."""
    have = fresh_rows(apply_year).filter(enterprise_id=OuterRef("pk"))
    missing = list(queryset.exclude(Exists(have)).values_list("pk", flat=True))
    return store_prediagnoses(enterprise_ids=missing, apply_year=apply_year)


def _row(result: Result, *, apply_year: int, as_of: datetime.date, at) -> Prediagnosis:
    hte = result.hte
    failing, unknown = hte.failing, hte.unknown
    return Prediagnosis(
        enterprise_id=result.enterprise.pk,
        apply_year=apply_year,
        as_of=as_of,
        rules=RULES_VERSION,
        stale=False,
        hte_verdict=hte.verdict.value,
        failing_count=len(failing),
        unknown_count=len(unknown),
        gap=hte.gaps,
        score_estimate=hte.score_estimate,
        summary=hte.summary(),
        failing=[c.title for c in failing],
        unknown=[c.title for c in unknown],
        sme_verdict=result.sme.verdict.value,
        computed_at=at,
    )


UPDATED = [
    f.name
    for f in Prediagnosis._meta.concrete_fields
    if f.name not in ("id", "enterprise", "apply_year")
]


def store_prediagnoses(*, enterprise_ids: list[int], apply_year: int) -> int:
    """Diagnose the enterprises for `apply_year` and write (or replace) their rows, a batch
    per transaction: a batch written is valid whatever happens to the next."""
    as_of, written = as_of_for(apply_year), 0
    for start in range(0, len(enterprise_ids), CHUNK):
        chunk = enterprise_ids[start : start + CHUNK]
        results = diagnose_queryset(Enterprise.objects.filter(pk__in=chunk), apply_year=apply_year)
        rows = [_row(r, apply_year=apply_year, as_of=as_of, at=now()) for r in results]
        with transaction.atomic():
            Prediagnosis.objects.bulk_create(
                rows,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["enterprise", "apply_year"],
                update_fields=UPDATED,
            )
        written += len(rows)
    return written


def refresh_prediagnoses(*, enterprise_ids: list[int]) -> int:
    """Recompute the stale rows of these enterprises (every apply year they have one for)."""
    by_year = defaultdict(list)
    for start in range(0, len(enterprise_ids), _params()):
        stale = Prediagnosis.objects.filter(
            enterprise_id__in=enterprise_ids[start : start + _params()], stale=True
        )
        for enterprise_id, apply_year in stale.values_list("enterprise_id", "apply_year"):
            by_year[apply_year].append(enterprise_id)
    return sum(
        store_prediagnoses(enterprise_ids=ids, apply_year=year) for year, ids in by_year.items()
    )


# --- the change hook ---------------------------------------------------------------------------


def _params() -> int:
    """Ids per IN (…): SQLite caps a statement's parameters."""
    return 900 if connection.vendor == "sqlite" else 10_000


def on_change(entries: list[ChangeLog]) -> None:
    """core.changelog.CHANGE_HOOKS: the rows of the enterprises the committed entries touch
    are marked stale (so no ranking serves them) and a task recomputes them.

    Ladder records, indicators and registry edits are all logged on their enterprise; what
    is logged elsewhere (an approved quarterly upload, on its submission) is named by
    TOUCHED_SOURCES. Cheap whatever the size: an UPDATE per 10k ids or per source query,
    one task; nothing when no row is affected.
    A hook must not raise (it runs after the commit): a failure leaves rows unmarked, and is
    logged.
    """
    try:
        ids = _touched(entries)
        if ids:
            transaction.on_commit(lambda: _dispatch(sorted(ids)))
    except Exception:
        log.exception("pre-diagnosis change hook failed for %d entries", len(entries))


# Apps above cultivation whose change log entries stand for indicator changes to enterprises
# they do not name (an approved quarterly upload is logged on its submission): each source
# returns, for the entries, (a queryset of those enterprises' ids, the fiscal year written).
TouchedSource = Callable[[list[ChangeLog]], Iterable[tuple[QuerySet, int]]]
TOUCHED_SOURCES: list[TouchedSource] = []


def _touched(entries: list[ChangeLog]) -> set[int]:
    """Mark the affected rows stale; the ids of the enterprises to refresh."""
    enterprise_type = ContentType.objects.get_for_model(Enterprise).pk
    direct = sorted({int(e.object_id) for e in entries if e.content_type_id == enterprise_type})
    touched: set[int] = set()
    for start in range(0, len(direct), _params()):
        chunk = direct[start : start + _params()]
        if Prediagnosis.objects.filter(enterprise_id__in=chunk, stale=False).update(stale=True):
            touched.update(chunk)  # the task looks up which of them have stale rows
    for source in TOUCHED_SOURCES:
        for ids, year in source(entries):
            # A fiscal year's indicators feed the applications of the three years after it.
            rows = Prediagnosis.objects.filter(
                enterprise_id__in=ids,
                apply_year__gte=year + 1,
                apply_year__lte=year + 3,
                stale=False,
            )
            touched |= set(rows.values_list("enterprise_id", flat=True))
            rows.update(stale=True)
    return touched


def _dispatch(enterprise_ids: list[int]) -> None:
    from .tasks import refresh_prediagnoses as task

    try:
        task.delay(enterprise_ids)
    except Exception:  # broker down, or the eager run failed: reads recompute stale rows
        log.exception("refreshing %d pre-diagnoses failed", len(enterprise_ids))
