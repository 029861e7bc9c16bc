"""Training a character-level RNN: the Keras model, the bits-per-character metric, live samples.

The TensorFlow half of the Shakespeare page (core.shakespeare.char_rnn is the NumPy half: vocabulary,
windows, configs and the step-by-step generator), kept apart so the page can draw its controls
and data before TensorFlow is imported.

    train_char_rnn(data, run) -> CharOutcome (result, model, step_model, vocab, samples, val_loss, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import keras
import tensorflow as tf

from core.engine import reuse
from core.engine.cells import rnn_layer
from core.engine.config import ConfigError, ModelConfig, TrainConfig
from core.engine.keras_state import set_random_seed
from core.engine.trainer import METRICS, BatchRecord, Callback, EpochRecord, StopSignal, Trainer, TrainingResult
from core.shakespeare.char_rnn import (
    LN2,
    CharVocabulary,
    EncodedText,
    StepModel,
    context_bits,
    generate,
    training_arrays,
    unigram_bits,
    validation_surprise,
)
from core.shakespeare.config import (
    BITS_METRIC,
    CONTEXT_CHARS,
    CharOutcome,
    CharRun,
    GenerationSettings,
    SampleSettings,
    TrainingSample,
)

# ----------------------------------------------------------------------------- model


@reuse.reusable()
def build_char_model(
    config: ModelConfig, vocab_size: int, embedding_dim: int, stateful_batch: int | None = None, seed: int | None = 0
) -> keras.Model:
    """Embedding -> `layers` recurrent layers -> logits over the vocabulary.

    Any window length works (the time axis is left open). Many-to-many returns logits for
    every step, many-to-one for the last step only. `stateful_batch` fixes the batch size and
    makes each recurrent layer keep its final state as the start of the next batch.
    """
    if seed is not None:
        set_random_seed(seed)
    stateful = stateful_batch is not None
    if stateful:
        inputs = keras.Input(batch_shape=(stateful_batch, None), dtype="int32", name="chars")
    else:
        inputs = keras.Input(shape=(None,), dtype="int32", name="chars")
    # No masking: character windows are cut from running text and never padded (id 0 is a character).
    x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=False, name="embedding")(inputs)
    for i in range(1, config.layers + 1):
        last = i == config.layers
        x = rnn_layer(config.cell)(
            config.units,
            return_sequences=not last or config.pattern == "many_to_many",
            dropout=config.dropout,
            stateful=stateful,
            name=f"rnn_{i}",
        )(x)
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout, name="output_dropout")(x)
    logits = keras.layers.Dense(vocab_size, name="output")(x)
    return keras.Model(inputs, logits, name=f"char_rnn_{config.pattern}")


def char_loss() -> keras.losses.Loss:
    """Cross-entropy on logits, averaged over every predicted character: nats per character."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def bits_per_character(y_true, logits, weight=None):
    """Cross-entropy in bits: how many yes/no questions the model needs per character."""
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y_true, tf.int32), logits=logits)
    if weight is not None:
        weight = tf.cast(tf.broadcast_to(weight, tf.shape(ce)), tf.float32)
        return tf.math.divide_no_nan(tf.reduce_sum(ce * weight), tf.reduce_sum(weight)) / LN2
    return tf.reduce_mean(ce) / LN2


METRICS.setdefault(BITS_METRIC, bits_per_character)  # the Trainer looks metrics up by name


