"""Architectures & inside the cell, as data: what the page describes, the runs it makes, the words it shows.

TensorFlow-free, so the page can type-hint and build its configurations on open. The
quick-train is an IMDb run of the Sentiment lab's shape (`core.sentiment.config`): the same
data choice, checks, validation split and masked input, only with the sidebar's cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.data.imdb import INDEX_FROM
from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.run import HeldOut, TrainedRun
from core.sentiment.config import PRESETS, TINY_PRESET, ImdbRun, SentimentOutcome, SentimentRun

DEFAULT_MODEL = ModelConfig(pattern="many_to_one", cell="LSTM", units=32, readout="last")
DEFAULT_REVIEW = (
    "The film starts slowly and the first hour is dull, but the ending is wonderful and moving. "
    "Great acting, I loved it."
)
DEFAULT_LINE = "To be, or not to be, that is the question."
DEFAULT_NUMBERS = "101.2, 102.0, 101.7, 103.4, 104.1, 103.9, 105.2, 104.8, 106.0, 107.3"
FRESH, QUICK = "fresh", "quick"  # the two model sources that are not another page's run
EMBEDDING_SIZES = (4, 8, 16, 32, 64, 128, 256)
FRESH_MAX_OUTPUT_STEPS = 30  # a fresh one-to-many / encoder-decoder model writes at most this many steps
QUICK_UNITS = 16


# ----------------------------------------------------------------------------- the explorer


@dataclass(frozen=True)
class ExplorerChoice:
    """What the sidebar describes: an architecture, its input and output, how much to draw."""

    model: ModelConfig
    spec: InputSpec
    output: OutputSpec
    max_drawn: int

    @property
    def words(self) -> bool:
        return self.spec.vocab_size is not None


def reads_sequence(pattern: str, words: bool) -> bool:
    """Whether the input is a sequence of length T (one-to-many reads one vector; one-to-one a bag of words)."""
    return pattern != "one_to_many" and (pattern != "one_to_one" or words)


def writes_sequence(pattern: str) -> bool:
    """Whether the output is a sequence of its own length K."""
    return pattern in ("one_to_many", "encoder_decoder")


def explorer_choice(
    model: ModelConfig,
    length: int,
    output_size: int,
    output_steps: int,
    max_drawn: int,
    vocab_size: int | None = None,
    embedding_dim: int = 64,
    features: int = 1,
) -> ExplorerChoice:
    """The sidebar's choice. Word inputs are padded reviews and mask their padding, like every
    token model the playground trains (see core.sentiment.config.input_spec)."""
    if vocab_size is not None:
        spec = InputSpec(length=length, vocab_size=vocab_size, embedding_dim=embedding_dim, mask_zero=True)
    else:
        spec = InputSpec(length=length, features=features)
    activation = "sigmoid" if output_size == 1 else "softmax"
    return ExplorerChoice(
        model, spec, OutputSpec(size=output_size, activation=activation, steps=output_steps), max_drawn
    )


# The sidebar's starting point: an LSTM reading a 200-word review (10,000-word vocabulary), one output.
DEFAULT_CHOICE = explorer_choice(DEFAULT_MODEL, 200, 1, 10, 5, vocab_size=10_000, embedding_dim=64)


# ----------------------------------------------------------------------------- models to open


@dataclass(frozen=True)
class FreshModel:
    """A model with random weights, built from the sidebar's architecture, reading one number per step."""

    model: ModelConfig
    spec: InputSpec
    output: OutputSpec
    seed: int


def fresh_model_config(choice: ExplorerChoice, steps: int, seed: int) -> FreshModel:
    """One-to-one has no recurrent cell, so its fresh model is many-to-one with the same cell."""
    pattern = "many_to_one" if choice.model.pattern == "one_to_one" else choice.model.pattern
    return FreshModel(
        replace(choice.model, pattern=pattern, dropout=0.0),
        InputSpec(length=steps, features=1),
        OutputSpec(size=1, activation="sigmoid", steps=min(choice.output.steps, FRESH_MAX_OUTPUT_STEPS)),
        seed,
    )


