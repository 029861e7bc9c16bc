"""Inside a recurrent cell: every gate and state, step by step, from the layer's own weights.

Keras only hands back the hidden states h_t (and the last cell state). To show a student
the forget gate closing on a full stop, this module recomputes one sequence by hand with
the textbook equations - in NumPy, from the layer's kernel, recurrent kernel and bias -
and then checks the result against the layer itself, so what the page draws is provably
what the network computes.

The equations themselves (Keras' weight layout, GRU reset_after both ways) are written once,
in core.engine.numpy_cells; this module runs them over a sequence with gate recording on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from core.engine import numpy_cells
from core.engine.names import reader_name
from core.engine.numpy_cells import CellWeights

CELL_CLASSES = {
    "SimpleRNNCell": "SimpleRNN",
    "LSTMCell": "LSTM",
    "GRUCell": "GRU",
}


@dataclass(frozen=True)
class Quantity:
    """One thing to draw per unit and step, with how to read it."""

    key: str
    label: str
    symbol: str
    bounded: tuple[float, float] | None  # value range, None = unbounded (the LSTM cell state)
    meaning: str


QUANTITIES: dict[str, Quantity] = {
    q.key: q
    for q in (
        Quantity("h", "hidden state h_t", "h_t", (-1.0, 1.0), "what the cell outputs at this step (and remembers)"),
        Quantity(
            "c",
            "cell state c_t",
            "c_t",
            None,
            "the LSTM's long-term memory: changed only by adding i⊙g and scaling by f",
        ),
        Quantity("f", "forget gate f_t", "f_t", (0.0, 1.0), "1 keeps the old cell state, 0 wipes it"),
        Quantity("i", "input gate i_t", "i_t", (0.0, 1.0), "how much of the candidate is written into the cell state"),
        Quantity("g", "candidate g_t (c̃_t)", "g_t", (-1.0, 1.0), "the new content proposed for the cell state"),
        Quantity("o", "output gate o_t", "o_t", (0.0, 1.0), "how much of the cell state is shown as h_t"),
        Quantity("z", "update gate z_t", "z_t", (0.0, 1.0), "1 keeps the old state h_(t-1), 0 takes the candidate"),
        Quantity("r", "reset gate r_t", "r_t", (0.0, 1.0), "0 ignores the old state when proposing the candidate"),
        Quantity("hh", "candidate h̃_t", "h̃_t", (-1.0, 1.0), "the new state the GRU proposes at this step"),
    )
}
CELL_QUANTITIES = {"SimpleRNN": ("h",), "LSTM": ("h", "c", "f", "i", "g", "o"), "GRU": ("h", "z", "r", "hh")}


class NotInterpretable(ValueError):
    """The model or layer can't be opened up; the message says why, for the user."""


# ----------------------------------------------------------------------------- finding the layer


@dataclass(frozen=True)
class RecurrentLayer:
    """A recurrent layer of a model (a plain RNN layer, or a Bidirectional wrapper around one)."""

    layer: keras.layers.Layer
    cell: str  # "SimpleRNN" | "LSTM" | "GRU"
    units: int
    bidirectional: bool

    @property
    def name(self) -> str:
        return self.layer.name

    def directions(self) -> list[tuple[str, keras.layers.Layer]]:
        """(direction, plain RNN layer) pairs: one, or forward and backward."""
        if self.bidirectional:
            return [("forward", self.layer.forward_layer), ("backward", self.layer.backward_layer)]
        return [("forward", self.layer)]

    @property
    def reader(self) -> str:
        """The layer's reader's name ("Recurrent layer 1", not rnn_1)."""
        return reader_name(self.name)

    def describe(self) -> str:
        kind = f"Bidirectional {self.cell}" if self.bidirectional else self.cell
        return f"{reader_name(self.name)} ({kind}, {self.units} units)"


def cell_kind(layer: keras.layers.Layer) -> str | None:
    """ "SimpleRNN"/"LSTM"/"GRU" for an RNN layer with one of the standard cells, else None."""
    cell = getattr(layer, "cell", None)
    if not isinstance(layer, keras.layers.RNN) or cell is None:
        return None
    return CELL_CLASSES.get(type(cell).__name__)


