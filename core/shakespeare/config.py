"""The Shakespeare lab as data: run settings, presets, page choices, the typed outcome, page words.

TensorFlow-free (NumPy and pandas at most), so the page, the benchmark and the tests can use it
without loading the deep-learning stack. core.shakespeare.char_rnn (vocabulary, windows, the NumPy
step model) and core.shakespeare.training (Keras) build on these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from core.engine import limits
from core.engine.config import ModelConfig, TrainConfig
from core.engine.footprint import Footprint
from core.engine.run import HeldOut, TrainedRun

if TYPE_CHECKING:  # TF-free too, but char_rnn imports this module
    from core.shakespeare.char_rnn import CharVocabulary, StepModel

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.1, 2.0
MAX_GENERATED_CHARS = 3_000
MIN_SEQUENCE_LENGTH = 5
MAX_PAGE_SEQUENCE_LENGTH = 200  # the page's slider
BITS_METRIC = "bits_per_char"  # the trainer metric core.shakespeare.training registers
CONTEXT_CHARS = 8_192  # validation characters read twice (state carried / from zero) for the stateful check
SURPRISE_CHARS = 480  # validation characters shaded in the surprise chart

Variant = Literal["many_to_many", "many_to_one"]
VARIANT_LABELS = {
    "many_to_many": "Many-to-many: predict the next character at every step",
    "many_to_one": "Many-to-one: read a window, predict the one character after it",
}

# ----------------------------------------------------------------------------- one training run


CHARACTER_SET = 256  # the most characters a vocabulary keeps (char_rnn.MAX_VOCABULARY_CHARS)


@dataclass(frozen=True)
class TextSettings:
    sequence_length: int = 100
    embedding_dim: int = 32
    max_chars: int = 0  # 0 = the whole text
    validation_fraction: float = 0.1
    stateful: bool = False


@dataclass(frozen=True)
class SampleSettings:
    """How often (in optimiser steps) and how the live samples are written while training."""

    every_steps: int = 50
    length: int = 200
    temperature: float = 0.8


@dataclass(frozen=True)
class CharRun:
    text: TextSettings
    model: ModelConfig
    train: TrainConfig
    sampling: SampleSettings = SampleSettings()

    @property
    def variant(self) -> Variant:
        return self.model.pattern  # type: ignore[return-value]

    def problems(self) -> list[str]:
        out = self.model.problems() + self.train.problems()
        if self.model.pattern not in VARIANT_LABELS:
            out.append("A character model is many-to-many or many-to-one.")
        if self.model.bidirectional:
            out.append("A language model must not read ahead: bidirectional layers would see the answer.")
        if not MIN_SEQUENCE_LENGTH <= self.text.sequence_length <= limits.MAX_SEQUENCE_LENGTH:
            out.append(f"Sequence length must be between {MIN_SEQUENCE_LENGTH} and {limits.MAX_SEQUENCE_LENGTH}.")
        if not 1 <= self.text.embedding_dim <= limits.MAX_EMBEDDING_DIM:
            out.append(f"Embedding size must be between 1 and {limits.MAX_EMBEDDING_DIM}.")
        if self.text.stateful and self.model.pattern != "many_to_many":
            out.append("Stateful training needs the many-to-many variant (consecutive windows of one passage).")
        if self.sampling.every_steps < 1:
            out.append("Write a sample at least every 1 step (or turn it off with a large number).")
        if not MIN_TEMPERATURE <= self.sampling.temperature <= MAX_TEMPERATURE:
            out.append(f"Sample temperature must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}.")
        return out

    def footprint(self) -> Footprint:
        """What this run costs (core.engine.footprint): windows of characters in, a distribution over
        the character set out at every step (many-to-many); windows counted from the text's size."""
        length = self.text.sequence_length
        many = self.model.pattern == "many_to_many"
        return Footprint(
            self.model.recurrent(),
            steps=length,
            batch_size=self.train.batch_size,
            epochs=self.train.epochs,
            input_width=self.text.embedding_dim,
            vocab=CHARACTER_SET,
            output_steps=length if many else 1,
            output_size=CHARACTER_SET,
            bytes_per_example=4 * length,  # int32 character ids
        )

    def label(self, number: int) -> str:
        """A short name for the run comparison: '#2 GRU 128×1, m2m, L=64, stateful'."""
        m = self.model
        variant = "m2m" if self.variant == "many_to_many" else "m2o"
        stateful = ", stateful" if self.text.stateful else ""
        return f"#{number} {m.cell} {m.units}×{m.layers}, {variant}, L={self.text.sequence_length}{stateful}"


@dataclass(frozen=True)
class GenerationSettings:
    length: int = 300
    temperature: float = 0.8
    greedy: bool = False
    top_k: int = 0  # 0 = all characters
    seed: int = 0

    def problems(self) -> list[str]:
        out = []
        if not 1 <= self.length <= MAX_GENERATED_CHARS:
            out.append(f"Length must be between 1 and {MAX_GENERATED_CHARS:,} characters.")
        if not MIN_TEMPERATURE <= self.temperature <= MAX_TEMPERATURE:
            out.append(f"Temperature must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}.")
        if self.top_k < 0:
            out.append("Top-k must be 0 (off) or positive.")
        return out


