"""Quarterly reporting's background work: big uploads (and failing those a dead worker left),
expiring previews, and the daily reminders before a period's deadline and overdue notices
after it.

Notice jobs take a date and return how many notices they sent (core/notifications.py runs
them, catches up missed days, and deduplicates: a re-run or retry sends nothing twice).
"""

import datetime

from celery import shared_task
from django.conf import settings
from django.urls import reverse

from core.choices import Role
from core.dates import today
from core.notifications import NoticeJob, catch_up_days, chinese_date, notify, run_jobs, users_of
from core.schedules import Schedule

from . import selectors
from .io import processing, staging
from .selectors import missing_units


# Acknowledged when it ends, and handed out again if its pool process dies (the settings say
# so for every task; said here too, since this is the task that must not be lost):
# process_job is safe to run twice.
@shared_task(name="reports.process_upload", acks_late=True, reject_on_worker_lost=True)
def process_upload(job_id: str) -> None:
    """Parse and validate a big upload off the request; the page polls the job's progress."""
    processing.process_job(job_id)


def stall_minutes() -> int:
    return int(getattr(settings, "UPLOAD_STALL_MINUTES", 15))


@shared_task(name="reports.fail_stalled_uploads")
def fail_stalled_uploads() -> int:
    """Every 5 minutes: uploads silent for UPLOAD_STALL_MINUTES (their whole worker died, or
    their message was lost) end as failed, with 重试 on their page — never `running` for ever."""
    return processing.fail_stalled_jobs(minutes=stall_minutes())


@shared_task(name="reports.expire_previews")
def expire_previews() -> int:
    """Nightly: previews nobody confirmed for a week give back their staged rows."""
    return staging.expire_previews()


# --- notices -------------------------------------------------------------------------------------


def reminder_days() -> int:
    return int(getattr(settings, "REMINDER_DAYS_BEFORE", 3))


def send_deadline_reminders(on: datetime.date) -> int:
    """Towns that have not submitted, from N days before the deadline until the deadline
    (catching up a missed day); the window must be open, or there is nothing to upload."""
    sent = 0
    for period in selectors.periods_closing(on, on + datetime.timedelta(days=reminder_days())):
        left = (period.deadline - on).days
        when = "今天截止" if left == 0 else f"还剩 {left} 天"
        deadline = chinese_date(period.deadline)
        # A unit the district reminded by hand today (提醒未报送单位) has had today's reminder.
        reminded = selectors.reminded_on(period, on)
        for unit in missing_units(period):
            if unit.pk in reminded:
                continue
            sent += len(
                notify(
                    users_of(unit),
                    title=f"{period}报送将于{deadline}截止（{when}）",
                    body=(
                        f"{unit}尚未报送{period.unit}{period}数据。请下载预填模板，在 Excel "
                        f"或 WPS 中填写后于{deadline}前上传；上传即完成报送。"
                    ),
                    link=reverse("reports:period", args=[period.pk]),
                    dedupe=selectors.reminder_key(period, unit),
                )
            )
    return sent


def send_overdue_notices(on: datetime.date) -> int:
    """The day after the deadline (or a catch-up day): each missing town, and one notice to
    the district staff listing them all."""
    sent = 0
    for period in selectors.periods_closed(
        on, since=on - datetime.timedelta(days=1 + catch_up_days())
    ):
        missing = missing_units(period)
        if not missing:
            continue
        link = reverse("reports:period", args=[period.pk])
        locked = period.deadline + datetime.timedelta(days=period.lock_days)
        for unit in missing:
            sent += len(
                notify(
                    users_of(unit),
                    title=f"{period}报送已逾期",
                    body=(
                        f"{period}报送已于{chinese_date(period.deadline)}截止，{unit}尚未报送。"
                        f"请尽快上传；{chinese_date(locked)}后将锁定，"
                        f"届时需联系{period.unit}科技局重新开放。"
                    ),
                    link=link,
                    dedupe=f"overdue:{period.code}:p{period.pk}:unit{unit.pk}",
                )
            )
        names = "、".join(u.notice_name for u in missing)
        sent += len(
            notify(
                users_of(period.unit, roles=[Role.DISTRICT_STAFF]),
                title=f"{period}报送逾期：{len(missing)} 个单位未报送",
                body=f"截至{chinese_date(on)}，以下单位尚未报送{period}数据：{names}。",
                link=link,
                dedupe=f"overdue:{period.code}:p{period.pk}:unit{period.unit_id}",
            )
        )
    return sent


NOTICE_JOBS = [
    NoticeJob("reminders", "截止提醒", send_deadline_reminders),
    NoticeJob("overdue", "逾期通知", send_overdue_notices),
]


@shared_task(name="reports.daily_notices")
def daily_notices(on: str | None = None) -> dict[str, int]:
    """Daily at 08:00: reminders before a deadline, overdue notices after it."""
    return run_jobs(NOTICE_JOBS, datetime.date.fromisoformat(on) if on else today())


SCHEDULES = [
    # 08:00, the start of the office day; each job decides itself whether today is its day.
    Schedule("每日提醒（报送截止/逾期）", "reports.daily_notices", hour="8", minute="0"),
    Schedule("清理过期的上传预览", "reports.expire_previews", hour="1", minute="0"),
    # Often, so a job whose worker died is failed soon after UPLOAD_STALL_MINUTES.
    Schedule("上传处理超时检查", "reports.fail_stalled_uploads", minute="*/5"),
]
