"""The instrumented trainer: learning, gradient norms, clipping, stop and NaN handling."""

import numpy as np
import pytest

from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.engine.trainer import Callback, EarlyStopping, EpochRecord, StopSignal, Trainer, layer_groups


def sum_sign_task(n=512, length=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, length, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    return x, y


def small_model(cell="GRU", units=8, **kw):
    return build_model(ModelConfig(cell=cell, units=units, **kw), InputSpec(length=12, features=1), OutputSpec())


def test_loss_falls_on_a_tiny_problem():
    x, y = sum_sign_task()
    trainer = Trainer(
        small_model(), "binary_crossentropy", ["accuracy"], TrainConfig(epochs=6, batch_size=32, learning_rate=1e-2)
    )
    result = trainer.fit(x, y, validation=(x[:128], y[:128]))
    epochs = result.epoch_frame()
    assert result.status == "completed"
    assert epochs["loss"].iloc[-1] < 0.7 * epochs["loss"].iloc[0]
    assert epochs["val_accuracy"].iloc[-1] > 0.8
    assert len(result.batches) == 6 * 16


def test_gradient_norm_recorded_for_every_trainable_layer():
    x, y = sum_sign_task(64)
    model = build_model(ModelConfig(units=4, layers=2), InputSpec(length=12, vocab_size=None), OutputSpec())
    trainer = Trainer(model, "binary_crossentropy", [], TrainConfig(epochs=1, batch_size=16))
    frame = trainer.fit(x, y).batch_frame()
    trainable = [layer.name for layer in model.layers if layer.trainable_weights]
    assert trainable == ["rnn_1", "rnn_2", "output"]
    for name in trainable:
        assert (frame[f"grad_norm/{name}"] > 0).all()
    # per-layer norms combine to the global norm
    combined = np.sqrt(sum(frame[f"grad_norm/{n}"] ** 2 for n in trainable))
    np.testing.assert_allclose(combined, frame["grad_norm"], rtol=1e-4)


def test_layer_groups_cover_every_variable_once():
    model = small_model(bidirectional=True)
    indices = sorted(i for _, group in layer_groups(model) for i in group)
    assert indices == list(range(len(model.trainable_variables)))


def test_clip_norm_bounds_the_applied_norm():
    x, y = sum_sign_task(128)
    x *= 50  # large inputs -> large gradients
    trainer = Trainer(
        small_model("SimpleRNN"), "binary_crossentropy", [], TrainConfig(epochs=1, batch_size=16, clip_norm=0.1)
    )
    frame = trainer.fit(x, y).batch_frame()
    assert (frame["grad_norm"] > 0.1).any()
    assert (frame["applied_norm"] <= 0.1 + 1e-5).all()


def test_clip_value_bounds_every_entry():
    x, y = sum_sign_task(64)
    x *= 50
    trainer = Trainer(
        small_model("SimpleRNN"), "binary_crossentropy", [], TrainConfig(epochs=1, batch_size=16, clip_value=1e-3)
    )
    frame = trainer.fit(x, y).batch_frame()
    n_params = sum(int(np.prod(v.shape)) for v in trainer.model.trainable_variables)
    assert (frame["applied_norm"] <= 1e-3 * np.sqrt(n_params) + 1e-6).all()


class StopAfter(Callback):
    def __init__(self, signal, steps):
        self.signal, self.steps = signal, steps

    def on_batch_end(self, record):
        if record.step == self.steps:
            self.signal.request()


def test_stop_is_honoured_within_one_batch_and_keeps_weights():
    x, y = sum_sign_task(512)
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    stop = StopSignal()
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=5, batch_size=16))
    result = trainer.fit(x, y, callbacks=[StopAfter(stop, 3)], stop=stop)
    assert result.status == "stopped"
    assert len(result.batches) == 3
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_nan_loss_is_reported_as_exploding_gradients():
    x, y = sum_sign_task(64)
    x[5:] = np.nan  # the first batch is finite, the second poisons the loss
    model = small_model()
    trainer = Trainer(model, "binary_crossentropy", [], TrainConfig(epochs=2, batch_size=4, shuffle=False))
    result = trainer.fit(x, y)
    assert result.status == "diverged"
    assert "Exploding gradients" in result.message
    assert len(result.batches) == 2
    assert all(np.isfinite(w).all() for w in model.get_weights())  # the bad update was skipped


