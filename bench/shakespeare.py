"""Benchmark: the Shakespeare page's default preset against plain Keras, same data, same clock.

    PYTHONPATH=. .venv/bin/python bench/shakespeare.py [--seconds 120] [--preset NAME]

Both models train for the same wall-clock budget on ../shared/data/shakespeare.txt (first 90 %
trains, last 10 % validates) and are scored on the same thing: the mean cross-entropy (nats per
character) of the validation text cut into 100-character windows, each read from a zero state.

  * ours: `core.shakespeare.training.train_char_rnn` with the preset - the app's own code path, live samples
    and per-step gradient norms included;
  * reference: the TensorFlow text-generation tutorial's recipe at GRU 256 - Embedding(256) ->
    GRU(256) -> Dense, non-overlapping 100-character windows, shuffled batches of 64, Adam 1e-3,
    `model.fit` until the budget runs out.

Generation speed (characters per second, after a 40-character prompt) is measured for our NumPy
step model on both networks and for a Keras step model (GRU with return_state in a tf.function,
the tutorial's `OneStep` approach) on the reference.

`--as-app` instead trains the preset exactly as the page does (its own epochs and stopping rules,
live samples, the final validation pass and the surprise measurement) and prints the wall and CPU
time, the load, the validation loss and what ended training:

    PYTHONPATH=. .venv/bin/python bench/shakespeare.py --as-app [--preset NAME]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from core.data.shakespeare import load_local, load_shakespeare
from core.engine.trainer import Callback, StopSignal
from core.shakespeare import char_rnn
from core.shakespeare import training as char_training
from core.shakespeare.config import DEFAULT_PRESET, PRESETS, CharRun, GenerationSettings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "shakespeare.txt"
EVAL_LENGTH = 100
GENERATE_CHARS = 1_000


class TimeBudget(Callback):
    """Asks the trainer to stop once `seconds` of training have passed."""

    def __init__(self, seconds: float, stop: StopSignal):
        self.seconds, self.stop = seconds, stop

    def on_batch_end(self, record) -> None:
        if record.elapsed >= self.seconds:
            self.stop.request()


class KerasTimeBudget(keras.callbacks.Callback):
    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True


def window_loss(model: keras.Model, ids: np.ndarray, length: int = EVAL_LENGTH) -> float:
    """Mean next-character cross-entropy (nats) over non-overlapping windows of `ids`."""
    x, y = char_rnn.sequence_windows(ids, length)
    total = 0.0
    for start in range(0, len(x), 256):
        logits = model(x[start : start + 256], training=False)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y[start : start + 256], logits=logits)
        total += float(tf.reduce_sum(ce))
    return total / y.size


def generation_speed(step_model: char_rnn.StepModel, vocab: char_rnn.CharVocabulary, prompt: str) -> float:
    settings = GenerationSettings(length=GENERATE_CHARS, temperature=1.0, seed=0)
    generated = char_rnn.generate(step_model, vocab, prompt, settings)
    return GENERATE_CHARS / generated.seconds


# ----------------------------------------------------------------------------- ours


def train_ours(data: char_rnn.EncodedText, run: CharRun, seconds: float, prompt: str) -> dict:
    stop = StopSignal()
    run = replace(run, train=replace(run.train, epochs=50))  # the clock, not the epoch count, ends it
    output = char_training.train_char_rnn(data, run, callbacks=[TimeBudget(seconds, stop)], stop=stop, prompt=prompt)
    model = output.model
    if run.text.stateful:  # score the stateless twin with the same weights
        twin = char_training.build_char_model(run.model, data.vocab.size, run.text.embedding_dim, seed=None)
        twin.set_weights(model.get_weights())
        model = twin
    result = output.result
    return {
        "steps": result.steps,
        "seconds": result.seconds,
        "val_loss": window_loss(model, data.validation),
        "own_window_val_loss": output.val_loss,
        "chars_per_second": generation_speed(output.step_model, data.vocab, prompt),
        "sample": output.samples[-1].text if output.samples else "",
    }


# ----------------------------------------------------------------------------- reference


def reference_model(vocab_size: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, 256, name="embedding")(inputs)
    x = keras.layers.GRU(256, return_sequences=True, name="rnn_1")(x)
    return keras.Model(inputs, keras.layers.Dense(vocab_size, name="output")(x))


def keras_step_speed(model: keras.Model, vocab: char_rnn.CharVocabulary, prompt: str) -> float:
    """The tutorial's OneStep: one tf.function call per character, GRU state passed back in."""
    ids = keras.Input(shape=(None,), dtype="int32")
    state_in = keras.Input(shape=(256,))
    x = keras.layers.Embedding(vocab.size, 256, name="embedding")(ids)
    x, state = keras.layers.GRU(256, return_sequences=True, return_state=True, name="rnn_1")(x, initial_state=state_in)
    step_model = keras.Model([ids, state_in], [keras.layers.Dense(vocab.size, name="output")(x), state])
    for layer in ("embedding", "rnn_1", "output"):
        step_model.get_layer(layer).set_weights(model.get_layer(layer).get_weights())

    @tf.function
    def one_step(inputs, state):
        logits, state = step_model([inputs, state], training=False)
        next_id = tf.random.categorical(logits[:, -1, :], num_samples=1, dtype=tf.int32)
        return next_id, state

    prompt_ids = tf.constant(vocab.encode(prompt)[None, :])
    state = tf.zeros((1, 256))
    _, state = step_model([prompt_ids[:, :-1], state], training=False)
    current = prompt_ids[:, -1:]
    one_step(current, state)  # trace once, outside the clock
    start = time.perf_counter()
    for _ in range(GENERATE_CHARS):
        current, state = one_step(current, state)
    return GENERATE_CHARS / (time.perf_counter() - start)


