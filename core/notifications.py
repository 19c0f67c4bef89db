"""Sending notices: into each recipient's inbox, and by e-mail where they have an address.

Every notice may carry a dedupe key (e.g. "overdue:2019Q1:湖塘镇:user 7"); a notice whose key
already exists is skipped, so a retried Celery task or a re-run job never sends it twice.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from .models import Notification, User


def notify(
    recipients, *, title: str, body: str = "", link: str = "", dedupe: str | None = None
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


def _email(ids: list[int]) -> None:
    for notice in Notification.objects.filter(pk__in=ids, emailed=False).select_related(
        "recipient"
    ):
        if not notice.recipient.email:
            continue
        send_mail(
            f"【高企培育管理平台】{notice.title}",
            f"{notice.body}\n\n{notice.link}".strip(),
            settings.DEFAULT_FROM_EMAIL,
            [notice.recipient.email],
            fail_silently=True,  # the inbox copy is the record; mail is a courtesy
        )
        Notification.objects.filter(pk=notice.pk).update(emailed=True)


def users_of(unit, *, roles=None):
    """Active users attached to exactly this unit (optionally of some roles)."""
    queryset = User.objects.filter(unit=unit, is_active=True)
    return queryset.filter(role__in=roles) if roles else queryset


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
