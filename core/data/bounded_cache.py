"""Shared in-memory caches bounded by bytes, not by entry count.

A cache keyed by what visitors choose (a vocabulary size, a sequence length, a window) with
`max_entries=4` holds four of the *largest* choices as easily as four small ones: opening links
filled the IMDb derived caches to 575 MB and the Gradient lab's tasks to 362 MB (issue 22).
`BoundedCache` keeps entries up to a byte budget instead, least recently used dropped first; an
entry larger than the whole budget is built, returned and not kept. One build per key at a time:
sessions asking for the same entry while it is built wait and share it.

The budget is a deployer's setting (RNN_PLAYGROUND_MEMORY_CACHE_MB, shared by every derived cache of the
server); `nbytes` estimates an entry's size from its NumPy arrays, frames, strings and containers.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

CACHE_MB_ENV_VAR = "RNN_PLAYGROUND_MEMORY_CACHE_MB"
DEFAULT_CACHE_MB = 400  # every derived cache of the server together
MAX_DEPTH = 6  # containers deeper than this are counted as one object
T = TypeVar("T")
logger = logging.getLogger(__name__)


def nbytes(value: Any, depth: int = 0) -> int:
    """An estimate of the memory `value` holds: array buffers, frames, text, and what containers hold."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + (
            sum(nbytes(v, depth + 1) for v in value.flat) if value.dtype == object and depth < MAX_DEPTH else 0
        )
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        usage = value.memory_usage(deep=False)
        return int(usage.sum() if isinstance(usage, pd.Series) else usage)
    if isinstance(value, str | bytes | bytearray):
        return sys.getsizeof(value)
    if depth >= MAX_DEPTH:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k, depth + 1) + nbytes(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(nbytes(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    if hasattr(value, "__dict__"):
        return sys.getsizeof(value) + nbytes(vars(value), depth + 1)
    return sys.getsizeof(value)


class BoundedCache:
    """Entries kept while their total `nbytes` stays within `max_bytes`; least recently used dropped first."""

    def __init__(self, max_bytes: int, name: str = "cache"):
        self.max_bytes, self.name = max_bytes, name
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(size for size, _ in self._entries.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _hit(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return True, self._entries[key][1]
            return False, None

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry for `key`, built by build() on a miss (an exception is raised, never kept)."""
        found, value = self._hit(key)
        if found:
            return value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found, value = self._hit(key)
            if found:
                return value
            try:
                value = build()
                self._keep(key, value)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return value

    def _keep(self, key: Hashable, value: Any) -> None:
        size = nbytes(value)
        if size > self.max_bytes:
            logger.info("%s: an entry of %.0f MB exceeds the whole budget; not kept", self.name, size / 1e6)
            return
        with self._lock:
            self._entries[key] = (size, value)
            total = sum(s for s, _ in self._entries.values())
            while total > self.max_bytes and len(self._entries) > 1:
                _, (dropped, _) = self._entries.popitem(last=False)
                total -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def budget_setting(environ: dict[str, str] | None = None) -> int:
    """The derived caches' byte budget: RNN_PLAYGROUND_MEMORY_CACHE_MB (a deployer's setting), else the default."""
    raw = (os.environ if environ is None else environ).get(CACHE_MB_ENV_VAR, "").strip()
    try:
        return max(0, int(raw)) * 1_000_000 if raw else DEFAULT_CACHE_MB * 1_000_000
    except ValueError:
        logger.warning("%s=%r is not a whole number of MB; using %d", CACHE_MB_ENV_VAR, raw, DEFAULT_CACHE_MB)
        return DEFAULT_CACHE_MB * 1_000_000


# The one budget every derived cache of the server shares (IMDb vocabularies and padded arrays,
# Gradient-lab tasks, price windows): whatever visitors choose, these hold at most this much.
SHARED = BoundedCache(budget_setting(), "derived data")
