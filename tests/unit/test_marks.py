"""Tests are marked by what they need (tests/conftest.py), so `bash tests/run.sh --fast` can leave out the
browser, the Dask cluster and the long real-data training without anyone marking files by hand."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import FAST_DESELECT, _fixtures, marks_for, xdist_group
from tests.helpers import ROOT


def test_marks_follow_folder_fixtures_and_imports():
    assert "browser" in marks_for("tests/browser/test_browser_stocks.py", set(), "")
    assert "browser" in marks_for("tests/app/test_x.py", {"page"}, "")
    assert "tf" in marks_for("tests/unit/x.py", set(), "import tensorflow as tf\n")
    assert "tf" in marks_for("tests/unit/x.py", set(), "from core.sentiment import training\n")
    assert "tf" not in marks_for("tests/unit/x.py", set(), "# no tensorflow here, only words\nimport json\n")
    assert "process" in marks_for("tests/unit/x.py", set(), "from core.engine.workers import WorkerPool\n")
    assert "apptest" in marks_for("tests/app/x.py", set(), "from streamlit.testing.v1 import AppTest\n")
    assert "cluster" in marks_for("tests/unit/engine/test_cluster.py", {"cluster"}, "")
    slow_module = "tests/unit/shakespeare/test_shakespeare.py"
    assert "slow" in marks_for(slow_module, {"shared_data"}, "")
    assert "slow" not in marks_for(slow_module, set(), "")
    page_test = "from tests.helpers import app_at_page\n"
    assert "slow" in marks_for("tests/app/test_x.py", {"with_shared_data"}, page_test)  # a page on real data
    assert "slow" not in marks_for("tests/app/test_x.py", set(), page_test)  # the same page on generated data
    assert "slow" not in marks_for("tests/unit/data/test_x.py", {"shared_data"}, "import json\n")  # loading only


def test_every_mark_is_registered_and_the_fast_loop_leaves_out_what_it_promises():
    registered = {m.split(":")[0] for m in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
                  ["ini_options"]["markers"]}
    assert {"tf", "process", "apptest", "browser", "cluster", "slow"} <= registered
    assert FAST_DESELECT == "not browser and not cluster and not slow"
    run = (ROOT / "tests" / "run.sh").read_text()
    assert f'-m "{FAST_DESELECT}"' in run and "--durations=15" in run
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["timeout"] > 0


class _Item:
    """What `_fixtures` reads of a collected test: its fixture names and its parametrize marks."""

    def __init__(self, fixturenames: list[str], *marks: pytest.MarkDecorator) -> None:
        self.fixturenames = fixturenames
        self.marks = [m.mark for m in marks]

    def iter_markers(self, name: str):
        return (m for m in self.marks if m.name == name)


def test_a_parameter_named_like_a_browser_fixture_is_no_browser():
    """tests/app/test_structure.py parametrizes `page` (a page file): a value, not the Playwright page."""
    direct = _Item(["page"], pytest.mark.parametrize("page", ["home.py"]))
    assert _fixtures(direct) == set()
    assert "browser" not in marks_for("tests/app/test_structure.py", _fixtures(direct), "")
    assert _fixtures(_Item(["page", "number"], pytest.mark.parametrize(("page", "number"), [("a", 1)]))) == set()
    assert _fixtures(_Item(["page", "n"], pytest.mark.parametrize("page, n", [("a", 1)]))) == set()
    indirect = _Item(["page"], pytest.mark.parametrize("page", ["phone"], indirect=True))
    assert _fixtures(indirect) == {"page"}
    assert _fixtures(_Item(["page", "x"], pytest.mark.parametrize("page,x", [(1, 2)], indirect=["page"]))) == {"page"}
    assert _fixtures(_Item(["page", "app_url"])) == {"page", "app_url"}


def test_parallel_workers_keep_each_module_together_and_share_out_the_browser_tests():
    """tests/run.sh runs pytest-xdist with --dist loadgroup: one worker per module (its module fixtures are built
    once); browser tests one by one to any worker (one live server per worker)."""
    assert xdist_group("tests/browser/test_browser.py", {"browser"}) is None
    assert xdist_group("tests/app/test_x.py", {"browser", "apptest"}) is None
    assert xdist_group("tests/unit/x.py", {"tf"}) == "tests/unit/x.py"
    run = (ROOT / "tests" / "run.sh").read_text()
    assert "--dist loadgroup" in run and "--basetemp" in run
