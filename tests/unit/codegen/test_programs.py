"""Every generated program, for every preset of every lab with a generator: the script compiles, has the four
sections in order with one comment each, documents its switches, and its notebook is valid nbformat 4."""

from __future__ import annotations

import ast

import pytest

from core.attention.config import IMDB_PRESETS, TRANSLATION_PRESETS, TWIN_PRESETS, AttentionPageRun
from core.codegen import program_for
from core.codegen.common import LOCAL_ENV, QUICK_ENV, SECTIONS
from core.gradients.config import PRESETS as GRADIENTS
from core.gradients.config import ComparisonConfig
from core.sentiment.config import PRESETS as SENTIMENT
from core.shakespeare.config import PRESETS as SHAKESPEARE
from core.shakespeare.config import DataChoice, ShakespeareRun

RUNS = {
    **{f"sentiment/{n}": r for n, r in SENTIMENT.items()},
    **{f"shakespeare/{n}": ShakespeareRun(DataChoice(), r) for n, r in SHAKESPEARE.items()},
    **{f"attention/{n}": r for n, r in IMDB_PRESETS.items()},
    **{f"attention/{n}": AttentionPageRun(r, n in TWIN_PRESETS) for n, r in TRANSLATION_PRESETS.items()},
    **{f"gradients/{n}": r for n, r in GRADIENTS.items()},
    **{f"gradients/cells, {n}": ComparisonConfig(r, (r.source.length, 100)) for n, r in GRADIENTS.items()},
    **{f"gradients/clipping, {n}": ComparisonConfig(r, clip_threshold=1.0) for n, r in GRADIENTS.items()},
}
PROGRAMS = {name: program_for(run) for name, run in RUNS.items() if program_for(run) is not None}


def test_every_lab_with_a_generator_is_covered():
    assert {name.split("/")[0] for name in PROGRAMS} == {"sentiment", "shakespeare", "attention", "gradients"}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_script_has_its_sections_and_switches(name):
    program = PROGRAMS[name]
    script = program.script()
    ast.parse(script)
    assert [s.title for s in program.sections] == list(SECTIONS)
    positions = [script.index(f"------------------------------ {title}\n# ") for title in SECTIONS]
    assert positions == sorted(positions)
    assert f"{QUICK_ENV}=1 python {program.filename}" in script
    # A program that reads data takes a local copy; a generated task's has nothing to read.
    assert (f'os.environ.get("{LOCAL_ENV}"' in script) == bool(program.local_words)
    assert f'print(f"{program.metric}' in script and 'print(f"parameters' in script


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_notebook_is_valid(name):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.reads(PROGRAMS[name].notebook(), as_version=4)
    nbformat.validate(notebook)
    titles = [c.source.splitlines()[0] for c in notebook.cells if c.cell_type == "markdown"][1:]
    assert titles == [f"## {title}" for title in SECTIONS]
