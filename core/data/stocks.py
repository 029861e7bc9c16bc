"""Daily stock prices: a local CSV copy, a Yahoo Finance download, an upload, or a generated series.

Sources, tried in order by `load_prices`:
  1. a local copy: `stocks/<TICKER>.csv` under RNN_PLAYGROUND_DATA (or an explicit folder/CSV),
     in the `Date,Open,High,Low,Close,Volume` format of `../shared/data/stocks/`;
  2. the real download through `yfinance`, with a short timeout so a machine without
     internet answers in seconds, not minutes;
  3. an offline default: geometric Brownian motion with drift plus a seasonal term,
     generated here and labelled "synthetic" wherever it is shown.

Every failure becomes a `PriceDataError` whose `kind` says what went wrong (unknown ticker,
empty result, network, rate limit, malformed CSV, too few rows) and whose message a
student can act on. Prices are split- and dividend-adjusted where the source offers it,
so a 2-for-1 split is not mistaken for a 50 % crash.
"""

from __future__ import annotations

import collections
import csv
import io
import logging
import os
import re
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from core.data.local import (
    DataSource,
    LocalPathError,
    check_local,
    data_root,
    public_path,
    read_bounded,
    run_with_deadline,
)
from core.engine.limits import MAX_CSV_LINE_CHARS, MAX_SNIFF_CHARS, MAX_UPLOAD_BYTES

# Caps checked on the raw text before pandas parses a byte of it (upload or local copy alike).
# 20,000 daily rows are 80 years of trading days; a price file needs a date and a few prices.
MAX_PRICE_ROWS = 20_000
MAX_PRICE_COLUMNS = 50
# pandas' parser ends a line at "\n", "\r" or "\r\n" only - not at the other characters
# str.splitlines() breaks on ("\x1c"-"\x1e", "\x85", "\u2028", ...). The checks use the same rule.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Dates are tried on this many rows first: a file whose first rows read in no format is refused
# before every format is tried on every row.
DATE_PROBE_ROWS = 200

DEFAULT_TICKER = "SPY"
DEFAULT_YEARS = 10
MIN_ROWS = 30  # below this no split into train / validation / test makes sense
DOWNLOAD_TIMEOUT_S = 8.0  # per HTTP request inside yfinance
DOWNLOAD_DEADLINE_S = 20.0  # the whole download, retries included
DOWNLOADS_ENV_VAR = "RNN_PLAYGROUND_DOWNLOADS_PER_MINUTE"
DOWNLOADS_PER_MINUTE = 6  # downloads the whole server may start in any minute (the deployer's setting above)
FAILURE_TTL_S = 600.0  # a ticker whose download failed is not asked for again for this long
PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
SYNTHETIC_END = "2024-12-31"  # fixed, so the generated series is the same on every machine

ErrorKind = Literal["unknown_ticker", "empty", "network", "rate_limit", "malformed", "too_few_rows", "not_found"]

logger = logging.getLogger(__name__)
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,14}$")


class PriceDataError(ValueError):
    """Prices could not be loaded; `kind` classifies the problem, the message explains it."""

    def __init__(self, message: str, kind: ErrorKind):
        self.kind = kind
        super().__init__(message)


@dataclass(frozen=True)
class PriceData:
    """Daily prices, oldest first.

    `frame` has a DatetimeIndex named "Date" (one row per trading day, no duplicates) and
    at least a positive "Close" column, plus Open/High/Low/Volume when the source has them.
    """

    frame: pd.DataFrame
    source: DataSource
    ticker: str = ""

    @property
    def close(self) -> pd.Series:
        return self.frame["Close"]

    @property
    def first_date(self) -> pd.Timestamp:
        return self.frame.index[0]

    @property
    def last_date(self) -> pd.Timestamp:
        return self.frame.index[-1]

    def label(self) -> str:
        """A short name for headings: the ticker, the upload's name, or 'synthetic'."""
        if self.source.is_synthetic:
            return "synthetic prices"
        return self.ticker or Path(self.source.detail).stem

    def summary(self) -> str:
        return (
            f"{len(self.frame):,} trading days, {self.first_date:%Y-%m-%d} to {self.last_date:%Y-%m-%d}, "
            f"close {self.close.min():,.2f} to {self.close.max():,.2f}"
        )


