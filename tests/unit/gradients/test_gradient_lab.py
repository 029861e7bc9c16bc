"""Unit tests of the Gradient lab: memory tasks, gradients through time, runs, charts, sources."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from core.data import imdb, memory_tasks
from core.data.local import DataSource
from core.data.memory_tasks import ADDING_BASELINE_MSE, adding_problem, recall_problem
from core.engine.charts import RUN_STARTS, by_run
from core.engine.config import ConfigError, InputSpec, OutputSpec, TrainConfig
from core.engine.trainer import BatchRecord, Callback, StopSignal, Trainer, TrainingPlan
from core.engine.training_job import LiveProgress
from core.gradients import charts as gradient_charts
from core.gradients import jobs as gradient_jobs
from core.gradients.charts import bptt_dot, init_vs_now, outcomes_frame
from core.gradients.config import (
    JACOBIANS,
    LIVE_CURRENT,
    LIVE_LABEL,
    LIVE_RECORDER,
    LIVE_RECORDERS,
    PRESETS,
    ComparisonConfig,
    ComparisonOutcome,
    LabModel,
    SingleOutcome,
    cell_runs,
    clipping_runs,
    reach_ratio,
)
from core.gradients.sources import imdb_long_reviews, stock_return_windows
from core.gradients.through_time import (
    GradientTimeRecorder,
    SequentialProgress,
    build_lab_model,
    combined_result,
    gradient_through_time,
    recurrent_spectral_radius,
    split_at_sequence,
    train_and_probe,
    train_runs,
)


def linear_rnn(w: float, length: int) -> keras.Model:
    """h_t = w h_(t-1) + x_t, y = h_T: one unit, no bias, no squashing - BPTT by hand."""
    inputs = keras.Input(shape=(length, 1))
    rnn = keras.layers.SimpleRNN(1, activation="linear", use_bias=False, name="rnn_1")
    model = keras.Model(inputs, rnn(inputs))
    rnn.set_weights([np.ones((1, 1), np.float32), np.full((1, 1), w, np.float32)])
    return model


def sum_of_outputs(y_true, y_pred):
    return tf.reduce_sum(y_pred)


# ----------------------------------------------------------------------------- gradients through time


@pytest.mark.parametrize("w", [0.5, 0.9, 1.1, -0.8])
def test_gradient_through_time_follows_w_to_the_power_t_minus_t(w):
    length = 30
    model = linear_rnn(w, length)
    x = np.random.default_rng(0).normal(size=(5, length, 1)).astype(np.float32)
    norms = gradient_through_time(model, x, np.zeros((5, 1), np.float32), sum_of_outputs)
    expected = np.abs(w) ** (length - np.arange(1, length + 1))
    np.testing.assert_allclose(norms, expected, rtol=1e-4)
    assert reach_ratio(norms) == pytest.approx(abs(w) ** (length - 1), rel=1e-3)


def test_mse_gradient_decays_geometrically_relative_to_the_last_step():
    """With a real loss each example's dL/dh_T differs, but the profile is still |w|^(T-t)."""
    length, w = 20, 0.7
    model = linear_rnn(w, length)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, length, 1)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    norms = gradient_through_time(model, x, y, "mse")
    np.testing.assert_allclose(norms / norms[-1], w ** (length - np.arange(1, length + 1)), rtol=1e-4)
    # Per-example gradients: doubling the probe batch (same examples twice) changes nothing.
    twice = gradient_through_time(model, np.concatenate([x, x]), np.concatenate([y, y]), "mse")
    np.testing.assert_allclose(twice, norms, rtol=1e-5)


