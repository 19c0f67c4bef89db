"""Nightly snapshots: every ladder metric for every unit with children (and each child) on
a date, stored as Snapshot rows so trends read history instead of recounting it.

    take_snapshots(date(2019, 6, 30))                 # all units with children
    take_snapshots(date(2019, 6, 30), units=[wujin])  # one district and its towns

Counts come from cultivation.selectors.metric_counts — the same numbers targets and the
dashboard show for that date. Re-running a date replaces its rows, never duplicates them.
"""

import datetime
import logging
from decimal import Decimal

from celery import shared_task
from django.db import transaction

from core.cache import bump
from core.dates import today
from core.models import OrgUnit
from cultivation.selectors import LADDER_METRICS, metric_counts

from .models import Snapshot

log = logging.getLogger(__name__)


def units_with_children():
    """The units whose dashboards compare children: district level and above."""
    parents = OrgUnit.objects.filter(parent__isnull=False).values("parent_id")
    return OrgUnit.objects.filter(pk__in=parents).order_by("path")


def take_snapshots(on: datetime.date, units=None) -> int:
    """Write `on`'s snapshot rows for `units` (default: every unit with children) and each
    of their children; returns the number of rows written.

    Replaces the date's rows in one transaction: all of them by default, else those of the
    units written. One grouped query per metric and unit, whatever the number of towns.
    """
    parents = list(units if units is not None else units_with_children())
    values: dict[tuple[int, str], int] = {}
    for parent in parents:
        for code in LADDER_METRICS:
            # A unit that is also a child of another parent gets the same number both ways.
            for unit_id, count in metric_counts(code, on.year, parent, on).items():
                values[(unit_id, code)] = count
    rows = [
        Snapshot(unit_id=unit_id, metric=code, date=on, year=on.year, value=Decimal(count))
        for (unit_id, code), count in values.items()
    ]
    with transaction.atomic():
        stale = Snapshot.objects.filter(date=on)
        if units is not None:
            stale = stale.filter(unit_id__in={unit_id for unit_id, _ in values})
        stale.delete()
        Snapshot.objects.bulk_create(rows, batch_size=1000)
        transaction.on_commit(bump)  # trends cached before this run must recompute
    return len(rows)


@shared_task(name="reports.take_snapshots")
def nightly_snapshots(on: str | None = None) -> int:
    """The beat job "夜间指标快照": today's snapshots, then the top dashboards warmed."""
    day = datetime.date.fromisoformat(on) if on else today()
    written = take_snapshots(day)
    log.info("snapshots %s: %d rows", day, written)
    warm_dashboards(day.year)
    return written


def warm_dashboards(year: int) -> None:
    """Fill the dashboard cache for the units with children, so the first look of the
    morning does not wait for the pre-diagnosis ranking. Best effort: a failure here must
    not fail the snapshot job."""
    from .dashboard import BLOCKS, cached

    for unit in units_with_children():
        for block in BLOCKS:
            try:
                cached(block, unit, year)
            except Exception:  # logged; the next page view computes it anyway
                log.exception("warming dashboard %s for %s failed", block, unit)
