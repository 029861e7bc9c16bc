"""The data cache: tokenised IMDb written once, read back identical; stale or damaged entries rebuilt;
the folder comes from the deployer's setting alone."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from core.data import disk_cache, imdb
from core.data.local import DataSource

REVIEWS = [
    ("A wonderful, moving film.<br />I loved it", 1),
    ("dull and boring; the plot wasn't clever", 0),
    ("brilliant acting, brilliant music", 1),
    ("awful. Just awful", 0),
    ("Ünïcode café reviews are fine too", 1),
    ("", 0),
]


def write_pair(folder: Path, reviews=REVIEWS) -> Path:
    """An imdb/ folder in the project's CSV layout (train and test halves of `reviews`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("imdb_train.csv.gz", "imdb_test.csv.gz"):
        rows = ["id,rating,label,text"] + [f'{i},5,{label},"{text}"' for i, (text, label) in enumerate(reviews)]
        with gzip.open(folder / name, "wt", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    return folder


def assert_same(a: imdb.ImdbData, b: imdb.ImdbData) -> None:
    assert a.source == b.source
    assert a.vocab.word_index == b.vocab.word_index and a.vocab.num_words == b.vocab.num_words
    for x, y in ((a.train_ids, b.train_ids), (a.test_ids, b.test_ids)):
        assert len(x) == len(y)
        assert all(s.dtype == t.dtype == np.int32 and np.array_equal(s, t) for s, t in zip(x, y, strict=True))
    assert np.array_equal(a.train_labels, b.train_labels) and np.array_equal(a.test_labels, b.test_labels)
    assert a.train_labels.dtype == b.train_labels.dtype == np.float32


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("imdb-*.npz"))


def tokenised_from_scratch(path: Path, num_words: int) -> imdb.ImdbData:
    train, test = imdb.read_local_texts(path)
    return imdb.from_texts(train, test, num_words, DataSource("local", str(path)))


# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("num_words", [imdb.FULL_VOCABULARY, 12])
def test_round_trip_gives_the_arrays_of_tokenising_from_scratch(tmp_path, private_data_cache, num_words):
    folder = write_pair(tmp_path / "imdb")
    first = imdb.load_local(folder, num_words)
    assert len(entries(private_data_cache)) == 1
    again = imdb.load_local(folder, num_words)
    assert_same(again, tokenised_from_scratch(folder, num_words))
    assert_same(first, again)


def test_read_back_does_not_tokenise(tmp_path, monkeypatch):
    folder = write_pair(tmp_path / "imdb")
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    monkeypatch.setattr(imdb, "from_texts", lambda *a: pytest.fail("tokenised again despite a valid entry"))
    assert len(imdb.load_local(folder, imdb.FULL_VOCABULARY).train_ids) == len(REVIEWS)


def test_round_trip_on_the_real_reviews(shared_data, private_data_cache):
    first = imdb.load_imdb(local_path=str(shared_data), allow_download=False)
    again = imdb.load_imdb(local_path=str(shared_data), allow_download=False)
    assert len(entries(private_data_cache)) == 1
    assert len(again.train_ids) == 25_000 and len(again.test_ids) == 25_000
    assert_same(first, again)


def test_entries_hold_plain_arrays_only(tmp_path, private_data_cache):
    imdb.load_local(write_pair(tmp_path / "imdb"), imdb.FULL_VOCABULARY)
    with np.load(entries(private_data_cache)[0], allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)


def test_an_entry_per_vocabulary_cap_and_per_source(tmp_path, private_data_cache):
    imdb.load_local(write_pair(tmp_path / "a"), imdb.FULL_VOCABULARY)
    imdb.load_local(write_pair(tmp_path / "a"), 12)
    imdb.load_local(write_pair(tmp_path / "b", REVIEWS[:4]), imdb.FULL_VOCABULARY)
    assert len(entries(private_data_cache)) == 3
    assert len(imdb.load_local(tmp_path / "b", imdb.FULL_VOCABULARY).train_ids) == 4


# ----------------------------------------------------------------------------- stale and damaged entries


def test_a_changed_source_file_makes_the_entry_stale(tmp_path, private_data_cache):
    folder = write_pair(tmp_path / "imdb")
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    write_pair(folder, [*REVIEWS, ("a brand new review about zebras", 1)])
    stamp = os.stat(folder / "imdb_train.csv.gz").st_mtime_ns + 5_000_000_000
    os.utime(folder / "imdb_train.csv.gz", ns=(stamp, stamp))  # a new modification time, whatever the clock
    data = imdb.load_local(folder, imdb.FULL_VOCABULARY)
    assert "zebras" in data.vocab.word_index and len(data.train_ids) == len(REVIEWS) + 1
    assert len(entries(private_data_cache)) == 1  # the stale entry was overwritten, not left behind
    assert_same(imdb.load_local(folder, imdb.FULL_VOCABULARY), tokenised_from_scratch(folder, imdb.FULL_VOCABULARY))


