"""Reads for the cross-cutting models, always through the scoping function."""

import datetime
from collections.abc import Callable

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404

from .choices import DISTRICT_KINDS
from .models import ChangeLog, DownloadRecord, OrgUnit, ScheduledRun, User
from .scoping import VIEW, get_for_user_or_404

# What every figure the portal shows or exports is made of: only approval makes a quarterly
# version count (reports.services.review). Said in one line wherever figures are shown.
OFFICIAL_DATA = "数据口径：企业库正式数据（含已审核通过的季度报送），不含待审核的报送。"


def units_for_user(user, action: str = VIEW):
    return OrgUnit.objects.for_user(user, action).filter(is_active=True)


def districts():
    """Active districts and counties: the units scheduled jobs work for, one by one."""
    return OrgUnit.objects.filter(kind__in=DISTRICT_KINDS, is_active=True).order_by("path")


# Entries kept outside the change log, added by other apps in their ready(): a function of
# an instance returning unsaved ChangeLog entries (e.g. what each quarterly upload changed).
HISTORY_SOURCES: list[Callable[[Model], list[ChangeLog]]] = []


# Values waiting for approval, added the same way (e.g. an enterprise's figures in a quarterly
# version not yet reviewed): a function of an instance returning dicts for its page.
PENDING_SOURCES: list[Callable[[Model], list[dict]]] = []


# How far into a year an object's figures reach, added the same way: a function of
# (instance, year) returning the last quarter reported, or None (the quarterly uploads say
# which quarter wrote an enterprise's current-year row).
REPORTED_QUARTER_SOURCES: list[Callable[[Model, int], int | None]] = []


def reported_quarter(instance: Model, year: int) -> int | None:
    """The last quarter of `year` whose figures the object's row holds, if any source knows."""
    quarters = [q for source in REPORTED_QUARTER_SOURCES if (q := source(instance, year))]
    return max(quarters, default=None)


def pending_for(instance: Model) -> list[dict]:
    """What is waiting for approval about one object (shown beside its official values)."""
    return [item for source in PENDING_SOURCES for item in source(instance)]


def history_object(user, app_label: str, model_name: str, pk: str) -> Model:
    """The object whose change history `user` asks for (the history page, the API): an
    instance of a scoped model, in the user's scope — anything else is a 404, a malformed id
    too."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise Http404("未知的记录类型。") from exc
    if not hasattr(model._default_manager, "for_user"):
        raise Http404("该类型的记录没有变更历史。")
    try:
        return get_for_user_or_404(model._default_manager.all(), user, pk=pk)
    except (ValueError, TypeError, ValidationError) as exc:  # "abc" for a numeric id
        raise Http404("未找到该记录，或您无权访问。") from exc


def history_for(instance) -> list[ChangeLog]:
    """Every entry about one object, newest first. Callers have already checked the user may
    see it: an enterprise that moved towns brings its whole history to the town it joined."""
    content_type = ContentType.objects.get_for_model(type(instance))
    entries = list(ChangeLog.objects.filter(content_type=content_type, object_id=str(instance.pk)))
    for source in HISTORY_SOURCES:
        entries += source(instance)
    return sorted(entries, key=lambda e: (e.created_at, e.pk or 0), reverse=True)


def last_run(name: str):
    run = ScheduledRun.objects.filter(name=name).first()
    return run.last_run if run else None


def download_records(
    viewer: User,
    *,
    user_id: int | None = None,
    kind: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
):
    """The downloads `viewer` may audit (those of users in their subtree), newest first,
    narrowed by who, what kind and which days (both ends included)."""
    records = DownloadRecord.objects.for_user(viewer)
    if user_id is not None:
        records = records.filter(user_id=user_id)
    if kind:
        records = records.filter(kind=kind)
    if start is not None:
        records = records.filter(created_at__date__gte=start)
    if end is not None:
        records = records.filter(created_at__date__lte=end)
    return records.select_related("unit")


def audited_users(viewer: User):
    """Whom the audit page can be narrowed to: the users of the viewer's subtree."""
    return User.objects.for_user(viewer).order_by("unit__path", "username")
