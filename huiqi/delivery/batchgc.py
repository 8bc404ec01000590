"""Pause Python's cyclic garbage collector for a bulk delivery.

Delivering 100,000 enterprises keeps 100,000 traces (several million dicts and lists)
alive until the last chunk is written. Every time the collector's oldest generation is
due it walks all of them, and none of them is ever garbage: measured, the walks were
60 % of the CPU time of matching 50,000 enterprises. The traces hold no reference
cycles, so nothing waits on the collector; reference counting frees them as before.

The pause is process-wide (the collector has one switch), counted, so overlapping
deliveries in threads end it only when the last one finishes, and a collector that was
off before stays off. What cyclic garbage the pause leaves (a few SQLAlchemy objects per
chunk) is collected by the next run of the collector after it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off (reference counting still on)."""
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
