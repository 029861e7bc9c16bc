"""The Attention lab, as data: run configurations, the page's presets and the typed outcomes.

TensorFlow-free, so the page and bench/attention.py can read presets without loading the
deep-learning stack. The models live in seq2seq.py (translation) and pooling.py (IMDb).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from core.engine import limits
from core.engine.cells import cell_problems
from core.engine.config import TrainConfig
from core.engine.footprint import Footprint, Recurrent
from core.engine.run import HeldOut, TrainedRun
from core.sentiment.config import ImdbChoice, ImdbRun

if TYPE_CHECKING:
    from core.attention.pooling import PoolingModels
    from core.attention.seq2seq import AttentionSnapshot, Evaluation, Seq2SeqModels
    from core.data.dates import TranslationTask

# ----------------------------------------------------------------------------- translation (encoder-decoder)

Attention = Literal["none", "additive", "dot"]
ATTENTIONS: tuple[str, ...] = ("none", "additive", "dot")
ATTENTION_LABELS = {
    "none": "None (context vector only)",
    "additive": "Additive (Bahdanau)",
    "dot": "Dot-product (Luong)",
}


# The generated tasks' longest source and target (characters) and largest character set, for the
# memory and time estimate (core.engine.footprint): dates and number words are the longest.
TASK_SOURCE_STEPS = 40
TASK_TARGET_STEPS = 24
TASK_VOCABULARY = 64


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Architecture of the translator."""

    cell: str = "GRU"
    units: int = 64
    bidirectional: bool = True
    attention: Attention = "additive"
    embedding_dim: int = 32
    attention_units: int = 64  # width of the additive score's hidden layer

    def problems(self) -> list[str]:
        out = cell_problems(self.cell)
        if self.attention not in ATTENTIONS:
            out.append(f"Unknown attention {self.attention!r}; choose one of {', '.join(ATTENTIONS)}.")
        for label, value in (("Units", self.units), ("Embedding size", self.embedding_dim)):
            if not 1 <= value <= limits.MAX_UNITS:
                out.append(f"{label} must be between 1 and {limits.MAX_UNITS} (got {value}).")
        if not 1 <= self.attention_units <= limits.MAX_UNITS:
            out.append(f"Attention units must be between 1 and {limits.MAX_UNITS} (got {self.attention_units}).")
        return out

    @property
    def label(self) -> str:
        """Short name for legends: 'Additive attention · bi-GRU 64'."""
        kind = (
            "No attention"
            if self.attention == "none"
            else f"{ATTENTION_LABELS[self.attention].split(' (')[0]} attention"
        )
        return f"{kind} · {'bi-' if self.bidirectional else ''}{self.cell} {self.units}"

    def recurrent(self) -> Recurrent:
        """The encoder's stack (core.engine.footprint); the decoder is counted as extra steps."""
        return Recurrent(self.cell, max(self.units, self.attention_units), 1, self.bidirectional)


@dataclass(frozen=True)
class TranslationData:
    """Task size: how many pairs to generate for training and for the held-out split."""

    task: str = "digits"
    train_size: int = 16_000
    test_size: int = 2_000
    seed: int = 0


@dataclass(frozen=True)
class TranslationRun:
    """Everything one training run needs: task, architecture, optimiser settings."""

    data: TranslationData
    model: Seq2SeqConfig
    train: TrainConfig

    def footprint(self, models: int = 1) -> Footprint:
        """What this run costs (core.engine.footprint): the longest task's sources and targets, the
        decoder reading the target while attending over every source step."""
        return Footprint(
            self.model.recurrent(),
            steps=TASK_SOURCE_STEPS,
            batch_size=self.train.batch_size,
            epochs=self.train.epochs,
            input_width=max(self.model.embedding_dim, self.model.units),
            vocab=TASK_VOCABULARY,
            output_steps=TASK_TARGET_STEPS,
            output_size=TASK_VOCABULARY + TASK_SOURCE_STEPS,  # logits, and attention weights per target step
            train_examples=self.data.train_size,
            eval_examples=self.data.test_size,
            models=models,
            extra_steps=2 * TASK_TARGET_STEPS,  # the decoder, and its greedy decoding of the test split
        )


@dataclass(frozen=True)
class AttentionPageRun:
    """What the Translation part trains: a run, and whether a no-attention twin follows it."""

    translation: TranslationRun
    twin: bool = False  # also train a no-attention copy for the bottleneck comparison

    def footprint(self) -> Footprint:
        """The translation's footprint; a twin trains after it (twice the time, one model at a time)."""
        return self.translation.footprint(models=2 if self.twin else 1)


