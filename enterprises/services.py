"""Writes to the registry. Each is atomic, checks scope, validates, and writes the change log."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from core.changelog import log_change, snapshot
from core.choices import Action
from core.dates import today
from core.models import OrgUnit, User
from core.scoping import ensure_in_scope, ensure_unit_in_scope

from .models import INDICATOR_FIELDS, Enterprise, EnterpriseYear, TownSpan
from .uscc import USCCError, check

# Fields a plain edit may change; town and activity have their own services (and log verbs).
EDITABLE_FIELDS = [
    "name",
    "uscc",
    "address",
    "legal_rep",
    "contact",
    "phone",
    "registered_on",
    "tech_field",
    "tech_subfield",
    "industry",
    "above_scale",
    "notes",
]


def checked_uscc(raw: str, *, exclude_pk: int | None = None) -> tuple[str, bool]:
    """Normalised code and whether its checksum holds; duplicates and malformed codes raise."""
    try:
        result = check(raw)
    except USCCError as exc:
        raise ValidationError({"uscc": str(exc)}) from exc
    others = Enterprise.objects.filter(uscc=result.code)
    clash = (others.exclude(pk=exclude_pk) if exclude_pk else others).first()
    if clash:
        raise ValidationError(
            {
                "uscc": f"统一社会信用代码 {result.code} 已登记为“{clash.name}”（{clash.town}），不能重复登记。"
            }
        )
    return result.code, result.checksum_ok


# No move is dated before this: the earliest date a person could mean.
EARLIEST_MOVE = datetime.date(1900, 1, 1)


def _require_town(town: OrgUnit | None) -> OrgUnit:
    if town is None:
        raise ValidationError({"town": "请选择所属镇（园区）。"})
    return town


@transaction.atomic
def create_enterprise(
    *, actor: User | None, uscc: str, name: str, town: OrgUnit | None, **fields
) -> Enterprise:
    town = _require_town(town)
    if actor is not None:
        ensure_unit_in_scope(actor, town)
    code, checksum_ok = checked_uscc(uscc)
    enterprise = Enterprise(
        uscc=code, uscc_checksum_ok=checksum_ok, name=name.strip(), town=town, **fields
    )
    enterprise.full_clean()
    enterprise.save()
    TownSpan.objects.create(enterprise=enterprise, town=town, start=None)
    log_change(
        actor=actor,
        instance=enterprise,
        action=Action.CREATE,
        unit=town,
        after=snapshot(enterprise),
    )
    return enterprise


@transaction.atomic
def update_enterprise(*, actor: User | None, enterprise: Enterprise, **changes) -> Enterprise:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    if actor is not None:
        ensure_in_scope(actor, enterprise)
    before = snapshot(enterprise)
    if "uscc" in changes:
        changes["uscc"], enterprise.uscc_checksum_ok = checked_uscc(
            changes["uscc"], exclude_pk=enterprise.pk
        )
    for name, value in changes.items():
        setattr(enterprise, name, value.strip() if isinstance(value, str) else value)
    enterprise.full_clean()
    enterprise.save()
    after = snapshot(enterprise)
    if after != before:
        log_change(
            actor=actor,
            instance=enterprise,
            action=Action.UPDATE,
            unit=enterprise.town,
            before=before,
            after=after,
        )
    return enterprise


@transaction.atomic
def move_enterprise(
    *,
    actor: User | None,
    enterprise: Enterprise,
    town: OrgUnit,
    on: datetime.date | None = None,
    note: str = "",
) -> Enterprise:
    """Move to another town from date `on`: the old town keeps the enterprise's past."""
    if actor is not None:
        ensure_in_scope(actor, enterprise)
        ensure_unit_in_scope(actor, town)
    if town == enterprise.town:
        raise ValidationError({"town": "新的所属镇（园区）与当前相同。"})
    on = on or today()
    if on < EARLIEST_MOVE:  # also: the day before 0001-01-01 does not exist
        raise ValidationError({"on": f"迁移日期不能早于 {EARLIEST_MOVE:%Y-%m-%d}。"})
    current = enterprise.town_spans.filter(end__isnull=True).first()
    if current and current.start and on <= current.start:
        raise ValidationError({"on": f"迁移日期须晚于上次迁入日期 {current.start:%Y-%m-%d}。"})
    old_town = enterprise.town
    if current:
        current.end = on - datetime.timedelta(days=1)
        current.save(update_fields=["end"])
    TownSpan.objects.create(enterprise=enterprise, town=town, start=on)
    enterprise.town = town
    enterprise.save(update_fields=["town", "updated_at"])
    log_change(
        actor=actor,
        instance=enterprise,
        action=Action.MOVE,
        unit=town,
        before={"所属镇（园区）": str(old_town)},
        after={"所属镇（园区）": str(town), "迁入日期": on.isoformat()},
        note=note,
    )
    return enterprise


@transaction.atomic
def set_active(
    *, actor: User | None, enterprise: Enterprise, active: bool, note: str = ""
) -> Enterprise:
    """Deactivate (注销、迁出区外…) or reactivate. Nothing is deleted: history stays."""
    if actor is not None:
        ensure_in_scope(actor, enterprise)
    if enterprise.is_active == active:
        return enterprise
    before = snapshot(enterprise, ["is_active"])
    enterprise.is_active = active
    enterprise.save(update_fields=["is_active", "updated_at"])
    log_change(
        actor=actor,
        instance=enterprise,
        action=Action.ACTIVATE if active else Action.DEACTIVATE,
        unit=enterprise.town,
        before=before,
        after=snapshot(enterprise, ["is_active"]),
        note=note,
    )
    return enterprise


@transaction.atomic
def save_year(
    *, actor: User | None, enterprise: Enterprise, year: int, values: dict
) -> EnterpriseYear:
    """Create or update one fiscal year's indicators; the change is logged on the enterprise."""
    unknown = set(values) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValueError(f"unknown indicators: {sorted(unknown)}")
    if actor is not None:
        ensure_in_scope(actor, enterprise)
    row = EnterpriseYear.objects.filter(enterprise=enterprise, year=year).first()
    created = row is None
    row = row or EnterpriseYear(enterprise=enterprise, year=year)
    before = None if created else snapshot(row, INDICATOR_FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    after = snapshot(row, INDICATOR_FIELDS)
    if after != before:
        log_change(
            actor=actor,
            instance=enterprise,
            action=Action.CREATE if created else Action.UPDATE,
            unit=enterprise.town,
            before=before,
            after=after,
            note=f"{year}年度指标",
        )
    return row
