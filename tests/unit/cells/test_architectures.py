"""Unit tests for the Architectures page's core: diagrams, parameter formulas, cell internals,
model feeding, embeddings and charts."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import keras
import numpy as np
import pytest
from keras import layers

from core.cells import charts as cell_charts
from core.cells import embeddings
from core.cells import inputs as cell_inputs
from core.cells.diagrams import drawn_steps, unrolled_diagram
from core.cells.internals import (
    CELL_QUANTITIES,
    QUANTITIES,
    NotInterpretable,
    RecurrentLayer,
    cell_weights,
    check_against_keras,
    check_gate_identities,
    equations,
    recurrent_layers,
    run_cell,
    trace_layer,
)
from core.cells.parameters import (
    PATTERN_INFO,
    format_shape,
    input_shape,
    layer_table,
    output_shape,
    rnn_cell_formula,
    rnn_cell_params,
    total_params,
)
from core.engine.cells import CELLS
from core.engine.config import PATTERNS, InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model

TOLERANCE = 1e-5


# ----------------------------------------------------------------------------- parameter formulas


def _evaluate(arithmetic: str) -> int:
    """Evaluate the arithmetic shown to the user, e.g. "2 × [4·(8·(8 + 4) + 8)]"."""
    expression = arithmetic.replace("·", "*").replace("×", "*").replace("[", "(").replace("]", ")")
    assert re.fullmatch(r"[\d\s()+*]+", expression), arithmetic
    return int(eval(expression))


PARAMETER_CASES = [
    # every pattern x cell, alternating token/vector inputs, bidirectional, depth, readout and dropout
    (pattern, cell, bool(i % 2), 1 + (i % 3 == 0), bool(i % 2 == 0), ("last", "max", "mean")[i % 3], 0.2 * (i % 4 == 1))
    for i, (pattern, cell) in enumerate(itertools.product(PATTERNS, CELLS))
]


@pytest.mark.parametrize(
    ("pattern", "cell", "bidirectional", "layer_count", "tokens", "readout", "dropout"), PARAMETER_CASES
)
def test_parameter_formulas_equal_count_params(pattern, cell, bidirectional, layer_count, tokens, readout, dropout):
    config = ModelConfig(
        pattern=pattern,
        cell=cell,
        units=6,
        layers=layer_count,
        bidirectional=bidirectional,
        readout=readout,
        dropout=dropout,
        dense_units=5,
    )
    spec = InputSpec(length=7, features=3, vocab_size=40 if tokens else None, embedding_dim=4)
    output = OutputSpec(size=2, activation="softmax", steps=4)
    rows = layer_table(config, spec, output)
    model = build_model(config, spec, output, seed=None)

    keras_layers = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    assert [r.name for r in rows] == [layer.name for layer in keras_layers]
    for row in rows:
        layer = model.get_layer(row.name)
        assert row.params == layer.count_params(), (row.name, row.formula)
        assert row.output_shape == tuple(layer.output.shape), row.name
        if row.params:
            assert _evaluate(row.arithmetic) == row.params, row.arithmetic
    assert total_params(rows) == model.count_params()
    assert input_shape(config, spec) == tuple(model.input.shape)
    assert output_shape(config, spec, output) == tuple(model.output.shape)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_cell_formula_matches_a_bare_keras_layer(cell, reset_after):
    kwargs = {"reset_after": reset_after} if cell == "GRU" else {}
    layer = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}[cell](9, **kwargs)
    layer.build((None, 5, 7))
    assert rnn_cell_params(cell, 9, 7, reset_after=reset_after) == layer.count_params()
    formula, arithmetic = rnn_cell_formula(cell, 9, 7, reset_after=reset_after)
    assert _evaluate(arithmetic) == layer.count_params()
    assert "units" in formula and "input" in formula


def test_textbook_formulas_are_the_ones_shown():
    assert rnn_cell_formula("LSTM", 32, 64)[0] == "4·(units·(units + input) + units)"
    assert rnn_cell_formula("GRU", 32, 64)[0] == "3·(units·(units + input) + 2·units)"
    assert rnn_cell_formula("SimpleRNN", 32, 64)[0] == "units·(units + input) + units"
    assert rnn_cell_params("LSTM", 32, 64) == 4 * (32 * 96 + 32)
    assert format_shape((None, 200, 64)) == "(batch, 200, 64)"


def test_every_pattern_says_what_it_is_for():
    for pattern in PATTERNS:
        info = PATTERN_INFO[pattern]
        assert info.title and info.reads and info.writes and info.uses
    seeds = " ".join(" ".join(PATTERN_INFO[p].uses) for p in PATTERNS)
    for use in ("image captioning", "sentiment", "translation", "music", "next-day price"):
        assert use in seeds


# ----------------------------------------------------------------------------- diagrams


def _labels(dot: str) -> list[str]:
    return re.findall(r"label=(<[^\n]*?>|\"[^\n]*?\")(?:,|\])", dot)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize(("bidirectional", "layer_count"), [(False, 1), (True, 2)])
def test_a_diagram_is_drawn_for_every_pattern(pattern, bidirectional, layer_count):
    config = ModelConfig(pattern=pattern, cell="GRU", layers=layer_count, bidirectional=bidirectional)
    dot = unrolled_diagram(config, length=3, output_steps=2, max_steps=5)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    labels = " ".join(_labels(dot))
    if pattern == "one_to_one":
        assert "dense layer" in labels and "h<" not in labels
        return
    assert "y" in labels
    hidden = re.findall(r"label=<(?:&rarr;|&larr;)?[hs]", dot)
    steps = {"one_to_many": 2, "many_to_one": 3, "many_to_many": 3, "encoder_decoder": 3 + 2}[pattern]
    directions = 2 if bidirectional and pattern != "encoder_decoder" else 1
    if pattern == "encoder_decoder":  # the decoder is never bidirectional
        expected = layer_count * (3 * (2 if bidirectional else 1) + 2)
    else:
        expected = layer_count * directions * steps
    assert len(hidden) == expected
    assert ("context c" in dot) == (pattern == "encoder_decoder")
    assert ("&larr;" in dot) == bidirectional
    assert ("<SUP>(2)</SUP>" in dot) == (layer_count == 2)


def test_long_sequences_are_drawn_with_an_ellipsis():
    assert drawn_steps(3, 5) == [1, 2, 3]
    assert drawn_steps(200, 5) == [1, 2, 3, 4, None, 200]
    dot = unrolled_diagram(ModelConfig(pattern="many_to_many", cell="LSTM"), length=200, max_steps=5)
    assert "<SUB>200</SUB>" in dot and "<SUB>5</SUB>" not in dot and '"…"' in dot
    assert "T = 200" in dot


def test_diagram_shows_which_states_reach_the_output():
    last = unrolled_diagram(ModelConfig(pattern="many_to_one", bidirectional=True, readout="last"), length=4)
    # y reads the forward state at the last column and the backward state at the first one
    assert "h1_0_t3 -> y;" in last and "h1_1_t0 -> y;" in last
    pooled = unrolled_diagram(ModelConfig(pattern="many_to_one", readout="max"), length=4)
    assert "max over all steps" in pooled and pooled.count("-> pool;") == 4
    seq2seq = unrolled_diagram(ModelConfig(pattern="encoder_decoder"), length=4, output_steps=3)
    assert seq2seq.count("context -> s1_0_") == 3  # c is fed at every decoder step


# ----------------------------------------------------------------------------- inside the cell


def _keras_rnn(cell: str, units: int, **kwargs) -> layers.Layer:
    return {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}[cell](units, **kwargs)


def _trained_like(layer: layers.Layer, seed: int) -> None:
    """Replace initial weights with larger random ones, so gates move away from their defaults."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32) for w in layer.get_weights()])


