"""Issue 11: what a visitor types or uploads cannot read outside the data folder, block the
server, grow memory past the caps, or poison the data shared by every session."""

from __future__ import annotations

import csv
import os
import shutil
import threading

import numpy as np
import pandas as pd
import pytest

from core.data import imdb, local, shakespeare, stocks
from core.data.local import LocalPathError, check_local, read_bounded, resolve_local
from core.engine import limits
from tests.helpers import ROOT

BIG = 700_000_000  # a 700 MB file, sparse: no real disk use


@pytest.fixture
def data_folder(tmp_path, monkeypatch, shared_data):
    """A data folder with real Shakespeare and SPY plus the traps a visitor might point at."""
    root = tmp_path / "data"
    (root / "stocks").mkdir(parents=True)
    shutil.copy(shared_data / "shakespeare.txt", root / "shakespeare.txt")
    shutil.copy(shared_data / "stocks" / "SPY.csv", root / "stocks" / "SPY.csv")
    (tmp_path / "secret.txt").write_text("TOP SECRET first line\n" * 200)
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.mkfifo(root / "pipe.txt")
    with open(root / "big.txt", "wb") as f:
        f.truncate(BIG)
    monkeypatch.setenv(local.DATA_ENV_VAR, str(root))
    return root


def finishes(fn, seconds: float = 10.0):
    """fn()'s result, failing the test (instead of hanging it) if fn blocks, e.g. on a FIFO."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except Exception as err:  # re-raised on the test's thread
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


# ----------------------------------------------------------------------------- typed paths


@pytest.mark.parametrize("typed", ["/etc/services", "../secret.txt", "/dev/zero", "stocks/../../secret.txt"])
def test_paths_outside_the_data_folder_are_refused(data_folder, typed):
    with pytest.raises(LocalPathError, match="outside the data folder"):
        resolve_local(typed)


def test_a_symlink_pointing_out_is_refused(data_folder):
    with pytest.raises(LocalPathError, match="outside the data folder"):
        resolve_local("link.txt")


def test_paths_inside_are_read_relative_to_the_data_folder(data_folder):
    assert resolve_local("shakespeare.txt") == data_folder.resolve() / "shakespeare.txt"
    assert resolve_local(str(data_folder / "stocks")) == data_folder.resolve() / "stocks"
    with pytest.raises(LocalPathError, match="does not exist"):
        resolve_local("nope.txt")


def test_fifo_device_and_huge_file_are_refused_before_reading(data_folder):
    with pytest.raises(LocalPathError, match="not a regular file"):
        finishes(lambda: resolve_local("pipe.txt"))
    with pytest.raises(LocalPathError, match="at most"):
        resolve_local("big.txt")
    with pytest.raises(LocalPathError, match="not a regular file"):
        check_local("/dev/zero")
    with pytest.raises(LocalPathError, match="not a regular file"):
        finishes(lambda: read_bounded(data_folder / "pipe.txt"))
    with pytest.raises(LocalPathError, match="not a regular file"):
        read_bounded("/dev/zero")
    with pytest.raises(LocalPathError, match="at most"):
        read_bounded(data_folder / "big.txt")


def test_without_a_data_folder_local_paths_are_off(monkeypatch):
    monkeypatch.delenv(local.DATA_ENV_VAR, raising=False)
    with pytest.raises(LocalPathError, match="Local copies are off"):
        resolve_local("shakespeare.txt")


# ----------------------------------------------------------------------------- loaders


def no_download(*args, **kwargs):
    raise OSError("offline")


@pytest.mark.parametrize("name", ["pipe.txt", "big.txt", "/dev/zero"])
def test_text_loaders_refuse_devices_pipes_and_huge_files(data_folder, monkeypatch, name):
    monkeypatch.setattr(imdb, "load_download", no_download)
    path = name if name.startswith("/") else str(data_folder / name)
    corpus = finishes(lambda: shakespeare.load_shakespeare(path, allow_download=False))
    assert corpus.source.is_synthetic and "Local copy refused" in corpus.source.notice
    reviews = finishes(lambda: imdb.load_imdb(local_path=path))
    assert reviews.source.is_synthetic and "Local copy refused" in reviews.source.notice


@pytest.mark.parametrize("name", ["pipe.txt", "big.txt"])
def test_stock_loader_refuses_pipes_and_huge_files(data_folder, name):
    with pytest.raises(stocks.PriceDataError, match="Local copy refused") as info:
        finishes(
            lambda: stocks.load_prices("SPY", local_path=str(data_folder / name), allow_download=False, fallback=False)
        )
    assert "SECRET" not in str(info.value)


def test_stock_file_is_never_read_whole_past_the_cap(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.truncate(BIG)
    with pytest.raises(stocks.PriceDataError, match="at most"):
        stocks.load_local(path, "HUGE", None, None, 10)


# ----------------------------------------------------------------------------- bounded parsing


def price_rows(n: int = 60) -> list[str]:
    dates = pd.bdate_range("2020-01-01", periods=n)
    return ["Date,Close"] + [f"{d:%Y-%m-%d},{100 + i}" for i, d in enumerate(dates)]


@pytest.fixture
def sniffed(monkeypatch) -> list[int]:
    """The length of every sample handed to csv.Sniffer.sniff."""
    seen: list[int] = []
    real = csv.Sniffer.sniff
    monkeypatch.setattr(
        csv.Sniffer,
        "sniff",
        lambda self, sample, delimiters=None: (seen.append(len(sample)), real(self, sample, delimiters))[1],
    )
    return seen


def test_pathological_csv_is_refused_without_sniffing_the_long_line(sniffed):
    seen = sniffed
    data = b"Date,Close\n" + b',"a' * 100_000
    with pytest.raises(stocks.PriceDataError, match="line 2 has 300,000 characters"):
        stocks.parse_price_csv(data, "evil.csv")
    assert all(n <= limits.MAX_SNIFF_CHARS for n in seen)


def test_separator_is_sniffed_on_a_bounded_prefix(sniffed):
    seen = sniffed
    long_lines = "\n".join(',"a' * 600 for _ in range(20))  # under the line cap, 36,000 characters in all
    assert stocks._separator(long_lines) in ",;\t|"
    assert seen and max(seen) <= limits.MAX_SNIFF_CHARS


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf"])
def test_infinite_prices_are_refused_naming_the_row(value):
    rows = price_rows()
    rows[10] = rows[10].split(",")[0] + "," + value
    with pytest.raises(stocks.PriceDataError, match=r"data row 10 \(2020-01-14\) is not a finite number"):
        stocks.parse_price_csv("\n".join(rows).encode(), "prices.csv")


def test_infinite_volume_is_refused_too():
    dates = pd.bdate_range("2020-01-01", periods=40)
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": np.linspace(1, 2, 40), "Volume": 1.0})
    frame.loc[5, "Volume"] = np.inf
    with pytest.raises(stocks.PriceDataError, match="Volume value in data row 6"):
        stocks.parse_price_csv(frame.to_csv(index=False).encode(), "v.csv")


def test_broken_imdb_upload_is_a_message():
    with pytest.raises(ValueError, match=r"readable CSV|label"):
        imdb.read_uploaded_csv(b"text,label\n" + b'"' + b"x" * 200_000 + b'",1\n', 100)
    with pytest.raises(ValueError, match="0 \\(negative\\) or 1"):
        imdb.read_uploaded_csv(b"text,label\n" + b"good,1\nbad\n" * 15, 100)


# ----------------------------------------------------------------------------- downloads


def test_shakespeare_download_cut_short_is_fetched_again(shared_data, tmp_path, monkeypatch):
    from keras.src.utils import file_utils

    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "shakespeare.txt").write_bytes((shared_data / "shakespeare.txt").read_bytes()[:5000])
    fetched: list[str] = []

    def fake_urlretrieve(url, target, hook=None):
        fetched.append(url)
        shutil.copy(shared_data / "shakespeare.txt", target)

    monkeypatch.setattr(file_utils, "urlretrieve", fake_urlretrieve)
    corpus = shakespeare.load_download(str(tmp_path))
    assert fetched == [shakespeare.URL]
    assert len(corpus.text) == shakespeare.SIZE_BYTES == 1_115_394


def test_stalled_download_gives_up_at_the_deadline(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(shakespeare, "_get_file", lambda cache_dir: release.wait(30))
    try:
        with pytest.raises(TimeoutError):
            shakespeare.load_download(deadline=0.2)
    finally:
        release.set()


def test_failed_download_is_not_cached_for_everyone(shared_data, monkeypatch):
    from ui import data_cache, shakespeare_data

    monkeypatch.delenv(local.DATA_ENV_VAR, raising=False)
    shakespeare_data._default_corpus.clear()
    data_cache.retry_downloads()
    real = shakespeare.TextCorpus(
        (shared_data / "shakespeare.txt").read_text(), local.DataSource("download", "x"), "tiny Shakespeare"
    )
    calls: list[str] = []

    def flaky(cache_dir=None):
        calls.append("try")
        if len(calls) == 1:
            raise OSError("network blip")
        return real

    monkeypatch.setattr(shakespeare, "load_download", flaky)
    try:
        first = shakespeare_data.shakespeare_corpus("")
        assert first.source.is_synthetic and "network blip" in first.source.notice
        assert shakespeare_data.shakespeare_corpus("").source.is_synthetic  # remembered for a while ...
        assert calls == ["try"]
        data_cache.retry_downloads()  # ... or until someone presses "Retry the download"
        assert shakespeare_data.shakespeare_corpus("") is real
        monkeypatch.setattr(data_cache, "RETRY_AFTER_S", 0.0)
        assert shakespeare_data.shakespeare_corpus("") is real and calls == ["try", "try"]  # now cached
        enc = shakespeare_data.encoded("shakespeare:", first, 25_000)
        assert shakespeare_data.encoded("shakespeare:", real, 25_000) is not enc  # no stale encoding
    finally:
        shakespeare_data._default_corpus.clear()
        data_cache.retry_downloads()


def test_typed_paths_cannot_evict_the_shared_default(data_folder, monkeypatch):
    from ui import data_cache

    data_cache._imdb_default.clear()
    data_cache.retry_downloads()
    calls: list[str | None] = []

    def fake_load(num_words=imdb.FULL_VOCABULARY, local_path=None, allow_download=True):
        calls.append(local_path)
        source = local.DataSource("local", local_path or "default")
        return imdb.ImdbData([], np.zeros(0), [], np.zeros(0), imdb.Vocabulary({}, 10), source)

    monkeypatch.setattr(imdb, "load_imdb", fake_load)
    try:
        data_cache.imdb_full("")
        for name in ("a", "b", "c", "d", "e"):
            (data_folder / name).mkdir()
            data_cache.imdb_full(str(resolve_local(name)))
        data_cache.imdb_full("")
        assert calls.count(None) == 1
    finally:
        data_cache._imdb_default.clear()
        data_cache._imdb_local.clear()


def test_visitor_error_messages_hide_server_paths():
    from ui.training_panel import visitor_message

    message = visitor_message("OSError: [Errno 2] No such file: '/srv/app/.venv/lib/python3.11/keras/x.h5'")
    assert "/srv" not in message and "<path>" in message
    assert len(visitor_message("x" * 5000)) <= 300


def test_limits_exist():
    assert limits.MAX_LOCAL_FILE_BYTES < BIG and limits.MAX_PROMPT_CHARS <= 1000
    gitignore = ROOT / ".gitignore"
    assert ".streamlit/secrets.toml" in gitignore.read_text().splitlines()
