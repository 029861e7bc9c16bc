"""Cached data sets of the Gradient lab, shared (read-only) by every session on the server.

Generated tasks are cheap but not free at T = 500 (tens of MB), so one copy serves a
whole class. IMDb comes through ui.data_cache (one tokenised copy for every page).
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.data import bounded_cache, memory_tasks, stocks
from core.data.memory_tasks import SequenceTask
from core.gradients.sources import imdb_long_reviews, stock_return_windows
from ui import data_cache

IMDB_VOCABULARY = 10_000


def memory_task(name: str, length: int, train_size: int, seed: int) -> SequenceTask:
    """Shared by every session, kept under the server's byte budget (core.data.bounded_cache)."""
    with st.spinner("Generating the task (shared by all users)…"):
        return memory_tasks.shared_task(name, length, train_size, seed)  # type: ignore[arg-type]


def imdb_task(local_path: str, length: int, train_size: int) -> SequenceTask:
    """`local_path` is "" (the default source) or a path resolved inside the data folder."""
    data = data_cache.imdb_capped(local_path or None, IMDB_VOCABULARY)
    key = ("gradient-imdb", data_cache.source_key(data.source), length, train_size)
    with st.spinner("Selecting long reviews…"):
        return bounded_cache.SHARED.get(key, lambda: imdb_long_reviews(data, length, max_train=train_size))


@st.cache_resource(ttl=timedelta(hours=6), max_entries=8, show_spinner="Loading prices (cached for 6 hours)…")
def _prices(ticker: str, local_path: str) -> stocks.PriceData:
    return data_cache.real_only(stocks.load_prices(ticker, local_path=local_path or None, fallback=True))


def prices(ticker: str, local_path: str) -> stocks.PriceData:
    """Local copy, else Yahoo Finance, else the synthetic series (with a notice) - never raises.

    The synthetic series is not cached for everyone: the real prices are tried again later.
    """
    return data_cache.healing(("prices", ticker, local_path), lambda: _prices(ticker, local_path))


def stock_task(ticker: str, local_path: str, length: int) -> SequenceTask:
    data = prices(ticker, local_path)
    key = ("gradient-stock", data_cache.source_key(data.source), ticker, length)
    with st.spinner("Cutting price windows…"):
        return bounded_cache.SHARED.get(
            key, lambda: stock_return_windows(data.close, length, data.source, ticker=data.label())
        )