def test_an_entry_of_an_older_format_is_rebuilt(tmp_path, monkeypatch):
    folder = write_pair(tmp_path / "imdb")
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    monkeypatch.setattr(imdb, "CACHE_FORMAT", imdb.CACHE_FORMAT + 1)
    calls = []
    real = imdb.from_texts
    monkeypatch.setattr(imdb, "from_texts", lambda *a: calls.append(1) or real(*a))
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    assert calls == [1]  # rebuilt once, then read back


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"not an npz file at all" * 100)


def damage_pickle(path: Path) -> None:
    np.savez(path, words=np.array([{"evil": 1}], dtype=object))  # allow_pickle=False refuses it


def damage_lie(path: Path) -> None:
    """A well-formed entry with the right identity whose offsets do not cut the ids."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["train_offsets"] = arrays["train_offsets"] * 1000
    np.savez(path, **arrays)


def damage_ids(path: Path) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["test_ids"] = arrays["test_ids"] + 10**6  # ids beyond the vocabulary
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage", [damage_truncate, damage_garbage, damage_pickle, damage_lie, damage_ids])
def test_a_corrupt_entry_is_ignored_and_rebuilt(tmp_path, private_data_cache, damage):
    folder = write_pair(tmp_path / "imdb")
    imdb.load_local(folder, imdb.FULL_VOCABULARY)
    (entry,) = entries(private_data_cache)
    damage(entry)
    data = imdb.load_local(folder, imdb.FULL_VOCABULARY)
    assert_same(data, tokenised_from_scratch(folder, imdb.FULL_VOCABULARY))
    with np.load(entry, allow_pickle=False) as npz:
        assert disk_cache.IDENTITY in npz.files
    assert_same(imdb.load_local(folder, imdb.FULL_VOCABULARY), data)


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path, private_data_cache, monkeypatch):
    folder = write_pair(tmp_path / "imdb")

    def fail_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(disk_cache.os, "replace", fail_replace)
    data = imdb.load_local(folder, imdb.FULL_VOCABULARY)  # the load still works without the cache
    assert len(data.train_ids) == len(REVIEWS)
    assert list(private_data_cache.iterdir()) == []


def test_an_acl_folder_is_read_but_not_cached(tmp_path, private_data_cache):
    for split in ("train", "test"):
        for label, name in ((1, "pos"), (0, "neg")):
            (tmp_path / "aclImdb" / split / name).mkdir(parents=True)
            (tmp_path / "aclImdb" / split / name / "0_7.txt").write_text("good" if label else "bad")
    data = imdb.load_local(tmp_path / "aclImdb", imdb.FULL_VOCABULARY)
    assert len(data.train_ids) == 2 and entries(private_data_cache) == []


def test_the_keras_arrays_are_kept_keyed_by_keras_files(tmp_path, monkeypatch, private_data_cache):
    datasets = tmp_path / "keras" / "datasets"
    datasets.mkdir(parents=True)
    (datasets / "imdb.npz").write_bytes(b"stand-in for Keras' file")
    (datasets / "imdb_word_index.json").write_text("{}")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    calls = []

    def fake_download(num_words, deadline):
        calls.append(num_words)
        vocab = imdb.Vocabulary({"great": 1, "film": 2, "bad": 3}, num_words)
        ids = [np.array([1, 4, 5], np.int32), np.array([1, 6], np.int32)]
        labels = np.array([1, 0], np.float32)
        return imdb.ImdbData(ids, labels, ids, labels, vocab, DataSource("download", imdb.KERAS_URL))

    monkeypatch.setattr(imdb, "_download", fake_download)
    first = imdb.load_download(imdb.FULL_VOCABULARY)
    again = imdb.load_download(imdb.FULL_VOCABULARY)
    assert calls == [imdb.FULL_VOCABULARY] and len(entries(private_data_cache)) == 1
    assert_same(first, again)
    assert again.vocab.decode(again.train_ids[0]) == "great film"


# ----------------------------------------------------------------------------- the folder setting


def test_the_folder_is_the_deployers_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_cache.CACHE_ENV_VAR, str(tmp_path / "chosen" / "cache"))
    assert disk_cache.cache_root() == tmp_path / "chosen" / "cache"
    assert (tmp_path / "chosen" / "cache").is_dir()


def test_without_the_setting_the_users_cache_dir_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv(disk_cache.CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk_cache.cache_root() == tmp_path / "xdg" / "rnn-playground"


def test_off_turns_persistence_off(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_cache.CACHE_ENV_VAR, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk_cache.cache_root() is None
    data = imdb.load_local(write_pair(tmp_path / "imdb"), imdb.FULL_VOCABULARY)
    assert len(data.train_ids) == len(REVIEWS) and not (tmp_path / "xdg").exists()


def test_an_unusable_setting_is_not_replaced_by_another_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(disk_cache.CACHE_ENV_VAR, str(blocker / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk_cache.cache_root() is None
    imdb.load_local(write_pair(tmp_path / "imdb"), imdb.FULL_VOCABULARY)
    assert not (tmp_path / "xdg").exists()


def test_loaders_take_no_cache_folder_from_their_callers():
    """A visitor's choices reach the loaders as arguments; none of them names the cache folder."""
    import inspect

    for fn in (imdb.load_imdb, imdb.load_local, imdb.load_download, imdb.read_uploaded_csv):
        assert not any("cache" in name for name in inspect.signature(fn).parameters)
