"""Reads for the cross-cutting models, always through the scoping function."""

from django.contrib.contenttypes.models import ContentType

from .models import ChangeLog, OrgUnit, ScheduledRun
from .scoping import VIEW


def units_for_user(user, action: str = VIEW):
    return OrgUnit.objects.for_user(user, action).filter(is_active=True)


def child_units(unit: OrgUnit):
    return unit.children.filter(is_active=True).order_by("order", "name")


def history_for(user, instance) -> list[ChangeLog]:
    content_type = ContentType.objects.get_for_model(type(instance))
    return list(
        ChangeLog.objects.for_user(user)
        .filter(content_type=content_type, object_id=str(instance.pk))
        .select_related("actor")
    )


def last_run(name: str):
    run = ScheduledRun.objects.filter(name=name).first()
    return run.last_run if run else None
