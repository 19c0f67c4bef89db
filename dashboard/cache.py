"""The dashboard's cache: each block's payload (and the rendered page body) under a stable
key per (block, unit, year), holding the versions it was computed for.

A block is recomputed only when something it reads changed in the unit's subtree: its
domains' versions at the unit (core/cache.py), plus the date and the code version. The
target blocks rank a town among its siblings, so they key on the parent's versions. After a
change one request recomputes while the others are served the previous value
(`core.cache.fresh`). With Redis down the dashboard computes each block, and answers.

A payload depends on the unit, not on who asks: it describes the unit's subtree, and seeing
a unit means seeing everything below it (core.scoping), so every user allowed the unit gets
the same answer; the views still filter every payload by scope as a second line.
"""

import hashlib
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from django.conf import settings

from core.cache import fresh, versions
from core.dates import today
from core.models import OrgUnit

# Entries are replaced when their versions move on; the timeout only returns the memory.
CACHE_SECONDS = 26 * 60 * 60
HERE = Path(__file__).resolve().parent

# Ladder records are logged on their enterprise (cultivation/services.py), so their changes
# move the "enterprises" counters: whatever reads the ladder must name both domains.
LADDER = ("cultivation", "enterprises", "core")
# What each block reads, by domain (the app whose rows it counts).
DOMAINS: dict[str, tuple[str, ...]] = {
    "targets": ("targets", "reports", *LADDER),
    "trend": ("dashboard",),  # snapshots only
    "funnel": LADDER,
    "expiring": LADDER,
    "missing": ("reports", "core"),
    "closest": LADDER,
    "page": ("targets", "reports", "dashboard", *LADDER),  # the page body renders several
}
SIBLING_BLOCKS = {"targets", "page"}  # a town's cards rank it among the parent's children


def _code_version() -> str:
    """A digest of the dashboard's code and templates: a deploy that changes the shape of a
    payload or of the cached HTML must not be served what the old code cached."""
    files = [HERE / "selectors.py", HERE / "views.py"]
    files += sorted((HERE / "templates" / "dashboard").glob("_*.html"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


CODE_VERSION = _code_version()


def version(block: str, unit: OrgUnit) -> Hashable | None:
    """What the block's value for `unit` was computed from; None while the cache is down."""
    at = unit.parent_id if block in SIBLING_BLOCKS and unit.parent_id else unit.pk
    data = versions(DOMAINS[block], at)
    if data is None:
        return None
    code = _code_version() if settings.DEBUG else CODE_VERSION  # dev: templates change live
    return (code, today().isoformat(), data)


def key(block: str, unit: OrgUnit, year: int, *extra: object) -> str:
    return ":".join(str(part) for part in ("dashboard", block, unit.pk, year, *extra))


def cached(block: str, unit: OrgUnit, year: int, compute: Callable[[OrgUnit, int], Any]) -> Any:
    return fresh(
        key(block, unit, year), version(block, unit), lambda: compute(unit, year), CACHE_SECONDS
    )
