"""A data-version counter: every logged change bumps it, so cached figures (dashboards)
can key on it and never serve numbers older than the last change."""

from django.core.cache import cache

KEY = "portal:data-version"


def data_version() -> int:
    return int(cache.get_or_set(KEY, 1, timeout=None) or 1)


def bump() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # not set yet (or evicted): any new value invalidates old keys
        cache.set(KEY, data_version() + 1, timeout=None)
