"""Runs compared: the run history's bounds, default labels, and the frames pinned against the records."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from core.engine import charts, limits
from core.engine import compare as cmp
from core.engine.config import ModelConfig, TrainConfig
from core.engine.history import BatchRecord, EpochRecord, TrainingResult


@dataclass(frozen=True)
class Run:
    model: ModelConfig
    train: TrainConfig


BASE = Run(ModelConfig(cell="SimpleRNN"), TrainConfig())


def result(steps_per_epoch: int = 4, epochs: int = 2, seed: int = 0, status: str = "completed") -> TrainingResult:
    rng = np.random.default_rng(seed)
    batches, ends = [], []
    for e in range(1, epochs + 1):
        for b in range(1, steps_per_epoch + 1):
            step = (e - 1) * steps_per_epoch + b
            norms = {"rnn": float(rng.uniform(0.1, 2)), "output": float(rng.uniform(0.1, 2))}
            batches.append(
                BatchRecord(
                    step,
                    e,
                    b,
                    float(rng.uniform(0.2, 1)),
                    {"accuracy": float(rng.uniform())},
                    float(rng.uniform(0.5, 3)),
                    1.0,
                    norms,
                    step * 0.1,
                )
            )
        ends.append(
            EpochRecord(
                e,
                float(rng.uniform(0.2, 1)),
                {"accuracy": float(rng.uniform())},
                float(rng.uniform(0.2, 1)),
                {"accuracy": float(rng.uniform())},
                e * 1.0,
            )
        )
    return TrainingResult(status, "done", batches, ends, seconds=epochs * 1.0)  # type: ignore[arg-type]


def history_of(*configs, **kwargs) -> cmp.RunHistory:
    history = cmp.RunHistory(**kwargs)
    for i, config in enumerate(configs):
        history.add(config, result(seed=i))
    return history


# ----------------------------------------------------------------------------- labels


def test_default_label_names_what_changed_from_the_previous_run():
    lstm_clipped = replace(BASE, model=replace(BASE.model, cell="LSTM"), train=replace(BASE.train, clip_norm=1.0))
    assert cmp.default_label(BASE, lstm_clipped) == "LSTM, clip 1.0"
    assert cmp.default_label(lstm_clipped, BASE) == "SimpleRNN, no clip"
    assert cmp.default_label(BASE, replace(BASE, model=replace(BASE.model, dropout=0.5))) == "dropout 0.5"
    assert cmp.default_label(BASE, replace(BASE, model=replace(BASE.model, pattern="one_to_one"))) == "one-to-one"
    assert cmp.default_label(BASE, BASE, previous_id=3) == "same settings as #3"
    many = replace(BASE, model=replace(BASE.model, units=8, layers=2, dropout=0.1), train=replace(BASE.train, seed=4))
    assert cmp.default_label(BASE, many) == "units 8, layers 2, dropout 0.1, +1 more"


def test_first_run_is_labelled_by_its_cell_and_what_is_switched_on():
    assert cmp.default_label(None, BASE) == "SimpleRNN"
    clipped = replace(
        BASE, model=replace(BASE.model, cell="GRU", dropout=0.5), train=replace(BASE.train, clip_norm=1.0)
    )
    assert cmp.default_label(None, clipped) == "GRU, clip 1.0, dropout 0.5"
    assert cmp.default_label(None, replace(BASE, model=replace(BASE.model, pattern="one_to_one"))) == (
        "one-to-one baseline"
    )


# ----------------------------------------------------------------------------- history bounds


def test_history_keeps_runs_in_order_with_labels_and_drops_the_oldest_beyond_the_count():
    cells = ["SimpleRNN", "LSTM", "GRU", "LSTM"]
    history = history_of(*(replace(BASE, model=replace(BASE.model, cell=c)) for c in cells), max_runs=3)
    assert [r.run_id for r in history.runs] == [2, 3, 4]
    assert [r.label for r in history.runs] == ["LSTM", "GRU", "LSTM"]
    assert [r.run_id for r in history.newest_first()] == [4, 3, 2]
    assert history.get(1) is None and history.get(3).label == "GRU"


def test_history_drops_the_oldest_beyond_the_byte_budget_but_keeps_the_newest():
    one = cmp.approx_bytes(result())
    history = history_of(BASE, BASE, BASE, max_runs=10, max_bytes=2 * one + 1)
    assert [r.run_id for r in history.runs] == [2, 3]
    tiny = history_of(BASE, BASE, max_runs=10, max_bytes=1)
    assert [r.run_id for r in tiny.runs] == [2]


def test_byte_estimate_grows_with_the_records_and_the_defaults_are_sane():
    assert cmp.approx_bytes(result(steps_per_epoch=8)) > cmp.approx_bytes(result(steps_per_epoch=4)) > 0
    assert cmp.RunHistory().max_runs == limits.MAX_RUN_HISTORY >= 3


# ----------------------------------------------------------------------------- frames


def test_final_metrics_are_the_last_epochs_values():
    r = result()
    last = r.epochs[-1]
    assert cmp.final_metrics(r) == {
        "last epoch loss": last.loss,
        "last epoch accuracy": last.metrics["accuracy"],
        "last epoch val loss": last.val_loss,
        "last epoch val accuracy": last.val_metrics["accuracy"],
    }
    assert cmp.final_metrics(TrainingResult("stopped", "stopped", result().batches[:2], [])) == {}


def test_config_differences_list_exactly_the_differing_fields():
    a = BASE
    b = replace(BASE, model=replace(BASE.model, cell="LSTM"), train=replace(BASE.train, clip_norm=1.0))
    c = replace(BASE, model=replace(BASE.model, cell="GRU"))
    diffs = cmp.config_differences([a, b, c])
    assert [set(d) for d in diffs] == [{"model cell", "train clip norm"}] * 3
    assert [d["model cell"] for d in diffs] == ["SimpleRNN", "LSTM", "GRU"]
    assert [d["train clip norm"] for d in diffs] == ["off", "1.0", "off"]
    assert cmp.config_differences([a, a]) == [{}, {}]


def test_comparison_table_has_one_row_per_run_with_final_metrics_and_differences():
    configs = [BASE, replace(BASE, model=replace(BASE.model, cell="LSTM"))]
    history = history_of(*configs)
    table = cmp.comparison_table(history.newest_first())
    assert list(table["run"]) == ["#2 LSTM", "#1 SimpleRNN"]
    assert list(table["setting: model cell"]) == ["LSTM", "SimpleRNN"]
    assert [c for c in table.columns if c.startswith("setting: ")] == ["setting: model cell"]
    newest_first = history.newest_first()
    assert list(table["last epoch loss"]) == [r.result.epochs[-1].loss for r in newest_first]
    assert list(table["last epoch val accuracy"]) == [r.result.epochs[-1].val_metrics["accuracy"] for r in newest_first]
    assert list(table["steps"]) == [len(r.result.batches) for r in newest_first] and set(table["epochs"]) == {2}


def test_curves_frame_matches_the_records_for_every_run():
    history = history_of(BASE, replace(BASE, model=replace(BASE.model, cell="GRU")))
    data = cmp.curves_frame(history.runs, "loss")
    assert set(data["run"]) == {"#1 SimpleRNN", "#2 GRU"}
    for run in history.runs:
        mine = data[data["run"] == run.name]
        train, val = mine[mine["curve"] == "training"], mine[mine["curve"] == "validation"]
        # 8 steps: the running mean spans one step, so the training curve is the recorded loss
        np.testing.assert_allclose(train["value"], [b.loss for b in run.result.batches])
        np.testing.assert_allclose(train["epochs"], [(b.epoch - 1) + b.batch / 4 for b in run.result.batches])
        np.testing.assert_allclose(val["value"], [e.val_loss for e in run.result.epochs])
        assert list(val["step"]) == [4, 8] and list(val["epochs"]) == [1.0, 2.0]


def test_long_runs_are_smoothed_and_thinned():
    run = cmp.RunRecord(1, "long", BASE, result(steps_per_epoch=500, epochs=2))
    data = cmp.curves_frame([run], "loss", max_points=100)
    train = data[data["curve"] == "training"]
    assert len(train) <= 100 and train["step"].iloc[-1] == 1000
    window = cmp.smoothing_window(1000)
    losses = pd.Series([b.loss for b in run.result.batches])
    expected = losses.rolling(window, min_periods=1).mean().iloc[train["step"].to_numpy() - 1]
    np.testing.assert_allclose(train["value"], expected)


def test_gradient_frame_is_the_global_norm_with_each_runs_clip():
    history = cmp.RunHistory()
    history.add(BASE, result(seed=1))
    history.add(replace(BASE, train=replace(BASE.train, clip_norm=1.0)), result(seed=2), clip_norm=1.0)
    data = cmp.gradient_frame(history.runs)
    for run in history.runs:
        mine = data[data["run_id"] == run.run_id]
        np.testing.assert_allclose(mine["grad_norm"], [b.grad_norm for b in run.result.batches])
    assert data.groupby("run_id")["clip_norm"].first().fillna(-1).tolist() == [-1, 1.0]


def test_one_csv_holds_every_run_with_its_label_and_epoch_values():
    history = history_of(
        BASE,
        replace(BASE, model=replace(BASE.model, cell="LSTM")),
        replace(BASE, model=replace(BASE.model, cell="GRU")),
    )
    frame = pd.read_csv(io.StringIO(cmp.comparison_csv(history.newest_first())))
    assert frame["run"].drop_duplicates().tolist() == [3, 2, 1]
    assert frame["label"].drop_duplicates().tolist() == ["GRU", "LSTM", "SimpleRNN"]
    first = history.runs[0]
    rows = frame[frame["run"] == 1]
    np.testing.assert_allclose(rows["loss"], [b.loss for b in first.result.batches])
    ends = rows.dropna(subset=["val_loss"])
    assert ends["step"].tolist() == [4, 8]
    np.testing.assert_allclose(ends["epoch_loss"], [e.loss for e in first.result.epochs])
    assert rows["setting: model cell"].unique().tolist() == ["SimpleRNN"]


# ----------------------------------------------------------------------------- charts


@pytest.mark.parametrize("value", ["loss", "accuracy"])
def test_overlaid_curves_colour_by_run_with_tooltips(value):
    history = history_of(BASE, replace(BASE, model=replace(BASE.model, cell="LSTM")))
    spec = charts.compare_curves(cmp.curves_frame(history.newest_first(), value), value).to_dict()
    text = str(spec)
    assert "'field': 'run'" in text and "epochs of training" in text and "tooltip" in text
    assert "#2 LSTM" in text  # the legend's domain, newest first


def test_gradient_comparison_is_log_scaled_with_clip_rules():
    history = cmp.RunHistory()
    history.add(BASE, result(seed=1))
    history.add(BASE, result(seed=2), clip_norm=1.0)
    spec = charts.compare_gradient_norms(cmp.gradient_frame(history.runs)).to_dict()
    text = str(spec)
    assert "'type': 'log'" in text and "rule" in text and "'field': 'run'" in text
    empty = charts.compare_curves(cmp.curves_frame([], "loss"), "loss").to_dict()
    assert "recorded none" in str(empty)


def test_comparison_table_leads_with_the_held_out_score():
    from core.engine.run import HeldOut

    history = cmp.RunHistory()
    result = history_of(BASE).runs[0].result
    history.add(BASE, result, held_out=HeldOut("test accuracy", 0.81, True))
    history.add(
        replace(BASE, model=replace(BASE.model, cell="GRU")), result, held_out=HeldOut("test accuracy", 0.77, True)
    )
    table = cmp.comparison_table(history.newest_first())
    assert list(table.columns[:2]) == ["run", "test accuracy (higher is better)"]
    assert list(table["test accuracy (higher is better)"]) == [0.77, 0.81]
    assert (
        HeldOut("test RMSE", 1.2345, False).text() == "1.234" and HeldOut("test accuracy", 0.8, True).text() == "80.0%"
    )
