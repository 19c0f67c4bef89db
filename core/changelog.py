"""The change log: who changed what, when, from what to what — written explicitly by services
(never by signals), one entry at a time or in bulk.

    log_change(actor=user, instance=enterprise, action=Action.UPDATE, unit=enterprise.town,
               before=before, after=snapshot(enterprise))
    log_changes([entry(actor=user, instance=e, action=Action.IMPORT, unit=e.town, after=…)
                 for e in imported])             # one bulk insert, e.g. an admin import

Every write bumps the data version once the transaction commits, so no cached figure
outlives the change (core/cache.py).
"""

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .cache import bump
from .models import ChangeLog, OrgUnit, User

BATCH = 1000

# Called with the committed entries once their transaction commits (apps register theirs in
# AppConfig.ready): derived data kept per object — pre-diagnosis results per enterprise —
# is refreshed for exactly what changed. A hook must not raise; it runs after the commit.
ChangeHook = Callable[[list[ChangeLog]], None]
CHANGE_HOOKS: list[ChangeHook] = []


def _committed(entries: list[ChangeLog]) -> None:
    bump_for(entries)
    for hook in CHANGE_HOOKS:
        hook(entries)


def bump_for(entries: list[ChangeLog]) -> None:
    """Cached figures must not outlive the change: move the version of each changed domain
        (the app of the object's model) at the entry's unit and every unit above it. An entry
        without a unit (a catalogue metric, a user) moves its domain everywhere; a change to the
    unit tree moves everything."""
    unit_type = ContentType.objects.get_for_model(OrgUnit)
    if any(e.content_type_id == unit_type.pk for e in entries):
        bump()  # the tree itself changed (区划调整): what sits under whom is not known here
        return
    domains: dict[str, set[int]] = {}
    unplaced: set[str] = set()
    unit_ids = {e.unit_id for e in entries if e.unit_id is not None}
    paths = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    for change in entries:
        domain = ContentType.objects.get_for_id(change.content_type_id).app_label
        path = paths.get(change.unit_id) if change.unit_id is not None else None
        if path is None:
            unplaced.add(domain)
        else:
            domains.setdefault(domain, set()).update(int(p) for p in path.strip("/").split("/"))
    for domain, units in domains.items():
        bump(domains=[domain], units=units)
    if unplaced:
        bump(domains=sorted(unplaced))


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
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


def _display(instance: models.Model, field: models.Field) -> Any:
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


def entry(
    *,
    actor: User | None,
    instance: models.Model,
    action: str,
    unit: OrgUnit | None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> ChangeLog:
    """An unsaved entry (for log_changes); the fields as log_change writes them."""
    return ChangeLog(
        actor=actor,
        actor_name=str(actor) if actor else "系统",
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        unit=unit,
        before=before,
        after=after,
        note=note[:500],
    )


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
    change = entry(
        actor=actor,
        instance=instance,
        action=action,
        unit=unit,
        before=before,
        after=after,
        note=note,
    )
    change.save()
    transaction.on_commit(lambda: _committed([change]))
    return change


def log_changes(entries: Iterable[ChangeLog]) -> int:
    """Write many entries in one go (an import of thousands of rows)."""
    written = ChangeLog.objects.bulk_create(list(entries), BATCH)
    if written:
        transaction.on_commit(lambda: _committed(written))
    return len(written)
