"""Text for the character-level language model: tiny Shakespeare, your own text, or a stand-in.

Sources, tried in order by `load_shakespeare`:
  1. a local copy: an explicit file (or folder holding `shakespeare.txt`), or
     `$RNN_PLAYGROUND_DATA/shakespeare.txt`;
  2. the real download, `keras.utils.get_file("shakespeare.txt", URL)` with the file's pinned
     SHA-256, which keeps a copy in `KERAS_HOME/datasets/` and reuses it next time only if the
     hash matches (a copy cut short is fetched again); a worker thread bounds its duration;
  3. an offline default: play-like dialogue the playground GENERATES from a small grammar of
     invented speakers and phrases - labelled as generated wherever it is shown.

`read_upload` turns a user's file into the same `TextCorpus`, refusing empty, binary, non-UTF-8
or oversized files with a message that says what to do.
"""

from __future__ import annotations

import os
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

from core.data.local import DataSource, check_local, first_source, locate_local, read_bounded, run_with_deadline
from core.engine.limits import MAX_LOCAL_FILE_BYTES, MAX_UPLOAD_BYTES

FILE_NAME = "shakespeare.txt"
URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"
# TensorFlow publishes no hash for this file; these are the SHA-256 and size of the known file
# (identical to ../shared/data/shakespeare.txt), so a download cut short is never reused.
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
SIZE_BYTES = 1_115_394
DOWNLOAD_DEADLINE_S = 30.0  # the whole download (about 1 MB)
# Below this a character model has too little to learn from (and the split leaves no validation).
MIN_TEXT_CHARS = 2_000
# Share of control characters (other than newline, tab, carriage return) that marks a binary file.
MAX_CONTROL_SHARE = 0.01


