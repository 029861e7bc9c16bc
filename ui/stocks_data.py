"""Cached price loaders for the Stock prices page, shared by every session on the server.

Downloads are cached per (ticker, range) for a few hours: a class of 30 students asking
for SPY costs Yahoo Finance one request, and the data still refreshes the same day.
Failures raise (and are therefore not cached), so the next click tries again.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.data import stocks

DOWNLOAD_TTL = timedelta(hours=6)


@st.cache_resource(ttl=DOWNLOAD_TTL, max_entries=24, show_spinner="Loading prices (cached for everyone for 6 hours)…")
def ticker_prices(ticker: str, start: str | None, end: str | None, years: int, local_path: str) -> stocks.PriceData:
    """Local copy, else yfinance; PriceDataError (with the reason) instead of a fallback."""
    return stocks.load_prices(ticker, start, end, local_path=local_path or None, fallback=False, years=years)


@st.cache_resource(max_entries=4, show_spinner="Generating synthetic prices…")
def synthetic_prices(days: int, seed: int) -> stocks.PriceData:
    return stocks.synthetic_data(days, seed)
