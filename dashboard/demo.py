"""Demo history for the dashboards' trend lines: quarter-end snapshots of 2018 and of 2019 up
to mid-year (the demo's "today" is 2019-07-15). Re-running replaces the same dates."""

from core.dates import quarter_ends

from .models import Snapshot
from .services import take_snapshots


def load(stdout) -> None:
    for day in [*quarter_ends(2018), *quarter_ends(2019)[:2]]:
        take_snapshots(day)
    stdout.write(f"驾驶舱：指标快照 {Snapshot.objects.count()} 条")
