"""Cached data sets, shared by every session on the server.

`st.cache_resource` hands every session the same object (no copy), so a classroom of 30
students holds one IMDb in memory, not 30. The objects are treated as read-only.

Shared caches heal: a load that ended in the generated offline default (a network blip at
start-up, a download cut short) is never stored for everyone. `healing` remembers it for
RETRY_AFTER_S seconds (so an outage does not make every rerun wait for a download), then
tries again; `retry_button` lets a visitor retry at once. The default source has its own
cache entry, so paths a visitor types (already resolved inside the data folder by
ui.controls.local_path_input) cannot evict it. Derived caches are keyed on the data's
source, so a fallback's vocabulary or padding is never served once the real data is back, and
they are bounded by bytes (core.data.bounded_cache.SHARED), whatever sizes visitors choose.

Pages show themselves before their data: `while_loading` runs a slow load on a background
thread and waits for it with a spinner that keeps the page live (a click in the sidebar reruns
the page at once; the load goes on and the next run picks it up). Underneath, the tokenised IMDb
reviews are kept on disk (core.data.disk_cache), so a freshly started server reads them back
instead of tokenising 50,000 reviews again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import numpy as np
import streamlit as st

from core.data import bounded_cache, imdb
from core.data.local import DataSource, data_root
from core.sentiment.config import padded_arrays
from ui.streamlit_internals import in_script_run

T = TypeVar("T")
RETRY_AFTER_S = 60.0  # a failed download is retried after this long (or at once with retry_button)
QUICK_WAIT_S = 0.2  # a load done within this (a cache hit) shows no spinner
POLL_S = 0.2  # while a load runs, the page checks this often whether the visitor asked for a rerun

_failures: dict[tuple, tuple[float, object]] = {}
_locks: dict[tuple, threading.Lock] = {}
_guard = threading.Lock()
_loading: dict[tuple, Future] = {}


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


def _in_background(key: tuple, load: Callable[[], T]) -> Future:
    """The load running for `key`, started on a daemon thread if none is (one per key at a time)."""
    with _guard:
        future = _loading.get(key)
        if future is not None:
            return future
        future = Future()
        _loading[key] = future

    def run() -> None:
        try:
            future.set_result(load())
        except BaseException as err:  # re-raised on the page's thread by future.result()
            future.set_exception(err)
        finally:
            with _guard:
                if _loading.get(key) is future:
                    del _loading[key]

    threading.Thread(target=run, name=f"load-{key[0]}", daemon=True).start()
    return future


def while_loading(key: tuple, load: Callable[[], T], message: str) -> T:
    """load(), run on a background thread while the page stays live, with `message` in a spinner.

    Everything the page drew before this call (title, explanation, sidebar) is already shown and
    usable: the wait checks for the visitor's reruns every POLL_S, so a changed control reruns the
    page at once; the load goes on, shared by every session that asks for the same `key`.
    A load that finishes within QUICK_WAIT_S (a cache hit) shows nothing. Off a page's script
    thread (a worker, a test) it simply calls load().
    """
    if not in_script_run():
        return load()
    future = _in_background(key, load)
    try:
        return future.result(timeout=QUICK_WAIT_S)
    except FutureTimeout:
        pass
    with st.spinner(message, show_time=True):
        heartbeat = st.empty()
        while True:
            heartbeat.empty()  # sends a message: Streamlit handles a pending rerun or stop here
            try:
                return future.result(timeout=POLL_S)
            except FutureTimeout:
                continue


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


# No spinner of their own: they run on while_loading's thread, which shows the page's.
@st.cache_resource(show_spinner=False, max_entries=1)
def _imdb_default(data_folder: str) -> imdb.ImdbData:
    """The default source; `data_folder` (a deployer setting) is only part of the cache key."""
    return real_only(imdb.load_imdb())


@st.cache_resource(show_spinner=False, max_entries=2)
def _imdb_local(resolved_path: str) -> imdb.ImdbData:
    return real_only(imdb.load_imdb(local_path=resolved_path))


def imdb_full(local_path: str | None) -> imdb.ImdbData:
    """All reviews with their full vocabulary, from the first source that works.

    `local_path` is "" (the default source) or a path resolved inside the data folder. The load runs
    while the page stays live (see while_loading): the page shows itself before the reviews.
    """
    if not local_path:
        key = ("imdb", "", str(data_root()))
        load = lambda: healing(key, lambda: _imdb_default(str(data_root())))  # noqa: E731
        return while_loading(key, load, "Loading IMDb reviews (first time only; shared by all users)…")
    key = ("imdb", local_path)
    return while_loading(key, lambda: healing(key, lambda: _imdb_local(local_path)), "Loading IMDb reviews…")


def imdb_capped(local_path: str | None, num_words: int) -> imdb.ImdbData:
    """The reviews with the vocabulary cut to `num_words`, shared under the server's byte budget."""
    data = imdb_full(local_path)
    key = ("imdb-capped", source_key(data.source), num_words)
    with st.spinner("Preparing the vocabulary…"):
        return bounded_cache.SHARED.get(key, lambda: data.with_vocabulary(num_words))


def imdb_arrays(local_path: str | None, num_words: int, max_length: int) -> dict[str, np.ndarray]:
    """Padded train/test id matrices for one (vocabulary, length) choice, shared under the byte budget."""
    data = imdb_capped(local_path, num_words)
    key = ("imdb-arrays", source_key(data.source), num_words, max_length)
    with st.spinner("Padding reviews…"):
        return bounded_cache.SHARED.get(key, lambda: padded_arrays(data, max_length))
