"""The monthly 通报: one for each district with a plan this year, sent to its leaders."""

import datetime

from celery import shared_task
from django.conf import settings

from core.dates import today
from core.notifications import NoticeJob
from core.schedules import Schedule

from . import services


def send_monthly(on: datetime.date) -> int:
    return len(services.send_scheduled_bulletins(on))


@shared_task(name="bulletins.monthly_bulletin")
def monthly_bulletin(on: str | None = None) -> list[int]:
    day = datetime.date.fromisoformat(on) if on else today()
    return [bulletin.pk for bulletin in services.send_scheduled_bulletins(day)]


# On its own schedule, and by `send_notices --bulletin`.
NOTICE_JOBS = [NoticeJob("bulletin", "月度通报", send_monthly, daily=False)]

# 08:30 on the bulletin day. The day is read once, when the schedule is first registered;
# later edits are made in the admin (django-celery-beat), which registration never overwrites.
SCHEDULES = [
    Schedule(
        "月度通报",
        "bulletins.monthly_bulletin",
        hour="8",
        minute="30",
        day_of_month=str(getattr(settings, "BULLETIN_DAY_OF_MONTH", 5)),
    )
]