CELL_CASES = [
    ("SimpleRNN", {}),
    ("LSTM", {}),
    ("GRU", {"reset_after": True}),
    ("GRU", {"reset_after": False}),
]


@pytest.mark.parametrize(("cell", "kwargs"), CELL_CASES)
def test_states_and_gates_equal_keras(cell, kwargs):
    x = np.random.default_rng(1).normal(size=(12, 5)).astype(np.float32)
    layer = _keras_rnn(cell, 7, return_sequences=True, return_state=True, **kwargs)
    layer(x[None])
    _trained_like(layer, 2)
    outputs = [keras.ops.convert_to_numpy(o)[0] for o in layer(x[None])]
    recurrent = RecurrentLayer(layer, cell, 7, False)

    (trace,) = trace_layer(recurrent, x)
    assert set(trace.values) == set(CELL_QUANTITIES[cell])
    np.testing.assert_allclose(trace.values["h"], outputs[0], atol=TOLERANCE)
    np.testing.assert_allclose(trace.values["h"][-1], outputs[1], atol=TOLERANCE)
    if cell == "LSTM":
        np.testing.assert_allclose(trace.values["c"][-1], outputs[2], atol=TOLERANCE)
    check = check_against_keras(recurrent, x, [trace])
    assert check.ok and check.max_difference < TOLERANCE, check.differences
    assert check_gate_identities(trace) < 1e-9
    for key in CELL_QUANTITIES[cell][1:]:
        low, high = (0, 1) if key in "fiozr" else (-1, 1) if key in ("g", "hh") else (-np.inf, np.inf)
        assert np.all((trace.values[key] >= low) & (trace.values[key] <= high)), key
    if cell == "GRU":
        assert trace.reset_after == kwargs["reset_after"]


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


