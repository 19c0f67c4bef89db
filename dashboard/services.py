"""Nightly snapshots: every ladder metric for every unit with children (and each child) on a
date, stored as Snapshot rows so trends read history instead of recounting it.

    take_snapshots(date(2019, 6, 30))                 # all units with children
    take_snapshots(date(2019, 6, 30), units=[wujin])  # one district and its towns

Counts come from cultivation.selectors.metric_counts — the same numbers targets and the
dashboard show for that date. Re-running a date replaces its rows, never duplicates them.
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from core.cache import bump
from core.models import OrgUnit
from cultivation.selectors import LADDER_METRICS, metric_counts

from .cache import cached
from .models import Snapshot
from .selectors import BLOCKS

log = logging.getLogger(__name__)


def units_with_children():
    """The units whose dashboards compare children: district level and above."""
    parents = OrgUnit.objects.filter(parent__isnull=False).values("parent_id")
    return OrgUnit.objects.filter(pk__in=parents).order_by("path")


def take_snapshots(on: datetime.date, units: Iterable[OrgUnit] | None = None) -> int:
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
        transaction.on_commit(lambda: bump(domains=["dashboard"]))  # trends recompute
    return len(rows)


def warm_dashboards(year: int) -> None:
    """Fill the dashboard cache for the units with children, so the first look of the
    morning does not wait for the pre-diagnosis ranking. Best effort: a failure here must
    not fail the snapshot job."""
    for unit in units_with_children():
        for block, compute in BLOCKS.items():
            try:
                cached(block, unit, year, compute)
            except Exception:  # logged; the next page view computes it anyway
                log.exception("warming dashboard %s for %s failed", block, unit)
