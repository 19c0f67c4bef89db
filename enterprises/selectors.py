"""Reads from the registry, always through the scoping function."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from core.dates import today
from core.scoping import VIEW
from cultivation import selectors as ladder

from .filters import TOWN_ORDER, EnterpriseFilter
from .models import Enterprise, EnterpriseYear


def enterprises_for(user, action: str = VIEW):
    return Enterprise.objects.for_user(user, action).select_related("town")


def enterprise_filter(request) -> EnterpriseFilter:
    """The filtered list the user asked for (query string), inside their scope."""
    return EnterpriseFilter(
        request.GET or None, queryset=enterprises_for(request.user), request=request
    )


def years_of(enterprise: Enterprise) -> list[EnterpriseYear]:
    return list(enterprise.years.order_by("-year"))


def latest_year() -> int | None:
    """The most recent fiscal year with any indicators: the default year for exports."""
    return EnterpriseYear.objects.order_by("-year").values_list("year", flat=True).first()


def duplicate_names(user) -> list[dict]:
    """Names registered in more than one town, for review (same name, different USCC)."""
    scoped = Enterprise.objects.for_user(user).filter(is_active=True)
    names = (
        scoped.values("name")
        .annotate(towns=Count("town", distinct=True))
        .filter(towns__gt=1)
        .values("name")
    )
    rows = scoped.filter(name__in=names).select_related("town").order_by("name", *TOWN_ORDER)
    groups: dict[str, list[Enterprise]] = {}
    for enterprise in rows:
        groups.setdefault(enterprise.name, []).append(enterprise)
    return [{"name": name, "enterprises": items} for name, items in groups.items()]


@dataclass(frozen=True)
class LadderCells:
    """当前梯次 and 证书有效期 as the list and its exports show them: one definition for both."""

    rung: str  # 高新技术企业, 培育库入库, 科技型中小企业… (cultivation's Rung labels)
    certificate: str  # issue 至 expiry, "2018-11-28 至 2021-11-28"; blank without a valid one


def ladder_cells(
    enterprises: Iterable[Enterprise], on: datetime.date | None = None
) -> dict[int, LadderCells]:
    """{enterprise id: cells} as of `on` (the portal's today), for a page or an export chunk
    of (already scoped) enterprises: one query for all of them."""
    found = ladder.standings([e.pk for e in enterprises], on or today())
    return {
        pk: LadderCells(
            rung=standing.rung.label,
            certificate=(
                f"{standing.certificate[0]:%Y-%m-%d} 至 {standing.certificate[1]:%Y-%m-%d}"
                if standing.certificate
                else ""
            ),
        )
        for pk, standing in found.items()
    }