def quick_run(choice: ExplorerChoice, local_path: str = "") -> SentimentRun:
    """A small IMDb model trained here in seconds: the Sentiment lab's Tiny run with the sidebar's cell,
    read from its last state."""
    tiny = PRESETS[TINY_PRESET]
    model = ModelConfig(
        pattern="many_to_one",
        cell=choice.model.cell,
        units=QUICK_UNITS,
        layers=min(choice.model.layers, 2),  # stacked as the explorer shows, at most two layers (seconds)
        bidirectional=choice.model.bidirectional,
        readout="last",
    )
    return replace(tiny, model=model, local_path=local_path)


def fit_vocabulary(run: SentimentRun, distinct_words: int) -> SentimentRun:
    """The quick-train has no vocabulary control: on data with fewer words than it asks for (the
    generated offline reviews) it uses every word there is instead of being refused."""
    most = distinct_words + INDEX_FROM
    return replace(run, data=replace(run.data, num_words=min(run.data.num_words, most)))


@dataclass
class QuickOutcome(TrainedRun):
    """The quick-trained IMDb model: ids (B, max_length) -> P(positive) (B, 1)."""

    config: SentimentRun
    vocab_size: int  # rows of its Embedding (the vocabulary plus the reserved ids)
    test_accuracy: float  # on the run's test reviews
    majority_accuracy: float = float("nan")  # always answering the test split's commoner label: the trivial baseline
    word_ids: dict[str, int] = field(default_factory=dict)  # ids of the words the embeddings check reads

    def held_out(self) -> HeldOut:
        return HeldOut("test accuracy", float(self.test_accuracy), True)

    @classmethod
    def of(cls, outcome: SentimentOutcome, vocab_size: int, word_ids: dict | None = None) -> QuickOutcome:
        """The quick-train is the Sentiment lab's own training (`core.sentiment.training.train_and_evaluate`)."""
        labels = np.asarray(outcome.test_labels, dtype=float).ravel()
        majority = float(max(labels.mean(), 1 - labels.mean())) if labels.size else float("nan")
        return cls(
            outcome.result,
            outcome.model,
            outcome.config,
            vocab_size,
            outcome.test_accuracy,
            majority,
            dict(word_ids or {}),
        )


def imdb_config(run: object) -> ImdbRun | None:
    """The run's configuration when it is a TrainedRun on IMDb reviews (an ImdbRun), else None."""
    config = run.config if isinstance(run, TrainedRun) else None
    return config if isinstance(config, ImdbRun) else None


# ----------------------------------------------------------------------------- one traced sequence


@dataclass
class Analysis:
    """One traced sequence: the per-step states and gates, and the proof they are right."""

    traces: list  # one core.cells.internals.CellTrace per direction
    check: Any  # core.cells.internals.Check: the hand computation against Keras
    identity_error: float  # largest violation of the gate identities (e.g. c_t = f⊙c_(t-1) + i⊙g)
    labels: list[str]  # one per step of the layer
    padding: int  # leading padding steps
    prediction: float | None  # the whole model's output when it is one number

    @property
    def matches(self) -> bool:
        return bool(self.check.ok) and self.identity_error < 1e-9


# ----------------------------------------------------------------------------- words the page shows

