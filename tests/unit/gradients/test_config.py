"""The Gradient lab's TensorFlow-free face: presets as data, typed outcomes, verdicts, ladders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields, replace

import numpy as np
import pytest

from core.data.memory_tasks import Score
from core.engine.config import TrainConfig
from core.engine.history import TrainingResult
from core.engine.run import TrainedRun
from core.gradients import config as lab
from core.gradients.charts import bptt_dot
from tests.helpers import ROOT
from ui import controls

MSE = Score("MSE", lower_is_better=True, baseline=1 / 6, baseline_label="always answer 1")
ACCURACY = Score("accuracy", lower_is_better=False, baseline=0.125, baseline_label="guess a symbol")


def test_config_and_charts_load_without_tensorflow():
    code = (
        "import sys; import core.gradients.config, core.gradients.charts; "
        "print([m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')][:3])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", list(lab.PRESETS))
def test_every_preset_is_valid_and_fits_the_page_ladders(name: str):
    preset = lab.PRESETS[name]
    assert not preset.model.problems() and not preset.train.problems()
    assert preset.source.kind in lab.SOURCES and preset.source.length in lab.LENGTH_CHOICES
    assert preset.model.recurrent_scale in lab.SCALE_CHOICES
    assert preset.model.units in controls.ladder(controls.UNITS_LADDER, *lab.UNITS_RANGE)
    assert preset.train.batch_size in controls.ladder(controls.BATCH_LADDER, *lab.BATCH_RANGE)
    assert preset.train.learning_rate in controls.ladder(controls.LR_LADDER, hi=lab.MAX_LR)
    assert preset.train.optimizer in controls.OPTIMIZERS and preset.train.epochs <= lab.MAX_EPOCHS
    assert preset.train.clip_norm is None or preset.train.clip_norm in controls.ladder(
        controls.CLIP_LADDER, *lab.CLIP_RANGE
    )
    if preset.source.kind in lab.SIZE_SLIDERS:
        assert preset.source.train_size in lab.SIZE_SLIDERS[preset.source.kind][1]
    assert 1 <= preset.every <= lab.MAX_RECORD_EVERY


def test_one_learning_rate_ladder_capped_per_page():
    """The shared controls keep their 1e-4..0.1 ladder; the Gradient lab's reaches 1.0 (SGD at 0.3 explodes)."""
    assert controls.LR_CHOICES == (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 1e-1)
    page = controls.ladder(controls.LR_LADDER, hi=lab.MAX_LR)
    assert page[: len(controls.LR_CHOICES)] == list(controls.LR_CHOICES) and page[-2:] == [0.3, 1.0]
    assert lab.PRESETS["Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping"].train.learning_rate == 0.3
    assert controls.ladder(controls.UNITS_LADDER, hi=128)[-1] == 128
    assert controls.ladder(controls.BATCH_LADDER, 16, 256) == [16, 32, 64, 128, 256]
    assert controls.ladder(controls.CLIP_LADDER, 0.1, 5.0) == [0.1, 0.5, 1.0, 2.0, 5.0]


def test_outcomes_are_typed_runs():
    for outcome in (lab.SingleOutcome, lab.ComparisonOutcome):
        assert issubclass(outcome, TrainedRun)
        names = [f.name for f in fields(outcome)]
        assert names[:3] == ["result", "model", "config"] and "score" in names
    result = TrainingResult("completed", "done", [], [], 1.5)
    preset = lab.PRESETS["Tiny: a few seconds"]
    runs = [_Run(10), _Run(20), _Run(20)]
    outcome = lab.ComparisonOutcome(result, None, lab.ComparisonConfig(preset, (10, 20)), runs, MSE)  # type: ignore[arg-type]
    assert outcome.seconds == 1.5 and outcome.longest == runs[1:]


class _Run:
    def __init__(self, length: int):
        self.length = length


@pytest.mark.parametrize(
    ("value", "score", "words"),
    [
        (0.16, MSE, "Close to the trivial baseline"),
        (0.10, MSE, "far from solved"),
        (0.01, MSE, "Well below the trivial baseline"),
        (0.15, ACCURACY, "About as good as the trivial guess"),
        (0.60, ACCURACY, "Clearly better than guessing"),
        (0.99, ACCURACY, "Close to perfect"),
    ],
)
def test_verdict_places_a_score_between_baseline_and_perfect(value, score, words):
    assert words in lab.verdict(value, score)


def test_what_next_follows_how_the_run_ended():
    diverged = lab.what_next("diverged", "SimpleRNN")
    assert "Clip the gradient norm" in diverged[0] and len(diverged) == 3
    simple = lab.what_next("completed", "SimpleRNN")
    assert "GRU" in simple[0] and "Double T" in simple[1]
    gated = lab.what_next("completed", "LSTM")
    assert len(gated) == 2 and "SimpleRNN" in gated[0]
    assert all("Exploding" in tips[-1] for tips in (diverged, simple, gated))


def test_divergence_step_and_reach_ratio():
    assert lab.divergence_step(TrainingResult("diverged", "", [], [], 0.0)) == 0
    assert lab.divergence_step(TrainingResult("completed", "", [], [], 0.0)) is None
    assert lab.reach_ratio(np.array([1e-3, 0.5, 1.0])) == pytest.approx(1e-3)
    assert np.isnan(lab.reach_ratio(np.array([1.0, 0.0])))


def test_comparison_signature_ignores_only_the_cell():
    config = lab.PRESETS["Vanishing: SimpleRNN on the adding problem"]
    gru = replace(config, model=replace(config.model, cell="GRU"))
    assert lab.comparison_signature(config) == lab.comparison_signature(gru)
    wider = replace(config, model=replace(config.model, units=64))
    slower = replace(config, train=replace(config.train, learning_rate=1e-3))
    assert len({lab.comparison_signature(c) for c in (config, wider, slower)}) == 3


def test_run_plans():
    train = TrainConfig(epochs=1, batch_size=32, clip_norm=1.0)
    runs = lab.cell_runs(lab.LabModel("SimpleRNN", 8, "relu", 1.5), train, [20, 50])
    assert [r.label for r in runs[:3]] == ["SimpleRNN, T=20", "LSTM, T=20", "GRU, T=20"]
    off, on = lab.clipping_runs(lab.LabModel(), train, 30, 2.0)
    assert off.train.clip_norm is None and on.train.clip_norm == 2.0 and on.label == "clip norm 2"


def test_words_cover_every_cell():
    assert set(lab.JACOBIANS) == {"SimpleRNN", "LSTM", "GRU"}
    assert "Set $" not in lab.STAND_IN and "{notice}" in lab.STAND_IN
    assert "{score}" in lab.SCORES_HELP
    assert "GRU" in bptt_dot("GRU")
