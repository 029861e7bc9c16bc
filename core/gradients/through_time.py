"""Gradients through time: how much of the loss's gradient reaches each input step.

Backpropagation through time multiplies one Jacobian per step on the way back,
dL/dx_t = dL/dh_T · (dh_T/dh_(T-1)) ··· (dh_(t+1)/dh_t) · dh_t/dx_t, so the gradient
that reaches step t shrinks (vanishes) or grows (explodes) roughly geometrically in
T - t. This module measures it: the L2 norm of dL/dx_t per time step, averaged over a
fixed probe batch, recorded every K training steps by a trainer Callback, and it builds
the models and runs the Gradient lab page trains. Its configuration, presets and outcomes
live in core.gradients.config (TensorFlow-free); its tables and diagram in core.gradients.charts.

For token inputs x_t is the embedding vector of token t (ids have no gradient).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers

from core.data.memory_tasks import SequenceTask, trivial_score
from core.engine import reuse
from core.engine.cells import rnn_layer
from core.engine.charts import RunStart
from core.engine.config import ConfigError, InputSpec, OutputSpec, TrainConfig, validate_all
from core.engine.keras_state import set_random_seed
from core.engine.trainer import (
    LOSSES,
    BatchRecord,
    Callback,
    EpochRecord,
    StopSignal,
    Trainer,
    TrainingPlan,
    TrainingResult,
)
from core.gradients.charts import snapshots_frame
from core.gradients.config import LabModel, LabRun
from core.gradients.lab import RecordedGradients, Snapshot

LossLike = str | Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


@reuse.reusable()
def build_lab_model(config: LabModel, spec: InputSpec, output: OutputSpec, seed: int = 0) -> keras.Model:
    """Input (or embedding) -> `layers` recurrent layers -> dense read-out of the last state.

    Layer names follow core.engine.models ("embedding", "rnn_1", "output"), so the shared
    gradient charts label them the same way.
    """
    problems = config.problems() + validate_all(spec, output)
    if problems:
        raise ConfigError(problems)
    set_random_seed(seed)
    rnn_class = rnn_layer(config.cell)
    if spec.vocab_size is not None:
        inputs = keras.Input(shape=(spec.length,), dtype="int32", name="tokens")
        x = layers.Embedding(spec.vocab_size, spec.embedding_dim, name="embedding")(inputs)
    else:
        inputs = keras.Input(shape=(spec.length, spec.features), name="inputs")
        x = inputs
    for i in range(1, config.layers + 1):
        x = rnn_class(
            config.units,
            activation=config.activation,
            recurrent_initializer=keras.initializers.Orthogonal(gain=config.recurrent_scale, seed=seed + i),
            return_sequences=i < config.layers,
            name=f"rnn_{i}",
        )(x)
    outputs = layers.Dense(output.size, activation=output.activation, name="output")(x)
    return keras.Model(inputs, outputs, name=f"gradient_lab_{config.cell.lower()}")


def recurrent_spectral_radius(model: keras.Model, layer_name: str = "rnn_1") -> float:
    """Largest |eigenvalue| of the first layer's recurrent matrix U (the biggest gate block
    for LSTM/GRU, whose U stacks one square block per gate)."""
    layer = model.get_layer(layer_name)
    kernel = np.asarray(layer.cell.recurrent_kernel)
    units = kernel.shape[0]
    blocks = [kernel[:, i : i + units] for i in range(0, kernel.shape[1], units)]
    return float(max(np.max(np.abs(np.linalg.eigvals(b))) for b in blocks))


# ----------------------------------------------------------------------------- measuring


def split_at_sequence(model: keras.Model) -> tuple[Callable[[tf.Tensor], tf.Tensor], keras.Model]:
    """(to_sequence, tail): to_sequence(x) is the float sequence x_1..x_T the recurrent
    layers read (the embedding output for token ids), tail(sequence) is the model output."""
    names = [layer.name for layer in model.layers]
    if "embedding" in names:
        embedding = model.get_layer("embedding")
        return embedding, keras.Model(embedding.output, model.output, name=f"{model.name}_after_embedding")
    return (lambda x: x), model


def _summed_loss(loss: LossLike) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """The loss summed (not averaged) over examples, so each example's gradient is that of
    its own loss and does not depend on the probe batch size."""
    if isinstance(loss, str):
        return LOSSES[loss](reduction="sum")
    return loss


class GradientProbe:
    """Per-step gradient norms ||dL/dx_t|| on one fixed batch, as a compiled function.

    Returns an array of T values: the norm over features of the gradient of each example's
    loss with respect to its input at step t, averaged over the probe examples.
    """

    def __init__(self, model: keras.Model, x: np.ndarray, y: np.ndarray, loss: LossLike):
        self.to_sequence, self.tail = split_at_sequence(model)
        self.x = tf.constant(x)
        self.y = tf.constant(y)
        self.loss = _summed_loss(loss)
        self._compiled = tf.function(self._norms)

    def _norms(self) -> tf.Tensor:
        sequence = tf.cast(self.to_sequence(self.x), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(sequence)
            prediction = self.tail(sequence, training=False)
            loss = self.loss(self.y, prediction)
        gradient = tape.gradient(loss, sequence)  # (n, T, features)
        return tf.reduce_mean(tf.norm(gradient, axis=-1), axis=0)

    def __call__(self) -> np.ndarray:
        return self._compiled().numpy().astype(np.float64)


def gradient_through_time(model: keras.Model, x: np.ndarray, y: np.ndarray, loss: LossLike) -> np.ndarray:
    """||dL/dx_t|| for t = 1..T, averaged over the examples of (x, y)."""
    probe = GradientProbe(model, x, y, loss)
    return probe._norms().numpy().astype(np.float64)


# ----------------------------------------------------------------------------- recording


class GradientTimeRecorder(Callback):
    """Trainer callback: gradient-through-time of a probe batch every `every` steps.

    Records once before training (step 0, the initialisation) and once after the last
    step. Closes over the model, so it sees the weights the optimiser has just updated.
    Thread-safe: the UI reads `frame()` while the training thread appends.
    """

    def __init__(self, model: keras.Model, x: np.ndarray, y: np.ndarray, loss: LossLike, every: int = 25):
        if every < 1:
            raise ValueError("Record every K steps needs K >= 1.")
        self.probe = GradientProbe(model, x, y, loss)
        self.every = every
        self._lock = threading.Lock()
        self._snapshots: list[Snapshot] = []
        self.seconds = 0.0  # time spent probing, to report the overhead

    def record(self, training_step: int) -> None:
        start = time.perf_counter()
        norms = self.probe()
        self.seconds += time.perf_counter() - start
        with self._lock:
            if self._snapshots and self._snapshots[-1].training_step == training_step:
                return
            self._snapshots.append(Snapshot(training_step, norms))

    def on_train_begin(self, plan: TrainingPlan) -> None:
        if not self._snapshots:
            self.record(0)

    def on_batch_end(self, record: BatchRecord) -> None:
        if record.step % self.every == 0:
            self.record(record.step)

    def on_train_end(self, result: TrainingResult) -> None:
        self.record(result.steps)

    @property
    def snapshots(self) -> list[Snapshot]:
        with self._lock:
            return list(self._snapshots)

    def __reduce__(self) -> tuple:
        """Pickled (to leave a worker process) as its recorded snapshots only (core.gradients.lab's
        RecordedGradients: no probe, no lock, and nothing that makes the server import TensorFlow)."""
        with self._lock:
            return RecordedGradients.of, (self.every, self.seconds, list(self._snapshots))

    def initial(self) -> Snapshot | None:
        snaps = self.snapshots
        return snaps[0] if snaps else None

    def latest(self) -> Snapshot | None:
        snaps = self.snapshots
        return snaps[-1] if snaps else None

    def frame(self) -> pd.DataFrame:
        """Long table: training_step, time_step (1-based), norm."""
        return snapshots_frame(self.snapshots)


# ----------------------------------------------------------------------------- training runs


class KeepLastGoodWeights(Callback):
    """On divergence, put back the last weights whose own step had a finite loss.

    The trainer skips the update of the step that went NaN/inf, but the weights it keeps
    are the ones that *produced* that NaN (the previous update blew them up). For a test
    score that means something, roll back one step further: to the weights that were
    last seen giving a finite loss and gradient.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self._in_use: list[np.ndarray] | None = None  # the weights the next step will use
        self._good: list[np.ndarray] | None = None
        self._good_step = 0
        self.restored_step: int | None = None

    def on_train_begin(self, plan: TrainingPlan) -> None:
        self._in_use = self.model.get_weights()

    def on_batch_end(self, record: BatchRecord) -> None:
        if math.isfinite(record.loss) and math.isfinite(record.grad_norm):
            self._good = self._in_use
            self._good_step = record.step - 1
        self._in_use = self.model.get_weights()

    def on_train_end(self, result: TrainingResult) -> None:
        if result.status == "diverged" and self._good is not None:
            self.model.set_weights(self._good)
            self.restored_step = self._good_step


