"""The shape rules of ARCHITECTURE.md, checked: thin pages, no TensorFlow when a page opens,
core/ free of Streamlit, one lab package per page."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from core import labs
from tests.helpers import ROOT
from ui.registry import BOARD, HOME

# Derived from the one list of labs (core/labs.py); test_every_page_file_is_registered checks none is missing.
PAGES = [ROOT / HOME.path, ROOT / BOARD.path, *(ROOT / lab.path for lab in labs.LABS)]
LABS = labs.packages()
MAX_PAGE_LINES = 400
# What a page may import at the top, besides the standard library and light third-party
# packages: Streamlit glue, the engine's TensorFlow-free modules, data sources, and each
# lab's config/charts - or the lab package itself, whose TensorFlow modules load on first use.
ALLOWED_CORE = {
    "core",
    "core.engine.cells",
    "core.engine.config",
    "core.engine.limits",
    "core.engine.history",
    "core.engine.run",
    "core.engine.training_job",  # WorkSpec: plain data (no TensorFlow)
    "core.engine.charts",
    "core.engine.names",  # readers' names for layers (plain text)
    "core.engine.palette",
    "core.data.local",
    *(f"core.{lab}.config" for lab in LABS),
    *(f"core.{lab}.charts" for lab in LABS),
    *(f"core.{lab}.jobs" for lab in LABS),  # run requests: TensorFlow loads only inside the work (checked below)
}
HEAVY = ("tensorflow", "keras")


def _imports(tree: ast.Module) -> list[tuple[str, int]]:
    """(module, line) for each top-level import; `from core import x` counts as core.x."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in ("core", "core.engine", "core.data", *(f"core.{lab}" for lab in LABS)):
                found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((node.module, node.lineno))
    return found


def _is_allowed(module: str) -> bool:
    if not module.startswith("core"):
        return module.split(".")[0] not in HEAVY
    if module in ALLOWED_CORE:
        return True
    # `from core import sentiment`: a lab package (lazy), or a data source module
    return module in {f"core.{lab}" for lab in LABS} or module.startswith("core.data.")


def test_every_page_file_is_registered():
    """A page script that no lab in core/labs.py names would escape every check here and every menu."""
    assert sorted(PAGES) == sorted((ROOT / "app_pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_is_thin(page: Path):
    lines = len(page.read_text().splitlines())
    assert lines <= MAX_PAGE_LINES, f"{page.name} has {lines} lines (at most {MAX_PAGE_LINES})"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_imports_only_light_modules_at_the_top(page: Path):
    tree = ast.parse(page.read_text())
    bad = [f"line {line}: {module}" for module, line in _imports(tree) if not _is_allowed(module)]
    assert not bad, f"{page.name} imports heavy modules at the top: {bad}"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_has_no_function_local_imports(page: Path):
    """TensorFlow modules are reached through the lazy lab packages, not imports in functions."""
    tree = ast.parse(page.read_text())
    nested = [
        node.lineno
        for top in tree.body
        if not isinstance(top, ast.Import | ast.ImportFrom)
        for node in ast.walk(top)
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__"
    ]
    assert not nested, f"{page.name} imports inside functions at lines {nested}"


def test_opening_any_page_imports_no_tensorflow():
    """Run every page's top-level import statements in a fresh interpreter: TensorFlow stays unloaded."""
    statements = [
        ast.unparse(node)
        for page in PAGES
        for node in ast.parse(page.read_text()).body
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__"
    ]
    report = "print(sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras'))[:5])"
    code = "\n".join([*statements, "import sys", report])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_labs_jobs_module_imports_no_tensorflow():
    """A page builds its run requests with core/<lab>/jobs.py: importing them all leaves TensorFlow unloaded."""
    modules = sorted(f"core.{p.parent.name}.jobs" for p in (ROOT / "core").glob("*/jobs.py"))
    assert "core.gradients.jobs" in modules and "core.sentiment.jobs" in modules
    report = "print(sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras'))[:5])"
    code = "\n".join([*(f"import {m}" for m in modules), "import sys", report])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_core_never_imports_streamlit():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "core").rglob("*.py")
        if any(m.split(".")[0] == "streamlit" for m, _ in _imports(ast.parse(path.read_text())))
    ]
    assert not offenders


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_has_the_three_faces(lab: str):
    folder = ROOT / "core" / lab
    assert (folder / "config.py").is_file(), f"core/{lab}/config.py is missing"
    assert (folder / "charts.py").is_file(), f"core/{lab}/charts.py is missing"
    heavy = [p.name for p in folder.glob("*.py") if p.name not in ("__init__.py", "config.py", "charts.py")]
    assert heavy, f"core/{lab} has no training/analysis module"


@pytest.mark.parametrize("lab", LABS)
def test_lab_config_is_tensorflow_free(lab: str):
    tree = ast.parse((ROOT / "core" / lab / "config.py").read_text())
    heavy = [m for m, _ in _imports(tree) if m.split(".")[0] in HEAVY]
    assert not heavy, f"core/{lab}/config.py imports {heavy}"