# ----------------------------------------------------------------------------- CSV parsing

# Normalised header (lower case, letters and digits only) -> our column name. Adjusted
# closes win over raw closes when a file has both (see `_pick_close`).
_DATE_NAMES = ("date", "datetime", "timestamp", "time", "day", "tradedate", "tradingday", "dates")
_CLOSE_NAMES = ("close", "closelast", "closeprice", "closingprice", "last", "lastprice", "price", "settle", "value")
_ADJ_CLOSE_NAMES = ("adjclose", "adjustedclose", "closeadj", "adjustedcloseprice", "adjcloseprice")
_OTHER_NAMES = {
    "Open": ("open", "openprice", "opening"),
    "High": ("high", "highprice", "max"),
    "Low": ("low", "lowprice", "min"),
    "Volume": ("volume", "vol", "volumes", "sharesvolume"),
}
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%m/%d/%Y",  # US (Yahoo, Nasdaq exports) before European when both fit
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%d-%b-%y",
)
_TZ_SUFFIX = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z| UTC)$")


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    normalised = {_normalise(c): c for c in columns}
    for name in names:
        if name in normalised:
            return normalised[name]
    return None


def _parse_numbers(values: pd.Series) -> pd.Series:
    """Floats from strings like '$1,234.50' or '1 234,5'? - currency signs and thousands commas go."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).str.strip().str.replace(r"[$€£\s]", "", regex=True)
    # "1.234,50" (European) -> "1234.50"; "1,234.50" -> "1234.50"
    european = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d+").fillna(False)
    text = text.where(~european, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce")


def parse_dates(values: pd.Series) -> tuple[pd.DatetimeIndex, str]:
    """Dates in the first format that reads every value; returns (dates, format).

    Time-zone suffixes (yfinance writes '2020-01-02 00:00:00-05:00') are dropped: for daily
    prices the local trading day is what matters. Raises ValueError when nothing fits. Formats
    are tried on the first DATE_PROBE_ROWS values first, so a column of non-dates is refused in
    milliseconds, not after every format has failed on every row.
    """
    candidates = values.astype(str).str.strip().str.replace(_TZ_SUFFIX, "", regex=True)
    if candidates.empty:
        raise ValueError("the date column is empty")
    stripped = candidates.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", regex=True)
    probe, probe_stripped = candidates.iloc[:DATE_PROBE_ROWS], stripped.iloc[:DATE_PROBE_ROWS]
    unread: pd.Series | None = None  # the values the first format that read the probe could not read
    for fmt in _DATE_FORMATS:
        if not pd.to_datetime(probe_stripped, format=fmt, errors="coerce").notna().all():
            continue
        parsed = pd.to_datetime(stripped, format=fmt, errors="coerce")
        if parsed.notna().all():
            return pd.DatetimeIndex(parsed), fmt
        unread = candidates[parsed.isna()] if unread is None else unread
    if pd.to_datetime(probe, format="ISO8601", errors="coerce").notna().all():
        parsed = pd.to_datetime(candidates, format="ISO8601", errors="coerce")
        if parsed.notna().all():
            return pd.DatetimeIndex(parsed).normalize(), "ISO 8601"
        unread = candidates[parsed.isna()] if unread is None else unread
    if unread is None:
        unread = probe[pd.to_datetime(probe_stripped, format="mixed", errors="coerce").isna()]
    example = unread.iloc[0] if len(unread) else probe.iloc[0]
    raise ValueError(f"could not read dates such as {example!r} (try YYYY-MM-DD)")


def _pick_close(columns: list[str]) -> tuple[str | None, bool]:
    adjusted = _find_column(columns, _ADJ_CLOSE_NAMES)
    if adjusted is not None:
        return adjusted, True
    return _find_column(columns, _CLOSE_NAMES), False


def tidy_prices(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """A raw table with some date and close columns -> the PriceData frame, or PriceDataError."""
    columns = [str(c) for c in raw.columns]
    raw = raw.set_axis(columns, axis=1)
    date_column = _find_column(columns, _DATE_NAMES)
    close_column, adjusted = _pick_close(columns)
    missing = [label for label, col in (("a date", date_column), ("a closing price", close_column)) if col is None]
    if missing:
        raise PriceDataError(
            f"{name}: no column for {' or '.join(missing)}. Found columns {columns[:12]}; expected e.g. "
            "'Date' and 'Close' (or 'Adj Close', 'Close/Last', 'Price').",
            "malformed",
        )
    rows = raw[raw[date_column].notna() & raw[date_column].astype(str).str.strip().ne("")]
    try:
        dates, _ = parse_dates(rows[date_column])
    except ValueError as err:
        raise PriceDataError(f"{name}: {err}.", "malformed") from err
    frame = pd.DataFrame(index=pd.DatetimeIndex(dates, name="Date"))
    frame["Close"] = _parse_numbers(rows[close_column]).to_numpy()
    for label, names in _OTHER_NAMES.items():
        column = _find_column(columns, names)
        if column is not None and column != close_column:
            frame[label] = _parse_numbers(rows[column]).to_numpy()
    _refuse_infinite(frame, rows.index, name)
    if adjusted and (raw_close := _find_column(columns, ("close",))) is not None and raw_close != close_column:
        # OHLC are unadjusted in such files; rescale them by the same factor as the close.
        factor = frame["Close"] / _parse_numbers(rows[raw_close]).to_numpy()
        for label in ("Open", "High", "Low"):
            if label in frame:
                frame[label] = frame[label] * factor
    return _clean(frame, name)


def _refuse_infinite(frame: pd.DataFrame, row_numbers: pd.Index, name: str) -> None:
    """PriceDataError naming the first row with an infinite number ('inf', '1e400'): it would train as NaN."""
    for label in frame.columns:
        values = frame[label].to_numpy(dtype=float)
        infinite = np.isinf(values)
        if infinite.any():
            i = int(np.argmax(infinite))
            raise PriceDataError(
                f"{name}: the {label} value in data row {int(row_numbers[i]) + 1:,} ({frame.index[i]:%Y-%m-%d}) "
                f"is not a finite number ({values[i]:g}). Fix or remove that row.",
                "malformed",
            )


def _clean(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Sorted, one row per day, positive closes only; refuses files that are mostly junk."""
    unreadable = frame["Close"].isna()
    if unreadable.mean() > 0.2:
        raise PriceDataError(
            f"{name}: {int(unreadable.sum()):,} of {len(frame):,} closing prices are not numbers.", "malformed"
        )
    frame = frame[~unreadable]
    if (frame["Close"] <= 0).any():
        first = frame.index[(frame["Close"] <= 0).to_numpy()][0]
        raise PriceDataError(
            f"{name}: closing prices must be positive (found {frame['Close'][first]:g} on {first:%Y-%m-%d}).",
            "malformed",
        )
    frame = frame.sort_index()
    frame = frame[~frame.index.duplicated(keep="last")]
    if len(frame) < MIN_ROWS:
        raise PriceDataError(
            f"{name}: only {len(frame)} days of prices; at least {MIN_ROWS} are needed to train, validate and test.",
            "too_few_rows",
        )
    ordered = ["Close", *[c for c in PRICE_COLUMNS if c in frame and c != "Close"]]
    return frame[ordered].astype(float)


