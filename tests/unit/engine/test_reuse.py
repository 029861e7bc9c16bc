"""Kept models and their traced steps (core.engine.reuse): a reused run is exactly a fresh run."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine import reuse
from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.engine.trainer import Trainer

SPEC = InputSpec(length=12, vocab_size=40, embedding_dim=6, mask_zero=True)
MODEL = ModelConfig(cell="GRU", units=8, dropout=0.3, readout="max", dense_units=8)


@pytest.fixture(autouse=True)
def pool_off_after():
    yield
    reuse.disable()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 40, size=(96, 12)).astype("int32")
    x[:, 9:] = 0  # padding, so the mask matters
    y = (x[:, 0] > 20).astype("float32")
    return x, y


def train(data, seed=0, lr=0.01, model=MODEL, clip_norm=None):
    """One run as a lab runs it: build from the seed, train with validation. Returns its numbers and
    the Trainer (read at once: a kept model serves the next run after give_back)."""
    x, y = data
    built = build_model(model, SPEC, OutputSpec(), seed=seed)
    config = TrainConfig(epochs=2, batch_size=32, learning_rate=lr, seed=seed, clip_norm=clip_norm)
    trainer = Trainer(built, "binary_crossentropy", ["accuracy"], config)
    result = trainer.fit(x[:64], y[:64], validation=(x[64:], y[64:]))
    numbers = {
        "losses": [b.loss for b in result.batches],
        "norms": [b.grad_norm for b in result.batches],
        "val": [e.val_loss for e in result.epochs],
        "weights": [np.array(w) for w in built.get_weights()],
    }
    return numbers, built, trainer


def same(a, b) -> bool:
    return (
        a["losses"] == b["losses"]
        and a["norms"] == b["norms"]
        and a["val"] == b["val"]
        and all(np.array_equal(u, v) for u, v in zip(a["weights"], b["weights"], strict=True))
    )


def test_a_reused_model_trains_exactly_like_a_fresh_one(data):
    fresh_0, _, _ = train(data, seed=0, lr=0.01)
    fresh_1, _, _ = train(data, seed=1, lr=0.02)
    assert not same(fresh_0, fresh_1)

    reuse.enable()
    first, model, trainer = train(data, seed=0, lr=0.01)
    traces = trainer._train_step.experimental_get_tracing_count()
    reuse.give_back()
    second, again, trainer_2 = train(data, seed=1, lr=0.02)  # another seed and learning rate, same shape
    reuse.give_back()
    third, _, trainer_3 = train(data, seed=0, lr=0.01)

    assert again is model and reuse.reused_count() == 2
    assert trainer_2._train_step is trainer._train_step is trainer_3._train_step
    assert trainer_3._train_step.experimental_get_tracing_count() == traces  # nothing traced again
    assert same(first, fresh_0)
    assert same(second, fresh_1)  # its own seed's weights and dropout, its own learning rate, a fresh Adam
    assert same(third, fresh_0)


def test_a_model_lent_to_a_run_is_not_handed_to_another_before_give_back(data):
    reuse.enable()
    _, first, _ = train(data)
    _, second, _ = train(data)  # the same shape while the first run's outcome may still hold its model
    assert second is not first and reuse.reused_count() == 0


def test_other_shapes_or_trainer_settings_do_not_share_steps(data):
    reuse.enable()
    _, model, trainer = train(data)
    reuse.give_back()
    _, other, _ = train(data, model=ModelConfig(cell="LSTM", units=8))
    assert other is not model
    reuse.give_back()
    clipped, same_model, clipped_trainer = train(data, clip_norm=0.5)  # same model, another traced step
    assert same_model is model and clipped_trainer._train_step is not trainer._train_step
    reuse.disable()
    assert same(clipped, train(data, clip_norm=0.5)[0])


def test_the_pool_keeps_at_most_its_capacity(data):
    reuse.enable(capacity=1)
    _, gru, _ = train(data)
    train(data, model=ModelConfig(cell="LSTM", units=8))
    reuse.give_back()  # two kept, one too many: the least recently used goes
    _, gru_again, _ = train(data)
    assert gru_again is not gru
    reuse.give_back()


def test_a_rehearsal_traces_one_step_and_the_run_then_reuses_it(data):
    fresh, _, _ = train(data, seed=2)
    reuse.enable()
    with reuse.rehearsal(), pytest.raises(reuse.RehearsalDone):
        train(data, seed=5)
    reuse.give_back()
    run, _, trainer = train(data, seed=2)
    assert reuse.reused_count() == 1
    assert trainer._train_step.experimental_get_tracing_count() == 1
    assert trainer._eval_step.experimental_get_tracing_count() >= 1  # traced in the rehearsal
    assert same(run, fresh)


def test_without_enable_every_build_is_fresh(data):
    _, a, _ = train(data)
    _, b, _ = train(data)
    assert a is not b and reuse.reused_count() == 0


def test_a_worker_past_its_memory_share_lets_go_of_kept_models(data):
    from core.engine.workers import _make_room

    reuse.enable()
    _, model, _ = train(data)
    reuse.give_back()
    _make_room(keep_bytes=10**15)  # plenty of room: nothing changes
    _, again, _ = train(data)
    assert again is model
    reuse.give_back()
    _make_room(keep_bytes=1)  # over: everything kept goes
    _, fresh, _ = train(data)
    assert fresh is not model and reuse.reused_count() == 1


def test_a_rehearsal_gives_way_to_a_run_before_its_first_step(data):
    from core.engine.history import StopSignal

    x, y = data
    reuse.enable()
    model = build_model(MODEL, SPEC, OutputSpec(), seed=0)
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=1, batch_size=32))
    stop = StopSignal()
    stop.request("A run arrived")
    with reuse.rehearsal():
        result = trainer.fit(x, y, stop=stop)  # stopped like any run (its scoring would end at once too)
    assert result.status == "stopped" and not result.batches
    assert trainer._train_step.experimental_get_tracing_count() == 0  # nothing traced: the run goes first
    reuse.give_back()


def test_a_loss_given_as_a_function_keys_the_steps_by_that_function(data):
    import keras

    def mse(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - keras.ops.squeeze(y_pred, -1)))

    x, y = data
    reuse.enable()
    config = TrainConfig(epochs=1, batch_size=32)
    first = Trainer(build_model(MODEL, SPEC, OutputSpec(), seed=0), mse, [], config)
    first.fit(x, y)
    reuse.give_back()
    second = Trainer(build_model(MODEL, SPEC, OutputSpec(), seed=1), mse, [], config)
    second.fit(x, y)
    assert second.model is first.model and second._train_step is first._train_step
    reuse.give_back()
    other = Trainer(build_model(MODEL, SPEC, OutputSpec(), seed=1), lambda t, p: mse(t, p), [], config)
    other.fit(x, y)
    assert other._train_step is not first._train_step  # another function: traced anew
