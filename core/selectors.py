"""Reads for the cross-cutting models, always through the scoping function."""

from django.contrib.contenttypes.models import ContentType

from .models import ChangeLog, OrgUnit, ScheduledRun
from .scoping import VIEW


def units_for_user(user, action: str = VIEW):
    return OrgUnit.objects.for_user(user, action).filter(is_active=True)


def child_units(unit: OrgUnit):
    return unit.children.filter(is_active=True).order_by("order", "name")


def history_for(instance) -> list[ChangeLog]:
    """Every entry about one object. Callers have already checked the user may see it: an
    enterprise that moved towns brings its whole history to the town it joined."""
    content_type = ContentType.objects.get_for_model(type(instance))
    return list(ChangeLog.objects.filter(content_type=content_type, object_id=str(instance.pk)))


def last_run(name: str):
    run = ScheduledRun.objects.filter(name=name).first()
    return run.last_run if run else None
