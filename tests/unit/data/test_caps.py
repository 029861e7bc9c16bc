"""Issue 22: caps on what a visitor's upload may ask of the server, checked before parsing."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data import stocks
from core.engine import limits


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
