"""The one NumPy cell step (core/engine/numpy_cells.py) against Keras' own layers.

Each cell, on random weights (so every gate moves away from its default), over a batch of
sequences: the states must equal Keras' every step, with gate recording off and on, and the
recorded gates must satisfy the update equations they are drawn from.
"""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

from core.engine import numpy_cells
from core.engine.numpy_cells import CellWeights, weights_of
from tests.helpers import ROOT

CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"activation": "relu", "use_bias": False}),
    ("LSTM", {}),
    ("LSTM", {"use_bias": False}),
    ("GRU", {"reset_after": True}),
    ("GRU", {"reset_after": False}),
    ("GRU", {"reset_after": True, "use_bias": False}),
]
TOLERANCE = 1e-5
UNITS, INPUTS, STEPS, BATCH = 7, 5, 11, 3


def _layer(cell: str, kwargs: dict, seed: int = 0) -> keras.layers.Layer:
    layer_class = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}[cell]
    layer = layer_class(UNITS, return_sequences=True, return_state=True, **kwargs)
    layer.build((None, None, INPUTS))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.7, w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def _run(weights: CellWeights, x: np.ndarray, record: bool):
    state = weights.zero_state(len(x))
    states, gates = [], []
    for t in range(x.shape[1]):
        previous = state
        state, recorded = weights.step(x[:, t], state, record=record)
        states.append(state)
        gates.append((previous, recorded))
    return states, gates


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recording"])
@pytest.mark.parametrize(("cell", "kwargs"), CASES, ids=[f"{c}-{'-'.join(map(str, k.values()))}" for c, k in CASES])
def test_step_matches_keras(cell, kwargs, record):
    layer = _layer(cell, kwargs)
    x = np.random.default_rng(1).normal(size=(BATCH, STEPS, INPUTS)).astype(np.float32)
    sequence, *final = (np.asarray(o) for o in layer(x))
    weights = weights_of(cell, layer.cell, np.float64)
    assert weights.reset_after == kwargs.get("reset_after", False) and (weights.bias is None) == (
        kwargs.get("use_bias") is False
    )

    states, gates = _run(weights, x.astype(np.float64), record)
    np.testing.assert_allclose(np.stack([s[0] for s in states], axis=1), sequence, rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(states[-1][0], final[0], rtol=TOLERANCE, atol=TOLERANCE)
    if cell == "LSTM":
        np.testing.assert_allclose(states[-1][1], final[1], atol=TOLERANCE)
    if not record:
        assert all(recorded is None for _, recorded in gates)
        return
    for (previous, recorded), state in zip(gates, states, strict=True):
        assert tuple(recorded) == numpy_cells.GATES[cell]
        _assert_gates_explain_the_state(cell, weights, previous, recorded, state)


def _assert_gates_explain_the_state(cell, weights, previous, gates, state) -> None:
    """The recorded gates are the ones the update used (and lie in their ranges)."""
    for key, value in gates.items():
        low, high = (-1.0, 1.0) if key in ("g", "hh") else (0.0, 1.0)
        assert np.all((value >= low) & (value <= high)), key
    if cell == "LSTM":
        c = gates["f"] * previous[1] + gates["i"] * gates["g"]
        np.testing.assert_allclose(state[1], c, atol=1e-12)
        np.testing.assert_allclose(state[0], gates["o"] * np.tanh(c), atol=1e-12)
    elif cell == "GRU":
        expected = gates["z"] * previous[0] + (1 - gates["z"]) * gates["hh"]
        np.testing.assert_allclose(state[0], expected, atol=1e-12)


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_recording_changes_nothing_and_float32_stays_float32(cell):
    weights = weights_of(cell, _layer(cell, {}, seed=3).cell, np.float32)
    x = np.random.default_rng(2).normal(size=(1, STEPS, INPUTS)).astype(np.float32)
    plain, _ = _run(weights, x, record=False)
    recorded, _ = _run(weights, x, record=True)
    for a, b in zip(plain, recorded, strict=True):
        for part_a, part_b in zip(a, b, strict=True):
            assert part_a.dtype == np.float32
            np.testing.assert_array_equal(part_a, part_b)


def test_single_sequence_with_a_projected_input():
    """The step functions take x @ kernel, so a caller can project a whole sequence at once."""
    weights = weights_of("GRU", _layer("GRU", {}).cell)
    x = np.random.default_rng(4).normal(size=(STEPS, INPUTS))
    state, batched = weights.zero_state(), weights.zero_state(1)
    for xw, row in zip(x @ weights.kernel, x, strict=True):
        state, _ = numpy_cells.gru_step(weights, xw, state)
        batched, _ = weights.step(row[None], batched)
    assert state[0].shape == (UNITS,)
    np.testing.assert_allclose(state[0], batched[0][0], atol=1e-12)


def test_weights_that_do_not_fit_are_refused_with_a_reason():
    kernel, recurrent = np.zeros((3, 12)), np.zeros((4, 12))
    with pytest.raises(ValueError, match="Unknown cell"):
        CellWeights("Transformer", kernel, recurrent, None)
    with pytest.raises(ValueError, match="do not fit"):
        CellWeights("GRU", np.zeros((3, 16)), np.zeros((4, 16)), None)
    with pytest.raises(ValueError, match="bias"):
        CellWeights("GRU", np.zeros((3, 12)), np.zeros((4, 12)), np.zeros(12), reset_after=True)
    assert CellWeights("LSTM", np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16)).units == 4
    with pytest.raises(ValueError, match="softsign"):
        numpy_cells.activation_named(keras.activations.softsign)


def test_the_module_imports_no_tensorflow():
    code = (
        "import sys, core.engine.numpy_cells\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