def _sniff_sample(text: str) -> str:
    """The first (at most 20) lines of the first MAX_SNIFF_CHARS characters.

    csv.Sniffer's regular expressions take time quadratic in the line length (and hold the
    GIL), so it only ever sees this bounded prefix.
    """
    return "\n".join(LINE_BREAK.split(text[:MAX_SNIFF_CHARS])[:20])


def _separator(text: str) -> str:
    """Comma, semicolon, tab or pipe, whichever the first lines use consistently (comma if none)."""
    sample = _sniff_sample(text)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_price_table(data: bytes, name: str) -> pd.DataFrame:
    """Bytes of a CSV (comma, semicolon or tab separated) -> tidy price frame."""
    if not data or not data.strip():
        raise PriceDataError(f"{name} is empty.", "malformed")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PriceDataError(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB. "
            "Daily prices for decades fit in well under 1 MB.",
            "malformed",
        )
    if b"\x00" in data[:4096]:
        raise PriceDataError(f"{name} is not a text file (is it a spreadsheet? save it as CSV).", "malformed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    _refuse_long_lines(text, name)
    separator = _separator(text)
    _refuse_wide_or_long(text, separator, name)
    try:
        raw = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as err:
        raise PriceDataError(f"{name} is not a readable CSV file ({err}).", "malformed") from err
    if raw.shape[1] < 2:
        raise PriceDataError(
            f"{name} has a single column ({list(raw.columns)}); a date column and a close column are needed.",
            "malformed",
        )
    return tidy_prices(raw, name)


def _refuse_long_lines(text: str, name: str) -> None:
    """PriceDataError naming the first line longer than MAX_CSV_LINE_CHARS (lines as pandas splits them)."""
    start = 0
    for number, match in enumerate(LINE_BREAK.finditer(f"{text}\n"), start=1):
        length = match.start() - start
        if length > MAX_CSV_LINE_CHARS:
            raise PriceDataError(
                f"{name}: line {number:,} has {length:,} characters; price rows are short (at most "
                f"{MAX_CSV_LINE_CHARS:,} characters). Is this a price CSV?",
                "malformed",
            )
        start = match.end()


def _refuse_wide_or_long(text: str, separator: str, name: str) -> None:
    """PriceDataError for more than MAX_PRICE_ROWS lines or MAX_PRICE_COLUMNS header fields, before parsing.

    Lines are counted as pandas splits them (an upper bound on its rows: a quoted field may hold a
    line break); the header is read with the csv module, linear in its length whatever its quoting.
    """
    lines = len(LINE_BREAK.findall(text.rstrip("\r\n"))) + 1
    if lines > MAX_PRICE_ROWS + 1:
        raise PriceDataError(
            f"{name} has {lines:,} lines; a price file may have at most {MAX_PRICE_ROWS:,} rows "
            f"(80 years of trading days). Cut it to the years you need.",
            "malformed",
        )
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=separator), [])
    except csv.Error:
        return  # pandas reports the broken quoting
    if len(header) > MAX_PRICE_COLUMNS:
        raise PriceDataError(
            f"{name}'s header has {len(header):,} columns; a price file has a date and a few prices "
            f"(at most {MAX_PRICE_COLUMNS} columns).",
            "malformed",
        )


