"""The Attention page's encoder-decoder translation run, with and without attention, as a standalone Keras
script: it generates the same pairs, runs outside the project and reproduces the app's trainer on the same
configuration (tolerances in scripts.py: greedy exact match and per-character accuracy within ±2 points)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from core.attention.config import (
    BOTTLENECK_PRESET,
    DEFAULT_RUN,
    TINY_PRESET,
    TRANSLATION_PRESETS,
    AttentionPageRun,
    Seq2SeqConfig,
    TranslationData,
)
from core.codegen import program_for
from core.codegen import translation as gen
from core.data.dates import make_task
from core.engine.config import TrainConfig
from tests.unit.codegen.scripts import ACCURACY_POINTS, assert_no_project_import, ruff_problems, run_program

# Small enough for a test on two shared cores (the script's QUICK_RUN cut applies on top of these), yet trained
# long enough that per-character accuracy moves off chance (exact match stays near 0 after so few steps but for
# the Tiny preset's, so the test also compares the first held-out translations character for character).
SMALL = TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2, clip_norm=5.0)
CASES = {
    # the page's default preset, as its sidebar builds it (attention as wide as the RNN)
    "default preset": DEFAULT_RUN,
    # the Tiny preset (dates, bi-GRU + additive attention) in batches of 16: trained far enough for exact matches
    "Tiny preset, batches of 16": replace(
        TRANSLATION_PRESETS[TINY_PRESET], train=replace(TRANSLATION_PRESETS[TINY_PRESET].train, batch_size=16)
    ),
    # digits without attention: the context vector only (as the bottleneck twin trains)
    "digits, GRU, no attention": replace(
        DEFAULT_RUN, data=TranslationData(train_size=1_500, test_size=200),
        model=replace(DEFAULT_RUN.model, units=32, embedding_dim=16, attention="none"), train=SMALL,
    ),
    # non-default: dates, bidirectional LSTM encoder, dot-product attention, early stopping, another batch seed
    "dates, bi-LSTM + dot attention, early stopping": replace(
        DEFAULT_RUN,
        data=TranslationData(task="dates", train_size=1_500, test_size=200, seed=3),
        model=Seq2SeqConfig(cell="LSTM", units=16, bidirectional=True, attention="dot", embedding_dim=16),
        train=TrainConfig(epochs=2, batch_size=32, learning_rate=1e-2, early_stopping_patience=1, seed=1),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_the_app(name, tmp_path):
    from core.attention.seq2seq import train_translation  # TensorFlow: only for this slow test

    run = CASES[name]
    program = program_for(AttentionPageRun(run))
    printed = run_program(program, tmp_path)
    q = gen.quick(run)
    outcome = train_translation(q, make_task(q.data.task, q.data.train_size, q.data.test_size, q.data.seed),
                                probe_size=20)
    assert printed["parameters"] == outcome.model.count_params()
    app = {"test_exact_match": outcome.evaluation.exact_match, "test_char_accuracy": outcome.evaluation.char_accuracy}
    for metric, value in app.items():
        assert abs(printed[metric] - value) <= ACCURACY_POINTS, (metric, printed, app)
    if name == "Tiny preset, batches of 16":
        assert app["test_exact_match"] > 0.3  # whole translations right: the metric itself is held, not just 0 = 0
    # A sharper check than the scores of a short run: the first held-out translations, character for character
    # (float noise may flip one close call, not more).
    shown = re.findall(r"^'(.*)' -> '(.*)' \(", (tmp_path / program.filename).with_suffix(".out").read_text(), re.M)
    expected = outcome.evaluation.frame[["source", "prediction"]].head(len(shown))
    same = [s == tuple(e) for s, e in zip(shown, expected.itertuples(index=False), strict=True)]
    assert len(same) == 5 and sum(same) >= 4, (shown, expected)


@pytest.mark.parametrize("task", list(gen.TASK_CODE))
def test_the_script_generates_the_apps_pairs(task):
    code, imports = gen.TASK_CODE[task]
    namespace: dict = {"DATA_SEED": 5}
    exec("import numpy as np\n" + "\n".join(imports) + "\n" + code, namespace)  # the script's own task code
    train, test = namespace["make_pairs"](400, 60)
    app = make_task(task, 400, 60, seed=5)
    assert [s for s, _ in train] == list(app.train_sources) and [t for _, t in train] == list(app.train_targets)
    assert [s for s, _ in test] == list(app.test_sources) and [t for _, t in test] == list(app.test_targets)


def test_the_scripts_validation_split_is_the_apps():
    from core.attention import seq2seq  # TensorFlow

    assert gen.VALIDATION_FRACTION == seq2seq.VALIDATION_FRACTION
    task = make_task("numbers", 500, 50, seed=2)
    train_idx, val_idx = seq2seq.validation_split(task.train_sources, task.train_targets, task.test_targets, 2)
    # The script's split, on the same pairs (its Data section's lines, run on their own).
    values = sorted(set(task.train_targets))
    order = np.random.default_rng([2, 4243]).permutation(len(values))
    held_back = {values[i] for i in order[: round(len(values) * gen.VALIDATION_FRACTION)]}
    assert f"round(len(values) * {gen.VALIDATION_FRACTION!r})" in program_for(DEFAULT_RUN).script()
    assert list(val_idx) == [i for i, t in enumerate(task.train_targets) if t in held_back]
    assert list(train_idx) == [i for i, t in enumerate(task.train_targets) if t not in held_back]


@pytest.mark.parametrize("name", [*TRANSLATION_PRESETS, *CASES])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, tmp_path):
    run = {**TRANSLATION_PRESETS, **CASES}[name]
    program = program_for(AttentionPageRun(run, twin=name == BOTTLENECK_PRESET))
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""


def test_the_page_run_has_a_script_that_says_what_the_twin_is():
    with_twin = program_for(AttentionPageRun(TRANSLATION_PRESETS[BOTTLENECK_PRESET], twin=True)).script()
    alone = program_for(AttentionPageRun(DEFAULT_RUN)).script()
    assert "twin of this model without attention" in with_twin and "twin" not in alone
    without = program_for(AttentionPageRun(replace(DEFAULT_RUN, model=replace(DEFAULT_RUN.model, attention="none"))))
    assert "AlignmentAttention" in alone and "AlignmentAttention" not in without.script()
    assert "from keras import layers\n" in without.script()  # no `ops` import it would not use


def test_the_code_is_a_pure_function_of_the_configuration():
    run = CASES["dates, bi-LSTM + dot attention, early stopping"]
    assert program_for(AttentionPageRun(run)).script() == program_for(AttentionPageRun(run)).script()
    assert program_for(run).script() == program_for(AttentionPageRun(run)).script()


def test_the_notebook_validates_and_matches_the_script():
    nbformat = pytest.importorskip("nbformat")
    program = program_for(AttentionPageRun(TRANSLATION_PRESETS[BOTTLENECK_PRESET], twin=True))
    notebook = nbformat.reads(program.notebook(), as_version=4)
    nbformat.validate(notebook)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert [c.source for c in notebook.cells if c.cell_type == "markdown"][1:] == [
        f"## {s.title}\n\n{s.note}" for s in program.sections
    ]
    assert "model.fit(" in code and "test_exact_match" in code and "def make_pairs" in code


@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("QUICK_RUN", "1")
    run = replace(CASES["digits, GRU, no attention"], data=TranslationData(train_size=300, test_size=50),
                  model=DEFAULT_RUN.model, train=replace(SMALL, epochs=1))
    notebook = nbformat.reads(program_for(AttentionPageRun(run)).notebook(), as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert "test_exact_match: " in outputs and "parameters: " in outputs


@pytest.mark.parametrize(
    "cell, bidirectional, attention",
    [("LSTM", False, "additive"), ("SimpleRNN", True, "dot"), ("LSTM", True, "none"), ("GRU", False, "dot")],
)
def test_every_cell_direction_and_attention_builds_the_apps_model(cell, bidirectional, attention, monkeypatch):
    """The script's Data and Model sections, run here on a small task: the app's model, weight by weight
    (the reproduction tests above train only some of these combinations)."""
    from core.attention.seq2seq import prepare  # TensorFlow

    run = replace(DEFAULT_RUN, data=TranslationData(task="numbers", train_size=300, test_size=50),
                  model=Seq2SeqConfig(cell=cell, units=8, bidirectional=bidirectional, attention=attention,
                                      embedding_dim=8, attention_units=8))
    script = program_for(run).script()
    monkeypatch.setenv("QUICK_RUN", "1")
    namespace: dict = {"__name__": "translation_script"}
    exec(script[: script.index("# ------------------------------ Train")], namespace)
    app = prepare(make_task("numbers", 300, 50), run.model).models.train
    assert [(w.path, w.shape) for w in namespace["model"].weights] == [(w.path, w.shape) for w in app.weights]
    assert namespace["model"].count_params() == app.count_params()
    # ... and, built in the playground's order from the same seed, the same initial weights.
    for ours, theirs in zip(namespace["model"].get_weights(), app.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs)
