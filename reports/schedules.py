"""The periodic jobs this app runs, registered in django-celery-beat's database schedule.

Registered after every migrate (get_or_create: a schedule edited in the admin is kept).
Each entry: (name shown in the admin, task name, crontab fields, kwargs).
"""

import json

SCHEDULES: list[tuple[str, str, dict, dict]] = [
    # appended by the dashboard/snapshot and notification/bulletin modules
]


def ensure_schedules(**kwargs) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, cron, task_kwargs in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(timezone="Asia/Shanghai", **cron)
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "kwargs": json.dumps(task_kwargs)},
        )
