"""One step of a SimpleRNN, LSTM or GRU cell in NumPy, from a Keras layer's own weights.

Used twice: the Shakespeare generator advances its network one character at a time with it
(gate recording off: nothing is kept that the next step does not need), and the inside-the-cell
view (core.cells.internals) records every gate of every step to draw them. NumPy only - no
TensorFlow import - so both stay cheap and the equations are written once.

Keras' weight layout (columns of the kernel W, recurrent kernel U and bias b):
    SimpleRNN   one block           h_t = act(x_t W + h_(t-1) U + b)
    LSTM        blocks i, f, g, o   i, f, o = σ(...), g = act(...),
                                    c_t = f ⊙ c_(t-1) + i ⊙ g,  h_t = o ⊙ act(c_t)
    GRU         blocks z, r, h      z, r = σ(...), h̃ = act(...),  h_t = z ⊙ h_(t-1) + (1 - z) ⊙ h̃
GRU with reset_after=True (the Keras default) applies the reset gate after the recurrent matrix
product and keeps a second, recurrent bias (the bias is then (2, 3·units)):
    h̃ = act(x W_h + b_h + r ⊙ (h U_h + b'_h));   with reset_after=False: h̃ = act(x W_h + (r ⊙ h) U_h + b_h).

A step takes the input already multiplied by the kernel (`x @ kernel`), so a caller that
knows the whole sequence projects it at once; `CellWeights.step` does the projection itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Activation = Callable[[np.ndarray], np.ndarray]
State = tuple[np.ndarray, ...]  # (h,) or, for LSTM, (h, c)
Gates = dict[str, np.ndarray]  # gate key -> values, see GATES


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), written with tanh: no overflow warning for large |x|, dtype kept."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


ACTIVATIONS: dict[str, Activation] = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
}
BLOCKS = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
GATES = {"SimpleRNN": (), "LSTM": ("i", "f", "g", "o"), "GRU": ("z", "r", "hh")}  # hh = candidate h̃


@dataclass(frozen=True)
class CellWeights:
    """One recurrent layer's weights, in Keras' layout, and the activations its equations use."""

    cell: str  # "SimpleRNN" | "LSTM" | "GRU"
    kernel: np.ndarray  # (inputs, blocks·units)
    recurrent_kernel: np.ndarray  # (units, blocks·units)
    bias: np.ndarray | None  # (blocks·units,), or (2, 3·units) for a GRU with reset_after; None = no bias
    activation: Activation = np.tanh
    recurrent_activation: Activation = sigmoid
    reset_after: bool = True  # GRU only (Keras' default)

    def __post_init__(self) -> None:
        if self.cell not in BLOCKS:
            raise ValueError(f"Unknown cell {self.cell!r}; expected SimpleRNN, LSTM or GRU.")
        width = BLOCKS[self.cell] * self.units
        if self.kernel.shape[-1] != width or self.recurrent_kernel.shape != (self.units, width):
            raise ValueError(
                f"{self.cell} weights do not fit together: kernel {self.kernel.shape}, "
                f"recurrent kernel {self.recurrent_kernel.shape}."
            )
        two_biases = self.cell == "GRU" and self.reset_after
        expected = (2, width) if two_biases else (width,)
        if self.bias is not None and self.bias.shape != expected:
            raise ValueError(f"{self.cell} bias has shape {self.bias.shape}; expected {expected}.")

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.kernel.shape[0])

    def zero_state(self, batch: int | None = None, dtype: Any = None) -> State:
        """Zeros for h (and c): (batch, units), or (units,) for a single sequence."""
        shape = (self.units,) if batch is None else (batch, self.units)
        h = np.zeros(shape, dtype or self.recurrent_kernel.dtype)
        return (h, h.copy()) if self.cell == "LSTM" else (h,)

    def step(self, x: np.ndarray, state: State, record: bool = False) -> tuple[State, Gates | None]:
        """One step from the raw input x (..., inputs): the new state and, if `record`, the gates."""
        return STEPS[self.cell](self, x @ self.kernel, state, record)


def simple_rnn_step(w: CellWeights, xw: np.ndarray, state: State, record: bool = False) -> tuple[State, Gates | None]:
    """h_t = act(x_t W + h_(t-1) U + b); a SimpleRNN has no gates (records {})."""
    z = xw + state[0] @ w.recurrent_kernel
    if w.bias is not None:
        z = z + w.bias
    return (w.activation(z),), ({} if record else None)


def lstm_step(w: CellWeights, xw: np.ndarray, state: State, record: bool = False) -> tuple[State, Gates | None]:
    """Input, forget and output gates, candidate g; the cell state c carries the long-term memory."""
    h, c = state
    z = xw + h @ w.recurrent_kernel
    if w.bias is not None:
        z = z + w.bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    i, f, o = w.recurrent_activation(zi), w.recurrent_activation(zf), w.recurrent_activation(zo)
    g = w.activation(zg)
    c = f * c + i * g
    h = o * w.activation(c)
    return (h, c), ({"i": i, "f": f, "g": g, "o": o} if record else None)


def gru_step(w: CellWeights, xw: np.ndarray, state: State, record: bool = False) -> tuple[State, Gates | None]:
    """Update gate z, reset gate r and candidate h̃; reset applied after (or before) the recurrent product."""
    h = state[0]
    if w.reset_after:
        if w.bias is not None:
            xw = xw + w.bias[0]
        recurrent = h @ w.recurrent_kernel
        if w.bias is not None:
            recurrent = recurrent + w.bias[1]
        x_z, x_r, x_h = np.split(xw, 3, axis=-1)
        h_z, h_r, h_h = np.split(recurrent, 3, axis=-1)
        z, r = w.recurrent_activation(x_z + h_z), w.recurrent_activation(x_r + h_r)
        candidate = w.activation(x_h + r * h_h)
    else:
        if w.bias is not None:
            xw = xw + w.bias
        x_z, x_r, x_h = np.split(xw, 3, axis=-1)
        units = w.units
        h_zr = h @ w.recurrent_kernel[:, : 2 * units]
        z = w.recurrent_activation(x_z + h_zr[..., :units])
        r = w.recurrent_activation(x_r + h_zr[..., units:])
        candidate = w.activation(x_h + (r * h) @ w.recurrent_kernel[:, 2 * units :])
    h = z * h + (1.0 - z) * candidate
    return (h,), ({"z": z, "r": r, "hh": candidate} if record else None)


STEPS: dict[str, Callable[[CellWeights, np.ndarray, State, bool], tuple[State, Gates | None]]] = {
    "SimpleRNN": simple_rnn_step,
    "LSTM": lstm_step,
    "GRU": gru_step,
}


def activation_named(fn: Any) -> Activation:
    """The NumPy twin of a Keras activation function (looked up by its name); ValueError if there is none."""
    name = getattr(fn, "__name__", str(fn))
    if name not in ACTIVATIONS:
        raise ValueError(f"Activation {name!r} has no NumPy version here (known: {', '.join(ACTIVATIONS)}).")
    return ACTIVATIONS[name]


def weights_of(
    cell: str, keras_cell: Any, dtype: Any = np.float64, activation: Callable[[Any], Activation] = activation_named
) -> CellWeights:
    """Copy a built Keras SimpleRNNCell/LSTMCell/GRUCell (read through NumPy; Keras is not imported).

    `activation` turns the cell's Keras activation into a NumPy function (by default: by name).
    """
    as_array = lambda v: np.asarray(v, dtype=dtype)  # noqa: E731
    bias = getattr(keras_cell, "bias", None)
    has_bias = getattr(keras_cell, "use_bias", True) and bias is not None
    return CellWeights(
        cell=cell,
        kernel=as_array(keras_cell.kernel),
        recurrent_kernel=as_array(keras_cell.recurrent_kernel),
        bias=as_array(bias) if has_bias else None,
        activation=activation(keras_cell.activation),
        recurrent_activation=activation(getattr(keras_cell, "recurrent_activation", None) or keras_cell.activation),
        reset_after=bool(getattr(keras_cell, "reset_after", False)),
    )
