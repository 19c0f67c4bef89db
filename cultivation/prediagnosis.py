"""Pre-diagnosis over stored data: loads indicators in bulk and runs the pure checks.

The rules live in cultivation/diagnosis (no database there); this module only turns rows
into its inputs — one query for the enterprises, one for their indicator years — so a
whole town (or 10k enterprises) is diagnosed without a query per enterprise.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, fields

from django.db.models import QuerySet

from core.dates import today
from enterprises.models import INDICATOR_FIELDS, Enterprise, EnterpriseYear
from enterprises.selectors import latest_year

from .diagnosis import Diagnosis, Profile, YearFigures, diagnose_hte, diagnose_sme
from .selectors import valid_hte_ids

YEAR_FIELDS = {f.name for f in fields(YearFigures)} & set(INDICATOR_FIELDS)


@dataclass(frozen=True)
class Result:
    enterprise: Enterprise
    hte: Diagnosis
    sme: Diagnosis


def default_apply_year() -> int:
    """The year whose application the data can judge: the one after the latest indicators."""
    latest = latest_year()
    return latest + 1 if latest else today().year


def _as_of(apply_year: int) -> datetime.date:
    return min(today(), datetime.date(apply_year, 12, 31))


def diagnose_queryset(queryset: QuerySet, *, apply_year: int | None = None) -> list[Result]:
    """Both diagnoses for every enterprise in `queryset` (already scoped by the caller)."""
    apply_year = apply_year or default_apply_year()
    as_of = _as_of(apply_year)
    enterprises = list(queryset.select_related("town"))
    ids = [e.pk for e in enterprises]
    figures = defaultdict(list)
    rows = EnterpriseYear.objects.filter(
        enterprise_id__in=ids, year__gte=apply_year - 3, year__lte=apply_year - 1
    ).values("enterprise_id", "year", *YEAR_FIELDS)
    for row in rows:
        figures[row.pop("enterprise_id")].append(YearFigures(**row))
    certified = set(
        valid_hte_ids(as_of).filter(enterprise_id__in=ids).values_list("enterprise_id", flat=True)
    )
    results = []
    for enterprise in enterprises:
        profile = Profile(
            registered_on=enterprise.registered_on,
            tech_field=enterprise.tech_field,
            is_valid_hte=enterprise.pk in certified,
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


def closest_to_passing(
    queryset: QuerySet, *, apply_year: int | None = None, limit: int | None = None
) -> list[Result]:
    """Enterprises without a valid certificate, ranked by how close they are to passing."""
    apply_year = apply_year or default_apply_year()
    holders = valid_hte_ids(_as_of(apply_year))
    candidates = queryset.filter(is_active=True).exclude(id__in=holders)
    results = diagnose_queryset(candidates, apply_year=apply_year)
    results.sort(key=lambda r: (r.hte.closeness, r.enterprise.name))
    return results[:limit] if limit else results