@dataclass
class RunOutcome:
    label: str
    model_config: LabModel
    train: TrainConfig
    length: int
    result: TrainingResult
    recorder: GradientTimeRecorder
    test_score: float
    baseline: float
    spectral_radius: float
    model: keras.Model = field(repr=False)
    # After a divergence: the weights kept are those after this many steps (the last good ones).
    restored_step: int | None = None
    # The same model's test score before its first step: what training is judged against.
    initial_score: float = float("nan")


def probe_batch(task: SequenceTask, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The first `size` test examples: fixed, so every snapshot measures the same thing."""
    size = min(size, len(task.y_test))
    return task.x_test[:size], task.y_test[:size]


def test_score(trainer: Trainer, task: SequenceTask) -> float:
    values = trainer.evaluate(task.x_test, task.y_test)
    return values[task.metric] if task.score.name == "accuracy" else values["loss"]


def train_and_probe(
    task: SequenceTask,
    model_config: LabModel,
    train: TrainConfig,
    callbacks: Sequence[Callback] = (),
    stop: StopSignal | None = None,
    every: int = 25,
    probe_size: int = 32,
    label: str = "",
    on_ready: Callable[[GradientTimeRecorder], None] | None = None,
) -> RunOutcome:
    """Build the lab model for `task`, train it while recording gradients through time,
    then score it on the test split. `on_ready(recorder)` lets a UI read it live."""
    model = build_lab_model(model_config, task.spec, task.output, seed=train.seed)
    recorder = GradientTimeRecorder(model, *probe_batch(task, probe_size), task.loss, every=every)
    if on_ready is not None:
        on_ready(recorder)
    trainer = Trainer(model, task.loss, [task.metric], train)
    initial = test_score(trainer, task)
    keeper = KeepLastGoodWeights(model)
    result = trainer.fit(task.x_train, task.y_train, callbacks=[keeper, recorder, *callbacks], stop=stop)
    score = test_score(trainer, task)
    return RunOutcome(
        label or model_config.cell,
        model_config,
        train,
        task.length,
        result,
        recorder,
        score,
        trivial_score(task),  # the trivial guess scored on this very test set
        recurrent_spectral_radius(model),
        model,
        keeper.restored_step,
        initial,
    )


class SequentialProgress(Callback):
    """Forwards several consecutive runs to one progress callback as if they were one,
    shifting step and epoch numbers so the shared panel's curves and ETA stay sensible."""

    def __init__(self, target: Callback, total_epochs: int, total_steps: int):
        self.target = target
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self.step_offset = 0
        self.epoch_offset = 0
        self._started = False
        self._last_step = 0
        self._last_epoch = 0

    def on_train_begin(self, plan: TrainingPlan) -> None:
        if not self._started:
            per_epoch = max(1, math.ceil(self.total_steps / max(1, self.total_epochs)))
            self.target.on_train_begin(replace(plan, epochs=self.total_epochs, steps_per_epoch=per_epoch))
            self._started = True

    def on_batch_end(self, record: BatchRecord) -> None:
        self._last_step, self._last_epoch = record.step, record.epoch
        self.target.on_batch_end(
            replace(record, step=record.step + self.step_offset, epoch=record.epoch + self.epoch_offset)
        )

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.target.on_epoch_end(replace(record, epoch=record.epoch + self.epoch_offset))

    def on_train_end(self, result: TrainingResult) -> None:
        self.step_offset += self._last_step
        self.epoch_offset += self._last_epoch
        self._last_step = self._last_epoch = 0


def steps_for(task: SequenceTask, train: TrainConfig) -> int:
    n = len(task.y_train)
    per_epoch = n // train.batch_size if train.drop_remainder else math.ceil(n / train.batch_size)
    return per_epoch * train.epochs


def combined_result(outcomes: Sequence[RunOutcome], stopped: bool) -> TrainingResult:
    """One TrainingResult for the shared panel: all batches in order, a status and a summary."""
    batches, epochs, offset_step, offset_epoch = [], [], 0, 0
    for o in outcomes:
        batches += [replace(b, step=b.step + offset_step, epoch=b.epoch + offset_epoch) for b in o.result.batches]
        epochs += [replace(e, epoch=e.epoch + offset_epoch) for e in o.result.epochs]
        offset_step += o.result.steps
        offset_epoch += len(o.result.epochs)
    diverged = [o.label for o in outcomes if o.result.status == "diverged"]
    summary = "; ".join(
        f"{o.label}: " + ("diverged" if o.result.status == "diverged" else f"{o.test_score:.3g}") for o in outcomes
    )
    seconds = sum(o.result.seconds for o in outcomes)
    if stopped:
        status, message = "stopped", f"Stopped by the user after {len(outcomes)} run(s). {summary}."
    elif diverged:
        status = "diverged"
        which = ", ".join(f"'{label}'" for label in diverged)
        runs = "run" if len(diverged) == 1 else "runs"
        message = (
            f"Trained {len(outcomes)} runs in {seconds:.0f} s; the {runs} {which} stopped early because its loss "
            f"or gradient became NaN/inf (the last finite weights are kept). Test scores - {summary}."
        )
    else:
        status, message = "completed", f"Trained {len(outcomes)} runs in {seconds:.0f} s. Test scores - {summary}."
    return TrainingResult(status, message, batches, epochs, seconds)


def train_runs(
    runs: Sequence[LabRun],
    task_for: Callable[[int], SequenceTask],
    progress: Callback,
    stop: StopSignal,
    every: int = 25,
    probe_size: int = 32,
    on_run: Callable[[LabRun, GradientTimeRecorder], None] | None = None,
    set_phase: Callable[[str], None] | None = None,
    on_starts: Callable[[list[RunStart]], None] | None = None,
) -> list[RunOutcome]:
    """Train several runs one after another on the same data and seed.

    `task_for(T)` returns the data for sequence length T (callers cache it, so runs at the
    same T share one data set). Stops early, keeping finished runs, when `stop` is set.
    `on_starts(starts)` hears, as each run begins, where every run so far starts in the shared
    progress (core.engine.charts.RunStart), so the panel's charts can overlay the runs from 0.
    """
    tasks = {run.length: task_for(run.length) for run in runs}
    forward = SequentialProgress(
        progress,
        total_epochs=sum(run.train.epochs for run in runs),
        total_steps=sum(steps_for(tasks[run.length], run.train) for run in runs),
    )
    outcomes: list[RunOutcome] = []
    starts: list[RunStart] = []
    for i, run in enumerate(runs, start=1):
        if stop.requested:
            break
        starts.append(RunStart(run.label, forward.step_offset, forward.epoch_offset))
        if on_starts is not None:
            on_starts(list(starts))
        if set_phase is not None:
            set_phase(f"Run {i}/{len(runs)}: {run.label}, T = {run.length}")
        outcome = train_and_probe(
            tasks[run.length],
            run.model,
            run.train,
            callbacks=[forward],
            stop=stop,
            every=every,
            probe_size=probe_size,
            label=run.label,
            on_ready=(lambda rec, run=run: on_run(run, rec)) if on_run else None,
        )
        outcomes.append(outcome)
    return outcomes
