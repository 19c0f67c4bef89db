"""The one place that decides what a user may see or change.

Rule (DHIS2's): a user sees their org unit and everything below it. Leaders never write.
Administrators see everything. A user without a unit sees nothing.

- `subtree_q(unit, field)` — the org-unit subtree, the only spelling of "X and below";
- `Model.objects.for_user(user, VIEW | CHANGE)` — what a user may see or change, on every
  scoped model (a queryset deriving from `ScopedQuerySet`, naming the path to its unit in
  `scope_field`); `Model.objects.in_unit(unit)` — what belongs to a unit, for jobs acting
  for a unit rather than for a user (a town's notice, its template);
- `can_change(user, obj)` — the one answer to "may this user change this object";
- `get_for_user_or_404` / `get_for_change` — single objects for views: another town's object
  is a 404, never a hint; a visible object the user may not change is a clear 403;
- the API's base viewsets (core/api/base.py) take every queryset through `for_user`.

Tests in tests/core/test_scoping.py prove the rule for every persona, and
tests/core/test_layout.py that views, APIs, exports and tasks do not go around it.
"""

import hashlib
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

NOTHING = Q(pk__in=[])


def subtree_q(unit: Any, field: str = "unit") -> Q:
    """Rows whose org unit (reached through `field`; "" = the unit itself) is `unit` or below.

    The tree keeps a materialised path of ids ("/1/5/9/"): below X is one indexed prefix match.
    """
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    return Q(**{lookup: unit.path})


def scope_q(user: Any, action: str = VIEW, field: str = "unit") -> Q:
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
    return subtree_q(user.unit, field)


def scope_q_with_ancestors(user: Any, action: str = VIEW, field: str = "unit") -> Q:
    """Like scope_q, but for viewing also the units ABOVE the user's: a town must see the
    district plan that sets its targets (which rows of it it sees is up to the page)."""
    subtree = scope_q(user, action, field)
    if action != VIEW or subtree is NOTHING or not user.unit_id:
        return subtree
    return subtree | Q(**{f"{field}__in" if field else "pk__in": user.unit.lineage_ids})


def can_write(user: Any) -> bool:
    """Whether the user may change anything at all (leaders and unit-less users may not)."""
    return scope_q(user, CHANGE) is not NOTHING


class ScopedQuerySet(models.QuerySet):
    """Base queryset for scoped models; subclasses set `scope_field`."""

    scope_field = "unit"

    def for_user(self, user: Any, action: str = VIEW) -> "ScopedQuerySet":
        return self.filter(scope_q(user, action, self.scope_field))

    def in_unit(self, unit: Any) -> "ScopedQuerySet":
        """What belongs to `unit` and the units below it, whoever asks: for work done for a
        unit (its notice, its template, a roll-up), never to answer a user's request."""
        return self.filter(subtree_q(unit, self.scope_field))


def visible_unit_ids(user: Any, within: Any = None) -> set[int]:
    """The ids of the org units the user may see (inside `within`'s subtree, if given)."""
    units = apps.get_model("core", "OrgUnit").objects.for_user(user, VIEW)
    if within is not None:
        units = units.in_unit(within)
    return set(units.values_list("pk", flat=True))


def scope_digest(unit_ids: set[int]) -> str:
    """A short name for a set of visible units: cached pages filtered by scope key on it, so
    two users share an entry only when they see exactly the same units."""
    return hashlib.sha256(",".join(map(str, sorted(unit_ids))).encode()).hexdigest()[:16]


def _in_scope(user: Any, obj: models.Model, action: str) -> bool:
    manager: Any = type(obj)._default_manager  # every scoped model's manager has for_user
    return manager.for_user(user, action).filter(pk=obj.pk).exists()


def can_change(user: Any, obj: models.Model) -> bool:
    """May `user` change `obj`? The object's own scoped queryset answers, so the rule is the
    one that decides what the user sees — never a second copy of it."""
    return _in_scope(user, obj, CHANGE)


def get_for_user_or_404(queryset: Any, user: Any, action: str = VIEW, **lookup: Any) -> Any:
    """Fetch one object inside the user's scope; outside it, 404 — never a hint it exists."""
    try:
        return queryset.for_user(user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("未找到该记录，或您无权访问。") from exc


def get_for_change(queryset: Any, user: Any, *, denied: str, **lookup: Any) -> Any:
    """For a write page: the object if the user may see it (else 404) and change it (else a
    403 saying `denied`, e.g. why a leader's account cannot)."""
    obj = get_for_user_or_404(queryset, user, VIEW, **lookup)
    if not can_change(user, obj):
        raise PermissionDenied(denied)
    return obj


def ensure_in_scope(user: Any, obj: models.Model, action: str = CHANGE) -> None:
    """Services call this before writing: a second line behind the views."""
    if not _in_scope(user, obj, action):
        raise PermissionDenied("该记录不在您的权限范围内。")


def ensure_unit_in_scope(user: Any, unit: Any, action: str = CHANGE) -> None:
    try:
        ensure_in_scope(user, unit, action)
    except PermissionDenied:
        raise PermissionDenied(f"单位“{unit}”不在您的权限范围内。") from None
