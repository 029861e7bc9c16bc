"""Chart builders return valid Vega-Lite with tooltips and the right encodings."""

import re

import numpy as np
import pandas as pd
import vl_convert

from core.engine import charts
from core.engine.config import ModelConfig, TrainConfig, config_diff
from tests.helpers import spec_dicts


def history():
    steps = np.arange(1, 21)
    batches = pd.DataFrame(
        {
            "step": steps,
            "epoch": (steps - 1) // 10 + 1,
            "loss": 1 / steps,
            "accuracy": steps / 20,
            "grad_norm": 2.0 / steps,
            "grad_norm/rnn_1": 1.5 / steps,
            "grad_norm/output": 0.5 / steps,
        }
    )
    epochs = pd.DataFrame(
        {
            "epoch": [1, 2],
            "loss": [0.3, 0.1],
            "accuracy": [0.5, 0.9],
            "val_loss": [0.35, 0.2],
            "val_accuracy": [0.5, 0.8],
        }
    )
    return batches, epochs


def spec(chart):
    return chart.to_dict()


def all_tooltips(d):
    found = []
    if isinstance(d, dict):
        for k, v in d.items():
            if k == "tooltip":
                found.append(v)
            found += all_tooltips(v)
    elif isinstance(d, list):
        for v in d:
            found += all_tooltips(v)
    return found


def test_training_curves_have_train_and_validation_series():
    batches, epochs = history()
    d = spec(charts.training_curves(batches, epochs, "accuracy"))
    values = d["datasets"][next(iter(d["datasets"]))]
    assert {v["series"] for v in values} == {"train (per batch)", "train", "validation"}
    assert all_tooltips(d)


def test_gradient_chart_is_log_scale_with_clip_rule():
    batches, _ = history()
    d = spec(charts.gradient_norm_chart(batches, clip_norm=1.0))
    text = str(d)
    assert "'type': 'log'" in text
    layers = {v["layer"] for ds in d["datasets"].values() for v in ds if "layer" in v}
    assert layers == {"recurrent layer 1", "output layer", charts.GLOBAL_NORM}  # readers' names, not rnn_1
    assert any(v.get("clip") == 1.0 for ds in d["datasets"].values() for v in ds)


def test_empty_history_gives_a_message_chart():
    empty = pd.DataFrame()
    assert "no steps yet" in str(spec(charts.training_curves(empty, empty)))
    assert "no steps yet" in str(spec(charts.gradient_norm_chart(empty)))


def test_config_diff_names_changed_fields():
    a = ModelConfig(units=32)
    b = ModelConfig(units=64, cell="LSTM")
    assert config_diff(a, b) == ["cell: GRU → LSTM", "units: 32 → 64"]
    assert config_diff(TrainConfig(), TrainConfig()) == []


def test_config_validation_messages():
    problems = TrainConfig(epochs=0, learning_rate=5.0, clip_norm=-1).problems()
    assert len(problems) == 3


def test_config_diff_survives_class_redefinition():
    from dataclasses import dataclass

    def make():
        @dataclass(frozen=True)
        class Run:
            model: ModelConfig
            epochs: int = 1

        return Run

    old, new = make()(ModelConfig()), make()(ModelConfig())
    assert config_diff(old, new) == []
    assert config_diff(old, make()(ModelConfig(units=8), 2)) == ["model units: 32 → 8", "epochs: 1 → 2"]


# ----------------------------------------------------------------------------- several runs, one progress


def joined_runs():
    """Three runs of 20 steps / 2 epochs each, as a several-run work streams them into one progress."""
    batches, epochs = history()
    steps = pd.concat([batches.assign(step=batches["step"] + 20 * i, epoch=batches["epoch"] + 2 * i) for i in range(3)])
    eps = pd.concat(
        [epochs.drop(columns=["val_loss", "val_accuracy"]).assign(epoch=[1 + 2 * i, 2 + 2 * i]) for i in range(3)]
    )
    starts = [charts.RunStart(name, 20 * i, 2 * i) for i, name in enumerate(["SimpleRNN", "LSTM", "GRU"])]
    return steps.reset_index(drop=True), eps.reset_index(drop=True), starts


def datasets(d) -> list[dict]:
    return [row for rows in d["datasets"].values() for row in rows]


def legend_domains(d) -> list[list]:
    return [
        x["color"]["scale"]["domain"]
        for x in spec_dicts(d)
        if isinstance(x.get("color"), dict) and x["color"].get("field") == "run"
    ]


