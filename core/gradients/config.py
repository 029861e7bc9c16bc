"""The Gradient lab's TensorFlow-free face: run configuration, presets, outcomes, verdicts.

Kept out of the page script on purpose: Streamlit re-executes a page on every rerun, so
a dataclass defined there is a new class each time, and a configuration saved with a
trained model would never compare equal to the same settings one click later. The page
and bench/gradient_lab.py read the same presets from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from core.data.memory_tasks import Score
from core.engine.cells import CELLS, cell_problems
from core.engine.config import TrainConfig
from core.engine.footprint import Footprint, Recurrent
from core.engine.history import TrainingResult
from core.engine.limits import MAX_LAYERS, MAX_UNITS
from core.engine.run import HeldOut, TrainedRun

if TYPE_CHECKING:
    from core.gradients.through_time import RunOutcome

Activation = Literal["tanh", "relu", "linear"]
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "linear")
MAX_RECURRENT_SCALE = 4.0


# ----------------------------------------------------------------------------- configuration


# Declared input sizes for the memory and time estimate (core.engine.footprint): features per step
# of the generated tasks and stock windows (at most), and the IMDb source's embedding and vocabulary.
GRADIENT_FEATURES = 16
GRADIENT_EMBEDDING = 32
GRADIENT_IMDB_WORDS = 10_000


@dataclass(frozen=True)
class LabModel:
    """A many-to-one RNN whose recurrent weights and activation the student controls.

    `recurrent_scale` is the gain of the orthogonal recurrent initialiser. An orthogonal
    matrix has every eigenvalue on the unit circle, so for a SimpleRNN the gain *is* the
    spectral radius of U at initialisation: below 1 gradients shrink by about that factor
    per step, above 1 they can grow (with a linear or ReLU activation).
    """

    cell: str = "SimpleRNN"
    units: int = 32
    activation: Activation = "tanh"
    recurrent_scale: float = 1.0
    layers: int = 1

    def problems(self) -> list[str]:
        out: list[str] = []
        out += cell_problems(self.cell)
        if self.activation not in ACTIVATIONS:
            out.append(f"Unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
        if not 1 <= self.units <= MAX_UNITS:
            out.append(f"Units must be between 1 and {MAX_UNITS} (got {self.units}).")
        if not 1 <= self.layers <= MAX_LAYERS:
            out.append(f"Layers must be between 1 and {MAX_LAYERS} (got {self.layers}).")
        if not 0 < self.recurrent_scale <= MAX_RECURRENT_SCALE:
            out.append(
                f"Recurrent weight scale must be in (0, {MAX_RECURRENT_SCALE:g}] (got {self.recurrent_scale:g})."
            )
        return out


@dataclass(frozen=True)
class SourceChoice:
    """Where the sequences come from: a generated task, IMDb reviews or stock returns."""

    kind: str = "adding"  # adding | recall | imdb | stocks
    length: int = 50  # T, the number of steps the network reads before it answers
    train_size: int = 10_000  # generated sequences / at most this many reviews
    ticker: str = "SPY"
    local_path: str = ""


@dataclass(frozen=True)
class LabConfig:
    source: SourceChoice
    model: LabModel
    train: TrainConfig
    every: int = 20  # record gradients through time every K training steps
    probe_size: int = 32  # fixed test examples the gradient is measured on

    def footprint(self, models: int = 1, length: int | None = None, cell: str | None = None) -> Footprint:
        """What this run costs (core.engine.footprint). Generated tasks read a few features per step,
        IMDb reviews go through an embedding; stock windows are as many as the prices give (derived
        from the data's size). The gradient through time is recorded every `every` steps on the probe."""
        imdb = self.source.kind == "imdb"
        steps = length or self.source.length
        return Footprint(
            Recurrent(cell or self.model.cell, self.model.units, self.model.layers),
            steps=steps,
            batch_size=max(self.train.batch_size, self.probe_size),
            epochs=self.train.epochs,
            input_width=GRADIENT_EMBEDDING if imdb else GRADIENT_FEATURES,
            vocab=GRADIENT_IMDB_WORDS if imdb else 0,
            output_size=GRADIENT_FEATURES,
            train_examples=self.source.train_size or None,
            bytes_per_example=steps * GRADIENT_FEATURES * 4,
            eval_examples=self.source.train_size // 5,
            models=models,
        )


@dataclass(frozen=True)
class ComparisonConfig:
    """Several runs from one LabConfig: the three cells at some lengths, or clipping off/on."""

    lab: LabConfig
    lengths: tuple[int, ...] = ()
    clip_threshold: float | None = None

    def footprint(self) -> Footprint:
        """Three cells at every length (or two clipping runs), one after the other: the time of all of
        them, the memory of the largest (an LSTM at the longest length)."""
        lengths = self.lengths or (self.lab.source.length,)
        models = 2 if self.clip_threshold is not None else len(CELLS) * len(lengths)
        return self.lab.footprint(models=models, length=max(lengths), cell="LSTM")


@dataclass(frozen=True)
class LabRun:
    """One training run of a comparison: what to call it and what differs."""

    label: str
    model: LabModel
    train: TrainConfig
    length: int


def cell_runs(
    model: LabModel, train: TrainConfig, lengths: Sequence[int], cells: Sequence[str] = CELLS
) -> list[LabRun]:
    """SimpleRNN, LSTM and GRU (same units, activation, initialiser scale, seed) at each T."""
    return [
        LabRun(cell if len(lengths) == 1 else f"{cell}, T={t}", replace(model, cell=cell), train, t)
        for t in lengths
        for cell in cells
    ]


def clipping_runs(model: LabModel, train: TrainConfig, length: int, clip_norm: float) -> list[LabRun]:
    """The same model and seed without clipping and with clip-by-global-norm."""
    return [
        LabRun("no clipping", model, replace(train, clip_norm=None, clip_value=None), length),
        LabRun(f"clip norm {clip_norm:g}", model, replace(train, clip_norm=clip_norm, clip_value=None), length),
    ]


# ----------------------------------------------------------------------------- presets (the page and the bench)


SOURCES = {
    "adding": "Adding problem (generated)",
    "recall": "Copy/recall (generated)",
    "imdb": "IMDb long reviews",
    "stocks": "Stock return windows",
}
TICKERS = ("SPY", "AAPL", "MSFT", "AMZN", "GOOGL", "IBM")
LENGTH_CHOICES = (10, 20, 30, 50, 60, 75, 100, 150, 200, 300, 400, 500)
SCALE_CHOICES = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0)
TRAIN_SIZE_CHOICES = (1_000, 2_000, 4_000, 10_000, 20_000)  # generated sequences
IMDB_SIZE_CHOICES = (1_000, 2_000, 4_000, 8_000)  # reviews, at most
# The size slider of each source that has one: label, choices, fallback default, widget key suffix.
SIZE_SLIDERS = {
    "adding": ("Training sequences", TRAIN_SIZE_CHOICES, 10_000, "train_size"),
    "recall": ("Training sequences", TRAIN_SIZE_CHOICES, 10_000, "train_size"),
    "imdb": ("Training reviews (at most)", IMDB_SIZE_CHOICES, 4_000, "imdb_size"),
}
MAX_EPOCHS = 30
MAX_RECORD_EVERY = 100
# The page's slice of the shared ladders in ui/controls.py (learning rate up to 1.0: plain SGD
# at 0.3 is how the Exploding preset blows up).
UNITS_RANGE = (4, 128)
BATCH_RANGE = (16, 256)
MAX_LR = 1.0
CLIP_RANGE = (0.1, 10.0)  # the sidebar's threshold; the clipping tab stops at 5
CLIPPING_TAB_RANGE = (0.1, 5.0)