PAGE_INTRO = (
    "A recurrent network reads a sequence one step at a time, carrying a **hidden state** h_t from step to "
    "step: h_t = f(x_t, h_(t-1)). The same cell - the same weights - is used at every step. Pick a pattern "
    "and a cell in the sidebar to see it unrolled, count its weights, then open a trained cell and watch its "
    "gates."
)
DIAGRAM_HELP = (
    "**How to read it.** Time runs left to right, data flows bottom to top. Every box in a row is the "
    "*same* cell with the *same* weights, applied once per time step - that is what 'recurrent' means. "
    "The grey arrows along a row carry the hidden state h_(t-1) into step t (the first step starts from "
    "h_0 = 0). A bidirectional layer adds a second row (←) that reads the sequence backwards; the layer "
    "above sees both rows side by side. Try switching the pattern: watch where the outputs y appear."
)
SHAPES_HELP = (
    "'batch' is however many examples go through together. Token inputs are ids (one integer per step); "
    "the Embedding layer turns each id into the vector x_t. A cell's hidden state has `units` numbers "
    "(twice that when bidirectional, since both directions are concatenated)."
)
PARAMETERS_HELP = (
    "Every count comes from the formula beside it and agrees with Keras' own `count_params()`. "
    "'input' is the size of what the layer reads at one step (the embedding size, or the width of the "
    "layer below). LSTM has 4 weight blocks (input, forget, candidate, output), GRU 3 (update, reset, "
    "candidate; Keras' default GRU has two biases per block), SimpleRNN 1. Bidirectional doubles a layer."
)
CELL_COMPARISON_HELP = (
    "With {units} units reading {x_size}-number inputs: the gates cost weights. An LSTM has four times "
    "the weights of a SimpleRNN of the same width and a GRU three times - the price of remembering for long."
)
INSIDE_INTRO = (
    "Feed one sequence to a recurrent layer and see every number it computes: the hidden state h_t, and for "
    "gated cells the gates. They are **recomputed by hand from the layer's own weights** with the textbook "
    "equations, then checked against what Keras computes."
)
NO_RECURRENT_LAYER = (
    "This model has no SimpleRNN, LSTM or GRU layer (a one-to-one baseline, perhaps), so there is no cell "
    "to open. Its word embeddings may still be in the next tab."
)
CELL_HELP = {
    "SimpleRNN": "A SimpleRNN has no gates: its whole memory is h_t, rewritten at every step.",
    "LSTM": (
        "An LSTM keeps a separate cell state c_t. The forget gate f_t decides how much of it survives each step, "
        "the input gate i_t how much of the candidate g_t is added, the output gate o_t how much is shown as h_t."
    ),
    "GRU": (
        "A GRU blends old and new: the update gate z_t near 1 keeps h_(t-1), near 0 takes the candidate h̃_t; "
        "the reset gate r_t decides how much of the old state the candidate may look at."
    ),
}
UNIT_VIEW_HELP = (
    "**What to look for.** Each row is one unit (one number of {symbol}), each column one input "
    "step; {symbol}: {meaning}. **Point at a cell** of the heatmap: the line below shows "
    "that unit across the sequence, and the text below shades every input by it - units that light up on "
    "'not', on full stops or on strong words are the cell's feature detectors. Steps before the first real "
    "token are left out unless you include the padding."
)
GATES_HELP = (
    "**What to look for.** The gates averaged over all units. A dip of the forget gate (LSTM) or of "
    "the update gate (GRU) marks a step where the cell throws away much of what it held - often at a "
    "full stop, a 'but', or a jump in the signal. Flat lines mean the cell treats every step alike."
)
NO_IMDB_MODEL = (
    "Train a model on the **Sentiment** page (the Tiny preset takes seconds), or quick-train one in the "
    "*Inside the cell* tab, to see the word vectors it learns."
)
EMBEDDINGS_HELP = (
    "**What to look for.** Each dot is a word's learned vector, flattened to 2-D by PCA (the axes keep "
    "{first:.0%} and {second:.0%} of the spread). Colour is how far a "
    "review made of that word alone moves the model's P(positive) away from an empty review "
    "({neutral:.2f}): orange pushes towards positive, blue towards negative. After training, positive and "
    "negative words drift apart along one direction - the model invented a 'sentiment axis' - while neutral "
    "words stay in the middle; an untrained model shows a colourless cloud. Drag (or swipe) to pan, scroll "
    "(or pinch) to zoom."
)
NEIGHBOURS_HELP = (
    "Cosine similarity: 1 = the same direction. In a sentiment model neighbours tend to share "
    "*sentiment* more than meaning: a well-trained model puts 'great' beside 'excellent' and 'superb'."
)
WIDGET_HELP = {
    "kind": "Words go through an Embedding layer first; numbers (prices, sensor readings) go in directly.",
    "length": "Time steps the network reads (words of a review, days of prices).",
    "steps": "One-to-many and encoder-decoder write a sequence of their own length.",
    "size": "1 for a yes/no probability or one number; the number of classes for a softmax.",
    "drawn": "Longer sequences are drawn with '…' in the middle.",
    "direction": "The backward layer reads the sequence from the end; its state at step t has seen x_t … x_T.",
    "padding": "Short inputs are padded at the front; the cell reads the padding too.",
    "skip": "'the', 'a', 'and' carry little sentiment.",
}
