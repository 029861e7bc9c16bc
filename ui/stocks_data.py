"""Cached price loaders for the Stock prices page, shared by every session on the server.

Downloads are cached per (ticker, range) for a few hours: a class of 30 students asking
for SPY costs Yahoo Finance one request, and the data still refreshes the same day.
Failures raise (not cached here; core.data.stocks.GUARD remembers a failed ticker for 10 minutes
and caps the downloads the whole server starts per minute). A page view reads only local copies
(`local_ticker_prices`): Yahoo Finance is asked on a visitor's Load click, never by opening a link.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import streamlit as st

from core.data import bounded_cache, stocks
from core.data.local import data_root
from core.stocks import forecasting
from core.stocks.config import ForecastSpec

DOWNLOAD_TTL = timedelta(hours=6)


@st.cache_resource(ttl=DOWNLOAD_TTL, max_entries=24, show_spinner="Loading prices (cached for everyone for 6 hours)…")
def ticker_prices(ticker: str, start: str | None, end: str | None, years: int, local_path: str) -> stocks.PriceData:
    """Local copy, else yfinance; PriceDataError (with the reason) instead of a fallback."""
    return stocks.load_prices(ticker, start, end, local_path=local_path or None, fallback=False, years=years)


@st.cache_resource(ttl=DOWNLOAD_TTL, max_entries=8, show_spinner=False)
def _local_prices(
    ticker: str, start: str | None, end: str | None, years: int, local_path: str, data_folder: str
) -> stocks.PriceData:
    """`data_folder` (a deployer's setting) is only part of the cache key."""
    return stocks.load_prices(
        ticker, start, end, local_path=local_path or None, allow_download=False, fallback=False, years=years
    )


def local_ticker_prices(
    ticker: str, start: str | None, end: str | None, years: int, local_path: str
) -> stocks.PriceData:
    """The local copy only (what a page view may load): nothing leaves the server without a Load click."""
    return _local_prices(ticker, start, end, years, local_path, str(data_root()))


@st.cache_resource(max_entries=4, show_spinner="Generating synthetic prices…")
def synthetic_prices(days: int, seed: int) -> stocks.PriceData:
    return stocks.synthetic_data(days, seed)


def fingerprint(prices: stocks.PriceData) -> str:
    """Names a price series by its content (dates and closes): two uploads of one file share windows."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(prices.frame.index.asi8.tobytes())
    digest.update(prices.close.to_numpy(dtype="float64").tobytes())
    return digest.hexdigest()


def windows(prices: stocks.PriceData, spec: ForecastSpec) -> forecasting.ForecastData:
    """The split, scaled and windowed series for `spec`, built once and shared under the byte budget.

    The page draws its setup on every rerun; cutting a long series into windows of 250 days each
    time cost hundreds of MB per rerun (issue 22). ForecastError as forecasting.prepare raises it.
    """
    key = ("stock-windows", fingerprint(prices), spec)
    return bounded_cache.SHARED.get(key, lambda: forecasting.prepare(prices.close, spec))
