"""The scheduled heartbeat: registered with django-celery-beat, recording each run (a real
worker running it from Redis: test_real_worker.py)."""

from django_celery_beat.models import PeriodicTask

from core.models import ScheduledRun
from core.tasks import HEARTBEAT, heartbeat


def test_heartbeat_is_in_the_beat_schedule(db):
    task = PeriodicTask.objects.get(task="core.heartbeat")
    assert task.enabled and task.interval.every == 5 and task.interval.period == "minutes"


def test_heartbeat_records_each_run(db):
    heartbeat()
    heartbeat()
    run = ScheduledRun.objects.get(name=HEARTBEAT)
    assert run.run_count == 2
