"""Writes for the cross-cutting models. Every change to scoped data is logged here."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .cache import bump
from .choices import Action
from .models import ChangeLog, OrgUnit, User
from .scoping import ensure_unit_in_scope


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-safe, human-readable picture of an instance, for before/after in the log.

    Keys are the fields' Chinese labels; foreign keys become their display text, choices
    their label, booleans 是/否, blanks None. Automatic timestamps are left out (noise).
    """
    data = {}
    for field in instance._meta.concrete_fields:
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.primary_key or automatic or (fields is not None and field.name not in fields):
            continue
        data[str(field.verbose_name)] = _display(instance, field)
    return data


def _display(instance, field):
    if field.is_relation:
        related = getattr(instance, field.name)
        return str(related) if related is not None else None
    value = field.value_from_object(instance)
    if value in (None, ""):
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def log_change(
    *,
    actor: User | None,
    instance: models.Model,
    action: str,
    unit: OrgUnit | None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> ChangeLog:
    transaction.on_commit(bump)  # cached figures must not outlive the change
    return ChangeLog.objects.create(
        actor=actor,
        actor_name=str(actor) if actor else "系统",
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        unit=unit,
        before=before,
        after=after,
        note=note,
    )


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
def update_unit(*, actor: User | None, unit: OrgUnit, **changes) -> OrgUnit:
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
