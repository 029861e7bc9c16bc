"""Issue 22: caps on what a visitor's upload may ask of the server, checked before parsing."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pandas as pd
import pytest

from core.data import disk_cache, local, stocks
from core.engine import limits, links
from tests.helpers import ROOT
from ui import links as ui_links


def price_lines(n: int) -> list[str]:
    days = pd.bdate_range("1950-01-02", periods=n)
    return [f"{d:%Y-%m-%d},{100 + i % 7}.5" for i, d in enumerate(days)]


@pytest.fixture
def no_pandas(monkeypatch) -> list[int]:
    """Counts calls of pandas' CSV parser: a refused file must never reach it."""
    calls: list[int] = []
    real = pd.read_csv

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stocks.pd, "read_csv", counting)
    return calls


@pytest.mark.parametrize("separator", ["\x1e", "\x85", "\u2028", "\x1c", "\x0b", "\x0c"])
def test_header_broken_by_characters_pandas_does_not_break_on_is_refused(no_pandas, separator):
    names = [f"c{i}" for i in range(3_000)]
    header = separator.join(",".join(names[i : i + 150]) for i in range(0, len(names), 150))
    data = ("Date,Close," + header + "\n" + "\n".join(price_lines(40))).encode("utf-8")
    with pytest.raises(stocks.PriceDataError, match="line 1 has"):
        stocks.read_price_table(data, "wide.csv")
    assert not no_pandas


def test_line_count_uses_pandas_line_breaks():
    text = "Date,Close\r\n" + "\r\n".join(price_lines(50)) + "\r2024-01-01,1\n"
    assert len(stocks.LINE_BREAK.split(text)) == len(pd.read_csv(pd.io.common.StringIO(text), dtype=str)) + 2


def test_too_many_rows_are_refused_before_parsing(no_pandas):
    data = ("Date,Close\n" + "\n".join(price_lines(stocks.MAX_PRICE_ROWS + 1))).encode()
    with pytest.raises(stocks.PriceDataError, match="at most 20,000 rows"):
        stocks.read_price_table(data, "long.csv")
    assert not no_pandas


def test_rows_at_the_cap_are_read():
    data = ("Date,Close\n" + "\n".join(price_lines(stocks.MAX_PRICE_ROWS)) + "\n").encode()
    assert len(stocks.read_price_table(data, "ok.csv")) == stocks.MAX_PRICE_ROWS


def test_too_many_columns_are_refused_before_parsing(no_pandas):
    header = ",".join(["Date", "Close", *[f"x{i}" for i in range(stocks.MAX_PRICE_COLUMNS)]])
    data = (header + "\n" + "\n".join(price_lines(40))).encode()
    with pytest.raises(stocks.PriceDataError, match="columns"):
        stocks.read_price_table(data, "wide.csv")
    assert not no_pandas


def test_cr_only_rows_count_as_rows(no_pandas):
    data = ("Date,Close\r" + "\r".join(price_lines(stocks.MAX_PRICE_ROWS + 5))).encode()
    with pytest.raises(stocks.PriceDataError, match="rows"):
        stocks.read_price_table(data, "mac.csv")
    assert not no_pandas


def test_undatable_rows_are_refused_after_a_probe(monkeypatch):
    """Every format is tried on the first rows only: 20,000 undatable rows cost one probe per format."""
    seen: list[int] = []
    real = pd.to_datetime

    def counting(values, *args, **kwargs):
        seen.append(len(values))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(stocks.pd, "to_datetime", counting)
    values = pd.Series([f"row {i} ab" for i in range(stocks.MAX_PRICE_ROWS)])
    with pytest.raises(ValueError, match="could not read dates such as 'row 0 ab'"):
        stocks.parse_dates(values)
    assert max(seen) <= stocks.DATE_PROBE_ROWS


def test_a_bad_date_after_the_probe_is_named():
    values = pd.Series([*[f"{d:%Y-%m-%d}" for d in pd.bdate_range("2000-01-03", periods=300)], "31st of never"])
    with pytest.raises(ValueError, match="31st of never"):
        stocks.parse_dates(values)


def test_the_attack_file_never_reaches_pandas(no_pandas):
    """The 1.5 MB file of issue 22 (200k columns, '\\x1e' every 150 names) took 125 s and 2.8 GB."""
    names = [f"col{i:06d}" for i in range(200_000)]
    header = "\x1e".join(",".join(names[i : i + 150]) for i in range(0, len(names), 150))
    data = ("Date,Close," + header + "\n" + "\n".join(price_lines(40))).encode()
    assert len(data) > limits.MAX_UPLOAD_BYTES // 4
    with pytest.raises(stocks.PriceDataError, match="line 1 has"):
        stocks.read_price_table(data, "attack.csv")
    assert not no_pandas


# ----------------------------------------------------------------------------- smaller items (issue 22, item 10)


@pytest.mark.parametrize("typed", ["a" * 300, "stocks/" + "b" * 300, "SPY\x00.csv", "stocks\n/SPY.csv"])
def test_unusable_typed_paths_are_a_message_not_a_crash(tmp_path, typed):
    (tmp_path / "stocks").mkdir()
    with pytest.raises(local.LocalPathError) as refused:
        local.resolve_local(typed, tmp_path)
    assert "\x00" not in str(refused.value) and str(tmp_path) not in str(refused.value)