def test_tuple_inputs_and_sample_weights():
    import keras

    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], keras.layers.Dense(1, name="output")(keras.layers.Concatenate()([a, b])))
    rng = np.random.default_rng(0)
    xa, xb = rng.random((40, 3), dtype=np.float32), rng.random((40, 3), dtype=np.float32)
    y = (xa.sum(1) - xb.sum(1)).astype("float32")[:, None]
    weight = np.ones(40, dtype="float32")
    trainer = Trainer(model, "mse", ["mae"], TrainConfig(epochs=3, batch_size=8, learning_rate=0.05))
    result = trainer.fit((xa, xb), y, sample_weight=weight, validation=((xa, xb), y, weight))
    assert result.epoch_frame()["val_loss"].iloc[-1] < result.epoch_frame()["val_loss"].iloc[0]


def test_empty_and_mismatched_data_raise_clear_errors():
    trainer = Trainer(small_model(), "binary_crossentropy", [], TrainConfig(epochs=1))
    with pytest.raises(ValueError, match="empty"):
        trainer.fit(np.zeros((0, 12, 1), "float32"), np.zeros(0, "float32"))
    with pytest.raises(ValueError, match="targets"):
        trainer.fit(np.zeros((4, 12, 1), "float32"), np.zeros(3, "float32"))


class WeightLog(Callback):
    def __init__(self, model):
        self.model, self.after_step = model, {0: [w.copy() for w in model.get_weights()]}

    def on_batch_end(self, record):
        self.after_step[record.step] = [w.copy() for w in self.model.get_weights()]


def test_divergence_rolls_back_to_weights_with_a_finite_loss():
    """SGD with a huge step blows the weights up: the update that makes the *next* loss
    non-finite was itself finite, so the trainer must roll back past it."""
    x, y = sum_sign_task(256)
    x *= 20
    model = build_model(ModelConfig(cell="SimpleRNN", units=16), InputSpec(length=12), OutputSpec(activation="linear"))
    target = (y[:, None] + 1) * 1e15
    log = WeightLog(model)
    trainer = Trainer(model, "mse", [], TrainConfig(epochs=20, batch_size=16, learning_rate=1.0, optimizer="sgd"))
    result = trainer.fit(x, target, callbacks=[log])
    n = len(result.batches)
    assert result.status == "diverged" and n > 1
    # step n's loss was non-finite with the weights after step n-1, so those are dropped too:
    # the model holds the weights from after step n-2, the last ones whose loss was finite
    for kept, expected in zip(model.get_weights(), log.after_step[n - 2], strict=True):
        np.testing.assert_array_equal(kept, expected)


# ----------------------------------------------------------------------------- stopping early


class ScriptedValidation(Trainer):
    """A trainer whose validation loss (and accuracy) per epoch is scripted, to test the stopping rules."""

    def __init__(self, model, config, val_losses, val_accuracies=None):
        super().__init__(model, "binary_crossentropy", ["accuracy"], config)
        self.val_losses = list(val_losses)
        self.val_accuracies = list(val_accuracies or [0.5] * len(self.val_losses))
        self.weights_at_epoch_end = {}

    def evaluate(self, x, y, sample_weight=None, batch_size=None):
        epoch = len(self.weights_at_epoch_end) + 1
        self.weights_at_epoch_end[epoch] = [w.copy() for w in self.model.get_weights()]
        return {"loss": self.val_losses[epoch - 1], "accuracy": self.val_accuracies[epoch - 1]}