def parse_price_csv(data: bytes, name: str) -> PriceData:
    """Prices from an uploaded CSV; raises PriceDataError with a readable message."""
    frame = read_price_table(data, name)
    return PriceData(frame, DataSource("upload", name), ticker=Path(name).stem.upper())


# ----------------------------------------------------------------------------- local copy


def _typed_path(local_path: str) -> Path:
    """A local path as given: ~ expanded, a relative one read inside the data folder (when there is one)."""
    path = Path(local_path).expanduser()
    root = data_root()
    return root / path if not path.is_absolute() and root is not None else path


def local_price_file(ticker: str, local_path: str | None = None) -> Path | None:
    """The CSV for `ticker`: an explicit CSV file, or <folder>/[stocks/]<TICKER>.csv."""
    folders: list[Path] = []
    root = data_root()
    if local_path:
        path = _typed_path(local_path)
        if path.exists() and not path.is_dir():
            return check_local(path, MAX_UPLOAD_BYTES)
        folders.append(path)
    elif root is not None:
        folders.append(root)
    for folder in folders:
        for candidate in (folder / "stocks" / f"{ticker}.csv", folder / f"{ticker}.csv"):
            if candidate.exists():
                return check_local(candidate, MAX_UPLOAD_BYTES)
    return None


def select_range(frame: pd.DataFrame, start: str | None, end: str | None, years: int = DEFAULT_YEARS) -> pd.DataFrame:
    """Rows between start and end (inclusive); with neither, the last `years` years of the file."""
    if start is None and end is None:
        return frame[frame.index > frame.index[-1] - pd.DateOffset(years=years)]
    if start is not None:
        frame = frame[frame.index >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame.index <= pd.Timestamp(end)]
    if start is None and len(frame):
        frame = frame[frame.index > frame.index[-1] - pd.DateOffset(years=years)]
    return frame


