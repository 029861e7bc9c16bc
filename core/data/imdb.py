"""IMDb movie reviews (Maas et al., 2011) as token-id sequences for sentiment analysis.

Sources, tried in order:
  1. a local copy: the project's CSV format (`imdb_train.csv.gz` / `imdb_test.csv.gz`
     with columns id,rating,label,text), a single CSV with `text` and `label` columns,
     or the aclImdb folder (train/pos/*.txt ...);
  2. the real download, `keras.datasets.imdb.load_data` with its word index;
  3. an offline default: short reviews the playground generates from templates,
     labelled as such everywhere they are shown.

Token ids follow the Keras convention so all three sources look alike to the model:
0 = padding, 1 = start of review, 2 = out-of-vocabulary, and word of frequency rank r
(1 = most frequent) gets id r + 3. A vocabulary of `num_words` keeps ids below it.

Tokenising a local copy (50,000 reviews) costs seconds of CPU, so its result is kept on disk
(core.data.disk_cache, the deployer's RNN_PLAYGROUND_CACHE folder) keyed by the source files'
path, size and modification time: a freshly started server reads it back in a fraction of a
second. The Keras download's arrays are kept the same way (keyed by Keras' own cached files),
so a restart does not import TensorFlow just to read them. An aclImdb folder is not kept (its
identity would be 50,000 files).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from core.data import disk_cache
from core.data.local import DataSource, check_local, first_source, locate_local, run_with_deadline
from core.engine.limits import MAX_USER_TEXT_CHARS

PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3
FULL_VOCABULARY = 10**9  # "no cap": every word keeps its own id
RESERVED = {PAD: "<pad>", START: "<start>", OOV: "<?>"}
KERAS_URL = "keras.datasets.imdb (https://ai.stanford.edu/~amaas/data/sentiment/)"
DOWNLOAD_DEADLINE_S = 120.0  # imdb.npz (17 MB) and its word index, checked against Keras' pinned hashes
SPLIT_SEED = 1337  # shuffles a single CSV before its half/half split
CACHE_FORMAT = 1  # bump when tokenize(), the id scheme or the entry's arrays change: old entries are rebuilt
logger = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-case words; HTML line breaks and punctuation dropped (as Keras' word index)."""
    return _WORD.findall(_TAG.sub(" ", text.lower()))


# ----------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Word <-> id mapping shared by training data and the user's own text."""

    word_index: dict[str, int]  # word -> frequency rank (1 = most frequent)
    num_words: int  # ids >= num_words become OOV
    _index_word: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self._index_word:
            self._index_word.update({rank + INDEX_FROM: w for w, rank in self.word_index.items()})

    @property
    def distinct_words(self) -> int:
        return len(self.word_index)

    def word_id(self, word: str) -> int:
        rank = self.word_index.get(word)
        if rank is None or rank + INDEX_FROM >= self.num_words:
            return OOV
        return rank + INDEX_FROM

    def encode(self, text: str) -> np.ndarray:
        """Token ids for `text`, starting with the start token."""
        return np.array([START] + [self.word_id(w) for w in tokenize(text)], dtype=np.int32)

    def decode(self, ids: Iterable[int], skip_padding: bool = True) -> str:
        words = []
        for i in ids:
            i = int(i)
            if skip_padding and i in (PAD, START):
                continue
            words.append(RESERVED.get(i) or self._index_word.get(i, RESERVED[OOV]))
        return " ".join(words)


@dataclass(frozen=True)
class EncodedText:
    """A user's review, checked and encoded; `problem` is set when it can't be scored."""

    ids: np.ndarray
    words: int
    unknown: int
    problem: str = ""
    truncated: bool = False


