"""Pausing Python's cycle collector around bulk work that builds many objects and no cycles.

Parsing an upload or diagnosing 10k enterprises makes tens of small containers per row, all
kept alive until the work ends: the collector would traverse them again and again and find
nothing to free. Reference counting still frees everything as usual meanwhile."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
