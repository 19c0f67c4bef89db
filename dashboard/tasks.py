"""The dashboard's scheduled job: tonight's snapshots, then the top dashboards warmed."""

import datetime
import logging

from celery import shared_task

from core.dates import today
from core.schedules import Schedule

from . import services

log = logging.getLogger(__name__)


@shared_task(name="dashboard.take_snapshots")
def nightly_snapshots(on: str | None = None) -> int:
    """The beat job "夜间指标快照"."""
    day = datetime.date.fromisoformat(on) if on else today()
    written = services.take_snapshots(day)
    log.info("snapshots %s: %d rows", day, written)
    services.warm_dashboards(day.year)
    return written


# 01:30, after the day's edits and before anyone opens a dashboard; it also warms their cache.
SCHEDULES = [Schedule("夜间指标快照", "dashboard.take_snapshots", hour="1", minute="30")]