def test_temp_dir_cache_fallback_must_be_this_users_private_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(disk_cache.CACHE_ENV_VAR, raising=False)
    monkeypatch.setattr(disk_cache, "default_cache_dir", lambda: Path("/proc/no-cache-here"))
    monkeypatch.setattr(disk_cache.tempfile, "gettempdir", lambda: str(tmp_path))
    fallback = tmp_path / f"rnn-playground-{os.getuid()}"
    assert disk_cache.cache_root() == fallback  # created private: used
    fallback.chmod(0o777)  # planted writable by everyone (or another user's): refused
    assert disk_cache.cache_root() is None
    fallback.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    fallback.symlink_to(elsewhere)  # a link planted by someone else: refused
    assert disk_cache.cache_root() is None


def test_typed_inputs_of_the_architectures_page_have_max_chars():
    tree = ast.parse((ROOT / "app_pages" / "architectures.py").read_text())
    fields = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("text_input", "text_area")
    ]
    assert fields
    for call in fields:
        positional = 3 if call.func.attr == "text_area" else 2  # text_area(label, value, height, max_chars)
        assert len(call.args) > positional or any(k.arg == "max_chars" for k in call.keywords), ast.unparse(call)


STEPPED = links.Spec("slider", lo=0.05, hi=0.3, step=0.05)
WHOLE = links.Spec("slider", lo=2, hi=250, integer=True, step=4)


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [(STEPPED, "0.07", 0.05), (STEPPED, "0.08", 0.1), (STEPPED, "0.15", 0.15), (WHOLE, "5", 6), (WHOLE, "999", 250)],
)
def test_link_values_snap_to_the_slider_steps(spec, text, value):
    decoded, note = links.decode(spec, text)
    assert decoded == pytest.approx(value)
    assert (note == "") == (text == str(value))


def test_slider_specs_carry_streamlits_default_step():
    assert ui_links.spec_of("slider", {"min_value": 0.0, "max_value": 1.0, "value": 0.5}).step == 0.01
    assert ui_links.spec_of("slider", {"min_value": 1, "max_value": 9, "value": 2}).step == 1
    assert ui_links.spec_of("slider", {"min_value": 1, "max_value": 9, "value": 2, "step": 2}).step == 2


# ----------------------------------------------------------------------------- downloads (item 8)


def test_the_server_starts_at_most_n_downloads_a_minute():
    guard = stocks.DownloadGuard(per_minute=2)
    guard.admit("A", now=0.0)
    guard.admit("B", now=1.0)
    with pytest.raises(stocks.PriceDataError, match="limit") as refused:
        guard.admit("C", now=2.0)
    assert refused.value.kind == "rate_limit"
    guard.admit("C", now=60.5)  # the first start has left the minute


def test_a_failed_ticker_is_not_asked_for_again_for_a_while():
    guard = stocks.DownloadGuard(per_minute=100, failure_ttl_s=600)
    guard.failed("NOPE", stocks.PriceDataError("Yahoo Finance does not know NOPE.", "unknown_ticker"), now=0.0)
    with pytest.raises(stocks.PriceDataError, match="does not know NOPE") as remembered:
        guard.admit("NOPE", now=300.0)
    assert remembered.value.kind == "unknown_ticker"
    guard.admit("NOPE", now=601.0)
    guard.admit("SPY", now=1.0)  # other tickers are not affected


def test_remembered_failures_are_bounded():
    guard = stocks.DownloadGuard(per_minute=100, max_failures=3)
    for i in range(10):
        guard.failed(f"T{i}", stocks.PriceDataError("no", "empty"), now=0.0)
    assert len(guard._failures) == 3


def test_download_prices_asks_yahoo_once_per_failed_ticker(monkeypatch):
    asked: list[str] = []

    def fetch(symbol, *args):
        asked.append(symbol)
        raise ConnectionError("offline")

    monkeypatch.setattr(stocks, "_fetch_history", fetch)
    for _ in range(5):
        with pytest.raises(stocks.PriceDataError):
            stocks.download_prices("NOPE")
    assert asked == ["NOPE"]


def test_the_download_rate_is_a_deployer_setting(monkeypatch):
    monkeypatch.setenv(stocks.DOWNLOADS_ENV_VAR, "3")
    assert stocks._per_minute_setting() == 3
    monkeypatch.setenv(stocks.DOWNLOADS_ENV_VAR, "lots")
    assert stocks._per_minute_setting() == stocks.DOWNLOADS_PER_MINUTE


def test_the_hostile_benchs_attack_files_are_refused_before_parsing(no_pandas):
    """bench/hostile.py replays issue 22's files; the parser refuses each without pandas."""
    from bench import hostile  # the bench imports Streamlit's protobufs: only this test needs them

    for name, data, reason in (
        ("wide", hostile.wide_csv(), "line 1 has"),
        ("long", hostile.long_csv(), "at most 20,000 rows"),
        ("undatable", hostile.undatable_csv(), "rows"),
    ):
        with pytest.raises(stocks.PriceDataError, match=reason):
            stocks.read_price_table(data, name)
    assert not no_pandas
