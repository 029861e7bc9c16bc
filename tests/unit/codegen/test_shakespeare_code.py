"""The Shakespeare run as a standalone Keras script: it runs outside the project and reproduces the app's
trainer on the same configuration (tolerances in scripts.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core import shakespeare
from core.codegen import program_for
from core.codegen import shakespeare as gen
from core.data import shakespeare as shakespeare_data
from core.engine.config import ModelConfig, TrainConfig
from core.shakespeare.char_rnn import encode_text
from core.shakespeare.config import DEFAULT_PRESET, PRESETS, DataChoice, ShakespeareRun
from tests.unit.codegen.scripts import LOSS_FRACTION, assert_no_project_import, ruff_problems, run_program

M2O = "Many-to-one: one target per window"
VARIANTS = {
    "many_to_many: 2-layer LSTM, dropout, no clipping": replace(
        PRESETS["Tiny: seconds, for a quick demo"],
        model=ModelConfig(pattern="many_to_many", cell="LSTM", units=16, layers=2, dropout=0.1),
        train=TrainConfig(epochs=1, batch_size=64, learning_rate=5e-3, seed=2),
    ),
}
CASES = {name: ShakespeareRun(DataChoice(), run) for name, run in {**PRESETS, **VARIANTS}.items()}
STATEFUL = "Stateful: state carried across windows"
REPRODUCED = [DEFAULT_PRESET, M2O, STATEFUL, *VARIANTS]


@pytest.mark.slow
@pytest.mark.parametrize("name", REPRODUCED)
def test_script_reproduces_the_app(name, shared_data, tmp_path):
    run = CASES[name]
    printed = run_program(program_for(run), tmp_path, shared_data)
    q = gen.quick(run).run
    text = shakespeare_data.load_local(shared_data).text
    outcome = shakespeare.training.train_char_rnn(encode_text(text, q.text.validation_fraction, q.text.max_chars), q)
    assert printed["parameters"] == outcome.model.count_params()
    assert abs(printed["val_loss"] - outcome.val_loss) <= LOSS_FRACTION * outcome.val_loss, (printed, outcome.val_loss)


@pytest.mark.parametrize("name", [n for n in CASES if gen.supported(CASES[n])])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, tmp_path):
    program = program_for(CASES[name])
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""


def test_a_stateful_run_trains_a_stateful_model_and_validates_on_a_twin():
    """A stateful run: fixed batch shape, the windows in text order, states reset each epoch, validation on a
    stateless twin with the weights copied in (the app's StatefulTrainer)."""
    script = program_for(CASES[STATEFUL]).script()
    assert 'shape = {"batch_shape": (BATCH_SIZE, None)} if stateful' in script and "stateful=stateful" in script
    assert "shuffle=False, drop_remainder=True)" in script and "ResetStatesEachEpoch()" in script
    assert "twin.evaluate(" in script and "validation_data=" not in script


@pytest.mark.parametrize("text", ['a"b', "c:\\new\\t", "x\ny", '"""', "'''"])
def test_a_visitors_path_enters_only_as_a_literal(text):
    run = replace(CASES[DEFAULT_PRESET], data=DataChoice(local_path=text))
    script = program_for(run).script()
    namespace: dict = {}
    settings = script.split("# Settings, as the playground had them.")[1].split("QUICK_RUN =")[0]
    exec(compile("import os\n" + settings, "settings", "exec"), namespace)  # constants only
    assert namespace["LOCAL_COPY"] == text