def _as_recurrent(layer: keras.layers.Layer) -> RecurrentLayer | None:
    if isinstance(layer, keras.layers.Bidirectional):
        kind = cell_kind(layer.forward_layer)
        if kind and cell_kind(layer.backward_layer) == kind:
            return RecurrentLayer(layer, kind, int(layer.forward_layer.cell.units), True)
        return None
    kind = cell_kind(layer)
    return RecurrentLayer(layer, kind, int(layer.cell.units), False) if kind else None


def walk_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    """All layers in order, descending into nested models (but not into wrappers)."""
    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            out.extend(walk_layers(layer))
        else:
            out.append(layer)
    return out


def recurrent_layers(model: keras.Model) -> list[RecurrentLayer]:
    """Every SimpleRNN/LSTM/GRU layer (possibly inside Bidirectional), in model order."""
    return [r for r in map(_as_recurrent, walk_layers(model)) if r is not None]


# ----------------------------------------------------------------------------- weights and equations


def _numpy_activation(fn) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy twin of a Keras activation; unusual ones are evaluated by Keras itself."""
    name = getattr(fn, "__name__", "")
    if name in numpy_cells.ACTIVATIONS:
        return numpy_cells.ACTIVATIONS[name]
    return lambda z: np.asarray(keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z))), dtype=np.float64)


def cell_weights(rnn_layer: keras.layers.Layer) -> CellWeights:
    """Read a (non-wrapped) SimpleRNN/LSTM/GRU layer's weights, as float64."""
    kind = cell_kind(rnn_layer)
    if kind is None:
        raise NotInterpretable(f"Layer {rnn_layer.name!r} is not a SimpleRNN, LSTM or GRU layer.")
    if not rnn_layer.cell.built:
        raise NotInterpretable(f"Layer {rnn_layer.name!r} has no weights yet (it was never built).")
    return numpy_cells.weights_of(kind, rnn_layer.cell, np.float64, activation=_numpy_activation)


@dataclass(frozen=True)
class CellTrace:
    """Every state and gate of one direction of a layer for one sequence.

    Arrays are (steps, units) in *input order* (a backward layer's step t is the state after
    it has read x_T ... x_t). Steps skipped by a mask carry the previous state; their gates are NaN.
    """

    cell: str
    direction: str
    values: dict[str, np.ndarray]  # quantity key -> (steps, units)
    reset_after: bool = False
    mask: np.ndarray | None = field(default=None, repr=False)
    initial_state: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def steps(self) -> int:
        return int(self.values["h"].shape[0])

    @property
    def units(self) -> int:
        return int(self.values["h"].shape[1])

    def quantities(self) -> list[Quantity]:
        return [QUANTITIES[k] for k in CELL_QUANTITIES[self.cell]]

    def in_processing_order(self, key: str) -> np.ndarray:
        """The array in the order the cell computed it (reversed for a backward layer)."""
        values = self.values[key]
        return values[::-1] if self.direction == "backward" else values


