"""The trainer's gradient norms are those of the dense gradient, for every layer type the pages use.

Each case trains one batch with the Trainer and compares its global and per-layer norms with the
norms of the dense gradients (`tf.convert_to_tensor` of each gradient, which sums the rows an
Embedding's IndexedSlices repeat) of the same loss, on the same batch and the same starting weights.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.attention import seq2seq as s2s
from core.attention.config import PoolingConfig
from core.attention.pooling import build_pooling_classifier
from core.data.dates import make_number_task
from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.engine.trainer import Trainer, layer_groups

RTOL = 1e-5


class SumOfOutputs(keras.losses.Loss):
    """Loss = sum of the model's outputs: every output entry gets gradient exactly 1."""

    def call(self, y_true, y_pred):
        return keras.ops.sum(y_pred, axis=(1, 2))


def token_table(clip_norm: float | None = None, clip_value: float | None = None) -> tuple[keras.Model, Trainer]:
    ids = keras.Input((5,), dtype="int32")
    model = keras.Model(ids, keras.layers.Embedding(3, 4, name="embedding")(ids))
    config = TrainConfig(
        epochs=1,
        batch_size=1,
        shuffle=False,
        optimizer="sgd",
        learning_rate=1.0,
        clip_norm=clip_norm,
        clip_value=clip_value,
    )
    return model, Trainer(model, SumOfOutputs(), [], config)


REPEATED = np.array([[1, 1, 1, 1, 2]], dtype="int32")  # token 1 four times: its dense row is 4 * ones(4)


def test_repeated_tokens_count_once_per_row_in_the_embedding_norm():
    _, trainer = token_table()
    record = trainer.fit(REPEATED, np.zeros(1, "float32")).batches[0]
    dense = np.zeros((3, 4))
    dense[1], dense[2] = 4.0, 1.0  # sum of the per-occurrence rows
    assert record.grad_norm == pytest.approx(np.linalg.norm(dense), rel=RTOL)  # 8.246, not sqrt(20) = 4.47
    assert record.layer_norms["embedding"] == pytest.approx(np.linalg.norm(dense), rel=RTOL)


def test_clip_norm_scales_the_dense_embedding_gradient():
    model, trainer = token_table(clip_norm=1.0)
    before = model.get_weights()[0].copy()
    record = trainer.fit(REPEATED, np.zeros(1, "float32")).batches[0]
    step = before - model.get_weights()[0]  # SGD, learning rate 1: the applied gradient
    assert np.linalg.norm(step) == pytest.approx(1.0, rel=RTOL)
    assert record.applied_norm == pytest.approx(1.0, rel=RTOL)
    np.testing.assert_allclose(step[1], 4.0 / np.sqrt(68.0), rtol=RTOL)


def test_clip_value_clamps_the_dense_embedding_gradient():
    model, trainer = token_table(clip_value=2.0)
    before = model.get_weights()[0].copy()
    record = trainer.fit(REPEATED, np.zeros(1, "float32")).batches[0]
    step = before - model.get_weights()[0]
    np.testing.assert_allclose(step, [[0.0] * 4, [2.0] * 4, [1.0] * 4], rtol=RTOL)  # row 1: min(4, 2)
    assert record.applied_norm == pytest.approx(np.sqrt(20.0), rel=RTOL)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_a_trainer_step_is_the_plain_keras_step(optimizer):
    """Norms and clipping use the summed rows, but the optimiser gets the gradient as model.fit
    hands it: after two steps on padded, repeated tokens the weights equal plain Keras' own
    (Keras' Adam and RMSprop keep their second moments per occurrence row, so handing them the
    summed rows would train differently from model.fit)."""
    x, y = padded_tokens(n=8, length=10)
    config = ModelConfig(pattern="many_to_one", cell="GRU", units=3, readout="max")
    spec = InputSpec(length=10, vocab_size=6, embedding_dim=3, mask_zero=True)
    ours, reference = (build_model(config, spec, OutputSpec(), seed=0) for _ in range(2))
    reference.set_weights(ours.get_weights())
    train = TrainConfig(epochs=1, batch_size=4, shuffle=False, optimizer=optimizer, learning_rate=0.05)
    Trainer(ours, "binary_crossentropy", [], train).fit(x, y)
    kinds = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    reference.compile(kinds[optimizer](learning_rate=0.05), "binary_crossentropy")
    for start in (0, 4):
        reference.train_on_batch(x[start : start + 4], y[start : start + 4])
    for mine, theirs in zip(ours.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- dense reference


def dense_norms(model: keras.Model, loss_of: callable, x, y, w=None) -> tuple[float, dict[str, float]]:
    """Global and per-layer norms of the dense gradient of `loss_of(y, pred, w)`."""
    with tf.GradientTape() as tape:
        loss = loss_of(y, model(x, training=True), w)
    grads = [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.trainable_variables)]
    per_layer = {name: float(np.sqrt(sum((grads[i] ** 2).sum() for i in idx))) for name, idx in layer_groups(model)}
    return float(np.sqrt(sum((g**2).sum() for g in grads))), per_layer


