"""Reading "which unit" and "which year" from a request, always inside the user's scope."""

import datetime
import hashlib
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404

from .cache import fresh, versions
from .dates import today
from .models import OrgUnit
from .scoping import VIEW


def unit_param(request, name: str = "unit") -> OrgUnit:
    """?unit=<id> if the user may see it (else 404), by default the user's own unit."""
    visible = OrgUnit.objects.for_user(request.user, VIEW)
    raw = request.GET.get(name)
    if raw:
        try:
            return visible.get(pk=int(raw))
        except (ValueError, OrgUnit.DoesNotExist) as exc:
            raise Http404("未找到该单位，或不在您的权限范围内。") from exc
    if request.user.unit_id:
        return request.user.unit
    top = visible.filter(parent__isnull=True).first()
    if top is None:
        raise Http404("您的账号尚未分配单位。")
    return top


def year_param(request, default: int | None = None, name: str = "year") -> int:
    try:
        year = int(request.GET.get(name, ""))
    except ValueError:
        return default or today().year
    return year if 2000 <= year <= 2100 else (default or today().year)


def date_param(request, name: str) -> datetime.date | None:
    """?<name>=YYYY-MM-DD, or None when absent or not a date (the page's default applies)."""
    try:
        return datetime.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


def unit_choices(user, unit: OrgUnit) -> list[OrgUnit]:
    """Units the user may switch to on a page: their own and the children of the current one."""
    return unit_nav(user, unit)[0]


def unit_nav(user, unit: OrgUnit) -> tuple[list[OrgUnit], list[OrgUnit]]:
    """(unit_choices, breadcrumb) in one scoped query: the units to switch to (the user's
    own, the current one, its active children, its parent when visible) and the current
    unit's visible ancestors from the top down, itself included."""
    from django.db.models import Q

    wanted = Q(pk__in=unit.lineage_ids) | Q(parent=unit, is_active=True)
    if user.unit_id:
        wanted |= Q(pk=user.unit_id)
    found = {u.pk: u for u in OrgUnit.objects.for_user(user).filter(wanted)}
    options = {pk: found[pk] for pk in (user.unit_id, unit.pk) if pk in found}
    options.setdefault(unit.pk, unit)
    for child in sorted((u for u in found.values() if u.parent_id == unit.pk), key=_order):
        options.setdefault(child.pk, child)
    if unit.parent_id in found:
        options.setdefault(unit.parent_id, found[unit.parent_id])
    lineage = set(unit.lineage_ids)
    breadcrumb = sorted((u for u in found.values() if u.pk in lineage), key=lambda u: u.path)
    return sorted(options.values(), key=lambda u: u.path), breadcrumb


def _order(unit: OrgUnit) -> tuple:
    return (unit.order, unit.path)


class CachedCountPaginator(Paginator):
    """A paginator whose total ("共 N 条") comes from the cache while the data it counts has
    not changed: counting 100k scoped enterprises costs more than the page of 50 itself.
    Keyed on the count's own SQL (filters and scope included) and the versions of
    `domains` as seen from the user's unit (core/cache.py)."""

    def __init__(self, object_list, per_page, *, domains: tuple[str, ...], unit_id: int | None):
        super().__init__(object_list, per_page)
        self.domains, self.unit_id = domains, unit_id

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        version = versions(self.domains, self.unit_id)
        if version is None:
            return queryset.count()
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # .none(): nothing to count
            return 0
        digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:24]
        return fresh(f"count:{digest}", version, queryset.count, COUNT_SECONDS)


COUNT_SECONDS = 60 * 60


def paginate(request, items, per_page: int = 50, *, count_domains: tuple[str, ...] = ()) -> dict:
    """{"page": …, "query": …} for templates/_pagination.html: the page the request asks
    for, and the request's query string without `page` (so links keep the filters). With
    `count_domains` (what the list reads), the total is cached until they change."""
    query = request.GET.copy()
    query.pop("page", None)
    paginator = (
        CachedCountPaginator(items, per_page, domains=count_domains, unit_id=request.user.unit_id)
        if count_domains
        else Paginator(items, per_page)
    )
    return {"page": paginator.get_page(request.GET.get("page")), "query": query.urlencode()}