def run_cell(
    weights: CellWeights,
    x: np.ndarray,
    mask: np.ndarray | None = None,
    go_backwards: bool = False,
    initial_state: list[np.ndarray] | None = None,
) -> CellTrace:
    """Recompute one sequence `x` (steps, input) through a cell.

    The state starts at zero unless `initial_state` ([h_0] or, for LSTM, [h_0, c_0]) is given,
    as for a decoder that starts from the encoder's final state.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != weights.input_size:
        raise NotInterpretable(
            f"Expected a sequence of {weights.input_size}-dimensional vectors, got an array of shape {x.shape}."
        )
    steps, units = x.shape[0], weights.units
    keep = np.ones(steps, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).reshape(steps)
    order = np.arange(steps)[::-1] if go_backwards else np.arange(steps)
    keys = CELL_QUANTITIES[weights.cell]
    values = {k: np.full((steps, units), np.nan) for k in keys}
    state = weights.zero_state()
    if initial_state:  # [h_0], or [h_0, c_0] for LSTM (c_0 stays zero when only h_0 is given)
        given = [np.asarray(s, dtype=np.float64).reshape(units) for s in initial_state[: len(state)]]
        state = (*given, *state[len(given) :])
    step = numpy_cells.STEPS[weights.cell]
    projected = x @ weights.kernel  # every step's input projection at once
    for t in order:
        if keep[t]:
            state, gates = step(weights, projected[t], state, True)
            for k, v in gates.items():
                values[k][t] = v
        values["h"][t] = state[0]  # a masked step: Keras carries the state over unchanged
        if "c" in values:
            values["c"][t] = state[1]
    return CellTrace(
        weights.cell,
        "backward" if go_backwards else "forward",
        values,
        reset_after=weights.reset_after,
        mask=None if mask is None else keep,
        initial_state=[np.asarray(s, dtype=np.float64) for s in initial_state or []],
    )


def trace_layer(
    recurrent: RecurrentLayer,
    x: np.ndarray,
    mask: np.ndarray | None = None,
    initial_state: list[np.ndarray] | None = None,
) -> list[CellTrace]:
    """Traces of every direction of a layer for one input sequence (steps, input)."""
    traces = []
    for _, rnn in recurrent.directions():
        traces.append(run_cell(cell_weights(rnn), x, mask, bool(rnn.go_backwards), initial_state))
    return traces


# ----------------------------------------------------------------------------- checking against Keras


@dataclass(frozen=True)
class Check:
    """How far the hand computation is from what Keras computes (max absolute difference)."""

    differences: dict[str, float]  # what was compared -> max |difference|
    tolerance: float

    @property
    def max_difference(self) -> float:
        return max(self.differences.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return bool(self.differences) and self.max_difference <= self.tolerance


class _StateReporter(keras.layers.Layer):
    """Wraps an LSTM cell so that Keras' own RNN loop outputs [h_t, c_t] at every step."""

    def __init__(self, cell: keras.layers.Layer):
        super().__init__()
        self.cell = cell
        self.state_size = cell.state_size
        self.output_size = 2 * cell.units

    def build(self, input_shape) -> None:
        self.built = True  # the wrapped cell already has its weights

    def call(self, inputs, states, training=None):
        h, new_states = self.cell(inputs, states, training=training)
        return keras.ops.concatenate([h, new_states[1]], axis=-1), new_states


class _Reference:
    """A non-stateful copy of one RNN layer that returns every step (and, for LSTM, every c_t).

    It runs as one compiled TensorFlow function: Keras' RNN loop in eager mode costs a Python
    round trip per step, which made checking a 500-step review take seconds. The compiled
    function is kept per layer and re-synchronised with the layer's weights before each check,
    so a new input only costs one graph execution. The copy is never stateful, so checking a
    stateful layer leaves its state alone.
    """

    def __init__(self, rnn: keras.layers.Layer, input_size: int):
        import tensorflow as tf

        config = dict(rnn.get_config(), return_sequences=True, return_state=True, stateful=False)
        config.pop("name", None)
        self.copy = type(rnn).from_config(config)
        self.copy.build((None, None, input_size))
        self.is_lstm = cell_kind(rnn) == "LSTM"
        self.reporter = None
        if self.is_lstm:
            self.reporter = keras.layers.RNN(
                _StateReporter(self.copy.cell), return_sequences=True, go_backwards=bool(rnn.go_backwards)
            )
        self.run = tf.function(self._run, reduce_retracing=True)

    def _run(self, x, mask, initial_state):
        outputs = self.copy(x, mask=mask, initial_state=initial_state)
        cell_states = self.reporter(x, mask=mask, initial_state=initial_state) if self.reporter else outputs[0]
        return outputs, cell_states

    def sync(self, rnn: keras.layers.Layer) -> _Reference:
        self.copy.cell.set_weights(rnn.cell.get_weights())
        return self


_REFERENCES: dict[int, tuple[weakref.ref, int, _Reference]] = {}


def _reference(rnn: keras.layers.Layer, input_size: int) -> _Reference:
    """The cached reference for `rnn` (rebuilt when the layer object or input size is new)."""
    entry = _REFERENCES.get(id(rnn))
    if entry is None or entry[0]() is not rnn or entry[1] != input_size:
        if len(_REFERENCES) > 16:
            _REFERENCES.clear()
        entry = (weakref.ref(rnn), input_size, _Reference(rnn, input_size))
        _REFERENCES[id(rnn)] = entry
    return entry[2].sync(rnn)


def _initial_tensors(trace: CellTrace, units: int, count: int) -> list:
    """The trace's initial state as Keras tensors (zeros when it started from nothing)."""
    arrays = trace.initial_state or [np.zeros(units)] * count
    return [keras.ops.convert_to_tensor(np.asarray(a, dtype=np.float32).reshape(1, units)) for a in arrays]