@pytest.mark.parametrize(("cell", "kwargs"), CELL_CASES[1:])
def test_gates_follow_keras_weight_layout(cell, kwargs):
    """Every gate, recomputed independently from the raw Keras weights and the (Keras-checked) states.

    Keras stores the blocks of the kernel, recurrent kernel and bias side by side: LSTM i, f, c, o;
    GRU z, r, h (and, with reset_after, the bias as [input bias; recurrent bias]).
    """
    x = np.random.default_rng(3).normal(size=(6, 4))
    layer = _keras_rnn(cell, 5, return_sequences=True, **kwargs)
    layer(x[None].astype(np.float32))
    _trained_like(layer, 4)
    kernel, recurrent, bias = (w.astype(np.float64) for w in layer.get_weights())
    (trace,) = trace_layer(RecurrentLayer(layer, cell, 5, False), x.astype(np.float32))
    h_prev = np.vstack([np.zeros((1, 5)), trace.values["h"][:-1]])
    if cell == "LSTM":
        blocks = np.split(x @ kernel + h_prev @ recurrent + bias, 4, axis=1)
        expected = dict(zip("ifgo", blocks, strict=True))
        expected = {k: np.tanh(v) if k == "g" else _sigmoid(v) for k, v in expected.items()}
    elif kwargs["reset_after"]:
        x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=1)
        h_z, h_r, h_h = np.split(h_prev @ recurrent + bias[1], 3, axis=1)
        z, r = _sigmoid(x_z + h_z), _sigmoid(x_r + h_r)
        expected = {"z": z, "r": r, "hh": np.tanh(x_h + r * h_h)}
    else:
        x_z, x_r, x_h = np.split(x @ kernel + bias, 3, axis=1)
        u_z, u_r, u_h = np.split(recurrent, 3, axis=1)
        z, r = _sigmoid(x_z + h_prev @ u_z), _sigmoid(x_r + h_prev @ u_r)
        expected = {"z": z, "r": r, "hh": np.tanh(x_h + (r * h_prev) @ u_h)}
    for key, value in expected.items():
        np.testing.assert_allclose(trace.values[key], value, atol=TOLERANCE, err_msg=key)
    assert check_against_keras(RecurrentLayer(layer, cell, 5, False), x, [trace]).ok


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_masked_and_stacked_layers_match_keras(cell):
    config = ModelConfig(pattern="many_to_one", cell=cell, units=6, layers=2, bidirectional=True, readout="last")
    spec = InputSpec(length=9, vocab_size=30, embedding_dim=5, mask_zero=True)
    model = build_model(config, spec, OutputSpec(), seed=3)
    found = recurrent_layers(model)
    assert [r.name for r in found] == ["rnn_1", "rnn_2"]
    assert all(r.bidirectional and r.cell == cell for r in found)
    ids = np.array([[0, 0, 0, 4, 9, 12, 3, 27, 5]])
    for recurrent in found:
        feeder = cell_inputs.feeder_for(model, recurrent)
        assert feeder.route.tokens and feeder.route.length == 9 and feeder.route.vocab_size == 30
        sequence, mask, initial = feeder(ids)
        assert mask is not None and mask.tolist() == [False] * 3 + [True] * 6 and not initial
        traces = trace_layer(recurrent, sequence, mask)
        assert [t.direction for t in traces] == ["forward", "backward"]
        check = check_against_keras(recurrent, sequence, traces, mask)
        assert check.ok, check.differences
        # padded steps carry the state; the backward pass has not started yet where it hasn't read anything
        forward, backward = traces
        np.testing.assert_allclose(forward.values["h"][:3], 0.0)
        np.testing.assert_allclose(backward.values["h"][2], backward.values["h"][3])