def axis_formats(d) -> list[str]:
    found = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("axis"), dict) and ("format" in x["axis"] or "labelExpr" in x["axis"]):
                found.append(x["axis"].get("format") or x["axis"]["labelExpr"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(d)
    return found


def test_by_run_counts_every_run_from_its_own_start():
    batches, epochs, starts = joined_runs()
    b, e = charts.by_run(batches, epochs, starts)
    assert list(dict.fromkeys(b["run"])) == ["SimpleRNN", "LSTM", "GRU"]
    assert (b.groupby("run")["step"].agg(["min", "max"]).values == [1, 20]).all()  # each run starts at 0
    assert (b.groupby("run")["epoch"].max() == 2).all() and (e.groupby("run")["epoch"].max() == 2).all()
    assert charts.by_run(batches, epochs, None)[0] is batches  # a single run is left alone


def test_runs_are_overlaid_from_zero_and_named_in_the_legend():
    """Not end to end (SimpleRNN 0-20, LSTM 20-40, GRU 40-60) under one 'train' legend entry."""
    batches, epochs, starts = joined_runs()
    b, e = charts.by_run(batches, epochs, starts)
    d = spec(charts.training_curves(b, e, "loss", "loss"))
    rows = datasets(d)
    assert {r["run"] for r in rows} == {"SimpleRNN", "LSTM", "GRU"}
    assert max(r["step"] for r in rows) == 20 and min(r["step"] for r in rows) == 1
    assert legend_domains(d) and all(x == ["SimpleRNN", "LSTM", "GRU"] for x in legend_domains(d))
    assert "validation" not in {r["series"] for r in rows}  # none recorded: none drawn
    assert set(axis_formats(d)) == {charts.LINEAR_LABELS}
    norms = spec(charts.gradient_norm_chart(b, clip_norm=1.0))
    assert legend_domains(norms) and all(x == ["SimpleRNN", "LSTM", "GRU"] for x in legend_domains(norms))
    assert max(r["step"] for r in datasets(norms) if "step" in r) == 20
    assert charts.LOG_FORMAT in axis_formats(norms)


def test_runs_named_after_cells_keep_the_cells_colours():
    scale = charts.run_colors(["SimpleRNN", "LSTM", "GRU"])
    assert scale.range == [charts.CELL_COLORS[c] for c in ("SimpleRNN", "LSTM", "GRU")]
    from core.engine import palette

    assert charts.run_colors(["no clipping", "clip norm 1"]).range == [palette.BLUE, palette.VERMILLION]


def test_curves_caption_says_what_the_chart_draws():
    batches, epochs = history()
    assert "validation data" in charts.curves_caption(batches, epochs)
    no_val = epochs.drop(columns=["val_loss", "val_accuracy"])
    text = charts.curves_caption(batches, no_val)
    assert "validation" not in text.replace("no validation data", "") and "keeps no validation data" in text
    b, e = charts.by_run(*joined_runs())
    assert "One colour per run (SimpleRNN, LSTM, GRU)" in charts.curves_caption(b, e)


def test_norms_caption_describes_the_chart_drawn():
    batches, _ = history()
    assert "each layer's weights" in charts.norms_caption(batches) and "threshold" not in charts.norms_caption(batches)
    assert "clip threshold (0.5)" in charts.norms_caption(batches, 0.5)
    b, _ = charts.by_run(*joined_runs())
    text = charts.norms_caption(b)
    assert "each run (SimpleRNN, LSTM, GRU)" in text and "dashed line is all layers" not in text


def test_axes_use_one_format_per_scale():
    batches, epochs = history()
    assert set(axis_formats(spec(charts.training_curves(batches, epochs)))) == {charts.LINEAR_LABELS}
    assert charts.LOG_FORMAT in axis_formats(spec(charts.gradient_norm_chart(batches)))


def test_layers_get_readers_names():
    assert charts.layer_name("rnn_2") == "recurrent layer 2"
    assert charts.layer_name("decoder_1") == "decoder layer 1"
    assert charts.layer_name("attention_combine") == "attention + decoder (combine)"
    assert charts.layer_name("dense_head") == "dense_head"


def tick_labels(chart) -> list[str]:
    """The texts Vega actually draws (axis ticks, titles, legend), rendered to SVG."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(chart.to_dict()))


def test_drawn_ticks_never_show_long_decimals_or_digit_groups():
    """Measured glitches: y ticks "1.9999999999999…" and "15,000,000,000,0…"; mixed "0.000001" and "1e-10"."""
    steps = np.arange(1, 21)
    flat = pd.DataFrame({"step": steps, "epoch": 1, "loss": 1.9999999999999 + 1e-13 * steps})
    labels = tick_labels(charts.training_curves(flat, pd.DataFrame(), "loss"))
    assert not [t for t in labels if "999999" in t or "000000" in t]
    exploding = flat.assign(loss=np.geomspace(1.5, 1.5e13, 20))
    labels = tick_labels(charts.training_curves(exploding, pd.DataFrame(), "loss"))
    assert "loss (log scale)" in labels and "1e+13" in labels and not [t for t in labels if "," in t]
    huge = flat.assign(loss=np.linspace(0, 1.5e13, 20))
    labels = tick_labels(charts.training_curves(huge, pd.DataFrame(), "loss"))
    assert "1e+13" in labels and not [t for t in labels if "," in t or (len(t) > 8 and t[0].isdigit())]
    norms = flat.assign(grad_norm=np.geomspace(1e-10, 1.0, 20), **{"grad_norm/rnn_1": np.geomspace(1e-6, 1, 20)})
    numbers = [t for t in tick_labels(charts.gradient_norm_chart(norms)) if t[:1].isdigit()]
    logs = [t for t in numbers if "e" in t]
    assert "1e-10" in logs and "0.000001" not in numbers