def check_against_keras(
    recurrent: RecurrentLayer,
    x: np.ndarray,
    traces: list[CellTrace],
    mask: np.ndarray | None = None,
    tolerance: float = 1e-5,
) -> Check:
    """Compare the traces with the layer's own forward pass (every h_t; for LSTM every c_t)."""
    x32 = np.asarray(x, dtype=np.float32)
    keep = np.ones(len(x32), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    differences: dict[str, float] = {}
    for (direction, rnn), trace in zip(recurrent.directions(), traces, strict=True):
        reference = _reference(rnn, x32.shape[1])
        initial = _initial_tensors(trace, trace.units, 2 if trace.cell == "LSTM" else 1)
        outputs, cell_states = reference.run(x32[None], None if mask is None else keep[None], initial)
        sequence = keras.ops.convert_to_numpy(outputs[0])[0]
        final_states = [keras.ops.convert_to_numpy(s)[0] for s in outputs[1:]]
        ours_h = trace.in_processing_order("h")
        # Steps skipped by a mask may be zeros in Keras' output (Bidirectional asks for that), while
        # the state carried through them is what we show; compare the steps the cell really computed.
        computed = keep[::-1] if rnn.go_backwards else keep
        differences[f"{direction} h_t (every step)"] = float(np.max(np.abs(sequence - ours_h)[computed], initial=0.0))
        differences[f"{direction} final h"] = float(np.max(np.abs(final_states[0] - ours_h[-1])))
        if trace.cell == "LSTM":
            ours_c = trace.in_processing_order("c")
            keras_c = keras.ops.convert_to_numpy(cell_states)[0, :, trace.units :]
            differences[f"{direction} c_t (every step)"] = float(np.max(np.abs(keras_c - ours_c)))
            differences[f"{direction} final c"] = float(np.max(np.abs(final_states[1] - ours_c[-1])))
    return Check(differences, tolerance)


def check_gate_identities(trace: CellTrace) -> float:
    """Max violation of the update equations by the recorded gates (0 up to rounding).

    LSTM: c_t = f⊙c_(t-1) + i⊙g and h_t = o⊙tanh(c_t); GRU: h_t = z⊙h_(t-1) + (1-z)⊙h̃.
    Together with `check_against_keras` this pins the gates down, not only the states.
    """
    order = trace.in_processing_order
    if trace.cell == "SimpleRNN":
        return 0.0
    start = trace.initial_state or [np.zeros(trace.units)] * 2
    h = order("h")
    previous_h = np.vstack([start[0].reshape(1, -1), h[:-1]])
    valid = ~np.isnan(order(CELL_QUANTITIES[trace.cell][-1]))[:, 0]
    if trace.cell == "LSTM":
        c = order("c")
        previous_c = np.vstack([start[1].reshape(1, -1), c[:-1]])
        c_error = np.abs(order("f") * previous_c + order("i") * order("g") - c)[valid]
        h_error = np.abs(order("o") * np.tanh(c) - h)[valid]
        return float(max(c_error.max(initial=0.0), h_error.max(initial=0.0)))
    z = order("z")
    error = np.abs(z * previous_h + (1 - z) * order("hh") - h)[valid]
    return float(error.max(initial=0.0))


def equations(cell: str, reset_after: bool = True) -> list[str]:
    """The update equations of a cell, as LaTeX lines (σ = sigmoid, ⊙ = element-wise product)."""
    if cell == "SimpleRNN":
        return [r"h_t = \tanh(W x_t + U h_{t-1} + b)"]
    if cell == "LSTM":
        return [
            r"i_t = \sigma(W_i x_t + U_i h_{t-1} + b_i) \quad f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f)",
            r"o_t = \sigma(W_o x_t + U_o h_{t-1} + b_o) \quad g_t = \tanh(W_g x_t + U_g h_{t-1} + b_g)",
            r"c_t = f_t \odot c_{t-1} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)",
        ]
    gates = r"z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z) \quad r_t = \sigma(W_r x_t + U_r h_{t-1} + b_r)"
    if reset_after:
        candidate = r"\tilde h_t = \tanh(W_h x_t + b_h + r_t \odot (U_h h_{t-1} + b'_h))"
    else:
        candidate = r"\tilde h_t = \tanh(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h)"
    return [gates, candidate, r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t"]
