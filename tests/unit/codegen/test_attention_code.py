"""The Attention page's IMDb attention pooling as a standalone Keras script: it runs outside the project and
reproduces the app's trainer on the same configuration (tolerances in scripts.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core import attention
from core.attention.config import DEFAULT_POOLING_RUN, IMDB_PRESETS, PoolingConfig
from core.codegen import attention as gen
from core.codegen import program_for
from core.data import imdb
from core.engine.config import TrainConfig
from core.sentiment.config import padded_arrays
from tests.unit.codegen.scripts import ACCURACY_POINTS, assert_no_project_import, ruff_problems, run_program

VARIANTS = {
    "bidirectional LSTM, early stopping, no clipping": replace(
        DEFAULT_POOLING_RUN,
        data=replace(DEFAULT_POOLING_RUN.data, num_words=3000, max_length=60, embedding_dim=16),
        model=PoolingConfig(cell="LSTM", units=8, bidirectional=True, attention_units=8),
        train=TrainConfig(epochs=2, batch_size=64, learning_rate=5e-3, early_stopping_patience=1, seed=1),
    ),
}
CASES = {"default": DEFAULT_POOLING_RUN, **VARIANTS}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_the_app(name, imdb_subset, tmp_path):
    run = CASES[name]
    printed = run_program(program_for(run), tmp_path, imdb_subset)
    q = gen.quick(run)
    data = imdb.load_local(imdb_subset, imdb.FULL_VOCABULARY).with_vocabulary(q.data.num_words)
    outcome = attention.pooling.train_and_evaluate(q, padded_arrays(data, q.data.max_length), q.data.num_words)
    assert printed["parameters"] == outcome.model.count_params()
    assert abs(printed["test_accuracy"] - outcome.test_accuracy) <= ACCURACY_POINTS, (printed, outcome.test_accuracy)


@pytest.mark.parametrize("name", [*IMDB_PRESETS, *VARIANTS])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, tmp_path):
    program = program_for({**IMDB_PRESETS, **VARIANTS}[name])
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""
