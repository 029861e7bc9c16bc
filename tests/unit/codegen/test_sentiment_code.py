"""The Sentiment run as a standalone Keras script: it runs outside the project and reproduces the
app's trainer on the same configuration (tolerances in scripts.py)."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path

import pytest

from core import sentiment
from core.codegen import program_for
from core.codegen import sentiment as gen
from core.data import imdb
from core.engine.config import ModelConfig, TrainConfig
from core.sentiment.config import DEFAULT_PRESET, PRESETS, ImdbChoice, padded_arrays
from tests.unit.codegen.scripts import ACCURACY_POINTS, assert_no_project_import, ruff_problems, run_program

BASELINE = "Baseline: one-to-one, no recurrence"
# One non-default configuration per pattern besides the presets: a bidirectional two-layer LSTM with a
# mean read-out and clipping by global norm; the baseline with dropout, early stopping and clipping.
# (Clipping by value on an embedding is approximated by Keras' clipvalue, as the script says: not held here.)
VARIANTS = {
    "many_to_one: 2-layer BiLSTM, mean read-out, clip norm": replace(
        PRESETS[DEFAULT_PRESET],
        data=ImdbChoice(num_words=3000, max_length=60, embedding_dim=16),
        model=ModelConfig(pattern="many_to_one", cell="LSTM", units=8, layers=2, bidirectional=True,
                          readout="mean"),
        train=TrainConfig(epochs=1, batch_size=128, learning_rate=3e-3, clip_norm=1.0, seed=3),
    ),
    "one_to_one: dropout, early stopping, clip norm": replace(
        PRESETS[BASELINE],
        model=replace(PRESETS[BASELINE].model, dropout=0.2),
        train=TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, early_stopping_patience=1, clip_norm=0.5),
    ),
}
# The default preset and one non-default configuration per pattern (the Baseline preset's code path is the
# one-to-one variant's, without dropout, clipping and early stopping).
CASES = {DEFAULT_PRESET: PRESETS[DEFAULT_PRESET], **VARIANTS}


def app_run(run, folder: Path):
    """The app's own trainer on the run QUICK_RUN=1 makes of the script, on the same local copy."""
    q = gen.quick(run)
    data = imdb.load_local(folder, imdb.FULL_VOCABULARY).with_vocabulary(q.data.num_words)
    return sentiment.training.train_and_evaluate(q, padded_arrays(data, q.data.max_length), q.data.num_words)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_the_app(name, imdb_subset, tmp_path):
    run = CASES[name]
    printed = run_program(program_for(run), tmp_path, imdb_subset)
    outcome = app_run(run, imdb_subset)
    assert printed["parameters"] == outcome.model.count_params()
    assert abs(printed["test_accuracy"] - outcome.test_accuracy) <= ACCURACY_POINTS, (printed, outcome.test_accuracy)


@pytest.mark.parametrize("name", [*PRESETS, *VARIANTS])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, tmp_path):
    program = program_for({**PRESETS, **VARIANTS}[name])
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""


def test_the_code_is_a_pure_function_of_the_configuration():
    run = PRESETS[DEFAULT_PRESET]
    assert program_for(run).script() == program_for(replace(run)).script()
    other = program_for(replace(run, train=replace(run.train, learning_rate=0.002))).script()
    assert "LEARNING_RATE = 0.002" in other and "LEARNING_RATE = 0.01" in program_for(run).script()


@pytest.mark.parametrize(
    "text", ["it's", 'say "hi"', "back\\slash\\", "two\nlines", '"""; import os; os.system("x") #', "\x00\r\t'''"]
)
def test_a_visitors_text_enters_only_as_a_literal(text):
    """The local path a visitor typed: the script still parses, holds exactly that text, and runs nothing more."""
    run = replace(PRESETS[DEFAULT_PRESET], local_path=text)
    tree = ast.parse(program_for(run).script())
    plain = ast.parse(program_for(replace(run, local_path="x")).script())
    assert len(tree.body) == len(plain.body)
    values = [
        node.value.args[1].value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LOCAL_COPY"
    ]
    assert values == [text]
    json.loads(program_for(run).notebook())  # the notebook escapes it too


def test_the_notebook_validates_and_matches_the_script():
    nbformat = pytest.importorskip("nbformat")
    program = program_for(PRESETS[BASELINE])
    notebook = nbformat.reads(program.notebook(), as_version=4)
    nbformat.validate(notebook)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert [c.source for c in notebook.cells if c.cell_type == "markdown"][1:] == [
        f"## {s.title}\n\n{s.note}" for s in program.sections
    ]
    assert "model.fit(" in code and "test_accuracy" in code


@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom(imdb_subset, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("QUICK_RUN", "1")
    monkeypatch.setenv("LOCAL_COPY", str(imdb_subset))
    run = replace(PRESETS["Tiny: seconds, for a quick demo"], train=TrainConfig(epochs=1, batch_size=64))
    notebook = nbformat.reads(program_for(run).notebook(), as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert "test_accuracy: " in outputs and "parameters: " in outputs