_STEADY = TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, clip_norm=1.0)
# Two epochs at T = 50 take LSTM and GRU far below 0.05 test MSE (a third epoch taught nothing
# the lesson needs) while the SimpleRNN stays on the baseline; the three-cell comparison of the
# default preset then fits in well under a minute on 2 cores.
_ADDING = replace(_STEADY, epochs=2)
PRESETS: dict[str, LabConfig] = {
    "Vanishing: SimpleRNN on the adding problem": LabConfig(
        SourceChoice("adding", 50, 10_000), LabModel("SimpleRNN", 32, "tanh", 1.0), _ADDING
    ),
    "The cure: GRU on the same task": LabConfig(
        SourceChoice("adding", 50, 10_000), LabModel("GRU", 32, "tanh", 1.0), _ADDING
    ),
    "Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping": LabConfig(
        SourceChoice("adding", 50, 2_000),
        LabModel("SimpleRNN", 16, "tanh", 2.0),
        TrainConfig(epochs=2, batch_size=32, learning_rate=0.3, optimizer="sgd"),
        every=2,
    ),
    "Copy/recall: name the marked symbol": LabConfig(
        SourceChoice("recall", 50, 10_000), LabModel("GRU", 32, "tanh", 1.0), _STEADY
    ),
    "Tiny: a few seconds": LabConfig(
        SourceChoice("adding", 20, 1_000),
        LabModel("SimpleRNN", 8, "tanh", 1.0),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2, clip_norm=1.0),
        every=4,
        probe_size=16,
    ),
    "IMDb: how far back does a review's gradient reach?": LabConfig(
        SourceChoice("imdb", 200, 4_000),
        LabModel("GRU", 32, "tanh", 1.0),
        TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, clip_norm=1.0),
    ),
    "Stocks: 60 days of returns": LabConfig(
        SourceChoice("stocks", 60, 0),
        LabModel("SimpleRNN", 16, "tanh", 1.0),
        TrainConfig(epochs=3, batch_size=64, learning_rate=3e-3, clip_norm=1.0),
    ),
}