def encode_user_text(vocab: Vocabulary, text: str, max_length: int) -> EncodedText:
    """Encode a review a user typed, with a readable reason when it cannot be scored."""
    empty = np.zeros(0, dtype=np.int32)
    if not text or not text.strip():
        return EncodedText(empty, 0, 0, "The review is empty - type a few sentences first.")
    if len(text) > MAX_USER_TEXT_CHARS:
        return EncodedText(
            empty,
            0,
            0,
            f"The review is {len(text):,} characters long; the limit is {MAX_USER_TEXT_CHARS:,}. Shorten it.",
        )
    words = tokenize(text)
    if not words:
        return EncodedText(empty, 0, 0, "No words found - the review has only punctuation or symbols.")
    ids = vocab.encode(text)
    unknown = int(np.sum(ids[1:] == OOV))
    if unknown == len(words):
        return EncodedText(
            ids,
            len(words),
            unknown,
            "None of these words is in the model's vocabulary, so it would only see unknown-word "
            "tokens. Try common English words, or train with a larger vocabulary.",
        )
    truncated = len(ids) > max_length
    return EncodedText(ids, len(words), unknown, truncated=truncated)


def pad(sequences: list[np.ndarray], max_length: int) -> np.ndarray:
    """Pad/truncate at the front (Keras' default): a review's ending is kept, zeros lead."""
    out = np.zeros((len(sequences), max_length), dtype=np.int32)
    for i, seq in enumerate(sequences):
        seq = seq[-max_length:]
        if len(seq):
            out[i, -len(seq) :] = seq
    return out


# ----------------------------------------------------------------------------- data set


@dataclass(frozen=True)
class ImdbData:
    """Reviews as ragged token-id arrays (capped to the vocabulary) with 0/1 labels."""

    train_ids: list[np.ndarray]
    train_labels: np.ndarray
    test_ids: list[np.ndarray]
    test_labels: np.ndarray
    vocab: Vocabulary
    source: DataSource

    def with_vocabulary(self, num_words: int) -> ImdbData:
        """The same reviews with every word ranked >= num_words mapped to the OOV id."""
        cap = lambda seqs: [np.where(s >= num_words, OOV, s).astype(np.int32) for s in seqs]  # noqa: E731
        vocab = Vocabulary(self.vocab.word_index, num_words)
        return ImdbData(
            cap(self.train_ids), self.train_labels, cap(self.test_ids), self.test_labels, vocab, self.source
        )

    @property
    def vocabulary_ids(self) -> int:
        """The vocabulary size that gives every word of this data its own id (plus padding, start, unknown)."""
        return self.vocab.distinct_words + INDEX_FROM

    @property
    def longest_review(self) -> int:
        """Tokens in the longest training review (its start token included)."""
        return max((len(s) for s in self.train_ids), default=0)

    def vocabulary_problem(self, num_words: int) -> str:
        """A message when the requested vocabulary is larger than the words the data has."""
        available = self.vocab.distinct_words + INDEX_FROM
        if num_words > available:
            return (
                f"The vocabulary size ({num_words:,}) is larger than the {self.vocab.distinct_words:,} distinct "
                f"words in this data; choose at most {available:,}."
            )
        return ""

    def summary(self) -> dict[str, int | float]:
        lengths = np.array([len(s) for s in self.train_ids]) if self.train_ids else np.zeros(1)
        return {
            "train reviews": len(self.train_ids),
            "test reviews": len(self.test_ids),
            "distinct words": self.vocab.distinct_words,
            "median length (tokens)": float(np.median(lengths)),
            "positive share (train)": float(np.mean(self.train_labels)) if len(self.train_labels) else 0.0,
        }


def _build_word_index(token_lists: Iterable[list[str]]) -> dict[str, int]:
    counts = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {w: r for r, (w, _) in enumerate(ranked, start=1)}


def _encode_all(token_lists: list[list[str]], vocab: Vocabulary) -> list[np.ndarray]:
    return [np.array([START] + [vocab.word_id(w) for w in toks], dtype=np.int32) for toks in token_lists]


def from_texts(
    train: tuple[list[str], np.ndarray],
    test: tuple[list[str], np.ndarray],
    num_words: int,
    source: DataSource,
) -> ImdbData:
    """Tokenise raw reviews, rank words by training-set frequency, encode both splits."""
    train_tokens = [tokenize(t) for t in train[0]]
    test_tokens = [tokenize(t) for t in test[0]]
    vocab = Vocabulary(_build_word_index(train_tokens), num_words)
    return ImdbData(
        _encode_all(train_tokens, vocab),
        np.asarray(train[1], dtype=np.float32),
        _encode_all(test_tokens, vocab),
        np.asarray(test[1], dtype=np.float32),
        vocab,
        source,
    )