def translation_model(
    preset: Seq2SeqConfig, attention: str, cell: str, units: int, bidirectional: bool, embedding_dim: int
) -> Seq2SeqConfig:
    """The page's controls applied to a preset's architecture; the attention layer is as wide as the RNN, at most 64."""
    return replace(
        preset,
        attention=attention,
        cell=cell,
        units=units,
        bidirectional=bidirectional,
        embedding_dim=embedding_dim,
        attention_units=min(units, 64),
    )


DEFAULT_RUN = TranslationRun(
    TranslationData(),
    Seq2SeqConfig(bidirectional=False),  # attention as wide as the RNN (64), as the page's translation_model makes it
    TrainConfig(epochs=2, batch_size=128, learning_rate=5e-3, clip_norm=5.0),
)
DATES_RUN = TranslationRun(
    TranslationData(task="dates", train_size=20_000),
    Seq2SeqConfig(),
    TrainConfig(epochs=4, batch_size=128, learning_rate=5e-3, clip_norm=5.0),
)
DEFAULT_PRESET = "Default: digits read aloud, GRU + additive attention"
TINY_PRESET = "Tiny: seconds, for a quick demo"
BOTTLENECK_PRESET = "Bottleneck: digits read aloud, attention vs none (trains both)"
DATES_PRESET = "Dates -> ISO, bi-GRU + additive attention"
TRANSLATION_PRESETS: dict[str, TranslationRun] = {
    DEFAULT_PRESET: DEFAULT_RUN,
    TINY_PRESET: TranslationRun(
        TranslationData(task="dates", train_size=2_304, test_size=300),  # 10 % held back: 2,073 train pairs
        Seq2SeqConfig(units=32, embedding_dim=16, attention_units=32),
        replace(DATES_RUN.train, epochs=3, batch_size=64, learning_rate=1e-2),
    ),
    BOTTLENECK_PRESET: DEFAULT_RUN,
    DATES_PRESET: DATES_RUN,
    "Dates without attention (context vector only)": replace(
        DATES_RUN, model=replace(DATES_RUN.model, attention="none")
    ),
    "Number words -> digits, GRU + additive attention": TranslationRun(
        replace(DATES_RUN.data, task="numbers"),
        replace(DATES_RUN.model, bidirectional=False),
        replace(DATES_RUN.train, epochs=3),
    ),
}
# Presets that also train a no-attention twin by default (the bottleneck comparison in one click).
TWIN_PRESETS = {BOTTLENECK_PRESET}
USER_EXAMPLES = {
    "digits": "five five five two six seven one zero",
    "dates": "saturday 14th of march 2020",
    "numbers": "nine hundred and ninety-nine thousand and one",
}


@dataclass
class TwinOutcome(TrainedRun):
    """The no-attention twin: trained for the bottleneck comparison only, so no model is kept."""

    config: TranslationRun
    evaluation: Evaluation

    def held_out(self) -> HeldOut:
        return HeldOut("held-out exact match", float(self.evaluation.exact_match), True)


@dataclass
class TranslationOutcome(TrainedRun):
    """A trained translator, its held-out score and the attention snapshots taken while it trained.

    model: the teacher-forced training model; models: it, wired for encoding and greedy decoding.
    """

    config: TranslationRun
    models: Seq2SeqModels
    task: TranslationTask
    evaluation: Evaluation
    snapshots: list[AttentionSnapshot]  # one per epoch, 0 = untrained
    twin: TwinOutcome | None = None

    def held_out(self) -> HeldOut:
        return HeldOut("held-out exact match", float(self.evaluation.exact_match), True)

    def evaluations(self) -> dict[str, Evaluation]:
        """The held-out evaluation of this model and of its twin (if one was trained), by model label."""
        runs: list[TranslationOutcome | TwinOutcome] = [self, *([self.twin] if self.twin else [])]
        return {run.config.model.label: run.evaluation for run in runs}


# ----------------------------------------------------------------------------- IMDb: attention pooling


@dataclass(frozen=True)
class PoolingConfig:
    """The classifier: cell, width, direction and attention size (the embedding is the ImdbChoice's)."""

    cell: str = "GRU"
    units: int = 32
    bidirectional: bool = False
    attention_units: int = 32

    def problems(self) -> list[str]:
        out = cell_problems(self.cell)
        for label, value in (("Units", self.units), ("Attention units", self.attention_units)):
            if not 1 <= value <= limits.MAX_UNITS:
                out.append(f"{label} must be between 1 and {limits.MAX_UNITS} (got {value}).")
        return out

    def recurrent(self) -> Recurrent:
        """The classifier's recurrent layer (core.engine.footprint)."""
        return Recurrent(self.cell, max(self.units, self.attention_units), 1, self.bidirectional)


