"""Pieces of the shared training panel that don't need a browser."""

import keras
import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model
from ui.training_panel import _format_seconds, model_bytes


def test_model_download_bytes_load_back(tmp_path):
    model = build_model(ModelConfig(units=4), InputSpec(length=5, vocab_size=20, embedding_dim=3), OutputSpec())
    path = tmp_path / "m.keras"
    path.write_bytes(model_bytes(model))
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(0).integers(1, 20, size=(2, 5))
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_eta_formatting():
    assert _format_seconds(None) == "…"
    assert _format_seconds(42.4) == "42 s"
    assert _format_seconds(125) == "2:05"