@dataclass(frozen=True)
class TrainingSample:
    """A live sample written while training, from the weights of that moment."""

    step: int
    epoch: int
    loss: float  # training loss (nats/char) of the batch just before the sample
    elapsed: float
    text: str
    label: str  # "step 50", "end of epoch 2", ...


# ----------------------------------------------------------------------------- presets


PRESETS: dict[str, CharRun] = {
    # One pass over the whole text in batches of 32: twice the updates of batches of 64 for half
    # again the time, which is what takes validation below 1.9 nats/char within the minute.
    "Default: GRU 128, about a minute": CharRun(
        TextSettings(sequence_length=64, embedding_dim=32),
        ModelConfig(pattern="many_to_many", cell="GRU", units=128),
        TrainConfig(epochs=1, batch_size=32, learning_rate=5e-3, clip_norm=1.0),
        SampleSettings(every_steps=50),
    ),
    "Tiny: seconds, for a quick demo": CharRun(
        TextSettings(sequence_length=32, embedding_dim=16, max_chars=100_000),
        ModelConfig(pattern="many_to_many", cell="GRU", units=32),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2, clip_norm=1.0),
        SampleSettings(every_steps=10),
    ),
    "Stateful: state carried across windows": CharRun(
        TextSettings(sequence_length=32, embedding_dim=32, stateful=True),
        ModelConfig(pattern="many_to_many", cell="GRU", units=128),
        TrainConfig(epochs=1, batch_size=64, learning_rate=5e-3, clip_norm=1.0),
        SampleSettings(every_steps=25),
    ),
    "Many-to-one: one target per window": CharRun(
        TextSettings(sequence_length=64, embedding_dim=32),
        ModelConfig(pattern="many_to_one", cell="GRU", units=128),
        TrainConfig(epochs=1, batch_size=64, learning_rate=5e-3, clip_norm=1.0),
        SampleSettings(every_steps=25),
    ),
}
DEFAULT_PRESET = next(iter(PRESETS))

# ----------------------------------------------------------------------------- the page's choices

SOURCES = {"shakespeare": "Tiny Shakespeare", "upload": "Your own text (upload)"}
CHAR_CHOICES = (25_000, 50_000, 100_000, 250_000, 500_000, 0)  # 0 = all
EMBEDDING_CHOICES = (8, 16, 32, 64, 128, 256)
SAMPLE_EVERY_CHOICES = (5, 10, 25, 50, 100, 250)
TOP_K_CHOICES = (0, 1, 2, 3, 5, 10, 20)  # 0 = off
MAX_EPOCHS = 20
LIVE_HISTORY = 60  # earlier samples redrawn every second while training


def chars_label(n: int) -> str:
    return "all" if n == 0 else f"{n:,}"


@dataclass(frozen=True)
class DataChoice:
    source: str = "shakespeare"
    local_path: str = ""
    upload_name: str = ""
    upload_digest: str = ""

    @property
    def cache_key(self) -> str:
        return f"upload:{self.upload_digest}" if self.source == "upload" else f"shakespeare:{self.local_path}"


@dataclass(frozen=True)
class ShakespeareRun:
    """Everything the page trains with: which text, and the run settings."""

    data: DataChoice
    run: CharRun

    def footprint(self) -> Footprint:
        """The run's footprint (core.engine.footprint); the text's size comes from the data sent."""
        return self.run.footprint()


# ----------------------------------------------------------------------------- the outcome


@dataclass(frozen=True)
class Surprise:
    """A validation passage and the bits the model spent on each of its characters (first is NaN)."""

    text: str
    bits: np.ndarray


@dataclass
class CharOutcome(TrainedRun):
    """What `core.shakespeare.training.train_char_rnn` returns; `config` is the CharRun trained."""

    step_model: StepModel  # the weights as NumPy arrays, for one-character-at-a-time generation
    vocab: CharVocabulary
    samples: tuple[TrainingSample, ...]
    val_loss: float  # nats per character on the validation text
    val_bits: float
    val_accuracy: float  # the top guess is the true next character
    unigram_bits: float  # the baseline that knows only character frequencies
    windows: int  # training windows per epoch
    surprise: Surprise
    prompt: str  # the live samples' prompt; the generator starts from it
    # Bits per character on the same validation characters read with the state carried from window to window,
    # and with every window starting from a zero state (core.shakespeare.char_rnn.context_bits).
    carried_bits: float = float("nan")
    window_bits: float = float("nan")

    def text_codecs(self) -> tuple[Any, ...]:
        return (self.vocab,)

    def held_out(self) -> HeldOut:
        return HeldOut("validation bits per character", float(self.val_bits), False)

    @property
    def run(self) -> CharRun:
        return self.config


