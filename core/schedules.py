"""Periodic jobs in django-celery-beat's database schedule (editable in the admin).

Each app lists its own as SCHEDULES in its tasks.py and registers them after every migrate
(`register_after_migrate` in its AppConfig.ready). Registration is get_or_create by name, so a
schedule edited in the admin is never overwritten.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


@dataclass(frozen=True)
class Schedule:
    name: str  # shown in the admin (周期性任务)
    task: str  # the Celery task's name
    hour: str = "*"
    minute: str = "0"
    day_of_month: str = "*"
    kwargs: dict[str, Any] = field(default_factory=dict)


def ensure(schedules: list[Schedule]) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for schedule in schedules:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            timezone="Asia/Shanghai",
            minute=schedule.minute,
            hour=schedule.hour,
            day_of_week="*",
            day_of_month=schedule.day_of_month,
            month_of_year="*",
        )
        PeriodicTask.objects.get_or_create(
            name=schedule.name,
            defaults={
                "task": schedule.task,
                "crontab": crontab,
                "kwargs": json.dumps(schedule.kwargs),
            },
        )


def register_after_migrate(config: AppConfig, schedules: list[Schedule]) -> None:
    def handler(**kwargs: Any) -> None:
        ensure(schedules)

    # weak=False: the handler is a closure that nothing else keeps alive.
    post_migrate.connect(handler, sender=config, weak=False)
