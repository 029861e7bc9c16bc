"""core.engine.keras_state does what Keras' own helpers do, minus clearing TensorFlow's caches."""

from __future__ import annotations

import random

import keras
import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.keras_state import (
    output_mask,
    per_element_loss,
    public_api_only,
    reset_keras_state,
    self_check,
    set_random_seed,
)
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


# ----------------------------------------------------------------------------- the public-API fallbacks


def test_seeding_and_reset_fall_back_to_keras_public_functions():
    with public_api_only():
        assert build(set_random_seed, 3)[0][0].tolist() == build(keras.utils.set_random_seed, 3)[0][0].tolist()
        keras.layers.Dense(2)
        reset_keras_state()
        assert keras.layers.Dense(2).name == "dense"


def test_the_per_element_loss_falls_back_to_rebuilding_it_from_its_config():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    y, logits = np.array([[1, 0]]), np.array([[[0.0, 3.0], [2.0, -1.0]]], "float32")
    ours = per_element_loss(loss)(y, logits)
    with public_api_only():
        fallback = per_element_loss(loss)(y, logits)
    assert ours.shape == fallback.shape == (1, 2)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(fallback), rtol=1e-6)


def test_the_output_mask_falls_back_to_computing_it_with_the_public_api():
    inputs = keras.Input((3,), dtype="int32")
    outputs = keras.layers.LSTM(2, return_sequences=True)(keras.layers.Embedding(5, 2, mask_zero=True)(inputs))
    model = keras.Model(inputs, outputs)
    x = np.array([[1, 2, 0]], "int32")
    pred = model(x)
    ours = output_mask(model, x, pred)
    with public_api_only():
        fallback = output_mask(model, x, pred)
    assert np.asarray(ours).tolist() == np.asarray(fallback).tolist() == [[True, True, False]]


def test_the_self_check_finds_nothing_moved_on_the_locked_keras():
    assert self_check() == []