class UploadError(ValueError):
    """A file a user gave that cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class TextCorpus:
    """One training text and where it came from."""

    text: str
    source: DataSource
    name: str  # short label for the UI ("tiny Shakespeare", "my_poems.txt", ...)

    def summary(self) -> dict[str, int]:
        return {
            "characters": len(self.text),
            "distinct characters": len(set(self.text)),
            "lines": self.text.count("\n") + 1,
            "words (approx.)": len(self.text.split()),
        }


# ----------------------------------------------------------------------------- local and download


def normalise(text: str) -> str:
    """Unix line ends, no byte-order mark: the model should not have to learn '\\r\\n'."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def load_local(path: str | os.PathLike) -> TextCorpus:
    """A UTF-8 text file, or a folder that holds `shakespeare.txt` (devices, pipes and huge files refused)."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    text = _decode(read_bounded(check_local(path, MAX_LOCAL_FILE_BYTES)), path.name)
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError(f"{path.name} has only {len(text):,} characters; at least {MIN_TEXT_CHARS:,} are needed.")
    name = "tiny Shakespeare" if path.name == FILE_NAME else path.name
    return TextCorpus(text, DataSource("local", str(path)), name)


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise ValueError(f"{name} is not a text file (it contains zero bytes).")
    try:
        return normalise(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{name} is not UTF-8 text (undecodable byte at position {err.start}).") from err


def _get_file(cache_dir: str | None) -> str:
    import keras

    return keras.utils.get_file(FILE_NAME, URL, cache_dir=cache_dir, file_hash=SHA256, hash_algorithm="sha256")


def load_download(cache_dir: str | None = None, deadline: float = DOWNLOAD_DEADLINE_S) -> TextCorpus:
    """The real loader: Keras downloads the file once and keeps it in KERAS_HOME/datasets.

    The file's SHA-256 is pinned, so a copy cut short (or changed) is fetched again rather
    than reused; the download runs on a worker thread with a deadline (get_file has no timeout).
    """
    cache_dir = cache_dir or os.environ.get("KERAS_HOME") or None
    path = run_with_deadline(lambda: _get_file(cache_dir), deadline, "shakespeare-download")
    data = read_bounded(path, MAX_LOCAL_FILE_BYTES)
    if len(data) != SIZE_BYTES:
        raise ValueError(f"the downloaded file has {len(data):,} bytes, expected {SIZE_BYTES:,}")
    text = _decode(data, FILE_NAME)
    return TextCorpus(text, DataSource("download", f"{URL} (cached at {path})"), "tiny Shakespeare")


def load_shakespeare(
    local_path: str | None = None, allow_download: bool = True, cache_dir: str | None = None
) -> TextCorpus:
    """Tiny Shakespeare from the first source that works; the generated default otherwise."""
    problems: list[str] = []
    return first_source(
        "Shakespeare",
        locate_local(FILE_NAME, local_path, problems),
        load_local,
        (OSError, ValueError),
        (lambda: load_download(cache_dir)) if allow_download else None,
        lambda notice: load_offline(notice=notice),
        "play-like dialogue generated by the playground",
        problems,
    )


# ----------------------------------------------------------------------------- uploads


def read_upload(data: bytes, name: str = "upload.txt", max_bytes: int = MAX_UPLOAD_BYTES) -> TextCorpus:
    """A user's UTF-8 text file, checked; raises UploadError with a readable reason."""
    if not data or not data.strip():
        raise UploadError(f"'{name}' is empty - choose a text file with at least {MIN_TEXT_CHARS:,} characters.")
    if len(data) > max_bytes:
        raise UploadError(
            f"'{name}' is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB. "
            "Upload a shorter excerpt (a few hundred kB is plenty for a character model)."
        )
    if b"\x00" in data:
        raise UploadError(f"'{name}' looks like a binary file (it contains zero bytes). Upload plain UTF-8 text.")
    try:
        text = normalise(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise UploadError(
            f"'{name}' is not UTF-8 text (undecodable byte at position {err.start}). "
            "Save it as UTF-8 plain text (.txt) and try again."
        ) from err
    control = sum(1 for c in text if ord(c) < 32 and c not in "\n\t")
    if control > MAX_CONTROL_SHARE * len(text):
        raise UploadError(f"'{name}' is mostly control characters - it looks binary. Upload plain UTF-8 text.")
    if len(text) < MIN_TEXT_CHARS:
        raise UploadError(
            f"'{name}' has only {len(text):,} characters; a character model needs at least {MIN_TEXT_CHARS:,} "
            "to learn anything (100,000 or more works well)."
        )
    return TextCorpus(text, DataSource("upload", name), name)


# ----------------------------------------------------------------------------- offline default
#
# A tiny grammar of invented speakers, places and phrases. The output is shaped like a play -
# SPEAKER NAMES in capitals, a colon, a few lines of pseudo-verse, blank lines, stage
# directions - so a character model has the same kind of structure to discover (names,
# line breaks, punctuation, frequent words), without shipping anyone's text.

SPEAKERS = (
    "LORD ALDRIC",
    "LADY MIRREN",
    "CAPTAIN HOLT",
    "OLD GARRICK",
    "THE FOOL",
    "FIRST WATCHMAN",
    "SECOND WATCHMAN",
    "QUEEN ISOLDE",
    "BROTHER ANSELM",
    "MESSENGER",
)
ADDRESSES = ("my lord", "good sir", "fair lady", "sweet cousin", "good captain", "old friend", "your grace", "madam")
NOUNS = (
    "crown", "sword", "night", "king", "heart", "storm", "letter", "ship", "tower", "river",
    "honour", "winter", "garden", "blood", "moon", "gate", "council", "war", "promise", "fortune",
)  # fmt: skip
ADJECTIVES = (
    "cold", "bitter", "gentle", "noble", "false", "dark", "bright", "weary", "proud", "silent",
    "strange", "heavy", "sweet", "wild", "old",
)  # fmt: skip
VERBS = (
    "keep", "break", "seek", "fear", "love", "curse", "answer", "follow", "remember", "forgive",
    "betray", "guard", "wake", "trust", "mend",
)  # fmt: skip
PLACES = ("Westmarch", "the northern hills", "the harbour", "the chapel", "the old keep", "Ravensford", "the forest")
TEMPLATES = (
    "What news from {place}, {address}?",
    "The {adj} {noun} is come to {place}.",
    "I {verb} thee not, yet I {verb2} the {noun}.",
    "O {adj} {noun}! who shall {verb} it now?",
    "Go, {verb} the {noun}, and bring me word of {place}.",
    "Hath the {noun} no {noun2}? then let the {noun2} {verb}.",
    "Nay, {address}, the {noun} doth {verb} us all.",
    "Thou art {adj} as the {noun}, and {adj2} as the {noun2}.",
    "Come, let us {verb} the {noun} before the {noun2} wakes.",
    "By my {noun}, I will {verb} thee to {place}.",
    "Speak, {address}: is the {noun} {adj} or {adj2}?",
    "Peace! the {noun} hath ears, and the {noun2} a {adj} tongue.",
    "I swear it by the {adj} {noun}.",
    "Then farewell, {address}; {verb} the {noun} for me.",
    "Why dost thou {verb} the {noun}?",
    "Ay, and the {noun} of {place} is {adj} tonight.",
)
DIRECTIONS = ("Enter {speaker}.", "Exit {speaker}.", "Exeunt.", "Alarum. Enter {speaker}, with a {noun}.")

OFFLINE_DESCRIPTION = (
    "play-like dialogue generated by the playground from a small grammar of invented speakers "
    "and phrases - a stand-in for tiny Shakespeare, not real text"
)


def _sentence(rng: random.Random) -> str:
    pick = rng.choice
    return pick(TEMPLATES).format(
        place=pick(PLACES),
        address=pick(ADDRESSES),
        noun=pick(NOUNS),
        noun2=pick(NOUNS),
        adj=pick(ADJECTIVES),
        adj2=pick(ADJECTIVES),
        verb=pick(VERBS),
        verb2=pick(VERBS),
    )


def _speech(rng: random.Random, speaker: str) -> str:
    """A speaker's name and one to four sentences wrapped into verse-length lines."""
    sentences = " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
    return f"{speaker}:\n" + "\n".join(textwrap.wrap(sentences, width=rng.randint(38, 55)))


def generate_play(n_chars: int = 300_000, seed: int = 7) -> str:
    """At least `n_chars` characters of generated dialogue (deterministic for a seed)."""
    rng = random.Random(seed)
    blocks: list[str] = []
    size = 0
    speaker = rng.choice(SPEAKERS)
    while size < n_chars:
        if rng.random() < 0.08:
            block = rng.choice(DIRECTIONS).format(speaker=rng.choice(SPEAKERS), noun=rng.choice(NOUNS))
        else:
            speaker = rng.choice([s for s in SPEAKERS if s != speaker])
            block = _speech(rng, speaker)
        blocks.append(block)
        size += len(block) + 2
    return "\n\n".join(blocks) + "\n"


def load_offline(n_chars: int = 300_000, notice: str = "") -> TextCorpus:
    return TextCorpus(generate_play(n_chars), DataSource("offline", OFFLINE_DESCRIPTION, notice), "generated play")
