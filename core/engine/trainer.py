"""The instrumented trainer: a compiled training step that also measures gradients.

`model.fit` hides the numbers a student wants to see, so this trainer runs its own
loop around one `tf.function` step that, in a single pass, computes the loss, the
gradient, its global L2 norm and the norm per layer, clips it (optionally), applies it,
and hands every number back in one small vector. Nothing is recomputed for the charts.

Training stops cleanly - keeping the weights learned so far - when:
  * the stop signal is set (checked before every batch), or
  * the loss or gradient becomes NaN/inf ("exploding gradients"); that update is skipped
    and the weights roll back to those of the last step whose loss was finite.

It also ends before `config.epochs` when the configuration asks (checked after each epoch):
  * the target metric reached its bar (`target_metric`, `target_value`): the weights are those
    of the epoch that reached it, or
  * early stopping: the validation loss (the training loss without a validation split) has not
    improved for `early_stopping_patience` epochs; with `restore_best` the weights of the best
    epoch come back. The epochs after it stay in the history, and the result's message says
    which epoch's weights the model holds.
Both keep the status "completed"; the message says why training ended early.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from core.engine import keras_state, reuse
from core.engine.config import HIGHER_IS_BETTER, TrainConfig, target_reached

# Records and the callback interface live in core.engine.history (no TensorFlow there); they are
# re-exported here so `from core.engine.trainer import Callback, StopSignal, ...` keeps working.
from core.engine.history import (  # noqa: F401
    BatchRecord,
    Callback,
    EpochRecord,
    RunStopped,
    Status,
    StopSignal,
    TrainingPlan,
    TrainingResult,
    batch_frame,
    check_run_stop,
    epoch_frame,
    first_step_hook,
)
from core.engine.limits import EVAL_BATCH_SIZE, PREDICT_BATCH_SIZE

ArrayLike = np.ndarray | Sequence[np.ndarray]


# ----------------------------------------------------------------------------- metrics


def _weighted_mean(values: tf.Tensor, weight: tf.Tensor | None) -> tf.Tensor:
    values = tf.cast(values, tf.float32)
    if weight is None:
        return tf.reduce_mean(values)
    weight = _broadcast_weight(weight, values)
    return tf.math.divide_no_nan(tf.reduce_sum(values * weight), tf.reduce_sum(weight))


def _broadcast_weight(weight: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
    """Sample weights shaped like `values`: (batch,) weights repeat over every step of (batch, steps) values."""
    weight = tf.cast(weight, tf.float32)
    while weight.shape.rank < values.shape.rank:
        weight = weight[..., None]
    while weight.shape.rank > values.shape.rank:  # (batch, 1) weights for (batch,) values
        weight = tf.squeeze(weight, -1)
    return tf.broadcast_to(weight, tf.shape(values))


def binary_accuracy(y_true, y_pred, weight=None):
    y_true = tf.reshape(tf.cast(y_true, tf.float32), tf.shape(y_pred))
    return _weighted_mean(tf.equal(y_true, tf.cast(y_pred > 0.5, tf.float32)), weight)


def sparse_accuracy(y_true, y_pred, weight=None):
    predicted = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
    y_true = tf.reshape(tf.cast(y_true, tf.int32), tf.shape(predicted))
    return _weighted_mean(tf.equal(y_true, predicted), weight)


def mean_absolute_error(y_true, y_pred, weight=None):
    y_true = tf.reshape(tf.cast(y_true, tf.float32), tf.shape(y_pred))
    return _weighted_mean(tf.abs(y_true - y_pred), weight)


METRICS: dict[str, Callable] = {
    "accuracy": binary_accuracy,
    "sparse_accuracy": sparse_accuracy,
    "mae": mean_absolute_error,
}

LOSSES: dict[str, Callable[[], keras.losses.Loss]] = {
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    "mse": keras.losses.MeanSquaredError,
    "mae": keras.losses.MeanAbsoluteError,
}


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    kinds = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    return kinds[config.optimizer](learning_rate=config.learning_rate)


# ----------------------------------------------------------------------------- helpers


def _as_tuple(data: ArrayLike) -> tuple[np.ndarray, ...]:
    return tuple(data) if isinstance(data, (list, tuple)) else (data,)


def _num_samples(data: ArrayLike) -> int:
    return len(_as_tuple(data)[0])


def _unpack(data: tuple[tf.Tensor, ...]) -> tf.Tensor | tuple[tf.Tensor, ...]:
    return data[0] if len(data) == 1 else data


def dense_gradient(grad: tf.Tensor | tf.IndexedSlices, densify: bool = False) -> tf.Tensor | tf.IndexedSlices:
    """The gradient with one row per variable row: repeated rows of an IndexedSlices are summed.

    An Embedding's gradient arrives as IndexedSlices with one row per token *occurrence*; its norm
    and its clipping must be those of the dense gradient, where a token seen k times has the sum
    of its k rows. Summing them keeps the gradient sparse (a batch touches few of the table's rows).
    `densify` returns a plain tensor instead (for XLA, which cannot compile `tf.unique`).
    """
    if not isinstance(grad, tf.IndexedSlices):
        return grad
    if densify:
        return tf.convert_to_tensor(grad)
    rows, position = tf.unique(grad.indices)
    values = tf.math.unsorted_segment_sum(grad.values, position, tf.shape(rows)[0])
    return tf.IndexedSlices(values, rows, grad.dense_shape)


def clip_by_value(grad: tf.Tensor | tf.IndexedSlices, limit: float) -> tf.Tensor | tf.IndexedSlices:
    """Clamp every entry to [-limit, limit]; rows absent from a (deduplicated) IndexedSlices are 0 already."""
    if isinstance(grad, tf.IndexedSlices):
        return tf.IndexedSlices(tf.clip_by_value(grad.values, -limit, limit), grad.indices, grad.dense_shape)
    return tf.clip_by_value(grad, -limit, limit)


def _unreduced(loss_fn: keras.losses.Loss) -> Callable:
    """The same loss, returning one value per element (padding masks applied) instead of their mean."""
    if isinstance(loss_fn, keras.losses.Loss):
        return keras_state.per_element_loss(loss_fn)
    return loss_fn  # a plain function of (y_true, y_pred) already returns per-sample values


def layer_groups(model: keras.Model) -> list[tuple[str, list[int]]]:
    """Trainable variables grouped by the top-level layer that owns them.

    Returns [(layer name, indices into model.trainable_variables)], in model order.
    """
    position = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups = []
    for layer in model.layers:
        idx = [position[id(v)] for v in layer.trainable_variables if id(v) in position]
        if idx:
            groups.append((layer.name, idx))
    return groups


# ----------------------------------------------------------------------------- stopping early


def _label(name: str) -> str:
    """'val_accuracy' -> 'validation accuracy', 'loss' -> 'training loss', for messages."""
    if name.startswith("val_"):
        return "validation " + name[4:].replace("_", " ")
    return "training " + name.replace("_", " ")


def epoch_value(record: EpochRecord, name: str) -> float:
    """One column of the epoch table (loss, val_loss, accuracy, val_accuracy, ...); NaN when absent."""
    if name == "loss":
        return record.loss
    if name == "val_loss":
        return math.nan if record.val_loss is None else record.val_loss
    if name.startswith("val_"):
        return record.val_metrics.get(name[4:], math.nan)
    return record.metrics.get(name, math.nan)


class EarlyStopping:
    """The end-of-epoch decisions of a TrainConfig: target reached, or no improvement for N epochs.

    `after_epoch(record)` returns the message to end training with, or None to go on; when
    patience runs out and `restore_best` is set it has already put the best epoch's weights back.
    """

    def __init__(self, config: TrainConfig, model: keras.Model, has_validation: bool):
        self.config, self.model = config, model
        self.monitor = "val_loss" if has_validation else "loss"
        self.best, self.best_epoch, self.waited = math.inf, 0, 0
        self._best_weights: list[np.ndarray] | None = None

    def after_epoch(self, record: EpochRecord) -> str | None:
        cfg = self.config
        value = epoch_value(record, cfg.target_metric) if cfg.target_metric else math.nan
        if target_reached(cfg, value):
            sign = "≥" if cfg.target_metric.removeprefix("val_") in HIGHER_IS_BETTER else "≤"
            ended = "so training stopped there" if record.epoch < cfg.epochs else "at the last epoch"
            return (
                f"Reached the target after epoch {record.epoch} of {cfg.epochs}: {_label(cfg.target_metric)} "
                f"{value:.4g} {sign} {cfg.target_value:g}, {ended}."
            )
        if cfg.early_stopping_patience < 1:
            return None
        value = epoch_value(record, self.monitor)
        if value < self.best:
            self.best, self.best_epoch, self.waited = value, record.epoch, 0
            if cfg.restore_best:
                self._best_weights = [np.array(w, copy=True) for w in self.model.get_weights()]
            return None
        self.waited += 1
        if self.waited < cfg.early_stopping_patience:
            return None
        what = _label(self.monitor)
        ended = "Early stopping after" if record.epoch < cfg.epochs else "Training ended with the last"
        message = (
            f"{ended} epoch {record.epoch} of {cfg.epochs}: the {what} has not improved for "
            f"{self.waited} epoch(s) since epoch {self.best_epoch} ({self.best:.4g}). "
        )
        if cfg.restore_best and self._best_weights is not None:
            self.model.set_weights(self._best_weights)
            return message + f"The model holds the weights of epoch {self.best_epoch}; the curves show every epoch."
        return message + f"The model keeps the weights of epoch {record.epoch}, the last one trained."


def _check_target(config: TrainConfig, metric_names: Sequence[str], has_validation: bool) -> None:
    if not config.target_metric:
        return
    names = ["loss", *metric_names]
    known = names + [f"val_{n}" for n in names] if has_validation else names
    if config.target_metric not in known:
        raise ValueError(
            f"The training target {config.target_metric!r} is not measured in this run; "
            f"choose one of {', '.join(known)}."
        )


# ----------------------------------------------------------------------------- trainer


@dataclass
class _Steps:
    """A Trainer's traced steps and the state they close over (kept with a model by core.engine.reuse)."""

    optimizer: keras.optimizers.Optimizer
    last_good: list[tf.Variable]
    optimizer_start: list[np.ndarray]  # the optimiser's variables right after it was built
    train_step: Callable
    eval_step: Callable

    def restart(self, model: keras.Model, learning_rate: float) -> None:
        """As if just traced for `model`'s current weights: a fresh optimiser state, no rollback point yet."""
        for variable, start in zip(self.optimizer.variables, self.optimizer_start, strict=True):
            variable.assign(start)
        self.optimizer.learning_rate = learning_rate
        for saved, variable in zip(self.last_good, model.trainable_variables, strict=True):
            saved.assign(variable)


class Trainer:
    """Trains a Keras model with per-step loss, metrics and gradient norms.

    Example:
        trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=2))
        result = trainer.fit(x_train, y_train, validation=(x_val, y_val))
        result.batch_frame()  # step, loss, accuracy, grad_norm, grad_norm/<layer>, ...
    """

    def __init__(
        self,
        model: keras.Model,
        loss: str | keras.losses.Loss,
        metrics: Sequence[str] = (),
        config: TrainConfig | None = None,
        jit_compile: bool = False,
    ):
        self.model = model
        self.config = (config or TrainConfig()).validate()
        self.loss_fn = LOSSES[loss]() if isinstance(loss, str) else loss
        self._per_element_loss = _unreduced(self.loss_fn)
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise ValueError(f"Unknown metrics: {unknown}; known: {sorted(METRICS)}")
        self.metric_names = tuple(metrics)
        self.optimizer = make_optimizer(self.config)
        self.groups = layer_groups(model)
        self.layer_names = tuple(name for name, _ in self.groups)
        self._jit = jit_compile
        self._train_step = None
        self._eval_step = None

    # -- compiled steps ------------------------------------------------------------------

    def _steps_key(self) -> tuple:
        """Everything a traced step bakes in besides the model: a kept model's steps serve a later
        Trainer only if it is equal. The learning rate is a variable, set again on reuse."""
        loss = self.loss_fn
        config = getattr(loss, "get_config", None)
        # A Keras loss by its class and settings; a plain function as itself (a lambda never matches).
        loss_id = (type(loss).__qualname__, repr(sorted(config().items()))) if config is not None else loss
        cfg = self.config
        settings = (cfg.optimizer, cfg.clip_norm, cfg.clip_value, self._jit)
        return (type(self).__qualname__, loss_id, self.metric_names, *settings)

    def _build_steps(self) -> None:
        """Trace the training and evaluation steps, or reuse those traced for a kept model (core.engine.reuse)."""
        store = reuse.steps_for(self.model)
        key = self._steps_key() if store is not None else None
        steps = store.get(key) if store is not None else None
        if steps is None:
            steps = self._trace_steps()
            if store is not None:
                store[key] = steps
        else:
            steps.restart(self.model, self.config.learning_rate)
        self.optimizer, self._last_good = steps.optimizer, steps.last_good
        self._train_step, self._eval_step = steps.train_step, steps.eval_step

    def _trace_steps(self) -> _Steps:
        model, loss_fn, cfg = self.model, self.loss_fn, self.config
        variables = model.trainable_variables
        self.optimizer.build(variables)
        # The weights before the last finite update: when the next loss is NaN/inf, the
        # weights that produced it are already bad, so training rolls back to these.
        last_good = [tf.Variable(v, trainable=False) for v in variables]
        optimizer_start = [np.array(v.numpy(), copy=True) for v in self.optimizer.variables]
        metric_fns = [METRICS[m] for m in self.metric_names]
        groups = [idx for _, idx in self.groups]
        optimizer = self.optimizer
        jit = self._jit

        per_element = self._per_element_loss

        def forward_loss(x, y, w, training):
            """(predictions, loss, weight of the batch): with sample weights, the weighted mean over
            the weighted elements only (sum(loss * w) / sum(w)), as the metrics do, so padding
            neither dilutes the loss nor shrinks the gradient of a padded batch."""
            pred = model(x, training=training)
            if w is None:
                loss = loss_fn(y, pred)
                total = tf.cast(tf.shape(y)[0], tf.float32)
            else:
                values = tf.cast(per_element(y, pred), tf.float32)
                weight = _broadcast_weight(w, values)
                mask = keras_state.output_mask(model, x, pred)  # a Keras padding mask on the outputs, if any
                if mask is not None and mask.shape.rank == values.shape.rank:
                    weight = weight * tf.cast(mask, tf.float32)
                total = tf.reduce_sum(weight)
                loss = tf.math.divide_no_nan(tf.reduce_sum(values * weight), total)
            if training and model.losses:
                loss = loss + tf.add_n(model.losses)
            return pred, loss, total

        def train_step(data, y, w, idx):
            x = _unpack(tuple(tf.gather(d, idx) for d in data))
            yb = tf.gather(y, idx)
            wb = None if w is None else tf.gather(w, idx)
            with tf.GradientTape() as tape:
                pred, loss, total = forward_loss(x, yb, wb, True)
            # As Keras gives them: an Embedding's gradient has one row per token occurrence.
            keras_grads = [
                tf.zeros_like(v) if g is None else g
                for g, v in zip(tape.gradient(loss, variables), variables, strict=False)
            ]
            # The true gradient (repeated rows summed) is what every norm and every clip is computed on.
            true_grads = [dense_gradient(g, densify=jit) for g in keras_grads]
            raw_norm = tf.linalg.global_norm(true_grads)
            layer_norms = [tf.linalg.global_norm([true_grads[i] for i in g]) for g in groups]
            # The optimiser gets the gradient in the form model.fit hands it (Keras' Adam/RMSprop keep
            # their second moments per occurrence row), so training matches plain Keras step for step;
            # clipping by value changes entries, so it hands over the clipped true gradient instead.
            grads, pre_norm = keras_grads, raw_norm
            if cfg.clip_value is not None:
                grads = [clip_by_value(g, cfg.clip_value) for g in true_grads]
                pre_norm = tf.linalg.global_norm(grads)
            applied = pre_norm
            if cfg.clip_norm is not None:
                grads, _ = tf.clip_by_global_norm(grads, cfg.clip_norm, use_norm=pre_norm)
                applied = tf.minimum(pre_norm, tf.cast(cfg.clip_norm, pre_norm.dtype))
            finite = tf.logical_and(tf.math.is_finite(loss), tf.math.is_finite(raw_norm))

            def apply():
                for saved, v in zip(last_good, variables, strict=True):
                    saved.assign(v)
                optimizer.apply_gradients(zip(grads, variables, strict=False))
                return tf.constant(True)

            tf.cond(finite, apply, lambda: tf.constant(False))
            metric_values = [fn(yb, pred, wb) for fn in metric_fns]
            return tf.stack(
                [tf.cast(loss, tf.float32), raw_norm, applied, tf.cast(finite, tf.float32), total]
                + [tf.cast(m, tf.float32) for m in metric_values]
                + layer_norms
            )

        def eval_step(x, y, w):
            pred, loss, total = forward_loss(x, y, w, False)
            return tf.stack(
                [total, tf.cast(loss, tf.float32)] + [tf.cast(fn(y, pred, w), tf.float32) for fn in metric_fns]
            )

        return _Steps(
            optimizer,
            last_good,
            optimizer_start,
            tf.function(train_step, reduce_retracing=True, jit_compile=self._jit),
            tf.function(eval_step, reduce_retracing=True),
        )

    # -- public API ------------------------------------------------------------------------

    def fit(
        self,
        x: ArrayLike,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        validation: tuple | None = None,
        callbacks: Sequence[Callback] = (),
        stop: StopSignal | None = None,
        on_epoch_begin: Callable[[int], None] | None = None,
    ) -> TrainingResult:
        """Train for `config.epochs` epochs; returns the full history and how it ended."""
        if self._train_step is None:
            self._build_steps()
        cfg = self.config
        n = _num_samples(x)
        if n == 0:
            raise ValueError("No training examples: the training set is empty.")
        if len(y) != n:
            raise ValueError(f"Inputs have {n} examples but targets have {len(y)}.")
        steps_per_epoch = n // cfg.batch_size if cfg.drop_remainder else math.ceil(n / cfg.batch_size)
        if steps_per_epoch == 0:
            raise ValueError(f"Batch size {cfg.batch_size} is larger than the {n} training examples.")
        data = tuple(tf.constant(d) for d in _as_tuple(x))
        y_t = tf.constant(y)
        w_t = None if sample_weight is None else tf.constant(sample_weight, tf.float32)
        plan = TrainingPlan(
            cfg.epochs, steps_per_epoch, n, self.layer_names, self.metric_names, cfg.clip_norm, cfg.clip_value
        )
        for cb in callbacks:
            cb.on_train_begin(plan)

        _check_target(cfg, self.metric_names, validation is not None)
        early = EarlyStopping(cfg, self.model, validation is not None)
        ended_early = ""
        rng = np.random.default_rng(cfg.seed)
        result = TrainingResult(status="completed", message="Training finished.")
        start = time.perf_counter()
        n_metrics = len(self.metric_names)
        step = 0
        for epoch in range(1, cfg.epochs + 1):
            if on_epoch_begin is not None:
                on_epoch_begin(epoch)
            order = rng.permutation(n) if cfg.shuffle else np.arange(n)
            sums = np.zeros(1 + n_metrics)
            seen = 0
            for b in range(steps_per_epoch):
                if stop is not None and stop.requested:
                    result.status, result.message = "stopped", f"{stop.reason} after {step} steps."
                    break
                idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
                out = self._train_step(data, y_t, w_t, tf.constant(idx, tf.int32)).numpy()
                if step == 0 and (hook := first_step_hook()) is not None:
                    hook(self, validation)  # once per fit, not per batch (a rehearsal ends here)
                step += 1
                loss, raw, applied, finite, weight = (float(v) for v in out[:5])
                metrics = dict(zip(self.metric_names, (float(v) for v in out[5 : 5 + n_metrics]), strict=False))
                layer_norms = dict(zip(self.layer_names, (float(v) for v in out[5 + n_metrics :]), strict=False))
                record = BatchRecord(
                    step, epoch, b + 1, loss, metrics, raw, applied, layer_norms, time.perf_counter() - start
                )
                result.batches.append(record)
                for cb in callbacks:
                    cb.on_batch_end(record)
                if not finite:
                    result.status = "diverged"
                    self._restore_last_good()
                    kind = "NaN" if math.isnan(loss + raw) else "infinite"
                    result.message = (
                        f"Exploding gradients: the loss or gradient became {kind} at step {step}. "
                        "Training stopped and the weights were rolled back to the last step with a finite loss. "
                        "Try gradient clipping, a smaller learning rate or an LSTM/GRU cell."
                    )
                    break
                # Batches count by their weight (examples, or weighted steps with sample weights).
                sums += np.array([loss, *metrics.values()]) * weight
                seen += weight
            if seen:
                train_loss, *train_metrics = sums / seen
                val_loss, val_metrics = None, {}
                if validation is not None and result.status == "completed":
                    val = self.evaluate(*validation)
                    val_loss = val.pop("loss")
                    val_metrics = val
                record = EpochRecord(
                    epoch,
                    float(train_loss),
                    dict(zip(self.metric_names, map(float, train_metrics), strict=False)),
                    val_loss,
                    val_metrics,
                    time.perf_counter() - start,
                )
                result.epochs.append(record)
                for cb in callbacks:
                    cb.on_epoch_end(record)
                if result.status == "completed":
                    ended_early = early.after_epoch(record) or ""
            if result.status != "completed" or ended_early:
                break
        result.seconds = time.perf_counter() - start
        if result.status == "completed":
            trained = f"Trained {len(result.epochs)} epoch(s), {step} steps, in {result.seconds:.1f} s."
            result.message = f"{ended_early} {trained}" if ended_early else trained
        for cb in callbacks:
            cb.on_train_end(result)
        return result

    def trace_evaluation(self, validation: tuple | None) -> None:
        """One evaluation batch, so that the evaluation step is traced too."""
        if validation is None:
            return
        x, y, *weight = validation
        n = max(self.config.batch_size, EVAL_BATCH_SIZE)
        w = weight[0][:n] if weight and weight[0] is not None else None
        self.evaluate(_unpack(tuple(d[:n] for d in _as_tuple(x))), y[:n], w)

    def _restore_last_good(self) -> None:
        for saved, v in zip(self._last_good, self.model.trainable_variables, strict=True):
            v.assign(saved)

    def evaluate(
        self, x: ArrayLike, y: np.ndarray, sample_weight: np.ndarray | None = None, batch_size: int | None = None
    ) -> dict[str, float]:
        """Mean loss and metrics over a whole split, in batches, without updating weights."""
        if self._eval_step is None:
            self._build_steps()
        batch_size = batch_size or max(self.config.batch_size, EVAL_BATCH_SIZE)
        xs = _as_tuple(x)
        n = _num_samples(x)
        if n == 0:
            raise ValueError("Cannot evaluate on an empty split.")
        totals, seen = np.zeros(1 + len(self.metric_names)), 0.0
        for start in range(0, n, batch_size):
            check_run_stop()  # a Stop ends the work within one batch, evaluation included
            sl = slice(start, start + batch_size)
            xb = _unpack(tuple(tf.constant(d[sl]) for d in xs))
            wb = None if sample_weight is None else tf.constant(sample_weight[sl], tf.float32)
            weight, *values = self._eval_step(xb, tf.constant(y[sl]), wb).numpy()
            totals += np.array(values) * weight  # weighted like the loss: by examples or weighted steps
            seen += weight
        values = totals / seen if seen > 0 else np.full_like(totals, np.nan)
        return {"loss": float(values[0]), **dict(zip(self.metric_names, map(float, values[1:]), strict=False))}


COMPILE_PREDICT_FROM = 1_024  # examples; fewer run eagerly (tracing a graph costs more than it saves)


def predict(model: keras.Model, x: ArrayLike, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
    """Model outputs for `x`, in batches, inference mode (dropout off).

    From COMPILE_PREDICT_FROM examples on, the forward pass runs as one compiled graph: an eager
    call steps a recurrent layer through time in Python, which on a test split of thousands of
    reviews costs more than training an epoch. The last batch is padded to the full size, so
    the graph is traced once."""
    xs = _as_tuple(x)
    n = _num_samples(x)
    compiled = n >= COMPILE_PREDICT_FROM

    def forward(*batch: tf.Tensor) -> tf.Tensor:
        return model(_unpack(batch), training=False)

    if compiled:
        forward = tf.function(forward)
    outs = []
    for s in range(0, n, batch_size):
        check_run_stop()  # a Stop ends the work within one batch, scoring included
        batch = [d[s : s + batch_size] for d in xs]
        real = len(batch[0])
        if compiled and real < batch_size:
            batch = [np.concatenate([b, np.repeat(b[-1:], batch_size - real, axis=0)]) for b in batch]
        outs.append(np.asarray(forward(*(tf.constant(b) for b in batch)))[:real])
    return np.concatenate(outs) if outs else np.zeros((0,))
