"""Padding never changes a sentiment prediction: the Embedding masks id 0 and every read-out
(last state, mean, max) and the one-to-one bag-of-embeddings baseline respect the mask."""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest

from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.sentiment.config import ImdbChoice, SentimentRun, input_spec
from core.sentiment.training import build_sentiment_model

VOCAB = 40
REVIEW = np.array([5, 17, 3, 29, 8, 11], dtype=np.int32)


def _front_padded(ids: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros((1, length), dtype=np.int32)
    out[0, length - len(ids) :] = ids
    return out


def _predictions(make_model, lengths=(6, 14, 40)) -> list[float]:
    """The same review, front-padded to each length, through models sharing one set of weights."""
    first = make_model(lengths[0])
    out = []
    for length in lengths:
        model = make_model(length)
        model.set_weights(first.get_weights())
        out.append(float(np.asarray(model(_front_padded(REVIEW, length), training=False)).reshape(-1)[0]))
    return out


CONFIGS = [
    ModelConfig(pattern="many_to_one", cell="GRU", units=8, readout="last"),
    ModelConfig(pattern="many_to_one", cell="GRU", units=8, readout="mean"),
    ModelConfig(pattern="many_to_one", cell="GRU", units=8, readout="max"),
    ModelConfig(pattern="many_to_one", cell="LSTM", units=8, readout="max", bidirectional=True),
    ModelConfig(pattern="many_to_one", cell="SimpleRNN", units=8, readout="mean", layers=2),
    ModelConfig(pattern="one_to_one", units=8, dense_units=8),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["last", "mean", "max", "bidi-lstm-max", "stacked-mean", "one-to-one"])
def test_sentiment_predictions_do_not_depend_on_padding_length(config):
    run = SentimentRun(ImdbChoice(num_words=VOCAB, embedding_dim=6), config, TrainConfig(seed=2))

    def make(length):
        return build_sentiment_model(replace(run, data=replace(run.data, max_length=length)), VOCAB)

    predictions = _predictions(make)
    np.testing.assert_allclose(predictions, predictions[0], atol=1e-5)


def test_max_read_out_ignores_padding_even_when_every_real_step_is_negative():
    # Keras' own GlobalMaxPooling1D ignores the mask: padded steps (state 0) would win the max.
    config = ModelConfig(pattern="many_to_one", cell="SimpleRNN", units=4, readout="max")

    def make(length):
        return build_model(config, InputSpec(length=length, vocab_size=VOCAB, embedding_dim=3, mask_zero=True),
                           OutputSpec(), seed=0)

    model = make(12)
    rnn, pooled = model.get_layer("rnn_1"), model.get_layer("max_over_time")
    kernel, recurrent, bias = rnn.get_weights()
    rnn.set_weights([kernel, recurrent, bias - 10.0])  # tanh(very negative) everywhere on real steps
    ids = _front_padded(REVIEW, 12)
    probe = keras.Model(model.input, pooled.output)
    values = np.asarray(probe(ids))
    assert (values < 0).all()


def test_an_all_padding_review_gives_a_finite_prediction():
    for config in CONFIGS:
        run = SentimentRun(ImdbChoice(num_words=VOCAB, max_length=10, embedding_dim=4), config, TrainConfig())
        model = build_sentiment_model(run, VOCAB)
        assert np.isfinite(np.asarray(model(np.zeros((2, 10), dtype=np.int32)))).all()


def test_masking_is_on_for_reviews_and_off_where_nothing_is_padded():
    assert input_spec(ImdbChoice(), 100).mask_zero
    assert not InputSpec().mask_zero  # character and numeric models: no padding, nothing masked
    one_token = build_model(ModelConfig(pattern="one_to_many", units=4), InputSpec(vocab_size=9, mask_zero=True),
                            OutputSpec(steps=3))
    assert not one_token.get_layer("embedding").mask_zero  # a single token has no padding


def test_cell_internals_recompute_a_masked_sentiment_model_exactly():
    from core.cells import inputs as cell_inputs
    from core.cells.internals import check_against_keras, recurrent_layers, trace_layer

    config = ModelConfig(pattern="many_to_one", cell="GRU", units=6, readout="max")
    run = SentimentRun(ImdbChoice(num_words=VOCAB, max_length=12, embedding_dim=5), config, TrainConfig(seed=1))
    model = build_sentiment_model(run, VOCAB)
    (recurrent,) = recurrent_layers(model)
    sequence, mask, initial = cell_inputs.feeder_for(model, recurrent)(_front_padded(REVIEW, 12))
    assert mask is not None and int(np.sum(mask)) == len(REVIEW)
    check = check_against_keras(recurrent, sequence, trace_layer(recurrent, sequence, mask, initial), mask)
    assert check.ok, check.differences


def test_a_masked_model_saves_and_loads_with_its_pooling(tmp_path):
    config = ModelConfig(pattern="many_to_one", cell="GRU", units=4, readout="max")
    model = build_sentiment_model(SentimentRun(ImdbChoice(num_words=VOCAB, max_length=10, embedding_dim=3), config,
                                               TrainConfig()), VOCAB)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    ids = _front_padded(REVIEW, 10)
    np.testing.assert_allclose(np.asarray(loaded(ids)), np.asarray(model(ids)), atol=1e-6)