# ----------------------------------------------------------------------------- what a run returns

# What the live views read from a run's progress while it trains (LiveProgress.extra):
# one run's recorder and label, or every run's recorder so far and the one training now.
LIVE_RECORDER, LIVE_LABEL, LIVE_RECORDERS, LIVE_CURRENT = "recorder", "label", "recorders", "current"


@dataclass
class SingleOutcome(TrainedRun):
    """Experiment 1: one model trained while its gradients through time were recorded."""

    config: LabConfig
    run: RunOutcome  # the recorder, test score, spectral radius, restored step
    score: Score  # how the task is judged (name, direction, trivial baseline)

    def held_out(self) -> HeldOut | None:
        return _held_out(self.score, [self.run.test_score], "test")


@dataclass
class ComparisonOutcome(TrainedRun):
    """Experiments 2 and 3: several runs one after another (the three cells at some T, or
    clipping off/on). `result` joins their histories; `model` is the last run's model."""

    config: ComparisonConfig
    runs: list[RunOutcome]
    score: Score

    def held_out(self) -> HeldOut | None:
        """The best of the compared runs (the board ranks a comparison by what it reached)."""
        return _held_out(self.score, [o.test_score for o in self.runs], "best test")

    @property
    def longest(self) -> list[RunOutcome]:
        """The runs at the longest sequence length compared."""
        length = max(o.length for o in self.runs)
        return [o for o in self.runs if o.length == length]


def _held_out(score: Score, values: list[float], words: str) -> HeldOut | None:
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return None
    best = min(finite) if score.lower_is_better else max(finite)
    return HeldOut(f"{words} {score.name}", best, not score.lower_is_better)


# ----------------------------------------------------------------------------- facts and verdicts


# A gradient can underflow to exactly 0 in float32; a log axis cannot show 0, so charts draw it here,
# and the page words any share below it as "nothing reaches step 1".
NORM_FLOOR = 1e-30


