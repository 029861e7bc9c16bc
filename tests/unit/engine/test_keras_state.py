"""core.engine.keras_state does what Keras' own helpers do, minus clearing TensorFlow's caches."""

from __future__ import annotations

import random

import keras
import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.keras_state import reset_keras_state, set_random_seed
from core.engine.models import BUILDERS


def build(seeding, seed: int):
    seeding(seed)
    model = BUILDERS["many_to_one"](
        ModelConfig(cell="LSTM", units=6, dropout=0.4, dense_units=5),
        InputSpec(length=7, vocab_size=30, embedding_dim=4),
        OutputSpec(),
    )
    return [v.numpy() for v in model.variables], random.random(), np.random.random()


def test_seeding_builds_the_same_weights_and_random_states_as_keras():
    for seed in (0, 7):
        ours, theirs = build(set_random_seed, seed), build(keras.utils.set_random_seed, seed)
        assert all(np.array_equal(a, b) for a, b in zip(ours[0], theirs[0], strict=True))  # incl. dropout seed states
        assert ours[1:] == theirs[1:]
    assert not np.array_equal(build(set_random_seed, 0)[0][0], build(set_random_seed, 1)[0][0])


def test_reset_forgets_generated_names_like_clear_session():
    keras.layers.Dense(2)
    assert keras.layers.Dense(2).name != "dense"
    reset_keras_state()
    assert keras.layers.Dense(2).name == "dense"