@pytest.mark.parametrize("cell", CELLS)
def test_a_decoder_started_from_the_encoder_state_matches_keras(cell):
    inputs = keras.Input((5, 3))
    encoded = _keras_rnn(cell, 4, return_state=True, name="enc")(inputs)
    repeated = layers.RepeatVector(3)(encoded[0])
    decoded = _keras_rnn(cell, 4, return_sequences=True, name="dec")(repeated, initial_state=list(encoded[1:]))
    model = keras.Model(inputs, decoded)
    decoder = recurrent_layers(model)[1]
    feeder = cell_inputs.feeder_for(model, decoder)
    sequence, mask, initial = feeder(np.random.default_rng(0).normal(size=(1, 5, 3)).astype(np.float32))
    assert len(initial) == (2 if cell == "LSTM" else 1)
    traces = trace_layer(decoder, sequence, mask, initial)
    assert check_against_keras(decoder, sequence, traces, mask).ok
    assert check_gate_identities(traces[0]) < 1e-9


def test_unusual_layers_are_handled():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    relu = layers.SimpleRNN(4, activation="relu", use_bias=False, return_sequences=True)
    relu(x[None])
    (trace,) = trace_layer(RecurrentLayer(relu, "SimpleRNN", 4, False), x)
    np.testing.assert_allclose(trace.values["h"], keras.ops.convert_to_numpy(relu(x[None]))[0], atol=TOLERANCE)
    backwards = layers.GRU(4, go_backwards=True, return_sequences=True)
    backwards(x[None])
    recurrent = RecurrentLayer(backwards, "GRU", 4, False)
    assert check_against_keras(recurrent, x, trace_layer(recurrent, x)).ok
    with pytest.raises(NotInterpretable):
        run_cell(cell_weights(backwards), x[:, :2])


def test_a_stateful_model_is_traced_without_touching_its_state():
    inputs = keras.Input(batch_shape=(4, None), dtype="int32")
    x = layers.Embedding(20, 3)(inputs)
    x = layers.LSTM(5, stateful=True, return_sequences=True)(x)
    model = keras.Model(inputs, x)
    recurrent = recurrent_layers(model)[0]
    feeder = cell_inputs.feeder_for(model, recurrent)
    assert feeder.route.length is None
    sequence, mask, initial = feeder(np.array([[3, 4, 5, 6, 7]]))
    traces = trace_layer(recurrent, sequence, mask, initial)
    assert check_against_keras(recurrent, sequence, traces).ok


def test_equations_are_latex_lines():
    assert len(equations("LSTM")) == 3 and "f_t" in equations("LSTM")[0]
    assert "r_t \\odot (U_h" in equations("GRU", reset_after=True)[1]
    assert "(r_t \\odot h_{t-1})" in equations("GRU", reset_after=False)[1]


# ----------------------------------------------------------------------------- feeding models


def test_routes_describe_every_pattern_input():
    for pattern, tokens in itertools.product(("one_to_many", "many_to_one", "encoder_decoder"), (True, False)):
        config = ModelConfig(pattern=pattern, cell="GRU", units=4)
        spec = InputSpec(length=6, features=2, vocab_size=25 if tokens else None, embedding_dim=3)
        model = build_model(config, spec, OutputSpec(steps=3), seed=0)
        for recurrent in recurrent_layers(model):
            route = cell_inputs.feeder_for(model, recurrent).route
            assert route.tokens == tokens
            assert route.is_sequence == (pattern != "one_to_many")
            assert route.describe()


def test_a_model_needing_two_inputs_is_refused_with_a_reason():
    a, b = keras.Input((4, 2)), keras.Input((3, 2))
    _, state = layers.GRU(3, return_state=True)(a)
    decoded = layers.GRU(3, return_sequences=True, name="decoder")(b, initial_state=state)
    model = keras.Model([a, b], decoded)
    decoder = recurrent_layers(model)[1]
    with pytest.raises(NotInterpretable, match="reads 2 model inputs"):
        cell_inputs.feeder_for(model, decoder)
    assert cell_inputs.feeder_for(model, recurrent_layers(model)[0]).route.index == 0
    # The same decoder layer, reused by a second model that feeds it one input: that call is found.
    alone = keras.Input((3, 2))
    single = keras.Model(alone, model.get_layer("decoder")(alone))
    route = cell_inputs.feeder_for(single, recurrent_layers(single)[0]).route
    assert route.shape == (3, 2) and not route.tokens