class PoolingRun(ImdbRun[PoolingConfig]):
    """An attention-pooling run on IMDb: the same data choice and checks as Sentiment."""


POOLING_DATA = ImdbChoice(train_size=10_000, test_size=2_000)
DEFAULT_POOLING_RUN = PoolingRun(
    POOLING_DATA, PoolingConfig(), TrainConfig(epochs=2, batch_size=128, learning_rate=1e-2, clip_norm=5.0)
)
TINY_POOLING_RUN = PoolingRun(
    replace(POOLING_DATA, num_words=2_000, max_length=80, train_size=2_000, test_size=300, embedding_dim=16),
    PoolingConfig(units=16, attention_units=16),
    TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2, clip_norm=5.0),
)
IMDB_PRESETS: dict[str, PoolingRun] = {
    "Default: GRU + attention pooling, about a minute": DEFAULT_POOLING_RUN,
    "Tiny: seconds, for a quick demo": TINY_POOLING_RUN,
}


@dataclass
class PoolingOutcome(TrainedRun):
    """A trained attention-pooling classifier, its test scores and per-word attention.

    model: the classifier (ids -> P(positive)); models: it and the explainer sharing its layers.
    """

    config: PoolingRun
    models: PoolingModels
    test_probabilities: np.ndarray  # P(positive) per test review
    test_weights: np.ndarray  # (n, max_length) attention per token, 0 on padding
    test_labels: np.ndarray
    test_accuracy: float

    def held_out(self) -> HeldOut:
        return HeldOut("test accuracy", float(self.test_accuracy), True)


# ----------------------------------------------------------------------------- words the page shows

