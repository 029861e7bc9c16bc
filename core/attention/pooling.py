"""Many-to-one with attention pooling: which words did the sentiment classifier rely on?

    words -> embedding -> RNN -> h_1 .. h_T
    score_t = v^T tanh(W h_t + b)          one number per word
    a_t     = softmax_t(score_t)           padding and <start> masked: weight exactly 0
    review  = sum_t a_t h_t  -> sigmoid    P(positive)

A last-state classifier must carry everything to the final step; attention pooling lets
the classifier take a weighted average of every step instead - and the weights a_t are
a per-word "where did it look" that we can colour the review with. They say what the
classifier read, not why a word matters; a heavily weighted word is evidence it used,
not proof of causation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import keras
import numpy as np
from keras import layers, ops

from core.attention.config import PoolingConfig, PoolingOutcome, PoolingRun
from core.data import imdb
from core.engine.cells import rnn_layer
from core.engine.config import InputSpec
from core.engine.keras_state import set_random_seed
from core.engine.trainer import Trainer
from core.sentiment.config import input_spec, split_sizes

MASKED_SCORE = -1e9


@keras.saving.register_keras_serializable(package="rnn_playground")
class AttentionPooling(layers.Layer):
    """Weighted average of a sequence with learned, masked weights.

    call(sequence (B, T, D), token_ids (B, T)) -> (pooled (B, D), weights (B, T))
    """

    def __init__(self, units: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True  # consumes the padding mask; the pooled output has no time axis

    def compute_mask(self, sequence, token_ids, mask=None):
        return None

    def build(self, sequence_shape, token_ids_shape=None):
        width = int(sequence_shape[-1])
        self.kernel = self.add_weight(shape=(width, self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")

    def call(self, sequence, token_ids, mask=None):
        # The RNN's padding mask arrives as `mask`; the token ids give the same and also mark <start>.
        # Words only: padding (0) and the <start> marker (1) never get attention.
        real = ops.cast(ops.greater(token_ids, imdb.START), self.compute_dtype)
        scores = ops.sum(ops.tanh(ops.matmul(sequence, self.kernel) + self.bias) * self.score_vector, axis=-1)
        weights = ops.softmax(scores * real + (1.0 - real) * MASKED_SCORE, axis=-1)
        return ops.sum(sequence * weights[:, :, None], axis=1), weights

    def compute_output_spec(self, sequence, token_ids, mask=None):
        batch, steps, width = sequence.shape
        return (
            keras.KerasTensor((batch, width), dtype=self.compute_dtype),
            keras.KerasTensor((batch, steps), dtype=self.compute_dtype),
        )

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@dataclass
class PoolingModels:
    """classifier: ids -> P(positive); explainer: ids -> (P(positive), attention weights). Shared layers."""

    classifier: keras.Model
    explainer: keras.Model
    max_length: int


def build_pooling_classifier(config: PoolingConfig, spec: InputSpec, seed: int = 0) -> PoolingModels:
    """The classifier and its explainer for padded token ids of `spec` (the IMDb input spec, padding masked)."""
    problems = config.problems() + spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    set_random_seed(seed)
    ids = keras.Input((spec.length,), dtype="int32", name="tokens")
    x = layers.Embedding(spec.vocab_size, spec.embedding_dim, mask_zero=spec.mask_zero, name="embedding")(ids)
    rnn = rnn_layer(config.cell)(config.units, return_sequences=True, name="rnn_1")
    if config.bidirectional:
        rnn = layers.Bidirectional(rnn, name="rnn_1")
    pooled, weights = AttentionPooling(config.attention_units, name="attention_pooling")(rnn(x), ids)
    probability = layers.Dense(1, activation="sigmoid", name="output")(pooled)
    return PoolingModels(
        keras.Model(ids, probability, name="attention_pooling_classifier"),
        keras.Model(ids, [probability, weights], name="attention_pooling_explainer"),
        spec.length,
    )


def explain(models: PoolingModels, ids: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(P(positive) (n,), attention weights (n, T)) for padded id rows."""
    probabilities, weights = [], []
    for start in range(0, len(ids), batch_size):
        p, w = models.explainer(ids[start : start + batch_size], training=False)
        probabilities.append(np.asarray(p).reshape(-1))
        weights.append(np.asarray(w))
    if not probabilities:
        return np.zeros(0), np.zeros((0, models.max_length))
    return np.concatenate(probabilities), np.concatenate(weights)


@dataclass(frozen=True)
class WeightedWords:
    """The words of one review as the model saw them, each with its attention weight."""

    words: tuple[str, ...]
    weights: tuple[float, ...]
    probability: float


def weighted_words(vocab: imdb.Vocabulary, ids: np.ndarray, weights: np.ndarray, probability: float) -> WeightedWords:
    """Pair every real token (padding and <start> dropped) with its weight."""
    keep = [i for i, token in enumerate(ids) if int(token) > imdb.START]
    return WeightedWords(
        tuple(vocab.decode([ids[i]], skip_padding=False) for i in keep),
        tuple(float(weights[i]) for i in keep),
        float(probability),
    )


# ----------------------------------------------------------------------------- training


def train_and_evaluate(
    run: PoolingRun,
    arrays: dict[str, np.ndarray],
    vocab_size: int,
    callbacks: Sequence = (),
    stop=None,
    on_phase=lambda phase: None,
) -> PoolingOutcome:
    """Build, train with validation, and score the test split; arrays are read, never modified."""
    on_phase("Building the model")
    models = build_pooling_classifier(run.model, input_spec(run.data, vocab_size), seed=run.train.seed)
    n_train, n_val = split_sizes(len(arrays["y_train"]), run.data.train_size)
    if n_train < 1:
        raise ValueError("No training reviews left after holding out validation; use more reviews.")
    x, y = arrays["x_train"], arrays["y_train"]
    # Equal batches: a smaller last batch would make TensorFlow compile the training step twice.
    config = replace(run.train, drop_remainder=n_train >= run.train.batch_size)
    trainer = Trainer(models.classifier, "binary_crossentropy", ["accuracy"], config)
    result = trainer.fit(x[:n_train], y[:n_train], validation=(x[-n_val:], y[-n_val:]), callbacks=callbacks, stop=stop)
    on_phase("Scoring the test reviews")
    x_test, y_test = arrays["x_test"][: run.data.test_size], arrays["y_test"][: run.data.test_size]
    probabilities, weights = explain(models, x_test)
    return PoolingOutcome(
        result=result,
        model=models.classifier,
        config=run,
        models=models,
        test_probabilities=probabilities,
        test_weights=weights,
        test_labels=y_test,
        test_accuracy=float(np.mean((probabilities > 0.5) == (y_test > 0.5))) if len(y_test) else 0.0,
    )
