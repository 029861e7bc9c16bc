"""Cached data sets, shared by every session on the server.

`st.cache_resource` hands every session the same object (no copy), so a classroom of 30
students holds one IMDb in memory, not 30. The objects are treated as read-only.

Shared caches heal: a load that ended in the generated offline default (a network blip at
start-up, a download cut short) is never stored for everyone. `healing` remembers it for
RETRY_AFTER_S seconds (so an outage does not make every rerun wait for a download), then
tries again; `retry_button` lets a visitor retry at once. The default source has its own
cache entry, so paths a visitor types (already resolved inside the data folder by
ui.controls.local_path_input) cannot evict it. Derived caches are keyed on the data's
source, so a fallback's vocabulary or padding is never served once the real data is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import streamlit as st

from core.data import imdb
from core.data.local import DataSource, data_root
from core.sentiment.config import padded_arrays

T = TypeVar("T")
RETRY_AFTER_S = 60.0  # a failed download is retried after this long (or at once with retry_button)

_failures: dict[tuple, tuple[float, object]] = {}
_locks: dict[tuple, threading.Lock] = {}
_guard = threading.Lock()


class Fallback(Exception):
    """Raised inside a cached loader so its (offline) result is returned but not cached."""

    def __init__(self, value: object):
        super().__init__("fallback data, not cached")
        self.value = value


def _lock_for(key: tuple) -> threading.Lock:
    with _guard:
        return _locks.setdefault(key, threading.Lock())


def healing(key: tuple, load: Callable[[], T]) -> T:
    """load(), except that a Fallback is remembered for RETRY_AFTER_S instead of being cached.

    One load per key at a time: visitors arriving during a slow download wait for it and then
    share its result (or its remembered failure) rather than starting downloads of their own.
    """
    with _lock_for(key):
        hit = _failures.get(key)
        if hit is not None and time.monotonic() - hit[0] < RETRY_AFTER_S:
            return hit[1]  # type: ignore[return-value]
        try:
            value = load()
        except Fallback as fallback:
            _failures[key] = (time.monotonic(), fallback.value)
            return fallback.value  # type: ignore[return-value]
        _failures.pop(key, None)
        return value


def retry_downloads() -> None:
    """Forget every remembered failure: the next page run tries the real sources again."""
    with _guard:
        _failures.clear()


def retry_button(key: str) -> None:
    """A 'Retry the download' button, for the notice shown when the offline default is in use."""
    st.button(
        "Retry the download",
        key=f"{key}:retry_download",
        on_click=retry_downloads,
        help=f"The real data is tried again automatically after {RETRY_AFTER_S:.0f} s.",
    )


IMDB_STAND_IN = (
    "**Offline default in use - not real IMDb data.** {notice} The real reviews could not be loaded, so the page "
    "shows a generated stand-in. (A deployer can configure a local copy of the data.)"
)


def imdb_source_notice(data: imdb.ImdbData, key: str, details: str = "") -> None:
    """Where the reviews come from: a warning (with a retry button) when the generated stand-in is in use,
    else a caption naming the source, its split sizes and `details`."""
    if data.source.is_synthetic:
        st.warning(IMDB_STAND_IN.format(notice=data.source.notice))
        retry_button(key)
    else:
        st.caption(
            f"Data: {data.source.describe()} · {len(data.train_ids):,} train / {len(data.test_ids):,} test{details}."
        )


def source_key(source: DataSource) -> str:
    """Names the data a derived cache entry was built from (never a fallback for the real thing)."""
    return f"{source.kind}|{source.detail}"


def real_only(data: T) -> T:
    """`data`, or Fallback(data) when it is the generated offline default (so it is not cached)."""
    if getattr(data, "source").is_synthetic:  # noqa: B009 - ImdbData, TextCorpus and PriceData alike
        raise Fallback(data)
    return data


@st.cache_resource(show_spinner="Loading IMDb reviews (first time only; shared by all users)…", max_entries=1)
def _imdb_default(data_folder: str) -> imdb.ImdbData:
    """The default source; `data_folder` (a deployer setting) is only part of the cache key."""
    return real_only(imdb.load_imdb())


@st.cache_resource(show_spinner="Loading IMDb reviews from the data folder…", max_entries=2)
def _imdb_local(resolved_path: str) -> imdb.ImdbData:
    return real_only(imdb.load_imdb(local_path=resolved_path))


def imdb_full(local_path: str | None) -> imdb.ImdbData:
    """All reviews with their full vocabulary, from the first source that works.

    `local_path` is "" (the default source) or a path resolved inside the data folder.
    """
    if not local_path:
        return healing(("imdb", "", str(data_root())), lambda: _imdb_default(str(data_root())))
    return healing(("imdb", local_path), lambda: _imdb_local(local_path))


@st.cache_resource(show_spinner="Preparing the vocabulary…", max_entries=4)
def _imdb_capped(source: str, num_words: int, _data: imdb.ImdbData) -> imdb.ImdbData:
    return _data.with_vocabulary(num_words)


def imdb_capped(local_path: str | None, num_words: int) -> imdb.ImdbData:
    data = imdb_full(local_path)
    return _imdb_capped(source_key(data.source), num_words, data)


@st.cache_resource(show_spinner="Padding reviews…", max_entries=4)
def _imdb_arrays(source: str, num_words: int, max_length: int, _data: imdb.ImdbData) -> dict[str, np.ndarray]:
    return padded_arrays(_data, max_length)


def imdb_arrays(local_path: str | None, num_words: int, max_length: int) -> dict[str, np.ndarray]:
    """Padded train/test id matrices for one (vocabulary, length) choice."""
    data = imdb_capped(local_path, num_words)
    return _imdb_arrays(source_key(data.source), num_words, max_length, data)