TRANSLATION_INTRO = (
    "An **encoder** RNN reads the input one character at a time; a **decoder** RNN writes the answer one "
    "character at a time, starting from the encoder's final state - the *context vector*. With **attention**, "
    "before writing each character the decoder also scores every encoder step, turns the scores into weights "
    "that sum to 1 (softmax) and reads their weighted average. The weights are the heatmaps below: where the "
    "model looks. Training uses *teacher forcing* (the decoder is fed the true previous character); "
    "translating uses *greedy decoding* (it is fed its own previous guess) and stops at the end token."
)
ATTENTION_HELP = (
    "None: the decoder only gets the encoder's final state (one vector for the whole input). "
    "Additive: score = v·tanh(W_q d + W_k h). Dot-product: score = d·W h."
)
BIDIRECTIONAL_HELP = (
    "The encoder also reads the input backwards, so each h_t knows what comes after it too. "
    "The decoder gets twice the units to take both directions' final states."
)
TWIN_HELP = (
    "After this model, train the same architecture without attention for the "
    "exact-match-vs-length comparison. Doubles the training time."
)
USER_INPUT_HELP = {
    "digits": "Digit words (zero to nine) separated by single spaces; training inputs have 3 to 8 of them.",
    "dates": "Dates: slashes are month/day/year, dots day.month.year, two-digit years 1950-2049.",
    "numbers": "Number words from zero to nine hundred and ninety-nine thousand nine hundred and ninety-nine.",
}
SCORE_HELP = {
    "Held-out exact match": "Share of held-out inputs whose whole greedy translation is right.",
    "Per-character accuracy": "Share of target characters (and the end token) produced at the right position, "
    "greedy decoding.",
    "Held-out examples": "Values never seen in training.",
    "Training time": None,
}
TRANSLATION_TIP = (
    "Tip: the default reaches about 99 % held-out exact match in about half a minute on two cores. The "
    f"preset *{BOTTLENECK_PRESET}* then trains the same model without attention: it falls far behind on long "
    "inputs. The Tiny preset (dates) trains in about ten seconds."
)
LIVE_SNAPSHOT_CAPTION = (
    "Redrawn after every epoch. Early on the rows are pale and even (the decoder looks everywhere a "
    "little); as training goes on they darken into a path: each output character reads one or two input "
    "characters."
)
SNAPSHOT_CAPTION = (
    "Each row is one output character (decoder step), each column one input character (encoder step); "
    "a row's weights sum to 1. Drag the slider from epoch 0: the untrained model spreads its attention "
    "evenly, then each output character learns to read the input characters it is copied or derived from - "
    "for digits read aloud, a staircase: the k-th digit reads the letters of the k-th word, even when the "
    "same word comes twice in a row (for dates: the year digits from the year, the month from the month "
    "name). Hover over (or tap) a cell for its weight."
)
EXACT_MATCH_CAPTION = (
    "Greedy exact match on 300 validation inputs after each epoch (pairs held back from training, "
    "with values it never trains on; the test pairs are only scored once training ends). It usually "
    "jumps when the alignment above becomes sharp: the model has learned where to look."
)
HELDOUT_CAPTION = (
    "Read a row left to right to see which input characters one output character was computed from. "
    "For digits read aloud each digit should light up its own word, in order; a row that looks at the wrong "
    "word (often one of two equal words in a row) shows where a mistake comes from. For dates, the month "
    "digits of '03/04/21' should look at the first number and those of '4.3.21' at the second: the model has "
    "learned the two conventions from the separator."
)
USER_INPUT_CAPTION = (
    "The model translates whatever you type - it has no way to say 'this is not a valid input'. Inputs unlike the "
    "training formats show where its knowledge ends: watch the attention scatter when it is unsure."
)
BOTTLENECK_CAPTION = (
    "Every model you trained on this task in this session, scored on the held-out inputs grouped by length. "
    "Without attention the decoder must rebuild the whole answer from one fixed-size vector, the encoder's "
    "final state - the longer the input, the more it has to squeeze in, and the further back the first "
    "characters are. With attention every output step reads the input directly, so long inputs cost little. "
    "Digits read aloud are the clearest case: every digit is free, so eight of them are eight separate "
    "things to remember; after the same epochs on the same data (not the same seconds: the twin has no attention "
    "to compute, so each epoch is quicker) the model without attention gets most short inputs "
    "right and few of the longest. Dates are short (at most 32 characters), so there a context vector nearly "
    "suffices."
)
NO_TWIN_YET = (
    "No model without attention yet. Tick **Also train a no-attention twin** in the sidebar (or pick the "
    f"preset *{BOTTLENECK_PRESET}*) to add one to this chart."
)
NO_ATTENTION_NOTE = (
    "This model has **no attention**, so there are no heatmaps: its decoder only ever sees the encoder's "
    "final state. Pick an attention type in the sidebar and train again to see where it looks."
)
FORMAT_CAPTIONS = {
    "digits": "Held-out exact match by how many digits were read out. With attention every length is about as easy; "
    "without it, each extra digit is one more thing the single context vector must carry.",
    "dates": "Held-out exact match for each way of writing a date (hover or tap a bar for an example). Formats with "
    "two-digit years or numeric months - where only the separator says which number is the month - "
    "tend to be learned last.",
    "numbers": "Held-out exact match by number size and writing style (hyphens, 'and'). Long numbers are hardest "
    "without attention: all six digits must survive in the context vector.",
}
IMDB_INTRO = (
    "A **many-to-one** RNN reads a review and outputs P(positive). Instead of deciding from its last hidden "
    "state, it uses **attention pooling**: it scores every word's hidden state, turns the scores into weights "
    "that sum to 1, and classifies their weighted average. The weights say which words it relied on - below, "
    "each word is coloured by its weight."
)
WEIGHTED_REVIEW_CAPTION = (
    "Darker words got more attention: the classifier's verdict is computed from a weighted average of the "
    "RNN's states with these weights (they sum to 1 over the review; hover or tap a word for its weight). Look for "
    "opinion words ('wonderful', 'waste') lighting up and filler staying pale. The weights show what the model "
    "read most, not why: a weighted word is evidence it used, not proof that the word caused the verdict."
)
USER_REVIEW_EXAMPLE = "The first half was slow and the dialogue was clumsy, but the ending was wonderful and moving."


def task_caption(task: TranslationTask) -> str:
    """What the generated task is, how it is split, and a few of its pairs."""
    examples = " · ".join(f"“{s}” → {t}" for s, t in task.examples[:4])  # plain text: code in a caption is too pale
    return (
        f"Task: {task.description}, generated by the playground: {len(task.train_sources):,} training and "
        f"{len(task.test_sources):,} held-out test pairs (held-out values never appear in training); about 10 % "
        f"of the training pairs are held back as validation for the per-epoch curves. E.g. {examples}"
    )


def review_option(probability: float, label: float, text: str) -> str:
    """One test review in the picker: right or wrong, its true label, P(positive) and how it starts."""
    mark = "✓" if (probability > 0.5) == (label > 0.5) else "✗"
    return f"{mark} {'positive' if label > 0.5 else 'negative'} review, P(positive) {probability:.2f}: {text[:70]}"
