"""The portal's one way to the cache, and the data versions cached figures key on.

Everything cached can be computed again, so the cache is a speed-up, never a dependency:
while Redis is down every read is a miss and every write is dropped (with a warning), and
pages compute instead of answering 500. Every cached read and write in the project goes
through here (and /healthz/ asks `ping` whether the cache really answers). After a failure
the cache is left alone for RETRY_SECONDS in this process, so a Redis that hangs costs one
request a timeout, not every call of every request.

Data versions: a figure keys on the versions of what it is computed from, so it is never
served once that changed. There is one global version (`bump()` moves it: restores, demo
loads — everything recomputes) and one per domain (an app: enterprises, cultivation,
targets…) and unit: a change to a town's enterprise moves ("enterprises", town) and every
ancestor's counter (`bump(domains=…, units=lineage)`), so the district's dashboard
recomputes and the other 99 towns' do not. A bump that cannot reach the cache is kept and
made before this process next reads a version; while a version cannot be read, nothing is
cached at all (`versions()` is None).

`fresh(key, version, compute)` is the read that follows: the entry under a stable key holds
the version it was computed for; after a change one request recomputes (a lock in the
cache) while concurrent ones are served the previous value, so a burst of leaders opening
the dashboard after an upload costs one computation, not twenty.
"""

import logging
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

log = logging.getLogger(__name__)

KEY = "portal:data-version"
RETRY_SECONDS = 10.0
LOCK_SECONDS = 120  # a recomputation that dies leaves its lock: it expires after this
WAIT_SECONDS = 5.0  # with nothing to serve, how long to wait for another's recomputation
POLL_SECONDS = 0.05

T = TypeVar("T")

_down_until = 0.0  # monotonic time before which the cache is not tried again
_pending: set[str] = set()  # counters a failed bump could not move: moved before any read


def _attempt(operation: Callable[[], T], fallback: T) -> T:
    global _down_until
    if time.monotonic() < _down_until:
        return fallback
    try:
        return operation()
    except Exception as exc:  # any failure of the cache: a page must not fail with it
        _down_until = time.monotonic() + RETRY_SECONDS
        log.warning("cache unavailable, computing instead: %s: %s", type(exc).__name__, exc)
        return fallback


def get(key: str) -> Any | None:
    """The cached value, or None (not cached, or the cache is down)."""
    return _attempt(lambda: cache.get(key), None)


def put(key: str, value: Any, timeout: int | None) -> None:
    _attempt(lambda: cache.set(key, value, timeout), None)


def get_or_compute(key: str | None, compute: Callable[[], T], timeout: int | None) -> T:
    """The cached value under `key`, else `compute()` stored there. Without a key (the data
    version is unknown), computed and not stored. Errors of `compute` are not the cache's:
    they propagate."""
    if key is None:
        return compute()
    value = get(key)
    if value is None:
        value = compute()
        put(key, value, timeout)
    return value


def _counter(domain: str | None = None, unit: int | str | None = None) -> str:
    """The global counter; a domain's for changes placed nowhere (no unit); a domain's at a
    unit; or a domain's "all", which every change of the domain moves."""
    if domain is None:
        return KEY
    return f"portal:v:{domain}" if unit is None else f"portal:v:{domain}:{unit}"


def versions(domains: Iterable[str] = (), unit_id: int | None = None) -> tuple[int, ...] | None:
    """The global version, then each domain's as seen from `unit_id` (its changes placed
    nowhere and those at the unit or below; without a unit, all of its changes), in one
    round trip. None while the cache cannot be reached or a bump is still pending."""
    if _pending:
        _try_bump()
        if _pending:
            return None
    keys = [KEY]
    for domain in domains:
        if unit_id is None:
            keys.append(_counter(domain, "all"))
        else:
            keys += [_counter(domain), _counter(domain, unit_id)]

    def read() -> tuple[int, ...]:
        found = cache.get_many(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            # A counter that is missing (first use, eviction, a Redis restarted empty) starts
            # from the clock, so it never meets a version some entry was cached under before.
            # `add` keeps a concurrent first writer's value; re-read to agree with it.
            for key in missing:
                cache.add(key, time.time_ns(), timeout=None)
            found.update(cache.get_many(missing))
        return tuple(int(found[k]) for k in keys)

    return _attempt(read, None)


def data_version() -> int | None:
    """The global version alone; None while the cache cannot be reached."""
    found = versions()
    return None if found is None else found[0]


def bump(domains: Iterable[str] | None = None, units: Iterable[int] | None = None) -> None:
    """Invalidate what was cached from the changed data (called once a change commits).

    No domains: everything. Domains without units: those domains everywhere. Both: those
    domains at those units (pass the changed unit and all its ancestors). Tried even while
    the cache is paused: a change must not wait to show."""
    keys = {KEY}
    if domains is not None:
        places: list[int | str | None] = list(units) if units is not None else [None]
        keys = {_counter(d, place) for d in domains for place in [*places, "all"]}
    _pending.update(keys)
    _reset_pause()
    _try_bump()


def _try_bump() -> None:
    keys = sorted(_pending)

    def increment() -> bool:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # not set (or evicted): any fresh value invalidates old keys
                cache.set(key, time.time_ns(), timeout=None)
        return True

    if _attempt(increment, False):
        _pending.difference_update(keys)


def fresh(key: str, version: Hashable | None, compute: Callable[[], T], timeout: int | None) -> T:
    """The value computed for `version`, kept under the stable `key`.

    A miss takes a lock and recomputes; while it does, other callers get the previous value
    (any version) when there is one, else wait up to WAIT_SECONDS for it and then compute
    themselves. Without a version (the cache is down), computed and not stored."""
    if version is None:
        return compute()
    entry = get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    lock = f"{key}:lock"
    if _attempt(lambda: cache.add(lock, 1, LOCK_SECONDS), False):
        try:
            value = compute()
            put(key, (version, value), timeout)
        finally:
            _attempt(lambda: cache.delete(lock), None)
        return value
    if entry is not None:  # another request recomputes: serve what it replaces
        return entry[1]
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        entry = get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
    return compute()


def ping() -> None:
    """Write and read back a value, raising whatever the cache raises (for /healthz/)."""
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache read-back failed")


def _reset_pause() -> None:
    global _down_until
    _down_until = 0.0


@receiver(setting_changed)
def _cache_settings_changed(*, setting: str, **kwargs: Any) -> None:
    """A new cache configuration (tests) is tried afresh, not skipped for the old one's
    failure."""
    if setting == "CACHES":
        _reset_pause()