def _range_text(start: str | None, end: str | None, years: int) -> str:
    if start is None and end is None:
        return f"the last {years} years"
    return f"{start or 'the start'} to {end or 'today'}"


def load_local(path: Path, ticker: str, start: str | None, end: str | None, years: int) -> PriceData:
    try:
        data = read_bounded(path, MAX_UPLOAD_BYTES)  # the size cap is checked before a byte is read
    except LocalPathError as err:
        raise PriceDataError(str(err), "malformed") from err
    frame = read_price_table(data, path.name)
    selected = select_range(frame, start, end, years)
    if len(selected) < MIN_ROWS:
        raise PriceDataError(
            f"the local copy {public_path(str(path))} has {len(selected)} days in {_range_text(start, end, years)} "
            f"(it covers {frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d})",
            "too_few_rows" if len(selected) else "empty",
        )
    return PriceData(selected, DataSource("local", str(path)), ticker=ticker)


# ----------------------------------------------------------------------------- download


def normalise_ticker(ticker: str) -> str:
    symbol = (ticker or "").strip().upper()
    if not symbol:
        raise PriceDataError("Type a ticker symbol such as SPY, AAPL or MSFT.", "unknown_ticker")
    if not _TICKER.fullmatch(symbol):
        raise PriceDataError(
            f"'{ticker.strip()[:30]}' is not a ticker symbol: use letters, digits, '.', '-', '^' or '=' "
            "(e.g. SPY, BRK-B, ^GSPC).",
            "unknown_ticker",
        )
    return symbol


def classify_download_error(err: BaseException, ticker: str) -> PriceDataError:
    """Turn whatever yfinance / curl / the network raised into a message a student can act on."""
    name = type(err).__name__
    text = str(err).split(" See https", 1)[0].strip()
    text = text if len(text) <= 140 else text[:139] + "…"
    lowered = f"{name} {text}".lower()
    if isinstance(err, PriceDataError):
        return err
    if "ratelimit" in lowered.replace(" ", "") or "too many requests" in lowered or " 429" in lowered:
        return PriceDataError(
            "Yahoo Finance is rate-limiting downloads right now (too many requests). Wait a minute and "
            "try again, or upload a CSV.",
            "rate_limit",
        )
    if name == "YFPricesMissingError" or "no price data" in lowered:
        return PriceDataError(
            f"Yahoo Finance returned no prices for '{ticker}' in this date range: the symbol may not exist "
            "or the range may lie outside its history.",
            "empty",
        )
    if name in ("YFTickerMissingError", "YFTzMissingError") or "delisted" in lowered or "no timezone" in lowered:
        return PriceDataError(
            f"Yahoo Finance does not know the ticker '{ticker}' (or it is delisted). Check the symbol.",
            "unknown_ticker",
        )
    return PriceDataError(
        f"Could not reach Yahoo Finance ({name}: {text}). Is this machine offline? "
        "Use a local copy, upload a CSV or the synthetic series.",
        "network",
    )


def _fetch_history(ticker: str, start: str | None, end: str | None, years: int, timeout: float) -> pd.DataFrame:
    """One yfinance call, exceptions raised rather than logged (the library's default hides them)."""
    import yfinance as yf

    logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # failures are reported by us, once
    kwargs: dict = {"auto_adjust": True, "actions": False, "timeout": timeout, "raise_errors": True}
    if start is None and end is None:
        kwargs["period"] = f"{years}y"
    else:
        if start is None and end is not None:
            start = (pd.Timestamp(end) - pd.DateOffset(years=years)).strftime("%Y-%m-%d")
        kwargs["start"] = start
        if end is not None:  # yfinance's end is exclusive; ours is inclusive
            kwargs["end"] = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return yf.Ticker(ticker).history(**kwargs)


