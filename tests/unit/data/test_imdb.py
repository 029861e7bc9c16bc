"""IMDb data: local copy (real reviews), Keras download path, offline fallback, encoding."""

import gzip

import numpy as np
import pytest

from core.data import imdb
from core.engine.limits import MAX_USER_TEXT_CHARS


@pytest.fixture(scope="module")
def real(shared_data):
    return imdb.load_imdb(local_path=str(shared_data))


def test_local_copy_reads_the_real_reviews(real, shared_data):
    assert real.source.kind == "local"
    assert len(real.train_ids) == 25_000 and len(real.test_ids) == 25_000
    assert 0.45 < real.train_labels.mean() < 0.55
    assert real.vocab.distinct_words > 50_000
    top = sorted(real.vocab.word_index, key=real.vocab.word_index.get)[:5]
    assert "the" in top and "and" in top
    # the first training review, decoded, is the CSV text's words in order
    with gzip.open(shared_data / "imdb" / "imdb_train.csv.gz", "rt", encoding="utf-8") as f:
        import csv

        first = next(csv.DictReader(f))
    assert real.vocab.decode(real.train_ids[0]) == " ".join(imdb.tokenize(first["text"]))
    assert real.train_labels[0] == float(first["label"])


def test_capped_vocabulary_maps_rare_words_to_oov(real):
    small = real.with_vocabulary(1000)
    ids = np.concatenate(small.train_ids[:200])
    assert ids.max() < 1000
    assert (ids == imdb.OOV).any()
    assert small.vocab.decode([small.vocab.word_id("the")]) == "the"


def test_vocabulary_larger_than_the_data_is_reported():
    data = imdb.load_offline(train_size=300, test_size=50)
    assert data.vocabulary_problem(10_000)
    assert not data.vocabulary_problem(50)


def test_encode_decode_round_trip():
    vocab = imdb.Vocabulary({"good": 1, "movie": 2, "not": 3}, num_words=100)
    ids = vocab.encode("Not a GOOD movie!<br />")
    assert ids[0] == imdb.START
    assert vocab.decode(ids) == "not <?> good movie"


def test_pad_keeps_the_end_of_long_reviews():
    out = imdb.pad([np.array([1, 2, 3, 4, 5]), np.array([7])], 3)
    assert out.tolist() == [[3, 4, 5], [0, 0, 7]]


def test_user_text_problems_are_messages():
    vocab = imdb.Vocabulary({"good": 1}, num_words=100)
    assert "empty" in imdb.encode_user_text(vocab, "   ", 50).problem
    assert "punctuation" in imdb.encode_user_text(vocab, "?!...", 50).problem
    assert "vocabulary" in imdb.encode_user_text(vocab, "zyxxy qwerty", 50).problem
    assert "limit" in imdb.encode_user_text(vocab, "good " * MAX_USER_TEXT_CHARS, 50).problem
    ok = imdb.encode_user_text(vocab, "good " * 80, 50)
    assert not ok.problem and ok.truncated and ok.words == 80


def test_download_path_uses_keras_loader(monkeypatch):
    import keras

    calls = {}

    def fake_load_data(num_words=None):
        calls["num_words"] = num_words
        x = np.array([[1, 4, 5], [1, 6]], dtype=object)
        return (x, np.array([1, 0])), (x, np.array([0, 1]))

    monkeypatch.setattr(keras.datasets.imdb, "load_data", fake_load_data)
    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", lambda: {"great": 1, "film": 2, "bad": 3})
    data = imdb.load_imdb(local_path=None)
    assert data.source.kind == "download"
    assert calls["num_words"] is None
    assert data.vocab.decode(data.train_ids[0]) == "great film"


def test_offline_fallback_when_the_download_raises(monkeypatch, without_local_data):
    def boom(num_words):
        raise OSError("no route to host")

    monkeypatch.setattr(imdb, "load_download", boom)
    data = imdb.load_imdb()
    assert data.source.kind == "offline" and data.source.is_synthetic
    assert "no route to host" in data.source.notice
    assert "not real IMDb" in data.source.notice
    assert len(data.train_ids) > 1000 and set(np.unique(data.train_labels)) == {0.0, 1.0}


