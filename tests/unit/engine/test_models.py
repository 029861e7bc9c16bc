"""Every pattern x cell x direction builds, and its output has the promised shape."""

import numpy as np
import pytest

from core.engine.cells import CELLS
from core.engine.config import PATTERNS, ConfigError, InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model, expected_output_shape


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes_for_every_pattern_and_cell(pattern, cell, bidirectional):
    spec = InputSpec(length=7, features=3)
    out = OutputSpec(size=4, activation="softmax", steps=5)
    config = ModelConfig(pattern=pattern, cell=cell, units=6, layers=2, bidirectional=bidirectional, dropout=0.1)
    model = build_model(config, spec, out)
    x = np.random.default_rng(0).random((2, *model.input_shape[1:]), dtype=np.float32)
    y = np.asarray(model(x))
    assert y.shape == (2, *expected_output_shape(config, spec, out))
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)  # softmax head


@pytest.mark.parametrize("pattern", PATTERNS)
def test_token_inputs_embed(pattern):
    spec = InputSpec(length=9, vocab_size=30, embedding_dim=4, mask_zero=False)
    out = OutputSpec(size=1, activation="sigmoid", steps=3)
    config = ModelConfig(pattern=pattern, cell="GRU", units=5)
    model = build_model(config, spec, out)
    x = np.random.default_rng(1).integers(1, 30, size=(3, *model.input_shape[1:]))
    assert np.asarray(model(x)).shape == (3, *expected_output_shape(config, spec, out))
    assert "embedding" in [layer.name for layer in model.layers]


def test_one_to_one_has_no_recurrent_layer():
    model = build_model(ModelConfig(pattern="one_to_one"), InputSpec(length=20, vocab_size=50), OutputSpec())
    assert not any("rnn" in layer.name for layer in model.layers)


@pytest.mark.parametrize("readout", ["last", "mean", "max"])
def test_many_to_one_readouts(readout):
    model = build_model(ModelConfig(readout=readout, units=4), InputSpec(length=6, features=2), OutputSpec())
    assert model.output_shape == (None, 1)


def test_stacked_layers_are_named_in_order():
    model = build_model(ModelConfig(layers=3, units=4), InputSpec(length=5, features=1), OutputSpec())
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.startswith("rnn_")] == ["rnn_1", "rnn_2", "rnn_3"]


def test_invalid_config_lists_every_problem():
    with pytest.raises(ConfigError) as err:
        build_model(ModelConfig(units=0, layers=9, dropout=0.95), InputSpec(length=5), OutputSpec())
    text = str(err.value)
    assert "Units" in text and "Layers" in text and "Dropout" in text
