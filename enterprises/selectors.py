"""Reads from the registry, always through the scoping function."""

from django.db.models import Count

from core.scoping import VIEW

from .filters import EnterpriseFilter
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
    rows = scoped.filter(name__in=names).select_related("town").order_by("name", "town__path")
    groups: dict[str, list[Enterprise]] = {}
    for enterprise in rows:
        groups.setdefault(enterprise.name, []).append(enterprise)
    return [{"name": name, "enterprises": items} for name, items in groups.items()]