# ----------------------------------------------------------------------------- local copies


def _read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    check_local(path)  # a regular file under the size cap (a pipe or device is refused unopened)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path.name}: expected columns 'text' and 'label', found {reader.fieldnames}.")
        texts, labels = [], []
        for number, row in enumerate(reader, start=1):
            try:
                labels.append(int(row["label"]))
            except (TypeError, ValueError) as err:
                raise ValueError(f"{path.name}, review {number}: the label must be 0 or 1.") from err
            texts.append(row["text"] or "")
    if not texts:
        raise ValueError(f"{path.name} has no reviews.")
    return texts, np.array(labels, dtype=np.float32)


def _read_acl_folder(folder: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for label, name in ((1, "pos"), (0, "neg")):
        for file in sorted((folder / name).glob("*.txt")):
            texts.append(file.read_text(encoding="utf-8"))
            labels.append(label)
    order = np.random.default_rng(1337).permutation(len(texts))
    return [texts[i] for i in order], np.array(labels, dtype=np.float32)[order]


def _split(texts: list[str], labels: np.ndarray, test_fraction: float = 0.5):
    """Shuffle (fixed seed) and cut: a file sorted by label still puts both classes in both halves."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(texts))
    texts, labels = [texts[i] for i in order], np.asarray(labels)[order]
    cut = int(len(texts) * (1 - test_fraction))
    return (texts[:cut], labels[:cut]), (texts[cut:], labels[cut:])


def local_layout(path: Path) -> tuple[str, list[Path]]:
    """How a local copy is laid out: ("pair", [train csv, test csv]), ("acl", [train folder, test folder])
    or ("single", [csv]) - the files `read_local_texts` reads."""
    if not path.is_dir():
        return "single", [path]
    if (path / "imdb").is_dir():
        path = path / "imdb"
    for train_name, test_name in (("imdb_train.csv.gz", "imdb_test.csv.gz"), ("imdb_train.csv", "imdb_test.csv")):
        if (path / train_name).exists() and (path / test_name).exists():
            return "pair", [path / train_name, path / test_name]
    acl = path / "aclImdb" if (path / "aclImdb").is_dir() else path
    if (acl / "train" / "pos").is_dir() and (acl / "test" / "pos").is_dir():
        return "acl", [acl / "train", acl / "test"]
    raise FileNotFoundError(
        f"{path} holds no IMDb data: expected imdb_train.csv.gz + imdb_test.csv.gz or an aclImdb folder."
    )


def read_local_texts(path: Path) -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]:
    """Raw (texts, labels) for train and test from any supported local layout."""
    layout, files = local_layout(path)
    if layout == "pair":
        return _read_csv(files[0]), _read_csv(files[1])
    if layout == "acl":
        return _read_acl_folder(files[0]), _read_acl_folder(files[1])
    texts, labels = _read_csv(files[0])
    return _split(texts, labels)


def load_local(path: Path, num_words: int) -> ImdbData:
    """A local copy, tokenised - or read back from the data cache when these files were tokenised before."""
    source = DataSource("local", str(path))
    layout, files = local_layout(path)

    def build() -> ImdbData:
        train, test = read_local_texts(path)
        return from_texts(train, test, num_words, source)

    if layout == "acl":
        return build()
    return cached_or_built("imdb-local", files, num_words, source, build)


# ----------------------------------------------------------------------------- the data cache


def to_arrays(data: ImdbData) -> dict[str, np.ndarray]:
    """The data set as flat NumPy arrays (no objects, no pickle): ids and offsets per split, the words
    (UTF-8, one per line) with their ranks. ValueError when a word cannot be stored that way."""
    words = list(data.vocab.word_index)
    if any("\n" in w for w in words):
        raise ValueError("a vocabulary word holds a line break")
    arrays = {
        "words": np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        "ranks": np.fromiter(data.vocab.word_index.values(), dtype=np.int64, count=len(words)),
        "num_words": np.array([data.vocab.num_words], dtype=np.int64),
    }
    splits = (("train", data.train_ids, data.train_labels), ("test", data.test_ids, data.test_labels))
    for split, seqs, labels in splits:
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
        arrays[f"{split}_ids"] = np.concatenate(seqs).astype(np.int32) if seqs else np.zeros(0, np.int32)
        arrays[f"{split}_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        arrays[f"{split}_labels"] = np.asarray(labels, dtype=np.float32)
    return arrays


def _ragged(arrays: dict[str, np.ndarray], split: str, max_id: int) -> tuple[list[np.ndarray], np.ndarray]:
    ids, offsets, labels = (arrays[f"{split}_{name}"] for name in ("ids", "offsets", "labels"))
    if ids.dtype != np.int32 or offsets.dtype != np.int64 or labels.dtype != np.float32:
        raise ValueError(f"{split}: unexpected dtypes")
    if ids.ndim != 1 or offsets.ndim != 1 or labels.ndim != 1 or len(offsets) != len(labels) + 1:
        raise ValueError(f"{split}: unexpected shapes")
    if offsets[0] != 0 or offsets[-1] != len(ids) or np.any(np.diff(offsets) < 0):
        raise ValueError(f"{split}: offsets do not cut the ids")
    if len(ids) and (ids.min() < 0 or ids.max() > max_id):
        raise ValueError(f"{split}: token ids out of range")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError(f"{split}: labels are not 0/1")
    bounds = offsets.tolist()
    return [ids[a:b] for a, b in pairwise(bounds)], labels


def from_arrays(arrays: dict[str, np.ndarray], source: DataSource) -> ImdbData:
    """`to_arrays`'s inverse, checked: ValueError (or KeyError) when the arrays do not make a data set."""
    words = arrays["words"].tobytes().decode("utf-8").split("\n") if len(arrays["words"]) else []
    ranks = arrays["ranks"]
    if ranks.dtype != np.int64 or ranks.shape != (len(words),) or (len(ranks) and ranks.min() < 1):
        raise ValueError("the ranks do not match the words")
    num_words = int(arrays["num_words"][0])
    max_id = max(int(ranks.max()) + INDEX_FROM if len(ranks) else OOV, OOV)
    max_id = min(max_id, num_words - 1)
    train_ids, train_labels = _ragged(arrays, "train", max_id)
    test_ids, test_labels = _ragged(arrays, "test", max_id)
    vocab = Vocabulary(dict(zip(words, ranks.tolist(), strict=True)), num_words)
    return ImdbData(train_ids, train_labels, test_ids, test_labels, vocab, source)


def cached_or_built(
    kind: str, files: list[Path], num_words: int, source: DataSource, build: Callable[[], ImdbData]
) -> ImdbData:
    """The data derived from `files`, read from the data cache, else build() (and stored for next time).

    A missing, stale (the files changed, or an older format) or damaged entry is rebuilt and overwritten.
    """
    root = disk_cache.cache_root()
    try:
        entry = None if root is None else disk_cache.identity(kind, CACHE_FORMAT, files, num_words=num_words)
    except OSError:
        entry = None
    path = None if entry is None else disk_cache.entry_path(root, kind, files, num_words=num_words)
    if path is not None and entry is not None:
        arrays = disk_cache.read(path, entry)
        if arrays is not None:
            try:
                return from_arrays(arrays, source)
            except (ValueError, KeyError, IndexError, UnicodeDecodeError) as err:
                logger.warning("data cache entry %s is inconsistent (%s); rebuilding it", path.name, err)
    data = build()
    if path is not None and entry is not None:
        try:
            disk_cache.write(path, entry, to_arrays(data))
        except ValueError as err:
            logger.info("IMDb data not cached: %s", err)
    return data


# ----------------------------------------------------------------------------- download


def _keras_download(num_words: int):
    from keras.datasets import imdb as keras_imdb

    arrays = keras_imdb.load_data(num_words=None if num_words >= FULL_VOCABULARY else num_words)
    return arrays, keras_imdb.get_word_index()


def keras_cached_files() -> list[Path] | None:
    """Keras' own copies of imdb.npz and its word index, when it has downloaded them (found without
    importing Keras: $KERAS_HOME, else ~/.keras, else the temp folder Keras falls back to)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    for base in (Path(home), Path(tempfile.gettempdir()) / ".keras"):
        files = [base / "datasets" / "imdb.npz", base / "datasets" / "imdb_word_index.json"]
        if all(f.is_file() for f in files):
            return files
    return None


def load_download(num_words: int, deadline: float = DOWNLOAD_DEADLINE_S) -> ImdbData:
    """The real Keras data: read back from the data cache when Keras' files are already on disk,
    else downloaded (and then kept in the data cache)."""
    files = keras_cached_files()
    if files is not None:
        build = lambda: _download(num_words, deadline)  # noqa: E731
        return cached_or_built("imdb-keras", files, num_words, DataSource("download", KERAS_URL), build)
    data = _download(num_words, deadline)
    files = keras_cached_files()
    if files is not None:
        return cached_or_built("imdb-keras", files, num_words, data.source, lambda: data)
    return data


def _download(num_words: int, deadline: float) -> ImdbData:
    """The real Keras loader (downloads imdb.npz and its word index on first use).

    Keras pins both files' hashes; the download runs on a worker thread with a deadline
    because get_file has no timeout (a stalled connection would otherwise spin forever).
    """
    ((x_train, y_train), (x_test, y_test)), word_index = run_with_deadline(
        lambda: _keras_download(num_words), deadline, "imdb-download"
    )
    vocab = Vocabulary(word_index, num_words)
    as_arrays = lambda xs: [np.asarray(s, dtype=np.int32) for s in xs]  # noqa: E731
    return ImdbData(
        as_arrays(x_train),
        y_train.astype(np.float32),
        as_arrays(x_test),
        y_test.astype(np.float32),
        vocab,
        DataSource("download", KERAS_URL),
    )


# ----------------------------------------------------------------------------- offline default
#
# The stand-in must teach what the real reviews teach: reading in order matters. Most generated
# reviews hold BOTH a positive and a negative opinion, and only word order says which one decides:
# the clause after "but" ("the acting was superb, but the plot was not clever"), or the twist at the
# end ("everyone told me the film was dull ... in the end it was gripping"); a negation flips the
# adjective right after it. A bag of words (the one-to-one baseline) sees the same words either way,
# so on those reviews it can only guess; a recurrent network that reads in order can learn the rule.
# A few reviews are plain (every opinion agrees), and a few labels disagree with the words, as a
# reviewer's star rating sometimes does - that noise is what a big model memorises when it overfits.

_SUBJECTS = [
    "the film", "the plot", "the acting", "the story", "the ending", "the script", "the cast",
    "the music", "the soundtrack", "the dialogue", "the pacing", "the direction", "the camera work",
    "the lead actor", "the lead actress", "the villain", "the hero", "the first half", "the second half",
    "the opening scene", "the final act", "the humour", "the special effects", "the editing",
    "the costumes", "the screenplay", "the supporting cast", "the score", "the premise", "the romance",
]  # fmt: skip
_POSITIVE = [
    "wonderful", "moving", "brilliant", "charming", "gripping", "beautiful", "clever", "delightful",
    "superb", "touching", "excellent", "funny", "powerful", "stunning", "witty", "memorable", "fresh",
    "thrilling", "heartfelt", "inventive", "elegant", "gorgeous", "smart", "engaging", "lovely",
    "haunting", "masterful", "uplifting", "sharp", "great",
]  # fmt: skip
_NEGATIVE = [
    "dull", "boring", "awful", "clumsy", "tedious", "predictable", "weak", "painful", "lifeless", "silly",
    "terrible", "bland", "forgettable", "messy", "shallow", "flat", "pointless", "dreadful", "stiff",
    "confusing", "lazy", "cheap", "overlong", "hollow", "tiresome", "muddled", "wooden", "clunky",
    "annoying", "bad",
]  # fmt: skip
_INTENSIFIERS = ["", "", "", "really ", "very ", "quite ", "truly ", "rather ", "utterly ", "pretty "]
_NEGATIONS = ["not", "never", "hardly", "far from"]
_NEGATION_RATE = 0.3
_CONTRASTS = ["but", "however", "yet", "though", "still", "that said"]
_EXPECTATIONS = [
    "everyone told me {s} was {a}",
    "the trailer made {s} look {a}",
    "at first {s} seemed {a}",
    "my friends said {s} was {a}",
    "the critics wrote that {s} was {a}",
    "for the first hour {s} felt {a}",
]
_ENDINGS = ["in the end", "all in all", "overall", "by the last scene", "looking back", "in the final count"]
_NAMES = [
    "anna", "ben", "carla", "david", "elena", "frank", "grace", "hugo", "iris", "jack", "kate", "leo",
    "maria", "nick", "olga", "paul", "quinn", "rosa", "sam", "tina", "victor", "wendy", "yusuf", "zoe",
    "marco", "nadia", "oscar", "pia", "ravi", "sofia", "tom", "uma", "walter", "ximena", "yara", "omar",
]  # fmt: skip
_PLACES = [
    "london", "paris", "berlin", "toronto", "sydney", "mumbai", "lagos", "lisbon", "oslo", "chicago",
    "madrid", "seoul", "prague", "dublin", "vienna", "cairo", "lima", "tokyo",
]  # fmt: skip
_FILLER = [
    "i watched it on a {day} evening",
    "it runs for about {n} hours",
    "my friend {name} picked it",
    "it came out a few years ago",
    "the cinema in {place} was half empty",
    "i had read the book before",
    "{name} plays the lead and {name} the sister",
    "it was filmed in {place}",
    "i saw it with {name} at a festival in {place}",
    "the story is set in {place} in the {decade}",
    "it is based on a true story",
    "{name} wrote the script with {name}",
    "{rare} appears as the neighbour",
    "the cameo by {rare} made me laugh",
    "{rare} and {rare} play the twins",
    "{rare} directed it after {rare}",
    "the town of {rare} looks real",
    "{rare} composed the theme",
]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DECADES = ["twenties", "thirties", "fifties", "sixties", "seventies", "eighties", "nineties"]
LABEL_NOISE = 0.05  # share of generated labels that disagree with the words (as some star ratings do)
# Kinds of generated review, with their shares: every opinion agrees; two opinions and "but"; a twist at the end.
KINDS = {"plain": 0.35, "contrast": 0.35, "twist": 0.3}


_SYLLABLES = ["ka", "lo", "mi", "dre", "van", "so", "tel", "ri", "bo", "nu", "zal", "fe", "gor", "in", "ya", "pe"]
# Names of minor characters, made of syllables: 4,096 rare words, as a real review's cast and places are.
_RARE_NAMES = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return str(items[int(rng.integers(len(items)))])


def _filler(rng: np.random.Generator) -> str:
    text = _pick(rng, _FILLER)
    while "{name}" in text:
        text = text.replace("{name}", _pick(rng, _NAMES), 1)
    while "{rare}" in text:
        text = text.replace("{rare}", _pick(rng, _RARE_NAMES), 1)
    return text.format(
        place=_pick(rng, _PLACES), day=_pick(rng, _DAYS), n=_pick(rng, ["two", "three"]), decade=_pick(rng, _DECADES)
    )


def _adjective(rng: np.random.Generator, positive: bool) -> tuple[str, bool]:
    """An opinion that is `positive` in effect: 'superb', or a negated 'not dull' (either polarity word)."""
    negated = bool(rng.random() < _NEGATION_RATE)
    word = _pick(rng, _POSITIVE if positive != negated else _NEGATIVE)
    return (f"{_pick(rng, _NEGATIONS)} {word}" if negated else f"{_pick(rng, _INTENSIFIERS)}{word}"), negated


def _opinion(rng: np.random.Generator, positive: bool) -> str:
    return f"{_pick(rng, _SUBJECTS)} was {_adjective(rng, positive)[0]}"


def _generated_review(rng: np.random.Generator) -> tuple[str, int]:
    """One review and the label its words give (the opinion that decides: the only one, the one after
    "but", or the one at the end)."""
    positive = bool(rng.random() < 0.5)
    kind = rng.choice(list(KINDS), p=list(KINDS.values()))
    if kind == "plain":
        sentences = [_opinion(rng, positive) for _ in range(int(rng.integers(1, 3)))]
    elif kind == "contrast":
        sentences = [f"{_opinion(rng, not positive)}, {_pick(rng, _CONTRASTS)} {_opinion(rng, positive)}"]
    else:
        before = _pick(rng, _EXPECTATIONS).format(s=_pick(rng, _SUBJECTS), a=_adjective(rng, not positive)[0])
        after, _ = _adjective(rng, positive)
        sentences = [before, _filler(rng), f"{_pick(rng, _ENDINGS)} {_pick(rng, _SUBJECTS)} was {after}"]
    for _ in range(int(rng.integers(0, 3))):  # filler never comes last: the decisive opinion stays at the end
        sentences.insert(int(rng.integers(0, len(sentences))), _filler(rng))
    return ". ".join(sentences) + ".", int(positive)


def generate_reviews(n: int, seed: int, noise: float = LABEL_NOISE) -> tuple[list[str], np.ndarray]:
    """`n` generated reviews and their labels; a `noise` share of labels is flipped (fixed by the seed)."""
    rng = np.random.default_rng(seed)
    pairs = [_generated_review(rng) for _ in range(n)]
    labels = np.array([label for _, label in pairs], dtype=np.float32)
    flip = rng.random(n) < noise
    labels[flip] = 1.0 - labels[flip]
    return [t for t, _ in pairs], labels


OFFLINE_DESCRIPTION = (
    "generated reviews in which word order decides ('the acting was superb, but the plot was not clever.'): "
    "the opinion after 'but' or at the end wins, and 'not' flips the word after it - a stand-in for IMDb, "
    "not real reviews"
)
OFFLINE_TRAIN, OFFLINE_TEST = 25_000, 5_000  # as many training reviews as IMDb: the default preset's budget fits


def load_offline(
    num_words: int = FULL_VOCABULARY, train_size: int = OFFLINE_TRAIN, test_size: int = OFFLINE_TEST, notice: str = ""
) -> ImdbData:
    return from_texts(
        generate_reviews(train_size, seed=1),
        generate_reviews(test_size, seed=2),
        num_words,
        DataSource("offline", OFFLINE_DESCRIPTION, notice),
    )


# ----------------------------------------------------------------------------- entry point


def load_imdb(num_words: int = FULL_VOCABULARY, local_path: str | None = None, allow_download: bool = True) -> ImdbData:
    """IMDb from the first source that works: local copy, download, offline default.

    Load once with the default (uncapped) vocabulary and call `with_vocabulary(n)` for
    each size the user tries: tokenising 50,000 reviews is the slow part.
    """
    problems: list[str] = []
    return first_source(
        "IMDb",
        locate_local("imdb", local_path, problems),
        lambda path: load_local(path, num_words),
        (OSError, ValueError, csv.Error),
        (lambda: load_download(num_words)) if allow_download else None,
        lambda notice: load_offline(num_words, notice=notice),
        "generated template reviews, not real IMDb data",
        problems,
    )


def read_uploaded_csv(data: bytes, num_words: int, name: str = "upload.csv") -> ImdbData:
    """Reviews from an uploaded CSV with `text` and `label` columns, split half/half."""
    if not data:
        raise ValueError("The uploaded file is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError("The uploaded file is not UTF-8 text (is it a binary file?).") from err
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"Expected columns 'text' and 'label'; found {list(reader.fieldnames or [])[:12]}.")
        rows = [(r["text"], r["label"]) for r in reader]
    except csv.Error as err:
        raise ValueError(f"The uploaded file is not a readable CSV ({err}).") from err
    try:
        labels = np.array([int(label) for _, label in rows], dtype=np.float32)
    except (TypeError, ValueError) as err:  # TypeError: a row without a label
        raise ValueError("Every label must be 0 (negative) or 1 (positive).") from err
    if len(rows) < 20:
        raise ValueError(f"Only {len(rows)} reviews; at least 20 are needed to train and test.")
    if not set(np.unique(labels)) <= {0.0, 1.0}:
        raise ValueError("Every label must be 0 (negative) or 1 (positive).")
    train, test = _split([t for t, _ in rows], labels)
    return from_texts(train, test, num_words, DataSource("upload", name))