def test_early_stopping_restores_the_best_epoch_and_says_so():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=8, batch_size=16, early_stopping_patience=2)
    trainer = ScriptedValidation(small_model(), config, [0.6, 0.5, 0.55, 0.52, 0.4, 0.3, 0.2, 0.1])
    result = trainer.fit(x, y, validation=(x, y))
    assert result.status == "completed"
    assert [e.epoch for e in result.epochs] == [1, 2, 3, 4]  # epochs 3 and 4 did not beat epoch 2
    assert len(result.batches) == 4 * 4  # the history keeps the epochs after the best one
    assert "Early stopping after epoch 4 of 8" in result.message
    assert "weights of epoch 2" in result.message and "Trained 4 epoch(s)" in result.message
    for kept, best in zip(trainer.model.get_weights(), trainer.weights_at_epoch_end[2], strict=True):
        np.testing.assert_array_equal(kept, best)


def test_early_stopping_without_restoring_keeps_the_last_weights():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=8, batch_size=16, early_stopping_patience=1, restore_best=False)
    trainer = ScriptedValidation(small_model(), config, [0.5, 0.6, 0.4])
    result = trainer.fit(x, y, validation=(x, y))
    assert len(result.epochs) == 2
    assert "weights of epoch 2, the last one trained" in result.message
    for kept, last in zip(trainer.model.get_weights(), trainer.weights_at_epoch_end[2], strict=True):
        np.testing.assert_array_equal(kept, last)


def test_early_stopping_watches_the_training_loss_without_validation():
    model = small_model()
    rule = EarlyStopping(TrainConfig(epochs=9, early_stopping_patience=2), model, has_validation=False)
    losses = [0.6, 0.4, 0.45, 0.41, 0.3]
    records = [EpochRecord(i, loss, {}, None, {}, float(i)) for i, loss in enumerate(losses, start=1)]
    decisions = [rule.after_epoch(record) for record in records[:4]]
    assert decisions[:3] == [None, None, None]
    assert "training loss has not improved for 2 epoch(s) since epoch 2 (0.4)" in decisions[3]


def test_target_stops_at_the_first_epoch_that_reaches_it():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=6, batch_size=16, target_metric="val_accuracy", target_value=0.85)
    trainer = ScriptedValidation(small_model(), config, [0.6] * 6, [0.7, 0.8, 0.86, 0.9, 0.95, 0.99])
    result = trainer.fit(x, y, validation=(x, y))
    assert len(result.epochs) == 3
    assert "Reached the target after epoch 3 of 6: validation accuracy 0.86 ≥ 0.85" in result.message
    for kept, last in zip(trainer.model.get_weights(), trainer.weights_at_epoch_end[3], strict=True):
        np.testing.assert_array_equal(kept, last)  # no rollback: the weights that reached it


def test_loss_targets_are_reached_from_above():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=5, batch_size=16, target_metric="val_loss", target_value=0.5)
    result = ScriptedValidation(small_model(), config, [0.9, 0.7, 0.5, 0.3, 0.2]).fit(x, y, validation=(x, y))
    assert len(result.epochs) == 3 and "validation loss 0.5 ≤ 0.5" in result.message


def test_without_stopping_rules_every_epoch_runs():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=4, batch_size=16)
    result = ScriptedValidation(small_model(), config, [0.1, 0.9, 0.9, 0.9]).fit(x, y, validation=(x, y))
    assert len(result.epochs) == 4 and result.message.startswith("Trained 4 epoch(s)")


def test_unknown_or_half_set_targets_are_clear_errors():
    x, y = sum_sign_task(64)
    config = TrainConfig(epochs=2, batch_size=16, target_metric="val_accuracy", target_value=0.9)
    with pytest.raises(ValueError, match="not measured in this run"):
        Trainer(small_model(), "binary_crossentropy", ["accuracy"], config).fit(x, y)  # no validation split
    assert TrainConfig(target_metric="val_loss").problems() == [
        "A training target needs both a metric and a value (or neither)."
    ]
    assert TrainConfig(early_stopping_patience=-1).problems()
    assert TrainConfig().problems() == []
