"""The Gradient lab's runs as standalone Keras programs: one model with its gradient through time, the
three cells side by side, and the same model without and with clipping.

Generated tasks only (the adding problem and copy/recall, written out in a few lines); a lab run on
IMDb reviews or stock returns has no script yet (`supported` says so and the page's panel says there is
none). The app's trainer stops when the loss turns NaN/inf and rolls back to the last finite weights: the
script does the same with a small callback; the through-time probe is a callback of a dozen lines.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.codegen.common import SEEDED_BATCHES, Program, Section, optimizer_code, train_settings
from core.data.memory_tasks import MAX_VALUES, RECALL_SYMBOLS
from core.gradients.config import ComparisonConfig, LabConfig, LabRun, cell_runs, clipping_runs

QUICK_EPOCHS, QUICK_TRAIN = 1, 1_000
TEST_SIZE = 1_024  # the app's test set of a generated task
GENERATED = ("adding", "recall")


def quick_lab(config: LabConfig) -> LabConfig:
    """The lab run QUICK_RUN=1 makes of the script's settings (the tests train the app on this one)."""
    source = replace(config.source, train_size=min(config.source.train_size, QUICK_TRAIN))
    return replace(config, source=source, train=replace(config.train, epochs=min(config.train.epochs, QUICK_EPOCHS)))


def quick(config: LabConfig | ComparisonConfig) -> LabConfig | ComparisonConfig:
    if isinstance(config, ComparisonConfig):
        return replace(config, lab=quick_lab(config.lab))
    return quick_lab(config)


def supported(config: LabConfig | ComparisonConfig) -> bool:
    lab = config.lab if isinstance(config, ComparisonConfig) else config
    return lab.source.kind in GENERATED


def runs_of(config: LabConfig | ComparisonConfig) -> list[LabRun]:
    """The runs the page trains for `config`, in its order (one for a single run)."""
    if not isinstance(config, ComparisonConfig):
        return [LabRun(config.model.cell, config.model, config.train, config.source.length)]
    lab = config.lab
    if config.clip_threshold is not None:
        return clipping_runs(lab.model, lab.train, lab.source.length, config.clip_threshold)
    return cell_runs(lab.model, lab.train, config.lengths or (lab.source.length,))


def run_name(run: LabRun) -> str:
    """A run's label as a name in printed lines: "LSTM, T=50" -> "LSTM_T50", "clip norm 1" -> "clip_norm_1"."""
    return re.sub(r"\W+", "_", run.label.replace("T=", "T").replace(".", "p")).strip("_")


ADDING = f'''
def make_data(length, n, seed):
    """The adding problem: each step is (a random number in [0, 1], a marker); two steps are marked, one in
    each half; the answer is the sum of the two marked numbers. Always answering 1 scores MSE 1/6."""
    n = max(64, min(n, {MAX_VALUES} // (length * 2)))  # the playground's memory cap for long T
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length)).astype("float32")
    first = rng.integers(0, length // 2, size=n)
    second = rng.integers(length // 2, length, size=n)
    markers = np.zeros((n, length), dtype="float32")
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    return x, (values[rows, first] + values[rows, second]).astype("float32").reshape(n, 1)
'''

RECALL = f'''
def make_data(length, n, seed, symbols={RECALL_SYMBOLS}):
    """Copy/recall: a stream of random symbols (one-hot), one step marked "remember this", the last step
    says "go"; the answer is the marked symbol. Guessing scores 1/symbols."""
    n = max(64, min(n, {MAX_VALUES} // (length * (symbols + 2))))  # the playground's memory cap for long T
    rng = np.random.default_rng(seed)
    stream = rng.integers(0, symbols, size=(n, length))
    marked = rng.integers(0, length - 1, size=n)
    rows = np.arange(n)
    x = np.zeros((n, length, symbols + 2), dtype="float32")
    x[rows[:, None], np.arange(length)[None, :], stream] = 1.0
    x[rows, marked, symbols] = 1.0  # remember this one
    x[:, -1, :symbols] = 0.0
    x[:, -1, symbols + 1] = 1.0  # go: answer now
    return x, stream[rows, marked].astype("int32")
'''

THROUGH_TIME = '''
class GradientThroughTime(keras.callbacks.Callback):
    """||dL/dx_t|| for every input step t, averaged over a fixed probe batch, before training, every
    `every` steps and at the end: how much of the answer's gradient reaches each step back in time."""

    def __init__(self, x, y, every):
        super().__init__()
        self.x, self.y, self.every, self.snapshots, self.step = tf.constant(x), tf.constant(y), every, [], 0
        self.loss = PROBE_LOSS  # summed, not averaged: each example's own gradient

    def measure(self):
        with tf.GradientTape() as tape:
            tape.watch(self.x)
            loss = self.loss(self.y, self.model(self.x, training=False))
        gradient = tape.gradient(loss, self.x)  # (examples, T, features)
        self.snapshots.append((self.step, np.mean(np.linalg.norm(gradient.numpy(), axis=-1), axis=0)))

    def on_train_begin(self, logs=None):
        self.measure()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            self.measure()

    def on_train_end(self, logs=None):
        if self.snapshots[-1][0] != self.step:
            self.measure()
'''

