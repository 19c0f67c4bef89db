"""Issuing 通报: build the data, store them with the Excel file and the print page, and deliver
to the issuing unit's leaders — on demand, or monthly for each district with a plan."""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from core.choices import DISTRICT_KINDS, Role
from core.models import User
from core.notifications import notify, users_of
from core.scoping import ensure_unit_in_scope
from targets.models import TargetPlan

from .io import render_html, write_xlsx
from .models import Bulletin
from .selectors import build_data, key_sentence


@transaction.atomic
def create_bulletin(
    *,
    actor: User | None,
    plan: TargetPlan,
    on: datetime.date | None = None,
    scheduled: bool = False,
) -> Bulletin:
    """Build and store. Only who may change the plan's unit (district staff, administrators)
    may issue one: leaders read."""
    if actor is not None:
        ensure_unit_in_scope(actor, plan.unit)
    data = build_data(plan, on)
    bulletin = Bulletin(
        unit=plan.unit,
        year=plan.year,
        as_of=datetime.date.fromisoformat(data["as_of"]),
        title=data["title"],
        html=render_html(data),
        data=data,
        scheduled=scheduled,
        created_by=actor,
    )
    name = f"bulletin_{plan.unit_id}_{data['as_of'].replace('-', '')}.xlsx"
    bulletin.xlsx.save(name, ContentFile(write_xlsx(data)), save=False)
    bulletin.save()
    return bulletin


def deliver_bulletin(bulletin: Bulletin) -> list:
    """To the unit's leaders' inboxes, once per bulletin however often this runs."""
    data = bulletin.data
    return notify(
        users_of(bulletin.unit, roles=[Role.LEADER]),
        title=f"{bulletin.title}（截至{data['as_of_text']}）",
        body=key_sentence(data) + f" 进度滞后单位 {len(data['lagging'])} 个。",
        link=reverse("bulletins:print", args=[bulletin.pk]),
        dedupe=f"bulletin:{bulletin.pk}",
    )


@transaction.atomic
def issue_bulletin(
    *, actor: User | None, plan: TargetPlan, on: datetime.date | None = None
) -> Bulletin:
    """On demand: build, store and send to the leaders (permission checked by the build)."""
    bulletin = create_bulletin(actor=actor, plan=plan, on=on)
    deliver_bulletin(bulletin)
    return bulletin


def send_scheduled_bulletins(on: datetime.date) -> list[Bulletin]:
    """One scheduled bulletin per district with a plan for `on`'s year; a re-run the same
    day re-delivers (deduplicated) instead of issuing a second one."""
    made = []
    plans = TargetPlan.objects.filter(year=on.year, unit__kind__in=DISTRICT_KINDS)
    for plan in plans.filter(unit__is_active=True).select_related("unit"):
        with transaction.atomic():
            TargetPlan.objects.select_for_update().filter(pk=plan.pk).first()  # one run at a time
            bulletin = Bulletin.objects.filter(unit=plan.unit, as_of=on, scheduled=True).first()
            if bulletin is None:
                bulletin = create_bulletin(actor=None, plan=plan, on=on, scheduled=True)
            deliver_bulletin(bulletin)
            made.append(bulletin)
    return made
