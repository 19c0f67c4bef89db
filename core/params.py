"""Reading "which unit" and "which year" from a request, always inside the user's scope."""

from django.http import Http404

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


def unit_choices(user, unit: OrgUnit) -> list[OrgUnit]:
    """Units the user may switch to on a page: their own and the children of the current one."""
    own = user.unit if user.unit_id else None
    options = {u.pk: u for u in [own, unit] if u is not None}
    for child in unit.children.filter(is_active=True).order_by("order"):
        options.setdefault(child.pk, child)
    if unit.parent_id and OrgUnit.objects.for_user(user).filter(pk=unit.parent_id).exists():
        options.setdefault(unit.parent_id, unit.parent)
    return sorted(options.values(), key=lambda u: u.path)


def paginate(request, items, per_page: int = 50) -> dict:
    """{"page": …, "query": …} for templates/_pagination.html: the page the request asks
    for, and the request's query string without `page` (so links keep the filters)."""
    from django.core.paginator import Paginator

    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": Paginator(items, per_page).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