def test_recorder_snapshots_at_init_every_k_steps_and_at_the_end():
    task = memory_tasks.adding_task(10, train_size=200, test_size=40)
    model = build_lab_model(LabModel("SimpleRNN", 4), task.spec, task.output)
    recorder = GradientTimeRecorder(model, task.x_test[:8], task.y_test[:8], task.loss, every=3)
    result = Trainer(model, "mse", ["mae"], TrainConfig(epochs=1, batch_size=32)).fit(
        task.x_train, task.y_train, callbacks=[recorder]
    )
    assert result.steps == 7
    steps = [s.training_step for s in recorder.snapshots]
    assert steps == [0, 3, 6, 7]
    frame = recorder.frame()
    assert list(frame.columns) == ["training_step", "time_step", "norm"]
    assert len(frame) == 4 * 10 and frame["time_step"].between(1, 10).all()
    assert np.isfinite(frame["norm"]).all() and (frame["norm"] > 0).all()
    lines = init_vs_now(recorder, "SimpleRNN")
    assert set(lines["moment"]) == {"at initialisation", "after 7 steps"}
    with pytest.raises(ValueError):
        GradientTimeRecorder(model, task.x_test[:8], task.y_test[:8], task.loss, every=0)


def _in_fresh_python(code: str, stdin: bytes = b"") -> str:
    """Run `code` in a new interpreter (this one has TensorFlow loaded already); its stdout."""
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_building_a_run_request_does_not_import_tensorflow():
    """The page's Train click builds a WorkSpec in the server: that must not load TensorFlow there."""
    code = (
        "import sys; import core.gradients.jobs, core.gradients.lab; "
        "from core.gradients.jobs import make_single_work; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert _in_fresh_python(code).split() == ["False", "False"]


def test_a_recorder_leaves_its_worker_as_plain_data_without_tensorflow():
    """The live recorder, pickled to the server, unpickles there without importing TensorFlow."""
    task = memory_tasks.adding_task(10, train_size=200, test_size=40)
    model = build_lab_model(LabModel("SimpleRNN", 4), task.spec, task.output)
    recorder = GradientTimeRecorder(model, task.x_test[:8], task.y_test[:8], task.loss, every=3)
    Trainer(model, "mse", ["mae"], TrainConfig(epochs=1, batch_size=32)).fit(
        task.x_train, task.y_train, callbacks=[recorder]
    )
    copy = pickle.loads(pickle.dumps(recorder))
    assert [s.training_step for s in copy.snapshots] == [0, 3, 6, 7] and copy.every == 3
    assert copy.seconds == recorder.seconds and copy.latest().training_step == 7
    pd.testing.assert_frame_equal(copy.frame(), recorder.frame())
    np.testing.assert_array_equal(copy.initial().norms, recorder.initial().norms)
    assert init_vs_now(copy, "SimpleRNN").equals(init_vs_now(recorder, "SimpleRNN"))
    code = (
        "import pickle, sys; r = pickle.loads(sys.stdin.buffer.read()); "
        "print(len(r.frame()), r.latest().training_step, 'tensorflow' in sys.modules)"
    )
    assert _in_fresh_python(code, pickle.dumps(recorder)).split() == ["40", "7", "False"]


def test_token_models_measure_the_gradient_at_the_embedding_output():
    spec = InputSpec(length=12, vocab_size=50, embedding_dim=6)
    model = build_lab_model(LabModel("GRU", 5), spec, OutputSpec(1, "sigmoid"))
    to_sequence, tail = split_at_sequence(model)
    x = np.random.default_rng(0).integers(1, 50, size=(4, 12)).astype(np.int32)
    np.testing.assert_allclose(tail(to_sequence(x)), model(x), rtol=1e-5)
    norms = gradient_through_time(model, x, np.ones((4, 1), np.float32), "binary_crossentropy")
    assert norms.shape == (12,) and np.all(norms > 0)


# ----------------------------------------------------------------------------- the page's model


def test_lab_model_scale_sets_the_spectral_radius_and_activation():
    spec, out = InputSpec(length=10, features=2), OutputSpec(1, "linear")
    model = build_lab_model(LabModel("SimpleRNN", 16, "relu", 1.5), spec, out)
    assert recurrent_spectral_radius(model) == pytest.approx(1.5, rel=1e-3)
    assert model.get_layer("rnn_1").cell.activation.__name__ == "relu"
    gru = build_lab_model(LabModel("GRU", 8, "tanh", 0.5, layers=2), spec, out)
    assert [layer.name for layer in gru.layers][-3:] == ["rnn_1", "rnn_2", "output"]
    assert 0 < recurrent_spectral_radius(gru) <= 0.5 + 1e-3
    with pytest.raises(ConfigError) as err:
        build_lab_model(LabModel("Transformer", 0, "sigmoid", 9.0), spec, out)  # type: ignore[arg-type]
    assert len(err.value.problems) == 4


# ----------------------------------------------------------------------------- memory tasks


def test_adding_problem_statistics():
    n, length = 20_000, 60
    x, y, markers = adding_problem(n, length, seed=3)
    assert x.shape == (n, length, 2) and y.shape == (n, 1) and x.dtype == np.float32
    values, marks = x[..., 0], x[..., 1]
    assert np.all(marks.sum(axis=1) == 2) and set(np.unique(marks)) == {0.0, 1.0}
    assert np.all(markers[:, 0] < length // 2) and np.all(markers[:, 1] >= length // 2)
    np.testing.assert_allclose(y[:, 0], (values * marks).sum(axis=1), rtol=1e-6)
    assert values.min() >= 0 and values.max() < 1 and abs(values.mean() - 0.5) < 0.005
    assert abs(y.mean() - 1.0) < 0.01
    # Always answering 1 scores Var(U1 + U2) = 1/6.
    assert np.mean((y - 1) ** 2) == pytest.approx(ADDING_BASELINE_MSE, abs=0.005)
    # Marker positions are spread over each half, not clumped.
    assert len(np.unique(markers[:, 0])) == length // 2 and len(np.unique(markers[:, 1])) == length - length // 2
    again, _, _ = adding_problem(n, length, seed=3)
    other, _, _ = adding_problem(n, length, seed=4)
    assert np.array_equal(again, x) and not np.array_equal(other, x)


def test_adding_task_baseline_and_size_cap():
    task = memory_tasks.adding_task(100, train_size=500, test_size=2_000)
    assert task.score.baseline == pytest.approx(1 / 6)
    assert memory_tasks.trivial_score(task) == pytest.approx(1 / 6, abs=0.02)
    assert task.x_test.shape == (2_000, 100, 2) and task.y_train.shape == (500, 1)
    assert memory_tasks.examples_for(500, 2, 50_000) == memory_tasks.MAX_VALUES // 1_000
    for bad in (9, 501):
        with pytest.raises(ValueError, match="between 10 and 500"):
            adding_problem(10, bad)


def test_recall_problem_marks_the_symbol_to_name():
    x, y, marked = recall_problem(4_000, 30, symbols=8, seed=0)
    assert x.shape == (4_000, 30, 10) and y.shape == (4_000,) and marked.shape == (4_000, 1)
    symbols, mark, go = x[..., :8], x[..., 8], x[..., 9]
    assert np.all(symbols[:, :-1].sum(axis=-1) == 1) and np.all(symbols[:, -1] == 0)  # one symbol per step
    assert np.all(mark.sum(axis=1) == 1) and np.array_equal(mark.argmax(axis=1), marked[:, 0])
    assert np.all(go[:, -1] == 1) and np.all(go[:, :-1] == 0)
    assert np.array_equal(symbols[np.arange(4_000), marked[:, 0]].argmax(axis=-1), y)
    assert marked.min() == 0 and marked.max() == 28  # anywhere before the "go" step
    assert np.all(np.bincount(y, minlength=8) > 400)
    task = memory_tasks.make_task("recall", 30, 500)
    assert task.score.baseline == pytest.approx(1 / 8)
    assert memory_tasks.trivial_score(task) < 0.2
    with pytest.raises(ValueError, match="Unknown task"):
        memory_tasks.make_task("sorting", 30)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- divergence and clipping


# A tanh SimpleRNN whose recurrent matrix stretches by 2 per step, trained with plain SGD:
# the gradient norm starts in the thousands and the loss becomes inf/NaN after ~20 steps.
EXPLODING = LabModel("SimpleRNN", 16, "tanh", 2.0)


def exploding_run(clip_norm):
    task = memory_tasks.adding_task(50, train_size=1_280, test_size=64)
    train = TrainConfig(epochs=1, batch_size=32, learning_rate=0.3, optimizer="sgd", clip_norm=clip_norm)
    return train_and_probe(task, EXPLODING, train, every=5, probe_size=8)


def test_exploding_gradients_are_detected_and_training_stops_cleanly():
    outcome = exploding_run(clip_norm=None)
    result = outcome.result
    assert result.status == "diverged"
    assert "NaN" in result.message or "infinite" in result.message
    assert 2 < result.steps < 40  # stopped at the first non-finite step, not at the end of the epoch
    frame = result.batch_frame()
    assert not (np.isfinite(frame["grad_norm"].iloc[-1]) and np.isfinite(frame["loss"].iloc[-1]))
    assert frame["grad_norm"].iloc[0] > 100  # it was exploding from the start
    # What was learned is kept: the last weights that gave a finite loss, so the model still answers.
    assert outcome.restored_step is not None and outcome.restored_step < result.steps
    assert all(np.isfinite(w).all() for w in outcome.model.get_weights())
    assert np.isfinite(outcome.test_score)
    assert np.isfinite(outcome.recorder.latest().norms).all()


def test_clip_norm_keeps_the_same_run_bounded():
    outcome = exploding_run(clip_norm=1.0)
    frame = outcome.result.batch_frame()
    assert outcome.result.status == "completed", outcome.result.message
    assert outcome.result.steps == 40 and outcome.restored_step is None
    assert frame["grad_norm"].max() > 100  # the raw gradient does explode...
    assert frame["applied_norm"].max() <= 1.0 + 1e-4  # ...but every update is capped
    assert np.isfinite(outcome.test_score)


# ----------------------------------------------------------------------------- several runs


class Collect(Callback):
    def __init__(self):
        self.plans: list[TrainingPlan] = []
        self.steps: list[int] = []

    def on_train_begin(self, plan):
        self.plans.append(plan)

    def on_batch_end(self, record):
        self.steps.append(record.step)


def test_train_runs_compares_cells_on_the_same_data():
    tasks = {10: memory_tasks.adding_task(10, train_size=64, test_size=16)}
    train = TrainConfig(epochs=1, batch_size=32, learning_rate=1e-2)
    runs = cell_runs(LabModel("SimpleRNN", 4), train, [10])
    assert [r.label for r in runs] == ["SimpleRNN", "LSTM", "GRU"]
    collect = Collect()
    seen: list[str] = []
    outcomes = train_runs(
        runs,
        tasks.__getitem__,
        collect,
        StopSignal(),
        every=1,
        probe_size=4,
        on_run=lambda run, rec: seen.append(run.label),
    )
    assert seen == ["SimpleRNN", "LSTM", "GRU"]
    assert [o.model_config.cell for o in outcomes] == ["SimpleRNN", "LSTM", "GRU"]
    assert len(collect.plans) == 1 and collect.plans[0].epochs == 3
    assert collect.steps == [1, 2, 3, 4, 5, 6]  # one continuous step count for the shared panel
    table = outcomes_frame(outcomes)
    assert list(table["cell"]) == ["SimpleRNN", "LSTM", "GRU"] and table["test score"].notna().all()
    combined = combined_result(outcomes, stopped=False)
    assert combined.status == "completed" and combined.steps == 6
    assert [b.step for b in combined.batches] == [1, 2, 3, 4, 5, 6]


def test_work_functions_return_typed_outcomes():
    """What the page's Train buttons run: one typed outcome each, live recorders on the progress."""
    task = memory_tasks.adding_task(10, train_size=64, test_size=16)
    preset = PRESETS["Tiny: a few seconds"]
    config = replace(preset, source=replace(preset.source, length=10), train=replace(preset.train, batch_size=32))
    progress = LiveProgress()
    single = gradient_jobs.make_single_work(config, task)(progress, StopSignal())
    assert isinstance(single, SingleOutcome) and single.config is config and single.score == task.score
    assert single.result.steps == 2 and single.model is single.run.model and single.run.label == "SimpleRNN"
    assert progress.extra(LIVE_RECORDER) is single.run.recorder and progress.extra(LIVE_LABEL) == "SimpleRNN"

    comparison = ComparisonConfig(config, (10,))
    runs = cell_runs(config.model, config.train, [10])
    progress = LiveProgress()
    outcome = gradient_jobs.make_runs_work(comparison, runs, {10: task})(progress, StopSignal())
    assert isinstance(outcome, ComparisonOutcome) and outcome.config is comparison
    assert [o.label for o in outcome.runs] == ["SimpleRNN", "LSTM", "GRU"] and outcome.longest == outcome.runs
    assert outcome.model is outcome.runs[-1].model and outcome.result.steps == 6
    assert set(progress.extra(LIVE_RECORDERS)) == {"SimpleRNN", "LSTM", "GRU"} and progress.extra(LIVE_CURRENT) == "GRU"
    # Where each run starts in the shared progress, so the panel overlays them from step 0 (not end to end).
    starts = progress.extra(RUN_STARTS)
    assert [(s.label, s.step_offset, s.epoch_offset) for s in starts] == [
        ("SimpleRNN", 0, 0),
        ("LSTM", 2, 1),
        ("GRU", 4, 2),
    ]
    snap = progress.snapshot()
    batches, _ = by_run(snap.batches, snap.epochs, starts)
    assert (
        list(batches["run"]) == ["SimpleRNN"] * 2 + ["LSTM"] * 2 + ["GRU"] * 2 and list(batches["step"]) == [1, 2] * 3
    )
    # Each run is judged against the same model before training and the trivial guess on the same test set.
    for o in outcome.runs:
        assert np.isfinite(o.initial_score) and o.baseline == pytest.approx(memory_tasks.trivial_score(task))


def test_stopped_runs_end_early():
    tasks = {10: memory_tasks.adding_task(10, train_size=64, test_size=16)}
    stop = StopSignal()
    stop.request()
    runs = cell_runs(LabModel("SimpleRNN", 4), TrainConfig(epochs=1, batch_size=32), [10])
    assert train_runs(runs, tasks.__getitem__, Collect(), stop) == []


def test_run_lists():
    train = TrainConfig(epochs=2, clip_norm=5.0)
    runs = cell_runs(LabModel("SimpleRNN", 8, "relu", 1.5), train, [20, 50])
    assert [r.label for r in runs][:3] == ["SimpleRNN, T=20", "LSTM, T=20", "GRU, T=20"]
    assert {r.model.activation for r in runs} == {"relu"} and {r.length for r in runs} == {20, 50}
    off, on = clipping_runs(LabModel(), train, 30, 1.0)
    assert off.train.clip_norm is None and on.train.clip_norm == 1.0 and off.train.epochs == on.train.epochs == 2


def test_sequential_progress_shifts_steps_and_epochs():
    collect = Collect()
    forward = SequentialProgress(collect, total_epochs=4, total_steps=8)
    plan = TrainingPlan(2, 2, 10, ("rnn_1",), ("mae",), None, None)
    for _ in range(2):
        forward.on_train_begin(plan)
        for step in (1, 2, 3, 4):
            forward.on_batch_end(BatchRecord(step, (step + 1) // 2, 1, 0.1, {}, 1.0, 1.0, {}, 0.0))
        forward.on_train_end(None)  # type: ignore[arg-type]
    assert collect.steps == [1, 2, 3, 4, 5, 6, 7, 8]
    assert collect.plans[0].epochs == 4 and collect.plans[0].steps_per_epoch == 2


# ----------------------------------------------------------------------------- charts


def _as_dict(chart) -> dict:
    return json.loads(chart.to_json())


def test_heatmap_bins_long_sequences_and_uses_a_log_colour_scale():
    steps, times = np.meshgrid(np.arange(0, 200, 2), np.arange(1, 501), indexing="ij")
    frame = pd.DataFrame({"training_step": steps.ravel(), "time_step": times.ravel()})
    frame["norm"] = 0.9 ** (500 - frame["time_step"])
    frame.loc[frame["time_step"] <= 10, "norm"] = 0.0  # underflow: drawn at the floor, not dropped
    binned = gradient_charts.bin_time_steps(gradient_charts.thin_rows(frame))
    assert binned["training_step"].nunique() <= gradient_charts.MAX_HEATMAP_ROWS
    assert binned.groupby("training_step").size().max() <= gradient_charts.MAX_TIME_BINS
    assert set(binned.groupby("training_step")["training_step"].first()) >= {0, 198}
    spec = _as_dict(gradient_charts.gradient_heatmap(frame))
    assert spec["encoding"]["color"]["scale"]["type"] == "log"
    (values,) = [v for v in spec["datasets"].values()]
    assert min(row["first"] for row in values) == 1  # the all-zero first bin is still drawn
    assert gradient_charts.gradient_heatmap(frame.iloc[:0]).to_dict()["mark"]["type"] == "text"
    # A shared colour range for side-by-side heatmaps spans all of them.
    other = frame.assign(norm=frame["norm"] * 100)
    low, high = gradient_charts.heatmap_domain([frame, other])
    assert high == pytest.approx(100.0) and low == pytest.approx(high * 1e-12)
    shared = _as_dict(gradient_charts.gradient_heatmap(frame, domain=(low, high)))
    assert shared["encoding"]["color"]["scale"]["domain"] == [low, high]


def test_long_histories_are_thinned_but_keep_their_spikes():
    batches = pd.DataFrame({"step": np.arange(1, 5_001), "grad_norm": np.ones(5_000), "applied_norm": np.ones(5_000)})
    batches.loc[3_333, "grad_norm"] = 1e9
    thinned = gradient_charts.bucket_steps(batches, ["grad_norm", "applied_norm"])
    assert len(thinned) <= 1_000 and thinned["grad_norm"].max() == 1e9
    lines = pd.DataFrame({"time_step": np.tile(np.arange(1, 501), 12), "norm": 1.0, "moment": "now", "run": "GRU"})
    assert len(gradient_charts.thin_time_steps(lines, 4_000)) <= 4_000 + 12
    _as_dict(gradient_charts.gradient_reach_chart(lines))  # under Altair's row limit


def test_reach_score_and_norm_charts():
    lines = pd.DataFrame(
        {
            "time_step": [1, 2, 1, 2],
            "norm": [1e-3, 1.0, 0.5, 1.0],
            "moment": ["at initialisation"] * 2 + ["now"] * 2,
            "run": ["LSTM"] * 4,
        }
    )
    reach = _as_dict(gradient_charts.gradient_reach_chart(lines))
    assert reach["encoding"]["y"]["scale"]["type"] == "log"
    scores = pd.DataFrame({"cell": ["SimpleRNN", "GRU"], "T": [50, 50], "test score": [0.16, 0.01], "steps": [9, 9]})
    score_chart = json.dumps(
        _as_dict(gradient_charts.score_vs_length_chart(scores, memory_tasks.adding_task(10, 100).score))
    )
    assert "always answer 1" in score_chart and "0.167" in score_chart
    batches = pd.DataFrame({"step": [1, 2, 3], "grad_norm": [0.5, 50.0, np.nan], "applied_norm": [0.5, 1.0, np.nan]})
    norm_chart = json.dumps(_as_dict(gradient_charts.global_norm_chart(batches, clip_norm=1.0, diverged_step=3)))
    assert "clip norm = 1" in norm_chart and "NaN/inf detected at step 3" in norm_chart
    assert "applied (after clipping)" in norm_chart


def test_bptt_diagram_is_valid_dot_for_every_cell():
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        dot = bptt_dot(cell)
        assert dot.startswith("digraph BPTT {") and dot.rstrip().endswith("}")
        assert dot.count("{") == dot.count("}")
        assert "x_1" in dot and "h_T" in dot and "∂L/∂x_1" in dot and cell in dot
    assert "forget gate" in JACOBIANS["LSTM"] and "diag(f′" in JACOBIANS["SimpleRNN"] and "z_k" in JACOBIANS["GRU"]


# ----------------------------------------------------------------------------- real-data sources


def test_imdb_long_reviews_pad_short_generated_reviews_with_a_note():
    data = imdb.load_offline(train_size=300, test_size=100)
    task = imdb_long_reviews(data, 20, max_train=300, max_test=100)
    assert task.x_train.shape[1] == 20 and task.x_train.dtype == np.int32
    assert task.spec.vocab_size == data.vocab.distinct_words + imdb.INDEX_FROM + 1  # uncapped: every word
    assert int(task.x_train.max()) < task.spec.vocab_size and task.loss == "binary_crossentropy"
    capped = imdb_long_reviews(data.with_vocabulary(50), 20, max_train=300, max_test=100)
    assert capped.spec.vocab_size == 50 and int(capped.x_train.max()) < 50
    for t in (task, capped):  # every id of both splits fits the embedding
        model = build_lab_model(LabModel("GRU", 4), t.spec, t.output)
        both = np.concatenate([t.x_train, t.x_test]), np.concatenate([t.y_train, t.y_test])
        assert gradient_through_time(model, *both, t.loss).shape == (20,)
    assert task.source.is_synthetic
    long_enough = sum(len(s) >= 20 for s in data.train_ids)
    if long_enough < 200:
        assert "zero-padded" in task.description


def test_stock_windows_are_chronological_and_standardised():
    dates = pd.bdate_range("2020-01-01", periods=400)
    close = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 400))), index=dates)
    task = stock_return_windows(close, 30, DataSource("offline", "test"), ticker="TEST")
    n = 399 - 30
    assert len(task.y_train) + len(task.y_test) == n
    assert task.x_train.shape == (len(task.y_train), 30, 1)
    # Window i ends right before its target: the target is the first return of the next window.
    assert task.x_train[1, -1, 0] == pytest.approx(task.y_train[0, 0])
    assert abs(float(task.x_train.mean())) < 0.2 and task.score.baseline == pytest.approx(np.mean(task.y_test**2))
    with pytest.raises(ValueError, match="windows"):
        stock_return_windows(close.iloc[:60], 30, DataSource("offline", "test"))


