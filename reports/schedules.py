"""The periodic jobs this app runs, registered in django-celery-beat's database schedule.

Registered after every migrate (get_or_create: a schedule edited in the admin is kept).
Each entry: (name shown in the admin, task name, crontab fields, kwargs).
"""

import json

SCHEDULES: list[tuple[str, str, dict, dict]] = [
    # appended by the dashboard/snapshot and notification/bulletin modules
]

# --- 驾驶舱: nightly snapshots (reports/snapshots.py) ---------------------------------------
# 01:30, after the day's edits and before anyone opens a dashboard; it also warms their cache.
SCHEDULES += [
    (
        "夜间指标快照",
        "reports.take_snapshots",
        {
            "minute": "30",
            "hour": "1",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        {},
    ),
    (
        "清理过期的上传预览",
        "reports.expire_previews",
        {"minute": "0", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        {},
    ),
]

# --- 提醒与通报: daily notices and the monthly bulletin (reports/notices.py) ------------------
# 08:00, the start of the office day; each job decides itself whether today is its day.
# The bulletin's day is read once, when schedules are first registered; later edits are
# made in the admin (django-celery-beat), which this registration never overwrites.
from django.conf import settings as _settings  # noqa: E402

SCHEDULES += [
    (
        "每日提醒（报送/到期/年报）",
        "reports.daily_notices",
        {"minute": "0", "hour": "8", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        {},
    ),
    (
        "月度通报",
        "reports.monthly_bulletin",
        {
            "minute": "30",
            "hour": "8",
            "day_of_week": "*",
            "day_of_month": str(getattr(_settings, "BULLETIN_DAY_OF_MONTH", 5)),
            "month_of_year": "*",
        },
        {},
    ),
]


def ensure_schedules(**kwargs) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, cron, task_kwargs in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(timezone="Asia/Shanghai", **cron)
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "kwargs": json.dumps(task_kwargs)},
        )
