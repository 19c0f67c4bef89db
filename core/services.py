"""Writes for the cross-cutting models. Every change to scoped data is logged here."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .choices import Action
from .models import ChangeLog, OrgUnit, User
from .scoping import ensure_unit_in_scope


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-safe picture of an instance's concrete fields, for before/after in the log.

    Foreign keys are stored as their display text (what a reader of the history wants),
    choices as their label.
    """
    data = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or (fields is not None and field.name not in fields):
            continue
        if field.is_relation:
            related = getattr(instance, field.name)
            data[str(field.verbose_name)] = str(related) if related is not None else None
            continue
        value = field.value_from_object(instance)
        if field.choices and value not in (None, ""):
            value = dict(field.flatchoices).get(value, value)
        data[str(field.verbose_name)] = _json_safe(value)
    return data


def _json_safe(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
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