def reset_states(model: keras.Model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


class StatefulTrainer(Trainer):
    """Trains a stateful model; validates on a stateless twin that shares its weights.

    A stateful model only accepts its fixed batch size, and evaluating it would overwrite the
    state it carries between training batches, so validation copies the weights into a twin
    that reads every validation window from a zero state.
    """

    def __init__(self, model: keras.Model, twin: keras.Model, loss, metrics: Sequence[str], config: TrainConfig):
        super().__init__(model, loss, metrics, config)
        self.twin = Trainer(twin, loss, metrics, config)

    def evaluate(self, x, y, sample_weight=None, batch_size=None) -> dict[str, float]:
        for source, target in zip(self.model.trainable_weights, self.twin.model.trainable_weights, strict=True):
            target.assign(source)
        return self.twin.evaluate(x, y, sample_weight, batch_size)


# ----------------------------------------------------------------------------- live samples


class LiveSamples(Callback):
    """Writes a sample every `every_steps` steps and at every epoch's end, from the weights so far.

    Runs on the training thread between two optimiser steps, so the weights it copies are
    consistent; every sample uses the same prompt and seed, so differences between them are
    the model's progress, not luck. `publish(samples)` receives the growing tuple each time.
    """

    def __init__(
        self,
        model: keras.Model,
        vocab: CharVocabulary,
        prompt: str,
        settings: SampleSettings,
        publish: Callable[[tuple[TrainingSample, ...]], None] | None = None,
    ):
        self.model, self.vocab, self.prompt, self.settings = model, vocab, prompt, settings
        self.publish = publish
        self.samples: list[TrainingSample] = []
        self._last: BatchRecord | None = None

    def _write(self, label: str) -> None:
        last = self._last
        if last is None or (self.samples and self.samples[-1].step == last.step):
            return
        generation = GenerationSettings(length=self.settings.length, temperature=self.settings.temperature, seed=0)
        text = generate(StepModel.from_keras(self.model), self.vocab, self.prompt, generation).text
        self.samples.append(TrainingSample(last.step, last.epoch, last.loss, last.elapsed, text, label))
        if self.publish is not None:
            self.publish(tuple(self.samples))

    def on_batch_end(self, record: BatchRecord) -> None:
        self._last = record
        if record.step == 1 or record.step % self.settings.every_steps == 0:
            self._write(f"step {record.step}")

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._write(f"end of epoch {record.epoch}")


# ----------------------------------------------------------------------------- training


def train_char_rnn(
    data: EncodedText,
    run: CharRun,
    callbacks: Sequence[Callback] = (),
    stop: StopSignal | None = None,
    on_samples: Callable[[tuple[TrainingSample, ...]], None] | None = None,
    prompt: str = "\n",
    on_phase: Callable[[str], None] | None = None,
) -> CharOutcome:
    """Build, train (with live samples), measure, and package everything generation needs.

    `on_phase(text)` hears what happens after training (the surprise measurement)."""
    problems = run.problems()
    if problems:
        raise ConfigError(problems)
    arrays = training_arrays(data, run)
    vocab = data.vocab
    cfg = run.train
    if run.text.stateful:
        cfg = replace(cfg, shuffle=False, drop_remainder=True)
        model = build_char_model(run.model, vocab.size, run.text.embedding_dim, cfg.batch_size, seed=cfg.seed)
        twin = build_char_model(run.model, vocab.size, run.text.embedding_dim, seed=None)
        trainer: Trainer = StatefulTrainer(model, twin, char_loss(), [BITS_METRIC, "sparse_accuracy"], cfg)
    else:
        model = build_char_model(run.model, vocab.size, run.text.embedding_dim, seed=cfg.seed)
        trainer = Trainer(model, char_loss(), [BITS_METRIC, "sparse_accuracy"], cfg)
    samples = LiveSamples(model, vocab, prompt, run.sampling, on_samples)
    result: TrainingResult = trainer.fit(
        arrays.x_train,
        arrays.y_train,
        validation=(arrays.x_val, arrays.y_val),
        callbacks=[*callbacks, samples],
        stop=stop,
        on_epoch_begin=(lambda epoch: reset_states(model)) if run.text.stateful else None,
    )
    final = trainer.evaluate(arrays.x_val, arrays.y_val)
    step_model = StepModel.from_keras(model)
    if on_phase is not None:
        on_phase("Measuring surprise on validation text")
    carried, from_zero = context_bits(step_model, data.validation[:CONTEXT_CHARS], run.text.sequence_length)
    return CharOutcome(
        result=result,
        model=model,
        config=run,
        step_model=step_model,
        vocab=vocab,
        samples=tuple(samples.samples),
        val_loss=final["loss"],
        val_bits=final["loss"] / LN2,
        val_accuracy=final["sparse_accuracy"],
        unigram_bits=unigram_bits(data.train, data.validation, vocab.size),
        windows=len(arrays.x_train),
        surprise=validation_surprise(step_model, data),
        prompt=prompt,
        carried_bits=carried,
        window_bits=from_zero,
    )