def test_token_examples_are_padded_and_truncated_like_the_training_data():
    route = cell_inputs.InputRoute(0, (5,), True, 50)
    example = cell_inputs.token_example([1, 7, 8], ["<start>", "good", "film"], route, "test")
    assert example.x.tolist() == [[0, 0, 1, 7, 8]] and example.padding_steps == 2
    assert example.labels == ["<pad>", "<pad>", "<start>", "good", "film"]
    long = cell_inputs.token_example(list(range(1, 9)), [str(i) for i in range(1, 9)], route, "test")
    assert long.x.tolist() == [[4, 5, 6, 7, 8]] and long.labels == ["4", "5", "6", "7", "8"] and long.notice
    with pytest.raises(NotInterpretable):
        cell_inputs.token_example([], [], route, "test")


@dataclass(frozen=True)
class _Chars:
    """A character vocabulary like the Shakespeare page's (encode/decode)."""

    chars: tuple[str, ...] = tuple(" abcdefghijklmnopqrstuvwxyz,.")

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.chars.index(c) for c in text if c in self.chars])

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


@dataclass(frozen=True)
class _Windows:
    x: np.ndarray


@dataclass(frozen=True)
class _Data:
    windows: dict


def test_a_runs_vocabulary_and_stored_examples_are_found_through_the_run_contract():
    """The Architectures page asks a run what it can be fed (TrainedRun.text_codecs /
    example_inputs); nothing searches a run's fields."""
    from core.engine.run import TrainedRun
    from core.shakespeare.config import CharOutcome
    from core.stocks.config import ForecastOutcome

    chars = CharOutcome.__new__(CharOutcome)
    chars.vocab = _Chars()
    codec = cell_inputs.text_codec(chars)
    assert isinstance(codec, _Chars)
    assert cell_inputs.text_codec(TrainedRun(None, object(), None)) is None  # the base offers nothing
    route = cell_inputs.InputRoute(0, (None,), True, 29)
    example = cell_inputs.codec_example(codec, "to be", route)
    assert example.labels == ["t", "o", "␣", "b", "e"] and example.x.shape == (1, 5)

    windows = {"train": _Windows(np.zeros((9, 10, 1), np.float32)), "test": _Windows(np.ones((4, 10, 1), np.float32))}
    stocks_like = ForecastOutcome(None, object(), None, evaluation=None, data=_Data(windows))
    assert list(stocks_like.example_inputs()) == ["test windows", "training windows"]  # held-out first
    where, array = cell_inputs.example_arrays(stocks_like, cell_inputs.InputRoute(0, (10, 1), False, None))
    assert where == "test windows" and array.shape == (4, 10, 1)
    assert cell_inputs.example_arrays(stocks_like, cell_inputs.InputRoute(0, (12, 1), False, None)) is None
    example = cell_inputs.stored_example(where, array, 2, cell_inputs.InputRoute(0, (10, 1), False, None))
    assert example.x.shape == (1, 10, 1) and len(example.labels) == 10


def test_numbers_and_signals():
    route = cell_inputs.InputRoute(0, (6, 2), False, None)
    values = cell_inputs.parse_numbers("1, 2 3;4")
    example = cell_inputs.numbers_example(values, route, standardise=True)
    assert example.x.shape == (1, 6, 2) and example.padding_steps == 2
    np.testing.assert_allclose(example.x[0, 2:, 0].mean(), 0.0, atol=1e-6)
    for bad in ("", "1, two", "nan"):
        with pytest.raises(NotInterpretable):
            cell_inputs.parse_numbers(bad)
    for kind in cell_inputs.SIGNALS:
        signal = cell_inputs.signal_example(kind, cell_inputs.InputRoute(0, (None, 3), False, None), 25)
        assert signal.x.shape == (1, 25, 3) and np.all(np.isfinite(signal.x))
    labels, padding = cell_inputs.step_labels(example, 4)
    assert labels == ["step 1", "step 2", "step 3", "step 4"] and padding == 0


# ----------------------------------------------------------------------------- embeddings


