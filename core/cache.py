"""The portal's one way to the cache, and the data-version counter cached figures key on.

Everything cached can be computed again, so the cache is a speed-up, never a dependency:
while Redis is down every read is a miss and every write is dropped (with a warning), and
pages compute instead of answering 500. Every cached read and write in the project goes
through here (and /healthz/ asks `ping` whether the cache really answers). After a failure
the cache is left alone for RETRY_SECONDS in this process, so a Redis that hangs costs one
request a timeout, not every call of every request.

The data version: every logged change bumps it, so cached figures (dashboards) key on it and
never serve numbers older than the last change. A bump that cannot reach the cache is kept
and made before this process next reads the version; while the version cannot be read,
nothing is cached at all (`data_version()` is None).
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

log = logging.getLogger(__name__)

KEY = "portal:data-version"
RETRY_SECONDS = 10.0

T = TypeVar("T")

_down_until = 0.0  # monotonic time before which the cache is not tried again
_bump_pending = False  # a bump failed: make it before trusting the version again


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


def data_version() -> int | None:
    """The current data version; None while the cache cannot be reached (cache nothing)."""
    if _bump_pending:
        _try_bump()
        if _bump_pending:
            return None
    # A counter that is missing (first use, eviction, a Redis restarted empty) starts from the
    # clock, so it never meets a version some entry was cached under before.
    value = _attempt(lambda: cache.get_or_set(KEY, time.time_ns, timeout=None), None)
    return None if value is None else int(value)


def bump() -> None:
    """Invalidate every figure cached so far (called once a change commits). Tried even
    while the cache is paused: a change must not wait to show."""
    global _bump_pending
    _bump_pending = True
    _reset_pause()
    _try_bump()


def _try_bump() -> None:
    global _bump_pending

    def increment() -> bool:
        try:
            cache.incr(KEY)
        except ValueError:  # not set (or evicted): any fresh value invalidates old keys
            cache.set(KEY, time.time_ns(), timeout=None)
        return True

    if _attempt(increment, False):
        _bump_pending = False


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