def train_reference(data: char_rnn.EncodedText, seconds: float, prompt: str) -> dict:
    x, y = char_rnn.sequence_windows(data.train, EVAL_LENGTH)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(64, drop_remainder=True)
    model = reference_model(data.vocab.size)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    budget = KerasTimeBudget(seconds)
    start = time.perf_counter()
    model.fit(dataset.repeat(), steps_per_epoch=len(x) // 64, epochs=1000, callbacks=[budget], verbose=0, shuffle=False)
    trained = time.perf_counter() - start
    return {
        "steps": budget.steps,
        "seconds": trained,
        "val_loss": window_loss(model, data.validation),
        "chars_per_second": keras_step_speed(model, data.vocab, prompt),
        "numpy_chars_per_second": generation_speed(char_rnn.StepModel.from_keras(model), data.vocab, prompt),
    }


# ----------------------------------------------------------------------------- the preset as the app runs it


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def as_app(data: char_rnn.EncodedText, name: str, prompt: str) -> None:
    run = PRESETS[name]
    m, t = run.model, run.train
    print(f"{name!r} as the page trains it: {m.cell} {m.units}x{m.layers}, {run.text.sequence_length}-char windows")
    print(f"  {t}")
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    output = char_training.train_char_rnn(data, run, prompt=prompt)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    result = output.result
    for row in result.epochs:
        print(f"  epoch {row.epoch}: loss {row.loss:.3f}, validation loss {row.val_loss:.3f} at {row.elapsed:.1f} s")
    model = output.model
    if run.text.stateful:
        model = char_training.build_char_model(run.model, data.vocab.size, run.text.embedding_dim, seed=None)
        model.set_weights(output.model.get_weights())
    print(f"  [{result.status}] {result.message}")
    print(f"  training {result.seconds:.1f} s ({result.steps} steps); whole run (with samples, validation, surprise):")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s, load {load:.2f} before / {os.getloadavg()[0]:.2f} after")
    print(f"  validation loss, own windows:      {output.val_loss:.3f} nats/char ({output.val_bits:.3f} bits)")
    print(f"  validation loss, 100-char windows: {window_loss(model, data.validation):.3f} nats/char")
    print("  target: validation loss <= 1.9 nats/char within 60 s")
    print(f"  last live sample: {output.samples[-1].text[:160]!r}" if output.samples else "")


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--as-app", action="store_true", help="train the preset as the page does and time it")
    args = parser.parse_args()

    corpus = load_local(SHARED) if SHARED.exists() else load_shakespeare()
    data = char_rnn.encode_text(corpus.text, validation_fraction=0.1)
    prompt = corpus.text[:40]
    run = PRESETS[args.preset]
    print(f"data: {corpus.source.describe()} · {data.characters:,} chars · vocabulary {data.vocab.size}")
    if args.as_app:
        as_app(data, args.preset, prompt)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs · budget {args.seconds:g} s\n")

    ours = train_ours(data, run, args.seconds, prompt)
    m = run.model
    print(
        f"ours ({args.preset}: {m.cell} {m.units}x{m.layers}, {run.text.sequence_length}-char windows, "
        f"batch {run.train.batch_size}, lr {run.train.learning_rate:g}, emb {run.text.embedding_dim})"
    )
    print(f"  {ours['steps']} steps in {ours['seconds']:.0f} s")
    print(
        f"  validation loss, 100-char windows: {ours['val_loss']:.3f} nats/char "
        f"({ours['val_loss'] / char_rnn.LN2:.3f} bits)"
    )
    print(f"  validation loss, own windows:      {ours['own_window_val_loss']:.3f} nats/char")
    print(f"  generation (NumPy step model):     {ours['chars_per_second']:,.0f} chars/s")
    print(f"  last live sample: {ours['sample'][:160]!r}\n")
    if args.skip_reference:
        return
    reference = train_reference(data, args.seconds, prompt)
    print("reference (plain Keras: Embedding 256, GRU 256, 100-char windows, batch 64, Adam 1e-3, model.fit)")
    print(f"  {reference['steps']} steps in {reference['seconds']:.0f} s")
    print(
        f"  validation loss, 100-char windows: {reference['val_loss']:.3f} nats/char "
        f"({reference['val_loss'] / char_rnn.LN2:.3f} bits)"
    )
    print(f"  generation (Keras OneStep, tf.function): {reference['chars_per_second']:,.0f} chars/s")
    print(f"  generation (our NumPy step model on it): {reference['numpy_chars_per_second']:,.0f} chars/s\n")
    verdict = "beats" if ours["val_loss"] < reference["val_loss"] else "does NOT beat"
    print(f"ours {verdict} the reference by {reference['val_loss'] - ours['val_loss']:+.3f} nats/char")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