def test_pca_finds_the_direction_of_largest_spread():
    rng = np.random.default_rng(0)
    vectors = np.outer(rng.normal(size=200), [3.0, 4.0, 0.0]) + rng.normal(scale=0.01, size=(200, 3))
    projection = embeddings.pca_2d(vectors)
    assert projection.coordinates.shape == (200, 2)
    assert projection.explained[0] > 0.99
    np.testing.assert_allclose(np.abs(np.corrcoef(projection.coordinates[:, 0], vectors[:, 0])[0, 1]), 1.0, atol=1e-3)


def test_cosine_neighbours_and_frequent_words():
    matrix = np.array([[0, 0], [0, 0], [0, 0], [0, 0], [1, 0], [0.9, 0.1], [-1, 0], [0, 1]], dtype=float)
    neighbours = embeddings.cosine_neighbours(matrix, 4, np.arange(4, 8), k=2)
    assert [n for n, _ in neighbours] == [5, 7]
    assert neighbours[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    assert embeddings.frequent_word_ids(10, 3).tolist() == [4, 5, 6]
    assert embeddings.frequent_word_ids(10, 50, skip=2).tolist() == [6, 7, 8, 9]


def test_single_word_positivity_reads_a_sentiment_model():
    model = build_model(
        ModelConfig(pattern="many_to_one", cell="GRU", units=4),
        InputSpec(length=6, vocab_size=20, embedding_dim=3),
        OutputSpec(size=1, activation="sigmoid"),
        seed=0,
    )
    assert embeddings.is_sentiment_like(model)
    assert embeddings.embedding_matrix(model).shape == (20, 3)
    scores = embeddings.single_word_positivity(model, np.arange(4, 12), 6)
    assert scores.shape == (8,) and np.all((scores > 0) & (scores < 1))
    assert 0 < embeddings.empty_review_positivity(model, 6) < 1
    no_embedding = build_model(ModelConfig(pattern="many_to_one"), InputSpec(length=4, features=2), OutputSpec())
    assert embeddings.embedding_matrix(no_embedding) is None and not embeddings.is_sentiment_like(no_embedding)


# ----------------------------------------------------------------------------- charts


def test_unit_views_link_the_heatmap_to_the_text():
    values = np.random.default_rng(0).uniform(-1, 1, size=(10, 8))
    values[:, 3] *= 0.01  # a quiet unit
    labels = [f"w{i}" for i in range(10)]
    units = cell_charts.most_active_units(values, 5)
    assert 3 not in units and len(units) == 5
    steps = cell_charts.shown_steps(10, padding=3)
    assert list(steps) == list(range(3, 10))
    assert list(cell_charts.shown_steps(10, padding=3, include_padding=True)) == list(range(10))
    assert list(cell_charts.shown_steps(500, padding=0, max_steps=200)) == list(range(300, 500))
    frame = cell_charts.activation_frame(values, labels, units, steps)
    assert len(frame) == 7 * 5 and set(frame["unit"]) == set(units)
    chart = cell_charts.unit_explorer(frame, QUANTITIES["h"], "h", units[0]).to_dict()
    assert len(chart["vconcat"]) == 3
    spec = str(chart)
    assert "unit_pick" in spec and "mouseover" in spec and f"'unit': {units[0]}" in spec
    summary = cell_charts.unit_summary(values, labels, units, steps)
    assert list(summary["unit"]) == units


def test_gate_chart_and_embedding_charts_build():
    x = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
    layer = layers.LSTM(3, return_sequences=True)
    layer(x[None])
    (trace,) = trace_layer(RecurrentLayer(layer, "LSTM", 3, False), x)
    chart = cell_charts.gate_means_chart(trace, [str(i) for i in range(6)], range(6))
    assert chart is not None and len(chart.to_dict()["datasets"]) == 1
    import pandas as pd

    words = pd.DataFrame(
        {
            "word": ["good", "bad", "film"],
            "x": [1.0, -1.0, 0.0],
            "y": [0.0, 0.1, 1.0],
            "positivity": [0.9, 0.1, 0.5],
            "push": [0.4, -0.4, 0.0],
            "rank": [1, 2, 3],
            "role": ["chosen word", "neighbour", "other"],
        }
    )
    assert cell_charts.embedding_scatter(words).to_dict()["layer"]
    table = pd.DataFrame({"word": ["bad"], "similarity": [0.8], "positivity": [0.1], "push": [-0.4]})
    assert cell_charts.neighbours_chart(table, "good").to_dict()["mark"]["type"] == "bar"
