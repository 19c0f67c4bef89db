"""Sending notices — the one notification service every app's scheduled notices go through.

- `notify(recipients, …)` puts a notice into each recipient's inbox and e-mails those with an
  address. A notice may carry a dedupe key (e.g. "overdue:2019Q1:p3:unit7"; the user is
  appended): one whose key exists is skipped, so a retried Celery task or a re-run job never
  sends it twice.
- Each app lists its scheduled notice jobs as `NOTICE_JOBS` in its tasks.py: a job takes a
  date and returns how many notices it sent. A job has a due day; it runs on that day or, if
  the scheduler missed it (worker down, portal offline), on one of the catch-up days after.
  `run_jobs` runs a list of them so that one failing job does not stop the others.
"""

import datetime
import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from .dates import now
from .models import Notification, User

logger = logging.getLogger(__name__)


def notify(
    recipients: Iterable[User],
    *,
    title: str,
    body: str = "",
    link: str = "",
    dedupe: str | None = None,
) -> list[Notification]:
    """One notice per recipient; returns those actually created (not deduplicated away)."""
    sent = []
    for user in recipients:
        key = f"{dedupe}:u{user.pk}" if dedupe else None
        if key and Notification.objects.filter(dedupe_key=key).exists():
            continue
        try:
            with transaction.atomic():
                notice = Notification.objects.create(
                    recipient=user, title=title, body=body, link=link, dedupe_key=key
                )
        except IntegrityError:  # a concurrent run created it first
            continue
        sent.append(notice)
    transaction.on_commit(lambda: _email([n.pk for n in sent]))
    return sent


def absolute(link: str) -> str:
    """A mail is read outside the portal: its link names the site (SITE_URL), not a path."""
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def _email(ids: list[int]) -> None:
    for notice in Notification.objects.filter(pk__in=ids, emailed=False).select_related(
        "recipient"
    ):
        if not notice.recipient.email:
            continue
        send_mail(
            f"【高企培育管理平台】{notice.title}",
            f"{notice.body}\n\n{absolute(notice.link)}".strip(),
            settings.DEFAULT_FROM_EMAIL,
            [notice.recipient.email],
            fail_silently=True,  # the inbox copy is the record; mail is a courtesy
        )
        Notification.objects.filter(pk=notice.pk).update(emailed=True)


def users_of(unit: Any, *, roles: Iterable[str] | None = None) -> Any:
    """Active users attached to exactly this unit (optionally of some roles)."""
    queryset = User.objects.filter(unit=unit, is_active=True)
    return queryset.filter(role__in=list(roles)) if roles else queryset


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own unread notices read — those of `ids`, or all of them; returns how
    many changed. Another user's notice is never touched, whatever `ids` holds."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now())


# --- scheduled notice jobs ---------------------------------------------------------------------


def catch_up_days() -> int:
    return int(getattr(settings, "NOTICE_CATCH_UP_DAYS", 7))


def is_due(on: datetime.date, due: datetime.date, until: datetime.date | None = None) -> bool:
    """Whether a job due on `due` runs on `on`: that day, or a missed run caught up later."""
    last = until if until is not None else due + datetime.timedelta(days=catch_up_days())
    return due <= on <= last


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class NoticeJob:
    name: str  # "reminders"
    label: str  # "截止提醒", as the send_notices command reports it
    run: Callable[[datetime.date], int]  # sends what is due on the date; returns the count
    daily: bool = True  # False: on its own schedule (the monthly 通报), or on request


def run_jobs(jobs: Iterable[NoticeJob], on: datetime.date) -> dict[str, int]:
    """Every job for `on`; one failing job does not stop the others, but fails the run so
    Celery records it (a retry is safe: what was sent is deduplicated)."""
    sent, failed = {}, []
    for job in jobs:
        try:
            sent[job.name] = job.run(on)
        except Exception:  # logged, and the run fails below once the others have run
            logger.exception("notice job %s failed for %s", job.name, on)
            failed.append(f"{job.label}（{job.name}）")
    if failed:
        raise RuntimeError(f"提醒任务失败：{'、'.join(failed)}（其余已完成）")
    return sent


def installed_jobs() -> list[NoticeJob]:
    """Every portal app's NOTICE_JOBS (in its tasks.py), in INSTALLED_APPS order."""
    jobs: list[NoticeJob] = []
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)):
            continue  # third-party apps have no notices of ours
        name = f"{config.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            jobs += getattr(importlib.import_module(name), "NOTICE_JOBS", [])
    return jobs
