"""Writes for the org-unit tree. Every change is logged (core/changelog.py)."""

from django.db import transaction

from .changelog import log_change, snapshot
from .choices import Action
from .models import OrgUnit, User
from .scoping import ensure_unit_in_scope


@transaction.atomic
def create_unit(
    *,
    actor: User | None,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    short_name: str = "",
    code: str = "",
    order: int = 0,
) -> OrgUnit:
    if actor is not None and parent is not None:
        ensure_unit_in_scope(actor, parent)
    unit = OrgUnit(
        name=name, kind=kind, parent=parent, short_name=short_name, code=code, order=order
    )
    unit.full_clean()
    unit.save()
    log_change(actor=actor, instance=unit, action=Action.CREATE, unit=unit, after=snapshot(unit))
    return unit


@transaction.atomic
def update_unit(*, actor: User | None, unit: OrgUnit, **changes: object) -> OrgUnit:
    """Change fields of a unit (rename, re-parent, deactivate…); history keeps the old values."""
    if actor is not None:
        ensure_unit_in_scope(actor, unit)
    before, old_parent_id = snapshot(unit), unit.parent_id
    for name, value in changes.items():
        setattr(unit, name, value)
    unit.full_clean()
    unit.save()
    after = snapshot(unit)
    if before != after:
        action = Action.MOVE if unit.parent_id != old_parent_id else Action.UPDATE
        log_change(actor=actor, instance=unit, action=action, unit=unit, before=before, after=after)
    return unit
