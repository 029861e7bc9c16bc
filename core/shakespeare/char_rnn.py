"""A character-level RNN language model: read text one character at a time, predict the next.

    text ──vocabulary──> ids ──windows──> (x, y) ──Trainer──> model ──StepModel──> new text

This module is the NumPy half (no TensorFlow import, so the page paints fast); the Keras
model, the training loop and live samples are in core.shakespeare.training.

* `CharVocabulary` maps every character to an id and back (round trip).
* Windows: many-to-many (`sequence_windows`: y is x shifted by one, so every step is trained)
  or many-to-one (`last_char_windows`: one target per window, for comparison), and
  `stateful_windows`, which orders windows so row r of batch b+1 continues row r of batch b.
* `StepModel`: the trained weights as NumPy arrays, run one character at a time with the
  recurrent state carried over - generating N characters costs N cell steps, never a re-run of
  the prefix. `generate` adds temperature, greedy decoding, top-k and a seed.
* The run settings (`CharRun`, `GenerationSettings`...) and `PRESETS` live in
  core.shakespeare.config; the cell equations in core.engine.numpy_cells.

Losses are in nats per character (natural log); bits per character = nats / ln 2.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.engine.config import ConfigError
from core.engine.numpy_cells import CellWeights, weights_of
from core.shakespeare.config import (
    SURPRISE_CHARS,
    CharRun,
    GenerationSettings,
    Surprise,
)

LN2 = math.log(2.0)
MAX_VOCABULARY_CHARS = 256  # a larger alphabet keeps its most frequent characters
UNKNOWN_CHAR = "\ufffd"  # stands for every character outside a capped vocabulary


# ----------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class CharVocabulary:
    """Characters sorted by code point; id i is `chars[i]`."""

    chars: tuple[str, ...]
    _codes: np.ndarray = field(init=False, repr=False, compare=False)
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if list(self.chars) != sorted(set(self.chars)):
            raise ValueError("Vocabulary characters must be distinct and sorted.")
        object.__setattr__(self, "_codes", np.array([ord(c) for c in self.chars], dtype=np.uint32))
        object.__setattr__(self, "_table", np.array(self.chars, dtype=object))

    @classmethod
    def from_text(
        cls, text: str, max_size: int = MAX_VOCABULARY_CHARS, reserve_unknown: bool = False
    ) -> CharVocabulary:
        """Every character of `text`; beyond `max_size`, the rarest share one UNKNOWN_CHAR id.

        `reserve_unknown` adds the UNKNOWN_CHAR id even when `text` fits, for text encoded later
        (validation) that may hold characters `text` lacks."""
        codes, counts = np.unique(_code_points(text), return_counts=True)
        if len(codes) > max_size or (reserve_unknown and ord(UNKNOWN_CHAR) not in codes):
            keep = codes[np.argsort(-counts, kind="stable")[: max_size - 1]]
            codes = np.union1d(keep, [ord(UNKNOWN_CHAR)])
        return cls(tuple(chr(int(c)) for c in codes))

    @property
    def size(self) -> int:
        return len(self.chars)

    @property
    def unknown_id(self) -> int | None:
        return self.chars.index(UNKNOWN_CHAR) if UNKNOWN_CHAR in self.chars else None

    def _lookup(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        codes = _code_points(text)
        pos = np.minimum(np.searchsorted(self._codes, codes), self.size - 1)
        return pos.astype(np.int32), self._codes[pos] == codes

    def encode(self, text: str) -> np.ndarray:
        """Ids of `text`; unknown characters become UNKNOWN_CHAR's id, or are dropped without one."""
        ids, known = self._lookup(text)
        if known.all():
            return ids
        unknown = self.unknown_id
        return np.where(known, ids, unknown).astype(np.int32) if unknown is not None else ids[known]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self._table[np.asarray(ids, dtype=np.int64)].tolist())

    def missing(self, text: str) -> list[str]:
        """Characters of `text` the vocabulary does not have, in order of first appearance."""
        _, known = self._lookup(text)
        return list(dict.fromkeys(c for c, k in zip(text, known, strict=True) if not k))


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def visible(char: str) -> str:
    """A printable label for a character in charts and tables."""
    return {"\n": "⏎ newline", " ": "␣ space", "\t": "⇥ tab"}.get(char, char)


# ----------------------------------------------------------------------------- splits and windows


@dataclass(frozen=True)
class EncodedText:
    """A corpus as ids: the first part trains, the last part (never seen in training) validates.

    The vocabulary comes from the training part only; validation characters it lacks become the
    UNKNOWN_CHAR id (counted in the validation loss like any other character)."""

    vocab: CharVocabulary
    train: np.ndarray
    validation: np.ndarray
    validation_unknown: int = 0  # validation characters the training part never contains
    train_unknown: int = 0  # training characters beyond a capped vocabulary (the rarest ones)

    @property
    def characters(self) -> int:
        return len(self.train) + len(self.validation)