def reach_words(ratio: float, short: bool = False) -> str:
    """A reach ratio as a student reads it: "3.2e-05", or "below 1e-30: nothing reaches step 1"
    ("below 1e-30" when `short`, for a metric tile), never "0.0e+00"."""
    if not math.isfinite(ratio):
        return "n/a" if short else "not measurable (no finite gradient at step T)"
    if ratio < NORM_FLOOR:
        return f"below {NORM_FLOOR:g}" if short else f"below {NORM_FLOOR:g}: nothing reaches step 1"
    return f"{ratio:.1e}"


def floor_note(*ratios: float) -> str:
    """The sentence under the reach tiles when one of them is below the floor ("" otherwise)."""
    if any(r < NORM_FLOOR for r in ratios if math.isfinite(r)):
        return f"Below {NORM_FLOOR:g}: nothing reaches step 1 (the gradient there underflowed to 0 in float32)."
    return ""


def skill(value: float, baseline: float, lower_is_better: bool) -> float:
    """How far a test score got from the trivial guess towards perfect: 0 = the trivial guess,
    1 = perfect, negative = worse than the trivial guess (MSE: 1 - value / baseline)."""
    if lower_is_better:
        return 1 - value / baseline if baseline > 0 else math.nan
    return (value - baseline) / (1 - baseline) if baseline < 1 else math.nan


def reach_ratio(norms: np.ndarray) -> float:
    """How much of the gradient at the last step reaches the first: norm_1 / norm_T."""
    last = float(norms[-1])
    return float(norms[0]) / last if last > 0 and np.isfinite(last) else float("nan")


def divergence_step(result: TrainingResult) -> int | None:
    """The step at which a run went NaN/inf, or None when it did not diverge."""
    return result.steps if result.status == "diverged" else None


def verdict(value: float, score: Score) -> str:
    """One sentence on where a test score sits between the trivial baseline and perfect."""
    if score.lower_is_better:
        share = value / score.baseline if score.baseline else math.nan
        if share > 0.8:
            return "Close to the trivial baseline: the network has not learned to use the early steps (yet)."
        if share > 0.3:
            return "Better than the trivial baseline, far from solved: more epochs, or a gated cell."
        return "Well below the trivial baseline: the network carries the information across the sequence."
    gain = (value - score.baseline) / max(1e-9, 1 - score.baseline)
    if gain < 0.2:
        return "About as good as the trivial guess: the information at the start did not make it to the answer."
    if gain < 0.8:
        return "Clearly better than guessing, not perfect yet."
    return "Close to perfect: the network remembers across the whole sequence."


def what_next(status: str, cell: str) -> list[str]:
    """What to try after a single run that ended with `status`, trained with `cell`."""
    if status == "diverged":
        tips = [
            "Turn on **Clip the gradient norm** (threshold 1) and train again: the same run stays finite.",
            "Or lower the recurrent weight scale below 1, or switch the activation to tanh.",
        ]
    elif cell == "SimpleRNN":
        tips = [
            "Switch the cell to **GRU** or **LSTM** and compare the heatmaps - or use the second tab.",
            "Double T and watch the ratio 'step 1 / step T' fall by orders of magnitude.",
        ]
    else:
        tips = ["Try the same T with a SimpleRNN, or push T to 200-500 where even gated cells struggle."]
    return [
        *tips,
        "Pick the *Exploding* preset (ρ = 2, plain SGD, learning rate 0.3, no clipping) to make gradients explode, "
        "then run the third tab to see clipping keep the same run finite.",
    ]


def comparison_signature(config: LabConfig) -> str:
    """What comparisons must share for their scores to sit on one score-vs-T chart: the task
    and every setting but the cell and T."""
    return repr((config.source.kind, config.source.train_size, replace(config.model, cell=""), config.train))


# ----------------------------------------------------------------------------- words the page shows

# The comparison tabs' Train buttons (short: the panel's button column is narrow).
CELLS_TRAIN_LABEL = "Train 3 cells"
CLIP_TRAIN_LABEL = "Train both runs"


