"""The dashboard's cache: each block's payload (and the rendered page body) under
(block, unit, year, today, data version, code version).

A repeat request is one cache read, and any logged change bumps the data version
(core/cache.py), so a stale figure is never served. Every read and write goes through
core/cache.py: with Redis down the dashboard computes each block, and answers. A payload
depends on the unit, not on who asks: it describes the unit's subtree, and seeing a unit
means seeing everything below it (core.scoping), so every user allowed the unit gets the same
answer; the views still filter every payload by scope as a second line.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from core.cache import data_version, get_or_compute
from core.dates import today
from core.models import OrgUnit

# Keys carry the date and the data version, so an entry is never read once either moves on;
# the timeout only returns the memory.
CACHE_SECONDS = 26 * 60 * 60
HERE = Path(__file__).resolve().parent


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


def cache_key(block: str, unit: OrgUnit, year: int) -> str | None:
    """None while the data version is unknown (the cache is down): nothing is cached then."""
    data = data_version()
    if data is None:
        return None
    code = _code_version() if settings.DEBUG else CODE_VERSION  # dev: templates change live
    return f"dashboard:{block}:{unit.pk}:{year}:{code}:{today().isoformat()}:{data}"


def cached(block: str, unit: OrgUnit, year: int, compute: Callable[[OrgUnit, int], Any]) -> Any:
    return get_or_compute(cache_key(block, unit, year), lambda: compute(unit, year), CACHE_SECONDS)
