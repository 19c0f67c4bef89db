"""The one place that decides what a user may see or change.

Rule (DHIS2's): a user sees their org unit and everything below it. Leaders never write.
Administrators see everything. A user without a unit sees nothing.

Every view, API, export, upload, task and notification that reads scoped data goes
through `scope_q` — usually as `Model.objects.for_user(user, action)` on a model whose
queryset derives from `ScopedQuerySet` and names the path to its org unit in
`scope_field`. Tests in tests/core/test_scoping.py prove the rule for every persona.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

NOTHING = Q(pk__in=[])


def scope_q(user, action: str = VIEW, field: str = "unit") -> Q:
    """A filter on a queryset whose org unit is reached through `field` ("" = the unit itself)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_portal_admin:
        return Q()
    if action == CHANGE and user.is_read_only:
        return NOTHING
    if user.unit_id is None:
        return NOTHING
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    return Q(**{lookup: user.unit.path})


def scope_q_with_ancestors(user, action: str = VIEW, field: str = "unit") -> Q:
    """Like scope_q, but for viewing also the units ABOVE the user's: a town must see the
    district plan that sets its targets (which rows of it it sees is up to the page)."""
    subtree = scope_q(user, action, field)
    if action != VIEW or subtree is NOTHING or not user.unit_id:
        return subtree
    ancestors = [int(part) for part in user.unit.path.strip("/").split("/")]
    return subtree | Q(**{f"{field}__in" if field else "pk__in": ancestors})


def can_write(user) -> bool:
    """Whether the user may change anything at all (leaders and unit-less users may not)."""
    return scope_q(user, CHANGE) is not NOTHING


class ScopedQuerySet(models.QuerySet):
    """Base queryset for scoped models; subclasses set `scope_field`."""

    scope_field = "unit"

    def for_user(self, user, action: str = VIEW):
        return self.filter(scope_q(user, action, self.scope_field))


def get_for_user_or_404(queryset, user, action: str = VIEW, **lookup):
    """Fetch one object inside the user's scope; outside it, 404 — never a hint it exists."""
    try:
        return queryset.for_user(user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("未找到该记录，或您无权访问。") from exc


def ensure_in_scope(user, obj, action: str = CHANGE) -> None:
    """Services call this before writing: a second line behind the views."""
    model = type(obj)
    if not model._default_manager.for_user(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied("该记录不在您的权限范围内。")


def ensure_unit_in_scope(user, unit, action: str = CHANGE) -> None:
    from .models import OrgUnit

    if not OrgUnit.objects.for_user(user, action).filter(pk=unit.pk).exists():
        raise PermissionDenied(f"单位“{unit}”不在您的权限范围内。")
