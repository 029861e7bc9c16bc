"""Widgets shared by the training pages: model and training settings -> config objects.

Each function draws its widgets (under a page-specific key prefix, so pages don't share
widget state) and returns the dataclass the engine takes. Limits come from core.engine.limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from core.data.local import DATA_ENV_VAR, LocalPathError, data_root, resolve_local
from core.engine import limits
from core.engine.cells import CELLS
from core.engine.config import PATTERN_LABELS, ModelConfig, TrainConfig

CELL_HELP = (
    "SimpleRNN: h_t = tanh(W x_t + U h_(t-1) + b) - simple, forgets quickly. "
    "LSTM: adds a cell state and forget/input/output gates so information and gradients "
    "survive long sequences. GRU: a lighter gated cell (update and reset gates)."
)

# One set of ladders for every page; each page takes the stretch it needs with `ladder()`.
# The shared training controls stop the learning rate at 0.1 (Adam); the Gradient lab goes
# up to 1.0 (plain SGD at 0.3 is how its Exploding preset blows up).
LR_LADDER = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
MAX_SHARED_LR = 0.1
UNITS_LADDER = (4, 8, 16, 32, 48, 64, 96, 128, 192, 256)
BATCH_LADDER = (8, 16, 32, 64, 128, 256, 512)
CLIP_LADDER = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0)
OPTIMIZERS = ("adam", "sgd", "rmsprop")
CLIP_CHOICES = ("off", "norm", "value")


def ladder(values: Sequence[float], lo: float | None = None, hi: float | None = None) -> list:
    """The rungs of `values` between lo and hi (inclusive; None = no bound)."""
    return [v for v in values if (lo is None or v >= lo) and (hi is None or v <= hi)]


LR_CHOICES = tuple(ladder(LR_LADDER, hi=MAX_SHARED_LR))


def _rate(value: float) -> str:
    return f"{value:g}"


# ----------------------------------------------------------------------------- single widgets


def cell_radio(box, key: str, default: str, disabled: bool = False) -> str:
    return box.radio(
        "Cell", list(CELLS), index=CELLS.index(default), horizontal=True, key=key, help=CELL_HELP, disabled=disabled
    )


def layers_slider(box, key: str, default: int, disabled: bool = False, help: str | None = None) -> int:
    return int(box.slider("Recurrent layers", 1, limits.MAX_LAYERS, default, key=key, disabled=disabled, help=help))


def units_slider(box, key: str, default: int, label: str, hi: int = limits.MAX_UNITS, help: str | None = None) -> int:
    return int(box.select_slider(label, options=ladder(UNITS_LADDER, hi=hi), value=default, key=key, help=help))


def epochs_slider(box, key: str, default: int, max_epochs: int) -> int:
    return int(box.slider("Epochs", 1, max_epochs, default, key=key))


def batch_slider(box, key: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
    return int(box.select_slider("Batch size", options=ladder(BATCH_LADDER, lo, hi), value=default, key=key))


def learning_rate_slider(box, key: str, default: float, label: str, hi: float = MAX_SHARED_LR) -> float:
    options = ladder(LR_LADDER, hi=hi)
    return float(box.select_slider(label, options=options, value=default, format_func=_rate, key=key))


def optimizer_radio(box, key: str, default: str, help: str | None = None) -> str:
    return box.radio(
        "Optimiser", list(OPTIMIZERS), index=OPTIMIZERS.index(default), horizontal=True, key=key, help=help
    )


def clip_threshold_slider(
    box, key: str, default: float, label: str = "Clip threshold", lo: float | None = None, hi: float | None = None
) -> float:
    return float(box.select_slider(label, options=ladder(CLIP_LADDER, lo, hi), value=default, key=key))


# ----------------------------------------------------------------------------- blocks


def model_controls(
    key: str,
    defaults: ModelConfig,
    patterns: Sequence[str] | None = None,
    allow_bidirectional: bool = True,
    show_readout: bool = False,
    container=None,
) -> ModelConfig:
    """Pattern, cell, direction, depth, width and dropout."""
    box = container or st.sidebar
    pattern = defaults.pattern
    if patterns and len(patterns) > 1:
        pattern = box.selectbox(
            "Architecture pattern",
            list(patterns),
            index=list(patterns).index(defaults.pattern),
            format_func=lambda p: PATTERN_LABELS[p],
            key=f"{key}:pattern",
        )
    recurrent = pattern != "one_to_one"
    cell = cell_radio(box, f"{key}:cell", defaults.cell, disabled=not recurrent)
    bidirectional = False
    if allow_bidirectional:
        bidirectional = box.toggle(
            "Bidirectional",
            value=defaults.bidirectional,
            key=f"{key}:bidirectional",
            disabled=not recurrent,
            help="A second RNN reads the sequence backwards; both views are concatenated. "
            "Useful when the whole sequence is known in advance (a review), never for forecasting.",
        )
    layers = layers_slider(
        box,
        f"{key}:layers",
        defaults.layers,
        disabled=not recurrent,
        help="Stacked RNNs: each layer reads the sequence of the one below.",
    )
    units = units_slider(box, f"{key}:units", defaults.units, "Units per layer", help="Size of the hidden state h_t.")
    readout = defaults.readout
    if show_readout and pattern == "many_to_one":
        readout = box.radio(
            "Read-out",
            ["last", "max", "mean"],
            index=["last", "max", "mean"].index(defaults.readout),
            horizontal=True,
            key=f"{key}:readout",
            help="last: classify from the final hidden state only (the textbook many-to-one). "
            "max/mean: pool the hidden states of all steps, which lets gradients reach early words directly.",
        )
    dropout = box.slider(
        "Dropout",
        0.0,
        limits.MAX_DROPOUT,
        float(defaults.dropout),
        0.05,
        key=f"{key}:dropout",
        help="Randomly zero this share of inputs while training, to fight overfitting.",
    )
    chosen = {"pattern": pattern, "cell": cell, "units": units, "layers": layers, "bidirectional": bidirectional}
    return replace(defaults, **chosen, dropout=dropout, readout=readout)


def training_controls(
    key: str,
    defaults: TrainConfig,
    container=None,
    max_epochs: int = limits.MAX_EPOCHS,
    max_lr: float = MAX_SHARED_LR,
    optimizer_help: str | None = None,
) -> TrainConfig:
    """Epochs, batch size, learning rate and gradient clipping.

    With `optimizer_help` the optimiser is a choice too (the learning-rate label then drops
    "(Adam)"); without it the run keeps the defaults' optimiser. `max_lr` caps the ladder.
    """
    box = container or st.sidebar
    epochs = epochs_slider(box, f"{key}:epochs", defaults.epochs, max_epochs)
    batch_size = batch_slider(box, f"{key}:batch_size", defaults.batch_size)
    optimizer = defaults.optimizer
    if optimizer_help is not None:
        optimizer = optimizer_radio(box, f"{key}:optimizer", defaults.optimizer, help=optimizer_help)
    label = "Learning rate" if optimizer_help is not None else "Learning rate (Adam)"
    lr = learning_rate_slider(box, f"{key}:lr", defaults.learning_rate, label, hi=max_lr)
    default_mode = "norm" if defaults.clip_norm else "value" if defaults.clip_value else "off"
    mode = box.radio(
        "Gradient clipping",
        CLIP_CHOICES,
        index=CLIP_CHOICES.index(default_mode),
        horizontal=True,
        key=f"{key}:clip_mode",
        help="norm: rescale the whole gradient when its global L2 norm exceeds the threshold. "
        "value: clamp every gradient entry to ±threshold.",
    )
    clip_norm = clip_value = None
    if mode != "off":
        threshold = clip_threshold_slider(box, f"{key}:clip", defaults.clip_norm or defaults.clip_value or 1.0)
        clip_norm, clip_value = (threshold, None) if mode == "norm" else (None, threshold)
    chosen = {"epochs": epochs, "batch_size": batch_size, "learning_rate": lr, "optimizer": optimizer}
    return replace(defaults, **chosen, clip_norm=clip_norm, clip_value=clip_value)


def show_problems(problems: Sequence[str]) -> bool:
    """List configuration problems in one error box; True when there were none."""
    if problems:
        st.error("Please fix these settings before training:\n\n" + "\n".join(f"- {p}" for p in problems))
        return False
    return True


def local_path_input(label: str, key: str, help: str, disabled: bool = False) -> str:
    """A path inside the deployer's data folder, typed relative to it; "" means the default layout.

    Local paths are a deployer's setting: without ${DATA_ENV_VAR} the field is not shown. A
    typed path is accepted only when it resolves (symlinks included) inside the data folder
    and is a folder or a regular file under the size cap - checked without opening it. A
    refused path shows why and keeps the last accepted one, so the data already loaded stays.
    Returns the resolved path (a bounded set of shared-cache keys) or "".
    """
    root = data_root()
    if root is None:
        st.caption(f"Local copies are off on this server (the deployer can set ${DATA_ENV_VAR} to a data folder).")
        return ""
    typed = st.text_input(
        label,
        "",
        key=key,
        help=f"{help} Relative to the server's data folder; leave empty for its default layout.",
        placeholder="default layout of the data folder",
        disabled=disabled,
        max_chars=500,
    ).strip()
    accepted_key = f"{key}:accepted"
    if not typed:
        st.session_state[accepted_key] = ""
        return ""
    try:
        resolved = str(resolve_local(typed, root))
    except LocalPathError as err:
        previous = st.session_state.get(accepted_key, "")
        st.error(f"{err} {'Keeping the previous local copy.' if previous else 'Using the default data.'}")
        return previous
    st.session_state[accepted_key] = resolved
    return resolved