INTRO = (
    "Every textbook says a plain RNN cannot learn long-range dependencies because its gradient vanishes "
    "(or explodes) through time, that LSTM and GRU fix it, and that gradient clipping guards against "
    "explosions. Here you **measure** it: the size of the gradient that reaches each input step, while the "
    "network trains, on tasks built to need long memory."
)
BPTT_TEXT = (
    "Training an RNN means running it forward over the whole sequence, then sending the error back "
    "through every step it took - **backpropagation through time**. On the way back the gradient is "
    "multiplied once per step by the same kind of factor (for a SimpleRNN: the activation's slope times "
    "the recurrent matrix U). Multiply 100 numbers a bit below 1 and you get almost 0: the first inputs "
    "receive no learning signal (**vanishing gradient**). Multiply 100 numbers a bit above 1 and you get "
    "something huge: one update throws the weights away (**exploding gradient**). LSTM and GRU add a path "
    "whose factor is a *gate* the network learns to hold near 1, so the signal survives; **gradient "
    "clipping** caps the size of an update so one explosion cannot wreck the model."
)
DIAGRAM_CAPTION = (
    "Black arrows: the forward pass reads x_1 … x_T into states h_1 … h_T and answers once at the end "
    "(many-to-one). Red dashed arrows: the backward pass, one Jacobian factor J per step."
)
BPTT_LATEX = (
    r"\frac{\partial L}{\partial x_t} = \frac{\partial L}{\partial h_T}\,"
    r"\underbrace{J_T\,J_{T-1}\cdots J_{t+1}}_{T-t\ \text{factors}}\,\frac{\partial h_t}{\partial x_t},"
    r"\qquad J_k = \frac{\partial h_k}{\partial h_{k-1}}"
)
JACOBIANS = {
    "SimpleRNN": "J_k = ∂h_k/∂h_(k-1) = diag(f′(a_k)) · U",
    "LSTM": "via the cell state c_k = f_k ⊙ c_(k-1) + i_k ⊙ g_k:  J_k ≈ diag(f_k), a forget gate it can hold near 1",
    "GRU": "h_k = (1 − z_k) ⊙ h_(k-1) + z_k ⊙ h̃_k:  J_k ≈ diag(1 − z_k) + …, an update gate it can hold near 0",
}
LENGTH_HELP = "How many steps the network reads before it answers; the gradient has to travel back T steps."
EVERY_HELP = "Each snapshot costs about one training step; fewer snapshots = faster training."
ACTIVATION_HELP = (
    "tanh squashes (its slope is at most 1, so it can only shrink the gradient); relu and linear do not "
    "squash, so a recurrent scale above 1 makes both the state and the gradient grow step after step."
)
SCALE_HELP = (
    "Gain of the orthogonal initialiser of the recurrent matrix U. For a SimpleRNN it is the spectral "
    "radius of U (its largest |eigenvalue|): the factor by which U stretches the state - and the gradient - "
    f"each step. Range up to {MAX_RECURRENT_SCALE:g}."
)
OPTIMIZER_HELP = (
    "Plain SGD steps in proportion to the gradient, so an exploding gradient becomes an exploding step. "
    "Adam divides by a running gradient size, which hides (but does not cure) explosions."
)
SINGLE_INTRO = (
    "Train the model in the sidebar and watch, every few steps, how much gradient reaches each input "
    "step. Start with the *Vanishing* preset, then the *cure*."
)
REACH_TILE_HELP = "How much of the gradient the last input gets reaches the first input. 1 = all of it."
HEATMAP_HELP = (
    "**What this shows.** Each row is one snapshot of the model during training (the top row is the "
    "untrained model); each column is an input position t. The colour is the size of the gradient of the "
    "loss with respect to the input at that step, ‖∂L/∂x_t‖, averaged over a fixed probe batch, on a log "
    "scale. **What to look for:** a SimpleRNN shows a bright right edge and a dark left side - only the last "
    "few steps get a learning signal. A gated cell keeps the left side lit, often brighter as it learns "
    "where the important steps are. **Try next:** lengthen T, or change the recurrent weight scale."
)
REACH_HELP = (
    "**What this shows.** The same gradient norms as one line per moment: dashed at initialisation, solid "
    "now. A straight falling line on this log axis is geometric decay - the gradient shrinks by the same "
    "factor every step back in time. The ratio *first step / last step* is printed above. **What to look "
    "for:** ratios like 1e-6 mean the first inputs are invisible to learning; a line that rises to the "
    "left is an exploding gradient. **Try next:** set the recurrent weight scale above 1 with a ReLU or "
    "linear activation and watch the slope flip."
)
GLOBAL_NORM_HELP = (
    "**What this shows.** The size of the whole gradient (all weights together) at every training step, "
    "before clipping (blue) and after (orange-red, what the optimiser actually used). The grey dashed line is "
    "the clip threshold; a black vertical line marks the step where the loss or gradient became NaN/inf and "
    "training stopped, keeping the last good weights. **What to look for:** spikes of several orders of "
    "magnitude are exploding gradients; with clipping the orange-red line never rises above the threshold."
)
CLIPPING_NORM_HELP = (
    "**What this shows.** Both runs' whole gradient (all weights together) at every training step, each "
    "from its own first step, on a log scale: one colour per run, solid before clipping, dashed after (what "
    "the optimiser actually used). The dashed rule is the clip threshold; a solid vertical rule marks the "
    "step where a run's loss or gradient became NaN/inf and it stopped, keeping its last good weights. "
    "**What to look for:** the unclipped run's norm shoots up by orders of magnitude before it stops; the "
    "clipped run's dashed line never rises above the threshold."
)
COMPARE_INTRO = (
    "One click trains **SimpleRNN, LSTM and GRU** with the settings in the sidebar (units, activation, "
    "recurrent scale, optimiser, epochs and seed are the same; only the cell differs), on the same data in "
    "the same order. Pick several sequence lengths to see the SimpleRNN fall to the baseline as T grows."
)
SCORES_HELP = (
    "**What this shows.** Test {score} of each cell at each sequence length you have compared with "
    "these settings (points from earlier comparisons stay). The grey dashed line is the trivial baseline: "
    "a cell on it learned nothing the task needs. **What to look for:** the SimpleRNN reaches the baseline "
    "at a much shorter T than LSTM and GRU. **Try next:** add a longer T; or give every run more epochs."
)
COMPARE_REACH_HELP = (
    "**What this shows.** For each cell, ‖∂L/∂x_t‖ on the probe batch before training (dashed) and after "
    "(solid). **What to look for:** the red SimpleRNN line falls steeply to the left - the first steps get "
    "orders of magnitude less gradient than the last - while the LSTM and GRU lines stay much flatter."
)
COMPARE_HEATMAPS_HELP = (
    "The same measurement over training, one heatmap per cell, on one shared colour scale: the same colour is "
    "the same gradient size in all three. Dark columns on the left = early steps that get no learning signal."
)
CLIPPING_INTRO = (
    "Trains the model in the sidebar twice from the same starting weights: **without clipping** and **with "
    "clip-by-global-norm**. With a recurrent weight scale well above 1 (try 2) each step back in time can "
    "stretch the gradient; with plain SGD a huge gradient becomes a huge step, the weights are thrown far "
    "away and a few steps later the loss is NaN - the trainer detects it, stops and keeps the last good "
    "weights. Clipping rescales every update to at most the threshold, so the same run stays finite. The "
    "*Exploding* preset sets this up."
)
CLIPPING_REACH_HELP = (
    "**What this shows.** ‖∂L/∂x_t‖ before training (dashed) and after (solid), per run. A line that is "
    "higher at the left (step 1) than at the right (step T) means the gradient *grows* as it travels back "
    "through time - it explodes; a line higher at the right means it shrinks. Clipping does not change "
    "this shape, only the size of each update the optimiser takes. A run that blew up has no solid line "
    f"where its gradient was NaN/inf, and lies on the chart's {NORM_FLOOR:g} floor where it was exactly 0."
)
STAND_IN = (
    "**Offline default in use - not real data.** {notice} The real data could not be loaded, so the page "
    "shows a generated stand-in. (A deployer can configure a local copy of the data.)"
)