KEEP_FINITE = '''
class StopWhenNotFinite(keras.callbacks.Callback):
    """The playground stops when the loss turns NaN/inf and keeps the last weights that gave a finite loss.
    (Keras logs the epoch's running mean: it turns NaN/inf at the first bad batch. The playground also stops
    when only the gradient's norm is not finite; this looks at the loss.)"""

    def on_train_begin(self, logs=None):
        self.in_use, self.good, self.diverged_at, self.step = self.model.get_weights(), None, None, 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if np.isfinite(logs["loss"]):
            self.good = self.in_use
            self.in_use = self.model.get_weights()
            return
        self.diverged_at, self.model.stop_training = self.step, True
        if self.good is not None:
            self.model.set_weights(self.good)
'''


DATA = """
# The playground generates every task from seed 0 (the test set from seed 10,000), whatever SEED is.
lengths = sorted({t for _, _, t, _ in RUNS})
data = {t: (make_data(t, TRAIN_SIZE, 0), make_data(t, TEST_SIZE, 10_000)) for t in lengths}
for t, ((x_train, _), (x_test, _)) in data.items():
    print(f"T = {t}: {len(x_train)} training and {len(x_test)} test sequences, {x_train.shape[2]} features a step")
"""
MODEL = """
first_x = data[RUNS[0][2]][0][0]
build_model(RUNS[0][1], RUNS[0][2], first_x.shape[2]).summary()  # the first run's model
"""


def _settings(config: LabConfig | ComparisonConfig) -> str:
    lab = config.lab if isinstance(config, ComparisonConfig) else config
    m, s = lab.model, lab.source
    lines = [
        f'TASK = "{s.kind}"',
        f"LENGTH = {s.length}  # T, the steps the network reads before it answers",
        f"TRAIN_SIZE = {s.train_size}  # generated training sequences",
        f"TEST_SIZE = {TEST_SIZE}",
        f"UNITS = {m.units}",
        f'ACTIVATION = "{m.activation}"',
        f"RECURRENT_SCALE = {m.recurrent_scale!r}  # gain of the orthogonal recurrent initialiser (its spectral "
        "radius)",
        f"LAYERS = {m.layers}",
        train_settings(lab.train),
        f"RECORD_EVERY = {lab.every}  # measure the gradient through time every K training steps",
        f"PROBE_SIZE = {lab.probe_size}  # ... on the first PROBE_SIZE test sequences",
        f'LOSS = "{"mse" if s.kind == "adding" else "sparse_categorical_crossentropy"}"',
        f"PROBE_LOSS = keras.losses.{'MeanSquaredError' if s.kind == 'adding' else 'SparseCategoricalCrossentropy'}"
        '(reduction="sum")',
    ]
    return "\n".join(lines)


def _runs_literal(runs: list[LabRun], clip_norm: float | None) -> str:
    rows = []
    for run in runs:
        clip = "None" if run.train.clip_norm is None else repr(run.train.clip_norm)
        clip = "CLIP_NORM" if clip_norm is not None and run.train.clip_norm == clip_norm else clip
        rows.append(f'    ("{run_name(run)}", "{run.model.cell}", {run.length}, {clip}),')
    return "# (name, cell, T, clip norm) of every run, one after another from the same seed\nRUNS = [\n" + "\n".join(
        rows
    ) + "\n]"


def _model_code(adding: bool) -> str:
    output = 'layers.Dense(1, name="output")'
    if not adding:
        output = 'layers.Dense(SYMBOLS, activation="softmax", name="output")'
    return f'''
def build_model(cell, length, features):
    """Input -> LAYERS recurrent layers (orthogonal recurrent weights scaled by RECURRENT_SCALE) -> the answer."""
    keras.utils.set_random_seed(SEED)  # the same initial weights as the playground's run
    inputs = keras.Input(shape=(length, features), name="inputs")
    x = inputs
    for i in range(1, LAYERS + 1):
        x = getattr(layers, cell)(
            UNITS,
            activation=ACTIVATION,
            recurrent_initializer=keras.initializers.Orthogonal(gain=RECURRENT_SCALE, seed=SEED + i),
            return_sequences=i < LAYERS,
            name=f"rnn_{{i}}",
        )(x)
    outputs = {output}(x)
    return keras.Model(inputs, outputs, name=f"gradient_lab_{{cell.lower()}}")
'''