def encode_text(text: str, validation_fraction: float = 0.1, max_chars: int = 0) -> EncodedText:
    """Vocabulary + contiguous split. Contiguous, not shuffled: windows never straddle the split."""
    if max_chars:
        text = text[:max_chars]
    if not 0.0 < validation_fraction < 0.5:
        raise ValueError("The validation share must be between 0 and 0.5.")
    cut = int(len(text) * (1 - validation_fraction))
    train_text, validation_text = text[:cut], text[cut:]
    vocab = CharVocabulary.from_text(train_text)
    unseen = set(validation_text) - set(train_text)
    if unseen:
        vocab = CharVocabulary.from_text(train_text, reserve_unknown=True)
    validation = vocab.encode(validation_text)
    _, known = vocab._lookup(train_text)
    return EncodedText(
        vocab,
        vocab.encode(train_text),
        validation,
        validation_unknown=sum(validation_text.count(c) for c in unseen),
        train_unknown=int((~known).sum()),
    )


def sequence_windows(ids: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows for many-to-many: x = ids[i:i+L], y = ids[i+1:i+L+1]."""
    count = (len(ids) - 1) // length
    if count < 1:
        return np.zeros((0, length), np.int32), np.zeros((0, length), np.int32)
    used = ids[: count * length + 1]
    return used[:-1].reshape(count, length).copy(), used[1:].reshape(count, length).copy()


def last_char_windows(ids: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The same windows for many-to-one: x = ids[i:i+L], y = the single character after them."""
    x, y = sequence_windows(ids, length)
    return x, y[:, -1].copy()


def stateful_windows(ids: np.ndarray, length: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Many-to-many windows ordered for stateful training.

    The text is cut into `batch_size` contiguous streams; batch j holds window j of every
    stream, so row r of each batch continues exactly where row r of the previous batch ended
    and the hidden state carried between them belongs to the same passage of text.
    """
    per_stream = (len(ids) - 1) // batch_size
    windows = per_stream // length
    if windows < 1:
        return np.zeros((0, length), np.int32), np.zeros((0, length), np.int32)
    starts = np.arange(batch_size) * per_stream
    offsets = starts[None, :] + np.arange(windows)[:, None] * length  # (window j, stream r)
    positions = offsets.reshape(-1)[:, None] + np.arange(length)[None, :]
    return ids[positions].astype(np.int32), ids[positions + 1].astype(np.int32)


# ----------------------------------------------------------------------------- step-by-step model


State = list[tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class StepModel:
    """The trained network as NumPy arrays, advanced one character at a time.

    `step` costs one cell update per layer, so generating N characters costs N steps - the
    prefix is never re-read. NumPy instead of Keras because a single step is tiny and Keras'
    per-call overhead would dominate it.
    """

    embedding: np.ndarray  # (vocab, embedding_dim)
    cells: tuple[CellWeights, ...]
    out_kernel: np.ndarray  # (units, vocab)
    out_bias: np.ndarray  # (vocab,)

    @classmethod
    def from_keras(cls, model) -> StepModel:
        """Copy the weights of a `build_char_model` model (any variant, stateful or not)."""
        as_np = lambda v: np.array(v, dtype=np.float32)  # noqa: E731
        cells = []
        i = 1
        while any(layer.name == f"rnn_{i}" for layer in model.layers):
            layer = model.get_layer(f"rnn_{i}")
            cells.append(weights_of(type(layer).__name__, layer.cell, np.float32))
            i += 1
        output = model.get_layer("output")
        return cls(
            as_np(model.get_layer("embedding").embeddings), tuple(cells), as_np(output.kernel), as_np(output.bias)
        )

    @property
    def vocab_size(self) -> int:
        return self.embedding.shape[0]

    def zero_state(self, batch: int = 1) -> State:
        return [cell.zero_state(batch, np.float32) for cell in self.cells]

    def step(self, ids: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Logits for the character after `ids` (one id per batch row), and the new state."""
        x = self.embedding[ids]
        new_state = []
        for cell, s in zip(self.cells, state, strict=True):
            s, _ = cell.step(x, s)  # gate recording off: only the new state
            x = s[0]
            new_state.append(s)
        return x @ self.out_kernel + self.out_bias, new_state

    def read(self, ids: Sequence[int] | np.ndarray, state: State | None = None) -> tuple[np.ndarray, State]:
        """Feed a prompt (batch of one); logits after its last character, and the state."""
        state = state or self.zero_state(1)
        logits = np.zeros((1, self.vocab_size), np.float32)
        for i in ids:
            logits, state = self.step(np.array([i]), state)
        return logits[0], state

    def logits_for(self, ids: np.ndarray) -> np.ndarray:
        """Logits after every character of `ids` (row t predicts character t+1)."""
        state = self.zero_state(1)
        out = np.zeros((len(ids), self.vocab_size), np.float32)
        for t, i in enumerate(ids):
            logits, state = self.step(np.array([i]), state)
            out[t] = logits[0]
        return out


# ----------------------------------------------------------------------------- sampling


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def next_char_probabilities(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0) -> np.ndarray:
    """softmax(logits / T), optionally keeping only the k most likely characters.

    T < 1 sharpens the distribution (safer, more repetitive text); T > 1 flattens it (more
    surprising, more misspelt). The ranking of characters never changes with T.
    """
    logits = np.asarray(logits, dtype=np.float64) / temperature
    if 0 < top_k < logits.shape[-1]:
        # Exactly k survive: a stable sort of -logits ranks ties by lower id first.
        ranked = np.argsort(-logits, axis=-1, kind="stable")
        keep = np.zeros(logits.shape, dtype=bool)
        np.put_along_axis(keep, ranked[..., :top_k], True, axis=-1)
        logits = np.where(keep, logits, -np.inf)
    return softmax(logits)


def entropy_bits(probabilities: np.ndarray) -> float:
    """Shannon entropy in bits: 0 = certain, log2(V) = every character equally likely."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with the given probabilities (faster than rng.choice for a single draw)."""
    cumulative = np.cumsum(probabilities)
    return int(min(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"), len(cumulative) - 1))


@dataclass(frozen=True)
class Generated:
    prompt: str  # the prompt as the model read it (unknown characters removed)
    text: str  # the new characters only
    skipped: tuple[str, ...] = ()  # prompt characters the vocabulary does not have
    seconds: float = 0.0


def generate(model: StepModel, vocab: CharVocabulary, prompt: str, settings: GenerationSettings) -> Generated:
    """Read the prompt, then sample `settings.length` characters one step at a time."""
    problems = settings.problems()
    if problems:
        raise ConfigError(problems)
    skipped = tuple(vocab.missing(prompt))
    ids = vocab.encode(prompt)
    if len(ids) == 0:
        raise ValueError("The prompt has no character the model knows; type a few ordinary letters.")
    start = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    logits, state = model.read(ids[:-1])
    current = np.array([ids[-1]])
    out = np.zeros(settings.length, np.int64)
    for t in range(settings.length):
        logits, state = model.step(current, state)
        if settings.greedy:
            nxt = int(np.argmax(logits[0]))
        else:
            nxt = draw(next_char_probabilities(logits[0], settings.temperature, settings.top_k), rng)
        out[t] = nxt
        current = np.array([nxt])
    return Generated(vocab.decode(ids), vocab.decode(out), skipped, time.perf_counter() - start)


def next_char_table(
    model: StepModel, vocab: CharVocabulary, prompt: str, temperatures: Sequence[float], k: int = 5
) -> pd.DataFrame:
    """The k likeliest next characters after `prompt` (ranked at T = 1) and their probability at each T."""
    ids = vocab.encode(prompt)
    if len(ids) == 0:
        raise ValueError("The prompt has no character the model knows.")
    logits, _ = model.read(ids)
    top = np.argsort(-logits)[:k]
    rows = []
    for temperature in temperatures:
        p = next_char_probabilities(logits, temperature)
        for rank, i in enumerate(top, start=1):
            rows.append(
                {
                    "rank": rank,
                    "character": visible(vocab.chars[i]),
                    "temperature": float(temperature),
                    "probability": float(p[i]),
                }
            )
    return pd.DataFrame(rows)


def entropy_by_temperature(logits: np.ndarray, temperatures: Sequence[float]) -> pd.DataFrame:
    """How uncertain the next-character distribution is at each temperature (bits)."""
    return pd.DataFrame(
        {
            "temperature": [float(t) for t in temperatures],
            "entropy_bits": [entropy_bits(next_char_probabilities(logits, t)) for t in temperatures],
        }
    )


def surprise_bits(model: StepModel, ids: np.ndarray) -> np.ndarray:
    """Bits the model spends on each character of `ids` given all before it (first is NaN)."""
    logits = model.logits_for(ids[:-1])
    log_p = logits - logits.max(axis=-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
    bits = -log_p[np.arange(len(ids) - 1), ids[1:]] / LN2
    return np.concatenate([[np.nan], bits])


PASSAGE_LOOK = 240  # characters searched for a line start before a passage shown to readers


def passage_start(text: str, look: int = PASSAGE_LOOK) -> int:
    """Where a passage of `text` shown to readers should start: the first line's start within `look`
    characters (the validation split falls mid-line, often mid-word), else the first word's; 0 without either."""
    head = text[:look]
    line = head.find("\n")
    while 0 <= line < len(head) - 1 and head[line + 1] == "\n":
        line += 1  # past blank lines: the passage starts on a line with text
    if 0 <= line < len(head) - 1:
        return line + 1
    space = head.find(" ")
    return space + 1 if 0 <= space < len(head) - 1 else 0


def validation_surprise(model: StepModel, data: EncodedText, chars: int = SURPRISE_CHARS) -> Surprise:
    """`chars` validation characters from the first line start, and the bits the model spends on each."""
    start = passage_start(data.vocab.decode(data.validation[: chars + PASSAGE_LOOK]))
    passage = data.validation[start : start + chars]
    return Surprise(data.vocab.decode(passage), surprise_bits(model, passage))


def _read_bits(model: StepModel, rows: np.ndarray, state: State) -> tuple[np.ndarray, State]:
    """Read the rows side by side from `state`: bits for characters 1..n-1 of every row, and the state after all n."""
    bits = np.zeros((rows.shape[0], rows.shape[1] - 1))
    for t in range(rows.shape[1]):
        logits, state = model.step(rows[:, t], state)
        if t + 1 < rows.shape[1]:
            log_p = logits - logits.max(axis=-1, keepdims=True)
            log_p = log_p - np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
            bits[:, t] = -log_p[np.arange(rows.shape[0]), rows[:, t + 1]] / LN2
    return bits, state


def context_bits(model: StepModel, ids: np.ndarray, window: int, streams: int = 8) -> tuple[float, float]:
    """(carried, from zero): bits per character on the same validation characters, read with the state carried
    from window to window (a stateful reading) and with every window starting from a zero state.

    The text is cut into `streams` contiguous passages read side by side, window by window. The first window of
    each passage is left out of both figures (there the two readings are the same), so the difference is what
    the carried state adds: context from before the window.
    """
    per_stream = (len(ids) // streams // window) * window
    if per_stream < 2 * window:
        return float("nan"), float("nan")
    passages = np.asarray(ids[: streams * per_stream]).reshape(streams, per_stream)
    carried, zero = [], []
    state = model.zero_state(streams)
    for start in range(0, per_stream, window):
        rows = passages[:, start : start + window]
        bits, state = _read_bits(model, rows, state)
        if start > 0:
            carried.append(bits)
            zero.append(_read_bits(model, rows, model.zero_state(streams))[0])
    return float(np.mean(carried)), float(np.mean(zero))


def unigram_bits(train: np.ndarray, validation: np.ndarray, vocab_size: int) -> float:
    """The baseline that knows only character frequencies (add-one smoothed), in bits per char."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    p = counts / counts.sum()
    return float(-np.mean(np.log2(p[validation])))


# ----------------------------------------------------------------------------- live samples (see training.py)


def sample_prompt(text: str, max_chars: int = 40) -> str:
    """A natural opening for live samples: the corpus' first line (e.g. a speaker's name)."""
    first = text.lstrip().split("\n", 1)[0][:max_chars]
    return (first + "\n") if first else text[:1]


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingArrays:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def window_problems(data: EncodedText, run: CharRun) -> list[str]:
    """Why the text cannot fill the windows `run` asks for (empty when it can); no arrays built."""
    length, batch = run.text.sequence_length, run.train.batch_size
    if run.text.stateful:
        train_windows = ((len(data.train) - 1) // batch) // length * batch
        needed = batch
    else:
        train_windows, needed = (len(data.train) - 1) // length, 1
    if train_windows >= needed and (len(data.validation) - 1) // length >= 1:
        return []
    return [
        f"The text is too short for windows of {length} characters"
        + (f" in {batch} parallel streams" if run.text.stateful else "")
        + f": {len(data.train):,} training and {len(data.validation):,} validation characters. "
        "Use shorter windows, a smaller batch or more text."
    ]


def training_arrays(data: EncodedText, run: CharRun) -> TrainingArrays:
    """Windows for the chosen variant; raises ConfigError when the text is too short for them."""
    problems = window_problems(data, run)
    if problems:
        raise ConfigError(problems)
    length = run.text.sequence_length
    if run.variant == "many_to_one":
        x, y = last_char_windows(data.train, length)
        xv, yv = last_char_windows(data.validation, length)
    elif run.text.stateful:
        x, y = stateful_windows(data.train, length, run.train.batch_size)
        xv, yv = sequence_windows(data.validation, length)
    else:
        x, y = sequence_windows(data.train, length)
        xv, yv = sequence_windows(data.validation, length)
    return TrainingArrays(x, y, xv, yv)