@dataclass(frozen=True)
class RunSummary:
    """One finished run, as the comparison chart and table show it."""

    id: int
    label: str
    cell: str
    curve: pd.DataFrame  # step, loss (nats), elapsed_s per optimiser step
    val_bits: float
    seconds: float
    steps: int

    @classmethod
    def of(cls, outcome: CharOutcome, number: int, run_id: int) -> RunSummary:
        result = outcome.result
        return cls(
            run_id,
            outcome.run.label(number),
            outcome.run.model.cell,
            result.batch_frame()[["step", "loss", "elapsed_s"]],
            outcome.val_bits,
            result.seconds,
            result.steps,
        )


def comparison_table(runs: list[RunSummary]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"run": r.label, "validation bits/char": r.val_bits, "steps": r.steps, "seconds": r.seconds} for r in runs]
    )


# ----------------------------------------------------------------------------- words the page shows

INTRO = (
    "The network reads text **one character at a time** and, at every step, predicts the next one: "
    "a **many-to-many** RNN (input x_t = a character, output = probabilities of character t+1). "
    "Its loss is measured in **bits per character** - guessing uniformly among ~65 characters costs 6 bits, "
    "good models of Shakespeare get below 2. Watch the samples under the charts: from random letters to "
    "words, names and verse. Then let it write (**one-to-many**) with temperature and top-k."
)
STATEFUL_SENTENCE = (
    "Stateful: the hidden state at the end of one window becomes the start of the next window of the "
    "same passage, so the model can use context longer than a window (gradients still stop at window edges)."
)
VARIANT_HELP = (
    "Many-to-many learns from every character of a window; many-to-one only from the character "
    "after it - same reading work, far fewer answers to learn from."
)
WINDOWS_EXPLAINED = (
    "Every character gets an id (the **vocabulary**, below). The text is cut into windows; the target "
    "of each position is simply the *next* character, so the target row is the input row shifted by one."
)
LIVE_SAMPLE_CAPTION = (
    "Every sample starts from the same prompt with "
    "the same random seed, so what changes is only what the network has learned: first random letters, "
    "then spaces and short words, then speaker names, line breaks and punctuation."
)
STATEFUL_VALIDATION = (
    "Stateful run: validation reads every window from a zero state (a stateless copy of the weights), "
    "so these figures slightly undersell what the model does with a carried state."
)
SURPRISE_HELP = (
    "Validation text, each character shaded by the bits the model needed for it (hover or tap for values). "
    "Look for the pattern: the first letter of a word or a speaker's name is expensive, the rest of a "
    "word is almost free, and a line break after a name ending in ':' costs next to nothing."
)
COMPARE_HELP = (
    "Training bits per character against wall-clock seconds, one line per run you trained in this "
    "session. A line that drops faster learns more per second: compare many-to-many with many-to-one "
    "(one answer per window instead of one per character), stateful against stateless, small against big."
)
GENERATE_HELP = (
    "The network reads your prompt, then writes one character at a time: each sampled character is fed "
    "back in as the next input while the hidden state carries everything before it. One step per "
    "character - the prompt is never re-read."
)
TOP5_HELP = (
    "The model's five most likely next characters after the prompt, at several temperatures. The ranking "
    "never changes - temperature only sharpens (T < 1, bars pile onto the favourite) or flattens "
    "(T > 1, probability leaks to unlikely characters) the distribution."
)
ENTROPY_HELP = (
    "Entropy in bits of the whole next-character distribution as T goes from 0.1 to 2. Near 0 the "
    "model is sure (greedy-like); the dotted ceiling is pure guessing among every character. The red "
    "line is the temperature you chose."
)
TIP = (
    "Tip: the default preset trains for about a minute; **Tiny** takes seconds. "
    "Samples appear under the charts while it trains."
)
METRIC_HELP = {
    "loss": "Mean cross-entropy of the next character on text the model never trained on.",
    "bits": "The same loss in bits: how many yes/no questions the model needs, on average, per character.",
    "unigram": "A model that ignores context and always predicts the overall character frequencies.",
    "accuracy": "Top guess equals the true character.",
}


def many_to_one_note(sequence_length: int) -> str:
    return (
        f"This many-to-one model only ever answered after exactly {sequence_length} "
        "characters read from a zero state. Here it keeps reading and answering at every step with its "
        "state carried over - beyond what it was trained for, which shows in the text."
    )


def validation_unknown_note(count: int, symbol: str) -> str:
    """When only the validation text holds characters the training text lacks (the vocabulary is built
    from the training part, so such characters have no id of their own)."""
    what = "1 validation character never occurs" if count == 1 else f"{count:,} validation characters never occur"
    return (
        f"{what} in the training text, so the model has no id of its own for them: they share one symbol "
        f"({symbol}) and count in the validation loss like any other character."
    )
