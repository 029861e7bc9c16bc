"""The Gradient lab's runs as standalone Keras scripts (one model, the three cells, clipping off/on): they run
outside the project and reproduce the app's trainer on the same configuration (tolerances in scripts.py).

One configuration cannot be held to a tolerance: the Exploding preset (recurrent scale 2, plain SGD at 0.3)
is chaotic, so float rounding alone moves its clipped run's test MSE (measured 0.238 with Keras'
global_clipnorm, 0.365 with tf.clip_by_global_norm in the optimiser, 0.489 in the app, same seed and
batches). For it the test holds what is not chaos: the unclipped run blows up at the same step as the app's,
the clipped run stays finite, and the parameter counts are equal.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from core.codegen import gradients as gen
from core.codegen import program_for
from core.data.memory_tasks import make_task
from core.engine.config import TrainConfig
from core.gradients.config import PRESETS, ComparisonConfig, LabModel, SourceChoice
from tests.unit.codegen.scripts import (
    ACCURACY_POINTS,
    LOSS_FRACTION,
    assert_no_project_import,
    ruff_problems,
    run_program,
)

DEFAULT = "Vanishing: SimpleRNN on the adding problem"
TINY = PRESETS["Tiny: a few seconds"]
EXPLODING = PRESETS["Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping"]
RECALL = replace(
    PRESETS["Copy/recall: name the marked symbol"],
    source=SourceChoice("recall", 20, 2_000),
    model=LabModel("LSTM", 12, "tanh", 0.9, layers=2),
    train=TrainConfig(epochs=1, batch_size=64, learning_rate=5e-3, clip_norm=0.5, seed=4),
    every=5,
)
# The default preset and one non-default configuration per pattern: one model (copy/recall, a two-layer
# LSTM), the three cells (Tiny at T = 20), clipping off/on (Tiny, threshold 0.05: it clips every step).
CASES = {
    DEFAULT: PRESETS[DEFAULT],
    "one model: recall, 2-layer LSTM, clip norm": RECALL,
    "three cells: Tiny at T=20": ComparisonConfig(TINY, (20,)),
    "clipping: Tiny, threshold 0.05": ComparisonConfig(TINY, clip_threshold=0.05),
}


def app_runs(config):
    """The app's own trainer (core.gradients.through_time) on the run QUICK_RUN=1 makes of the script."""
    from core.gradients.through_time import train_and_probe

    q = gen.quick(config)
    lab = q.lab if isinstance(q, ComparisonConfig) else q
    out = {}
    for run in gen.runs_of(q):
        task = make_task(lab.source.kind, run.length, lab.source.train_size, seed=0)
        out[gen.run_name(run)] = train_and_probe(
            task, run.model, run.train, every=lab.every, probe_size=lab.probe_size, label=run.label
        )
    return out


def _printed(printed: dict[str, float], name: str, key: str, single: bool) -> float:
    return printed[name if single else f"{name}_{key}"]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_the_app(name, tmp_path):
    config = CASES[name]
    program = program_for(config)
    printed = run_program(program, tmp_path)
    outcomes = app_runs(config)
    single = len(outcomes) == 1
    for key, outcome in outcomes.items():
        assert _printed(printed, "parameters", key, single) == outcome.model.count_params()
        value = _printed(printed, program.metric, key, single)
        if program.metric == "test_accuracy":
            assert abs(value - outcome.test_score) <= ACCURACY_POINTS, (key, value, outcome.test_score)
        else:
            assert abs(value - outcome.test_score) <= LOSS_FRACTION * outcome.test_score, (key, value, outcome)


@pytest.mark.slow
def test_the_exploding_run_blows_up_where_the_apps_does(tmp_path):
    config = ComparisonConfig(EXPLODING, clip_threshold=1.0)
    program = program_for(config)
    script = tmp_path / program.filename
    printed = run_program(program, tmp_path)
    output = script.with_suffix(".out").read_text()
    outcomes = app_runs(config)
    unclipped, clipped = outcomes["no_clipping"], outcomes["clip_norm_1"]
    assert unclipped.result.status == "diverged" and clipped.result.status == "completed"
    assert f"no_clipping: the loss became NaN/inf at step {unclipped.result.steps};" in output
    assert not re.search(r"clip_norm_1: the loss became", output)
    assert math.isfinite(printed["test_mse_clip_norm_1"]) and printed["test_mse_clip_norm_1"] < 10
    assert printed["parameters_no_clipping"] == printed["parameters_clip_norm_1"] == clipped.model.count_params()


@pytest.mark.parametrize("name", [*PRESETS, *CASES])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, tmp_path):
    config = {**PRESETS, **CASES}[name]
    if not gen.supported(config):
        assert program_for(config) is None  # IMDb and stock sources: no script yet, the panel says so
        return
    program = program_for(config)
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""


def test_the_code_is_a_pure_function_of_the_configuration():
    config = ComparisonConfig(TINY, (20, 50))
    assert program_for(config).script() == program_for(replace(config)).script()
    script = program_for(config).script()
    assert script.count('"SimpleRNN_T20", "SimpleRNN", 20') == 1 and '"GRU_T50", "GRU", 50' in script
    clipped = program_for(ComparisonConfig(TINY, clip_threshold=0.05)).script()
    assert '("no_clipping", "SimpleRNN", 20, None)' in clipped
    assert '("clip_norm_0p05", "SimpleRNN", 20, 0.05)' in clipped
