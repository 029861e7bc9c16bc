"""Chart builders return valid Vega-Lite with tooltips and the right encodings."""

import numpy as np
import pandas as pd

from core.engine import charts
from core.engine.config import ModelConfig, TrainConfig, config_diff


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