def test_stock_windows_on_real_prices(shared_data):
    from core.data.stocks import load_prices

    prices = load_prices("SPY", local_path=str(shared_data / "stocks"), allow_download=False)
    task = stock_return_windows(prices.close, 60, prices.source, ticker="SPY")
    assert task.source.kind == "local" and len(task.y_train) > 1_000
    assert 0.8 < float(task.y_train.std()) < 1.2  # standardised on the training period
    assert 0.05 < task.score.baseline < 3  # later (test) periods can be calmer or wilder


@pytest.mark.slow
def test_default_preset_comparison_solves_the_adding_problem_with_gated_cells():
    """Issue 12's bar for the default preset's comparison tab, trained as the page trains it (the
    three cells one after another, ~30 s of CPU): LSTM and GRU < 0.05 test MSE at the preset's T,
    while the SimpleRNN stays near the 1/6 baseline - the lesson the preset exists for."""
    preset = PRESETS["Vanishing: SimpleRNN on the adding problem"]
    source = preset.source
    task = memory_tasks.make_task(source.kind, source.length, source.train_size, 0)
    runs = cell_runs(preset.model, preset.train, [source.length])
    outcomes = train_runs(runs, lambda length: task, Callback(), StopSignal(), preset.every, preset.probe_size)
    scores = {o.model_config.cell: o.test_score for o in outcomes}
    assert scores["LSTM"] < 0.05 and scores["GRU"] < 0.05, scores
    assert scores["SimpleRNN"] > 0.7 * ADDING_BASELINE_MSE, scores
