from celery import shared_task
from django.db.models import F
from django.utils import timezone

from .models import ScheduledRun

HEARTBEAT = "heartbeat"


@shared_task(name="core.heartbeat")
def heartbeat() -> str:
    """Proves the scheduler and a worker are alive; /healthz/ shows when it last ran."""
    now = timezone.now()
    updated = ScheduledRun.objects.filter(name=HEARTBEAT).update(
        last_run=now, run_count=F("run_count") + 1
    )
    if not updated:
        ScheduledRun.objects.get_or_create(
            name=HEARTBEAT, defaults={"last_run": now, "run_count": 1}
        )
    return now.isoformat()