class DownloadGuard:
    """What stands between visitors and Yahoo Finance: a global rate limit and a per-ticker negative cache.

    A server whose visitors can make it download without limit gets its address rate-limited for
    the whole class. At most `per_minute` downloads start in any 60 s (a deployer's setting,
    RNN_PLAYGROUND_DOWNLOADS_PER_MINUTE), and a ticker whose download failed is not asked for
    again for `failure_ttl_s`: the remembered failure is the answer. Thread-safe (one per server).
    """

    def __init__(self, per_minute: int, failure_ttl_s: float = FAILURE_TTL_S, max_failures: int = 512):
        self.per_minute, self.failure_ttl_s, self.max_failures = per_minute, failure_ttl_s, max_failures
        self._starts: collections.deque[float] = collections.deque()
        self._failures: dict[str, tuple[float, PriceDataError]] = {}
        self._lock = threading.Lock()

    def admit(self, symbol: str, now: float | None = None) -> None:
        """Returns when a download of `symbol` may start now (and counts it); PriceDataError otherwise."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failed = self._failures.get(symbol)
            if failed is not None and now - failed[0] < self.failure_ttl_s:
                wait = self.failure_ttl_s - (now - failed[0])
                raise PriceDataError(f"{failed[1]} (This answer is remembered for {wait:.0f} s more.)", failed[1].kind)
            while self._starts and now - self._starts[0] >= 60.0:
                self._starts.popleft()
            if len(self._starts) >= self.per_minute:
                raise PriceDataError(
                    f"This server has started {self.per_minute} downloads in the last minute, its limit. Try again "
                    f"in {60.0 - (now - self._starts[0]):.0f} s, or upload a CSV.",
                    "rate_limit",
                )
            self._starts.append(now)

    def failed(self, symbol: str, error: PriceDataError, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures.pop(symbol, None)
            self._failures[symbol] = (now, error)
            while len(self._failures) > self.max_failures:
                self._failures.pop(next(iter(self._failures)))

    def forget(self) -> None:
        with self._lock:
            self._starts.clear()
            self._failures.clear()


def _per_minute_setting() -> int:
    raw = os.environ.get(DOWNLOADS_ENV_VAR, "").strip()
    try:
        return max(0, int(raw)) if raw else DOWNLOADS_PER_MINUTE
    except ValueError:
        logger.warning("%s=%r is not a whole number; using %d", DOWNLOADS_ENV_VAR, raw, DOWNLOADS_PER_MINUTE)
        return DOWNLOADS_PER_MINUTE


GUARD = DownloadGuard(_per_minute_setting())


def download_prices(
    ticker: str,
    start: str | None = None,
    end: str | None = None,
    years: int = DEFAULT_YEARS,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    deadline: float = DOWNLOAD_DEADLINE_S,
) -> PriceData:
    """Daily adjusted prices from Yahoo Finance; PriceDataError (never a hang) when that fails."""
    symbol = normalise_ticker(ticker)
    GUARD.admit(symbol)
    try:
        raw = run_with_deadline(
            lambda: _fetch_history(symbol, start, end, years, timeout), deadline, "yfinance-download"
        )
    except Exception as err:
        error = classify_download_error(err, symbol)
        GUARD.failed(symbol, error)
        raise error from err
    if raw is None or len(raw) == 0:
        error = PriceDataError(
            f"Yahoo Finance returned no prices for '{symbol}' in {_range_text(start, end, years)}: the symbol may "
            "not exist, or the range lies outside its history.",
            "empty",
        )
        GUARD.failed(symbol, error)
        raise error
    frame = raw.reset_index()
    frame = frame.rename(columns={frame.columns[0]: "Date"})
    frame["Date"] = pd.to_datetime(frame["Date"], utc=False).map(lambda d: d.tz_localize(None) if d.tzinfo else d)
    frame = tidy_prices(frame[["Date", *[c for c in PRICE_COLUMNS if c in frame]]], f"Yahoo Finance {symbol}")
    return PriceData(frame, DataSource("download", f"Yahoo Finance via yfinance: {symbol}"), ticker=symbol)


# ----------------------------------------------------------------------------- synthetic default


def synthetic_prices(days: int = 2520, seed: int = 0) -> pd.DataFrame:
    """Geometric Brownian motion with drift, plus a yearly and a monthly seasonal swing.

    log P_t = log P_0 + (mu - sigma^2/2) t + sigma W_t + a sin(2 pi t / 252) + b sin(2 pi t / 21)

    Daily noise (sigma about 1.1 %) dwarfs the seasonal terms, as on real markets, so
    persistence stays hard to beat - but not impossible, unlike a pure random walk.
    """
    if days < 2:
        raise ValueError("synthetic_prices needs at least 2 days")
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    mu, sigma = 0.07 / 252, 0.011
    shocks = rng.normal(mu - sigma**2 / 2, sigma, days)
    shocks[0] = 0.0
    seasonal = 0.04 * np.sin(2 * np.pi * t / 252) + 0.01 * np.sin(2 * np.pi * t / 21)
    close = 100.0 * np.exp(np.cumsum(shocks) + seasonal)
    gap = rng.normal(0, sigma / 3, days)
    open_ = close * np.exp(-np.diff(np.log(close), prepend=np.log(close[0])) * 0.5 + gap)
    spread = np.abs(rng.normal(0, sigma / 2, days))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = np.round(rng.lognormal(np.log(5e6), 0.35, days))
    dates = pd.bdate_range(end=SYNTHETIC_END, periods=days, name="Date")
    return pd.DataFrame({"Close": close, "Open": open_, "High": high, "Low": low, "Volume": volume}, index=dates)


SYNTHETIC_DESCRIPTION = (
    "synthetic prices generated by the playground: geometric Brownian motion with 7 % yearly drift, "
    "1.1 % daily volatility and yearly + monthly seasonal swings - not a real stock"
)


def synthetic_data(days: int = 2520, seed: int = 0, notice: str = "") -> PriceData:
    return PriceData(synthetic_prices(days, seed), DataSource("offline", SYNTHETIC_DESCRIPTION, notice), "SYNTHETIC")


# ----------------------------------------------------------------------------- entry point


def load_prices(
    ticker: str = DEFAULT_TICKER,
    start: str | None = None,
    end: str | None = None,
    local_path: str | None = None,
    allow_download: bool = True,
    fallback: bool = True,
    years: int = DEFAULT_YEARS,
) -> PriceData:
    """Daily prices from the first source that works: local copy, yfinance, synthetic.

    `start`/`end` are inclusive ISO dates; with neither, the last `years` years. With
    `fallback=False` a failure raises PriceDataError (all reasons joined) instead of
    returning the synthetic series, so a page can keep the data it already shows.
    """
    symbol = normalise_ticker(ticker)
    problems: list[PriceDataError] = []
    typed = _typed_path(local_path) if local_path else None
    if typed is not None and not typed.exists():
        problems.append(PriceDataError(f"the local path '{public_path(str(typed))}' does not exist", "not_found"))
    try:
        path = local_price_file(symbol, local_path)
    except LocalPathError as err:
        path = None
        problems.append(PriceDataError(f"Local copy refused: {err}", "malformed"))
    if path is not None:
        try:
            return load_local(path, symbol, start, end, years)
        except (OSError, PriceDataError) as err:
            kind = err.kind if isinstance(err, PriceDataError) else "malformed"
            problems.append(PriceDataError(f"Local copy unusable: {err}", kind))
    if allow_download:
        try:
            return download_prices(symbol, start, end, years)
        except PriceDataError as err:
            problems.append(err)
    elif not problems:
        problems.append(PriceDataError(f"no local copy of {symbol} and downloads are off", "not_found"))
    message = " ".join(str(p).rstrip(".") + "." for p in problems)
    if not fallback:
        # The most specific reason decides the kind (a download error beats "no local copy").
        raise PriceDataError(message, problems[-1].kind)
    return synthetic_data(notice=f"{message} Showing synthetic prices instead - not real market data.")