def program(config: LabConfig | ComparisonConfig) -> Program:
    lab = config.lab if isinstance(config, ComparisonConfig) else config
    adding = lab.source.kind == "adding"
    runs = runs_of(config)
    single = not isinstance(config, ComparisonConfig)
    metric = "test_mse" if adding else "test_accuracy"
    # One optimiser line per run: with or without clipping by global norm (Keras' global_clipnorm).
    optimizer, _ = optimizer_code(replace(lab.train, clip_norm=None, clip_value=None))
    optimizer = optimizer.replace("learning_rate=LEARNING_RATE)", "learning_rate=LEARNING_RATE, global_clipnorm=clip)")
    metric_line = (
        "metrics = [keras.metrics.MeanAbsoluteError(name=\"mae\")]"
        if adding
        else "metrics = [keras.metrics.SparseCategoricalAccuracy(name=\"accuracy\")]"
    )
    train = f"""
results = {{}}
for name, cell, t, clip in RUNS:
    (x_train, y_train), (x_test, y_test) = data[t]
    model = build_model(cell, t, x_train.shape[2])
    {optimizer}
    {metric_line}
    model.compile(optimizer=optimizer, loss=LOSS, metrics=metrics)
    probe = GradientThroughTime(x_test[:PROBE_SIZE], y_test[:PROBE_SIZE], RECORD_EVERY)
    finite = StopWhenNotFinite()
    batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS)
    print(f"--- {{name}}: {{cell}}, T = {{t}}, clip norm {{clip}}")
    model.fit(batches, epochs=EPOCHS, callbacks=[batches.follow_epochs, finite, probe], shuffle=False, verbose=2)
    if finite.diverged_at:
        print(f"{{name}}: the loss became NaN/inf at step {{finite.diverged_at}}; kept the last finite weights")
    results[name] = (model, probe, x_test, y_test)
"""
    score = "loss" if adding else "accuracy"
    evaluate = f"""
for name, (model, probe, x_test, y_test) in results.items():
    values = model.evaluate(x_test, y_test, batch_size=max(BATCH_SIZE, 256), verbose=0, return_dict=True)
    (_, first), (_, last) = probe.snapshots[0], probe.snapshots[-1]
    print(f"{{name}}: gradient reaching step 1 / step T: {{first[0] / first[-1]:.1e}} untrained, "
          f"{{last[0] / last[-1]:.1e}} trained")
    suffix = "" if len(results) == 1 else f"_{{name}}"
    print(f"parameters{{suffix}}: {{model.count_params()}}")
    print(f"{metric}{{suffix}}: {{values[{score!r}]:.4f}}")
"""
    helpers = [SEEDED_BATCHES, ADDING if adding else RECALL, _model_code(adding), THROUGH_TIME, KEEP_FINITE]
    symbols = "" if adding else f"\nSYMBOLS = {RECALL_SYMBOLS}"
    settings = _settings(config) + symbols + "\n" + _runs_literal(runs, lab.train.clip_norm)
    if single:
        kind, what = "one", f"a {lab.model.cell}"
    elif isinstance(config, ComparisonConfig) and config.clip_threshold is not None:
        kind, what = "clipping", f"a {lab.model.cell} without and with clipping by global norm"
    else:
        kind, what = "cells", "SimpleRNN, LSTM and GRU side by side"
    task = "the adding problem" if adding else "copy/recall"
    return Program(
        name=f"gradient_lab_{lab.source.kind}_{kind if not single else lab.model.cell.lower()}",
        summary=f"Gradient lab, {task}: {what} reads T steps and answers at the end; the script measures how much "
        "of the answer's gradient reaches each step back in time.",
        imports=("import os", "", "import keras", "import numpy as np", "from keras import layers"),
        settings=settings,
        quick=f"EPOCHS = min(EPOCHS, {QUICK_EPOCHS})\nTRAIN_SIZE = min(TRAIN_SIZE, {QUICK_TRAIN})",
        quick_words=f"at most {QUICK_EPOCHS} epoch and {QUICK_TRAIN:,} training sequences",
        local_words="",
        helpers="\n\n\n".join(h.strip() for h in helpers),
        sections=(
            Section("Data", f"{task.capitalize()}, generated from a seed (no download).", DATA),
            Section("Model", "Every run builds its model with build_model (above); here the first one.", MODEL),
            Section("Train", "Each run from the same seed and batches; the probe measures the gradient through time.",
                    train),
            Section("Evaluate", "Test score of every run, and how much gradient reached step 1.", evaluate),
        ),
        metric=metric,
        notes=(
            "Left out: the playground also charts every layer's gradient norm at every step and draws the "
            "gradient-through-time snapshots as a heatmap; here they are in probe.snapshots "
            "(training step, norm per time step) for you to plot.",
            *(() if lab.model.recurrent_scale <= 1 else (
                "With a recurrent scale above 1 the training can be chaotic: the same seed and batches, rounded "
                "a little differently, can end at clearly different scores (the blow-up step stays the same).",
            )),
        ),
    )
