"""Run configuration: what to build and how to train it, as validated dataclasses.

Every page turns its widgets into these objects and calls `validate()` before doing
anything expensive, so a bad value becomes a readable message instead of a traceback.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Literal

from core.engine import limits
from core.engine.cells import Cell, cell_problems
from core.engine.footprint import Recurrent

Pattern = Literal["one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder"]
Readout = Literal["last", "mean", "max"]

PATTERNS: tuple[str, ...] = (
    "one_to_one",
    "one_to_many",
    "many_to_one",
    "many_to_many",
    "encoder_decoder",
)
PATTERN_LABELS: dict[str, str] = {
    "one_to_one": "One-to-one (no recurrence)",
    "one_to_many": "One-to-many",
    "many_to_one": "Many-to-one",
    "many_to_many": "Many-to-many (synced)",
    "encoder_decoder": "Encoder-decoder (many-to-many, unsynced)",
}
READOUTS: tuple[str, ...] = ("last", "mean", "max")


class ConfigError(ValueError):
    """A configuration a user asked for that cannot be trained; the message says why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _check_range(problems: list[str], label: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        problems.append(f"{label} must be between {low:g} and {high:g} (got {value:g}).")


@dataclass(frozen=True)
class InputSpec:
    """What one example looks like going in.

    `vocab_size` set means token ids (an Embedding layer is added); otherwise each step
    is a vector of `features` floats. `length` is the number of time steps (the encoder
    length for encoder-decoder; ignored by one-to-one and one-to-many on vectors).
    """

    length: int = 1
    features: int = 1
    vocab_size: int | None = None
    embedding_dim: int = 32
    mask_zero: bool = False  # token id 0 is padding the model skips (on for padded IMDb reviews)

    def problems(self) -> list[str]:
        out: list[str] = []
        _check_range(out, "Sequence length", self.length, 1, limits.MAX_SEQUENCE_LENGTH)
        if self.vocab_size is None:
            _check_range(out, "Input features", self.features, 1, limits.MAX_FEATURES)
        else:
            _check_range(out, "Vocabulary size", self.vocab_size, 2, limits.MAX_VOCABULARY + 4)
            _check_range(out, "Embedding size", self.embedding_dim, 1, limits.MAX_EMBEDDING_DIM)
        return out


@dataclass(frozen=True)
class OutputSpec:
    """What the model predicts: `size` values per output step, `steps` output steps.

    `activation` is "sigmoid" (binary), "softmax" (classes) or "linear" (regression).
    """

    size: int = 1
    activation: Literal["sigmoid", "softmax", "linear"] = "sigmoid"
    steps: int = 1

    def problems(self) -> list[str]:
        out: list[str] = []
        _check_range(out, "Output size", self.size, 1, limits.MAX_VOCABULARY + 4)
        _check_range(out, "Output steps", self.steps, 1, limits.MAX_OUTPUT_STEPS)
        if self.activation not in ("sigmoid", "softmax", "linear"):
            out.append(f"Unknown output activation {self.activation!r}.")
        return out


@dataclass(frozen=True)
class ModelConfig:
    """The architecture: pattern x cell x direction x depth x width x dropout."""

    pattern: Pattern = "many_to_one"
    cell: Cell = "GRU"
    units: int = 32
    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    # How a many-to-one model turns its per-step outputs into one vector.
    readout: Readout = "last"
    # Hidden width of the one-to-one baseline's dense layer.
    dense_units: int = 32

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.pattern not in PATTERNS:
            out.append(f"Unknown pattern {self.pattern!r}; choose one of {', '.join(PATTERNS)}.")
        out += cell_problems(self.cell)
        if self.readout not in READOUTS:
            out.append(f"Unknown readout {self.readout!r}; choose one of {', '.join(READOUTS)}.")
        _check_range(out, "Units", self.units, 1, limits.MAX_UNITS)
        _check_range(out, "Layers", self.layers, 1, limits.MAX_LAYERS)
        _check_range(out, "Dense units", self.dense_units, 1, limits.MAX_UNITS)
        _check_range(out, "Dropout", self.dropout, 0.0, limits.MAX_DROPOUT)
        return out

    def recurrent(self) -> Recurrent:
        """The recurrent stack this architecture builds (its memory and CPU cost, core.engine.footprint)."""
        return Recurrent(self.cell, max(self.units, self.dense_units), self.layers, self.bidirectional)

    def validate(self) -> ModelConfig:
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batches, optimiser step size and gradient clipping.

    `clip_norm` rescales the whole gradient when its global L2 norm exceeds it;
    `clip_value` clamps every gradient entry to [-clip_value, clip_value].

    Stopping before `epochs` (both off by default, checked at the end of every epoch):
    `early_stopping_patience` N stops once the validation loss (the training loss when there is
    no validation split) has not improved for N epochs in a row; with `restore_best` the model
    then gets back the weights of its best epoch. `target_metric` and `target_value` stop as soon
    as an epoch's metric reaches the bar (`val_accuracy` >= 0.88, `val_loss` <= 1.9, ...): at
    least for names in HIGHER_IS_BETTER, at most for every other (losses, errors, bits).
    """

    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-3
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    clip_norm: float | None = None
    clip_value: float | None = None
    seed: int = 0
    shuffle: bool = True
    # Drop the last, smaller batch (stateful RNNs need every batch the same size).
    drop_remainder: bool = False
    early_stopping_patience: int = 0  # 0 = off
    restore_best: bool = True
    target_metric: str = ""  # "" = off; an epoch-table column: loss, val_loss, accuracy, val_accuracy, ...
    target_value: float | None = None

    def problems(self) -> list[str]:
        out: list[str] = []
        _check_range(out, "Epochs", self.epochs, 1, limits.MAX_EPOCHS)
        _check_range(out, "Early-stopping patience", self.early_stopping_patience, 0, limits.MAX_EPOCHS)
        if bool(self.target_metric) != (self.target_value is not None):
            out.append("A training target needs both a metric and a value (or neither).")
        elif self.target_value is not None and not math.isfinite(self.target_value):
            out.append("The training target must be a finite number.")
        _check_range(out, "Batch size", self.batch_size, 1, limits.MAX_BATCH_SIZE)
        _check_range(out, "Learning rate", self.learning_rate, limits.MIN_LEARNING_RATE, limits.MAX_LEARNING_RATE)
        if self.optimizer not in ("adam", "sgd", "rmsprop"):
            out.append(f"Unknown optimizer {self.optimizer!r}.")
        if self.clip_norm is not None and not self.clip_norm > 0:
            out.append("Clip norm must be positive (or off).")
        if self.clip_value is not None and not self.clip_value > 0:
            out.append("Clip value must be positive (or off).")
        return out

    def validate(self) -> TrainConfig:
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self


# Metrics where reaching a target means getting at least as high; every other one (losses,
# errors, bits per character) must get at least as low.
HIGHER_IS_BETTER: tuple[str, ...] = ("accuracy", "sparse_accuracy")


def target_reached(config: TrainConfig, value: float) -> bool:
    """Whether `value` of `config.target_metric` meets `config.target_value`."""
    if not config.target_metric or config.target_value is None or not math.isfinite(value):
        return False
    name = config.target_metric.removeprefix("val_")
    return value >= config.target_value if name in HIGHER_IS_BETTER else value <= config.target_value


def validate_all(*configs: InputSpec | OutputSpec | ModelConfig | TrainConfig) -> list[str]:
    """All problems of several configs at once, so the UI can list them together."""
    problems: list[str] = []
    for config in configs:
        problems.extend(config.problems())
    return problems


def config_diff(old: object, new: object, prefix: str = "") -> list[str]:
    """Human-readable list of the fields that differ between two configs of one type.

    Nested dataclasses are compared field by field ("model units: 32 → 64"). Types are
    compared by name: Streamlit re-executes a page script on every rerun, so a dataclass
    defined in a page is a new class object each time.
    """
    if type(old).__qualname__ != type(new).__qualname__:
        return [f"{prefix}configuration type".strip()]
    if not is_dataclass(old):
        return [] if old == new else [f"{prefix.strip() or 'value'}: {old} → {new}"]
    changed = []
    for f in fields(old):  # type: ignore[arg-type]
        a, b = getattr(old, f.name), getattr(new, f.name)
        name = f"{prefix}{f.name.replace('_', ' ')}"
        if is_dataclass(a) and is_dataclass(b):
            changed.extend(config_diff(a, b, prefix=f"{name} "))
        elif a != b:
            changed.append(f"{name}: {a} → {b}")
    return changed


def as_dict(config: object) -> dict:
    return asdict(config)  # type: ignore[call-overload]
