"""The one list of labs (core/labs.py): every other list is derived from it, so a lab added there alone
appears in the menu, the pattern map, the experiments, the workers' warm-up, the structure tests, the
bench page lists and the README table; and what each lab names exists."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import labs
from core.engine.config import PATTERNS
from tests.helpers import ROOT
from ui.registry import panel_title

# A lab that exists only as a registry entry, added in a fresh interpreter before anything imports the lists.
FAKE_LAB = """
import dataclasses, json, sys
sys.path[:0] = [{root!r}, {bench!r}]
from core import labs
from core.engine.config import PATTERNS
fake = dataclasses.replace(labs.LABS[-1], key="fake-lab", title="Fake lab", package="fake", page="fake_lab",
                           trains=("many_to_one",), readme="pretend", warm=("training",),
                           views={{"fake-extra": "fake-lab?part=x"}})
labs.LABS = (*labs.LABS, fake)
from ui import registry, experiments
from core.engine import workers
import harness
import experiments as bench_experiments
from tests.app import test_structure
print(json.dumps({{
    "menu": [p.path for p in registry.PAGES],
    "pattern": list(registry.PATTERN_PAGES["many_to_one"]),
    "panel_title": registry.panel_title("fake-lab-compare"),
    "experiments": experiments.PAGES,
    "warm": list(workers.WARM_MODULES),
    "structure_pages": [str(p) for p in test_structure.PAGES],
    "structure_labs": list(test_structure.LABS),
    "bench_views": harness.PAGE_VIEWS,
    "bench_panels": harness.TRAINING_PANELS,
    "bench_scripts": bench_experiments.PAGE_FILES,
    "readme": labs.readme_table(),
}}))
"""


def test_a_lab_added_to_the_registry_alone_appears_in_every_derived_list():
    code = FAKE_LAB.format(root=str(ROOT), bench=str(ROOT / "bench"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["menu"][-1] == "app_pages/fake_lab.py"
    assert "app_pages/fake_lab.py" in seen["pattern"]
    assert seen["panel_title"] == "Fake lab"
    assert seen["experiments"]["fake-lab"] == "core.fake.experiments"
    assert "core.fake.training" in seen["warm"]
    assert str(ROOT / "app_pages" / "fake_lab.py") in seen["structure_pages"]
    assert "fake" in seen["structure_labs"]
    assert seen["bench_views"]["fake-lab"] == "fake-lab" and seen["bench_views"]["fake-extra"] == "fake-lab?part=x"
    assert seen["bench_panels"]["fake-lab"] == "fake-lab"
    assert seen["bench_scripts"]["fake-lab"] == "app_pages/fake_lab.py"
    assert "| **Fake lab** | many-to-one | pretend |" in seen["readme"]


def test_the_readme_table_of_pages_is_the_registry_s():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert labs.readme_table() in readme, "README's table of pages differs; paste core.labs.readme_table()"


@pytest.mark.parametrize("lab", labs.LABS, ids=[lab.key for lab in labs.LABS])
def test_every_file_a_lab_names_exists(lab: labs.Lab):
    assert (ROOT / lab.path).is_file()
    folder = ROOT / "core" / lab.package
    for face in ("config.py", "charts.py", "experiments.py"):
        assert (folder / face).is_file(), f"core/{lab.package}/{face} is missing"
    for module in lab.warm:
        assert (folder / f"{module}.py").is_file(), f"core/{lab.package}/{module}.py is missing"


def test_the_registry_names_every_pattern_and_no_other():
    assert set(labs.PATTERNS) == set(PATTERNS)
    assert all(set(lab.trains) <= set(PATTERNS) for lab in labs.LABS)
    assert all(labs.pattern_pages()[pattern] for pattern in labs.PATTERNS), "a pattern no page trains"


@pytest.mark.parametrize(
    ("panel", "title"),
    [
        ("gradient-lab", "Gradient lab"),  # the page's own panel: the raw key was shown before (issue 23)
        ("gradient-lab-compare", "Gradient lab"),
        ("gradient-lab-clip", "Gradient lab"),
        ("gradient_lab", "Gradient lab"),
        ("attention_imdb", "Attention"),
        ("sentiment", "Sentiment (IMDb)"),
        ("my_panel", "my panel"),
    ],
)
def test_a_run_is_named_by_its_page_title(panel: str, title: str):
    assert panel_title(panel) == title
