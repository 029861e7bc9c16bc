"""Issue 11 through the pages: typed paths outside the data folder, devices, pipes and huge
files are refused with a message; nothing from them reaches the page; the data stays."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.data import bounded_cache, imdb, local, shakespeare, stocks
from core.stocks import forecasting
from tests.helpers import ROOT, app_at_page, assert_no_exception, texts
from ui import data_cache, stocks_data

SECRET = "TOP SECRET first line"


@pytest.fixture
def data_folder(tmp_path, monkeypatch, shared_data):
    root = tmp_path / "data"
    (root / "stocks").mkdir(parents=True)
    shutil.copy(shared_data / "shakespeare.txt", root / "shakespeare.txt")
    shutil.copy(shared_data / "stocks" / "SPY.csv", root / "stocks" / "SPY.csv")
    (tmp_path / "secret.txt").write_text(f"{SECRET}\n" * 500)
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.mkfifo(root / "pipe.txt")
    with open(root / "big.txt", "wb") as f:
        f.truncate(700_000_000)
    monkeypatch.setenv(local.DATA_ENV_VAR, str(root))
    return root


@pytest.fixture
def offline(monkeypatch):
    def fail(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(stocks, "_fetch_history", fail)
    monkeypatch.setattr(imdb, "load_download", fail)
    monkeypatch.setattr(shakespeare, "load_download", fail)
    stocks_data.ticker_prices.clear()
    data_cache.retry_downloads()
    yield
    stocks_data.ticker_prices.clear()
    data_cache.retry_downloads()


def page_text(at) -> str:
    return texts(at) + "\n".join(c.value for c in at.code)


def errors(at) -> str:
    return " ".join(e.value for e in at.error)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("/etc/services", "outside the data folder"),
        ("link.txt", "outside the data folder"),
        ("/dev/zero", "outside the data folder"),
        ("pipe.txt", "not a regular file"),
        ("big.txt", "at most"),
    ],
)
def test_shakespeare_refuses_paths_and_keeps_the_text(data_folder, offline, typed, reason):
    at = app_at_page("app_pages/shakespeare.py")
    assert "local copy" in texts(at)
    at.text_input(key="shakespeare:local").set_value(typed).run()
    assert_no_exception(at)
    assert reason in errors(at) and "Using the default data" in errors(at)
    assert "local copy" in texts(at) and "Offline default" not in texts(at)  # the real text stays
    assert SECRET not in page_text(at) and "tcp" not in page_text(at)


def test_stocks_unknown_ticker_with_a_path_outside_shows_nothing_of_the_file(data_folder, offline):
    at = app_at_page("app_pages/stocks.py")
    assert "Data: **SPY**" in texts(at)
    at.text_input(key="stocks:ticker").set_value("NOPE").run()
    at.text_input(key="stocks:local").set_value("/etc/services").run()
    at.button(key="stocks:load").click().run()
    assert_no_exception(at)
    assert "outside the data folder" in errors(at)
    assert "Data: **SPY**" in texts(at)
    assert "tcp" not in page_text(at) and "services" not in texts(at).replace("/etc/services", "")


def test_sentiment_refuses_dev_zero(data_folder, offline):
    at = app_at_page("app_pages/sentiment.py")
    at.text_input(key="sentiment:local").set_value("/dev/zero").run()
    assert_no_exception(at)
    assert "outside the data folder" in errors(at)


def test_without_a_data_folder_the_path_field_is_hidden(without_local_data, offline):
    at = app_at_page("app_pages/shakespeare.py")
    assert_no_exception(at)
    assert not [t for t in at.text_input if t.key == "shakespeare:local"]
    assert "Local copies are off on this server" in texts(at)
    assert any(b.key == "shakespeare:retry_download" for b in at.button)  # offline default: retry offered


# ----------------------------------------------------------------------------- issue 22


@pytest.fixture
def counted_downloads(monkeypatch) -> list[str]:
    """A counting stub of the one outbound call (yfinance): every ticker asked for, in order."""
    asked: list[str] = []
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=300), name="Date")

    def fetch(symbol, start, end, years, timeout):
        asked.append(symbol)
        if symbol.startswith("NOPE"):
            raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")
        return pd.DataFrame({"Close": np.linspace(10, 20, 300), "Volume": 7.0}, index=index)

    monkeypatch.setattr(stocks, "_fetch_history", fetch)
    stocks_data.ticker_prices.clear()
    stocks_data._local_prices.clear()
    yield asked
    stocks_data.ticker_prices.clear()
    stocks_data._local_prices.clear()


def open_stocks_link(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for name, value in {"page": "stocks", **params}.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("app_pages/stocks.py")
    return at.run()


def test_a_ticker_link_restores_the_text_but_downloads_only_on_load(without_local_data, counted_downloads):
    at = open_stocks_link({"ticker": "AAPL"})
    assert_no_exception(at)
    assert at.text_input(key="stocks:ticker").value == "AAPL"
    assert counted_downloads == []  # opening the link (and rerunning) asks Yahoo nothing
    at.run()
    assert counted_downloads == []
    assert "press **Load data** to fetch AAPL" in " ".join(w.value for w in at.warning)
    at.button(key="stocks:load").click().run()
    assert counted_downloads == ["AAPL"]
    assert "Data: **AAPL**" in texts(at)


def test_plain_page_views_never_download(without_local_data, counted_downloads):
    for _ in range(3):
        at = app_at_page("app_pages/stocks.py")
        assert_no_exception(at)
    assert counted_downloads == []


def test_a_failed_ticker_is_remembered_across_sessions(without_local_data, counted_downloads):
    for _ in range(3):
        at = open_stocks_link({"ticker": "NOPE"})
        at.button(key="stocks:load").click().run()
        assert_no_exception(at)
        assert "Could not reach Yahoo Finance" in errors(at) + " ".join(w.value for w in at.warning)
    assert counted_downloads == ["NOPE"]


@pytest.mark.parametrize("typed", ["a" * 300, "stocks/SPY\x00.csv"])
def test_a_long_or_nul_path_is_a_message(data_folder, offline, typed):
    at = app_at_page("app_pages/stocks.py")
    at.text_input(key="stocks:local").set_value(typed).run()
    assert_no_exception(at)
    assert "path" in errors(at) and "Data: **SPY**" in texts(at)


def test_the_windowing_is_not_redone_on_every_rerun(with_shared_data, offline, monkeypatch):
    """Cutting 250-day windows ran on every page run (1.8 GB per rerun for a long upload)."""
    monkeypatch.setattr(bounded_cache, "SHARED", bounded_cache.BoundedCache(200_000_000))
    cuts: list[int] = []
    real = forecasting.prepare

    def counting(close, spec):
        cuts.append(len(close))
        return real(close, spec)

    monkeypatch.setattr(forecasting, "prepare", counting)
    at = app_at_page("app_pages/stocks.py")
    assert_no_exception(at)
    assert len(cuts) == 1
    at.run()
    at.run()
    assert len(cuts) == 1
    window = at.slider(key="stocks:0:window")
    window.set_value(window.value + 5).run()
    assert len(cuts) == 2