def test_missing_local_path_is_mentioned_in_the_notice(monkeypatch):
    monkeypatch.setattr(imdb, "load_download", lambda n: (_ for _ in ()).throw(OSError("offline")))
    data = imdb.load_imdb(local_path="/nonexistent/imdb")
    assert "does not exist" in data.source.notice


def test_single_csv_file_is_split(tmp_path):
    rows = ["id,rating,label,text"] + [
        f"{i},8,{i % 2},review number {i} was {'good' if i % 2 else 'bad'}" for i in range(40)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows))
    data = imdb.load_local(path, 1000)
    assert len(data.train_ids) == 20 and len(data.test_ids) == 20


def test_uploaded_csv_validation():
    good = "text,label\n" + "\n".join(f"nice film {i},{i % 2}" for i in range(30))
    assert len(imdb.read_uploaded_csv(good.encode(), 100).train_ids) == 15
    with pytest.raises(ValueError, match="empty"):
        imdb.read_uploaded_csv(b"", 100)
    with pytest.raises(ValueError, match="UTF-8"):
        imdb.read_uploaded_csv(b"\xff\xfe\x00\x81binary", 100)
    with pytest.raises(ValueError, match="columns"):
        imdb.read_uploaded_csv(b"a,b\n1,2\n", 100)
    with pytest.raises(ValueError, match=r"0 .negative. or 1"):
        imdb.read_uploaded_csv(("text,label\n" + "x,5\n" * 30).encode(), 100)


def last_opinion(text: str) -> float:
    """The polarity of a generated review's last opinion clause, a negation flipping its adjective."""
    clauses = [c for sentence in text.rstrip(".").split(". ") for c in sentence.split(", ")]
    for clause in reversed(clauses):
        words = clause.split()
        adjectives = [w for w in words if w in imdb._POSITIVE or w in imdb._NEGATIVE]
        if adjectives:
            negated = any(w in ("not", "never", "hardly", "far") for w in words)
            return float((adjectives[-1] in imdb._POSITIVE) != negated)
    raise AssertionError(f"no opinion in {text!r}")


def test_generated_reviews_are_deterministic_and_the_last_opinion_decides():
    texts, labels = imdb.generate_reviews(300, seed=3, noise=0.0)
    again, labels_again = imdb.generate_reviews(300, seed=3, noise=0.0)
    assert texts == again and labels.tolist() == labels_again.tolist()
    assert [last_opinion(t) for t in texts] == labels.tolist()
    # word order matters: many reviews hold both a positive and a negative word (more, negated, hold two opinions)
    both = [t for t in texts if {*t.replace(".", " ").replace(",", " ").split()} & {*imdb._POSITIVE}
            and {*t.replace(".", " ").replace(",", " ").split()} & {*imdb._NEGATIVE}]  # fmt: skip
    assert len(both) > len(texts) / 3
    _, noisy = imdb.generate_reviews(2_000, seed=3)
    flipped = np.mean(noisy != imdb.generate_reviews(2_000, seed=3, noise=0.0)[1])
    assert 0.02 < flipped < 0.08  # about LABEL_NOISE of the labels disagree with the words


def test_the_stand_in_is_large_enough_for_the_default_preset():
    data = imdb.load_offline(train_size=3_000, test_size=500)
    assert data.vocab.distinct_words > 1_000  # minor characters' names: rare words to memorise
    assert data.longest_review < 80


def test_single_csv_sorted_by_label_puts_both_classes_in_both_splits(tmp_path):
    """A file sorted by label must not train on one class and test on the other."""
    rows = [("a wonderful film", 1)] * 60 + [("a dull film", 0)] * 60
    body = "text,label\n" + "".join(f"{t},{label}\n" for t, label in rows)
    (tmp_path / "sorted.csv").write_text(body)
    for data in (imdb.load_local(tmp_path / "sorted.csv", 1000), imdb.read_uploaded_csv(body.encode(), 1000)):
        assert set(data.train_labels.tolist()) == {0.0, 1.0}
        assert set(data.test_labels.tolist()) == {0.0, 1.0}
        assert len(data.train_labels) == len(data.test_labels) == 60