def assert_trainer_norms_are_dense(model: keras.Model, trainer_loss, loss_of, x, y, w=None) -> None:
    start = model.get_weights()
    n = len(y)
    trainer = Trainer(model, trainer_loss, [], TrainConfig(epochs=1, batch_size=n, shuffle=False))
    record = trainer.fit(x, y, sample_weight=w).batches[0]  # norms of the gradient at the starting weights
    model.set_weights(start)
    as_tensors = tuple(tf.constant(a) for a in x) if isinstance(x, tuple) else tf.constant(x)
    total, per_layer = dense_norms(model, loss_of, as_tensors, tf.constant(y), None if w is None else tf.constant(w))
    assert record.grad_norm == pytest.approx(total, rel=RTOL)
    assert set(record.layer_norms) == set(per_layer)
    for name, norm in per_layer.items():
        assert record.layer_norms[name] == pytest.approx(norm, rel=RTOL, abs=1e-9), name
    assert any(norm > 0 for name, norm in per_layer.items() if "embedding" in name)


def binary_loss(y, pred, w=None):
    return keras.losses.BinaryCrossentropy()(y, pred)


def padded_tokens(n=16, length=10, vocab=6, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Few distinct tokens (so every batch repeats them) and zero padding at the end of each row."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, size=(n, length)).astype("int32")
    for row, keep in enumerate(rng.integers(3, length + 1, size=n)):
        x[row, keep:] = 0
    return x, (x[:, 0] > vocab // 2).astype("float32")


@pytest.mark.parametrize(
    "config,mask_zero",
    [
        (ModelConfig(cell="SimpleRNN", units=4), False),
        (ModelConfig(cell="LSTM", units=4, readout="max"), True),
        (ModelConfig(cell="GRU", units=4), False),
        (ModelConfig(cell="GRU", units=4, bidirectional=True, layers=2), True),
        (ModelConfig(pattern="one_to_one", dense_units=4), False),
    ],
    ids=["embedding-simplernn", "embedding-lstm", "embedding-gru", "embedding-bidirectional-gru", "embedding-dense"],
)
def test_classifier_norms_equal_the_dense_gradient(config, mask_zero):
    x, y = padded_tokens()
    spec = InputSpec(length=x.shape[1], vocab_size=6, embedding_dim=3, mask_zero=mask_zero)
    model = build_model(config, spec, OutputSpec(), seed=0)
    assert_trainer_norms_are_dense(model, "binary_crossentropy", binary_loss, x, y)


def test_attention_pooling_norms_equal_the_dense_gradient():
    x, y = padded_tokens(length=12)
    spec = InputSpec(length=12, vocab_size=6, embedding_dim=3, mask_zero=True)
    models = build_pooling_classifier(PoolingConfig(units=4, attention_units=4), spec, seed=0)
    assert_trainer_norms_are_dense(models.classifier, "binary_crossentropy", binary_loss, x, y)


def weighted_char_loss(y, pred, w):
    """Cross-entropy averaged over the weighted (real) decoder steps only."""
    ce = keras.losses.sparse_categorical_crossentropy(y, pred)
    return tf.reduce_sum(ce * w) / tf.reduce_sum(w)


@pytest.mark.parametrize(
    "attention,cell,bidirectional",
    [("additive", "GRU", True), ("dot", "LSTM", True), ("none", "SimpleRNN", False)],
)
def test_seq2seq_norms_equal_the_dense_gradient(attention, cell, bidirectional):
    task = make_number_task(train_size=40, test_size=8, seed=0)  # targets of 1 to 6 digits: padded steps
    config = s2s.Seq2SeqConfig(
        cell, units=4, bidirectional=bidirectional, attention=attention, embedding_dim=3, attention_units=4
    )
    prepared = s2s.prepare(task, config, seed=0)
    train = prepared.train
    assert (train.weights == 0).any()  # padded decoder steps are part of the batch
    assert_trainer_norms_are_dense(
        prepared.models.train,
        "sparse_categorical_crossentropy",
        weighted_char_loss,
        train.x,
        train.decoder_target,
        train.weights,
    )
