"""Shared fixtures: the real data beside the checkout, AppTest helpers, a live server and
a Playwright browser driving Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tokenised data goes to a cache folder of this test run (shared with the browser tests' server),
# never the user's own ~/.cache.
os.environ.setdefault("RNN_PLAYGROUND_CACHE", tempfile.mkdtemp(prefix="rnn-playground-tests-"))
# The test process holds many sessions' data at once, unlike a server; the memory budget's own
# tests set theirs.
os.environ.setdefault("RNN_PLAYGROUND_MEMORY_MB", "64000")
# The test process opens hundreds of pages (AppTest), each of which would have the idle worker rehearse its
# configuration (core.engine.reuse): minutes of tracing nobody trains. Rehearsals have their own tests
# (tests/unit/engine/test_workers.py, test_reuse.py), and the live servers below keep the deployed default (there
# the rehearsal overlaps the page load, and the browser tests measured 10 % slower without it).
os.environ.setdefault("RNN_PLAYGROUND_REHEARSALS", "0")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.data import stocks as _stocks  # noqa: E402 - after the path and settings above
from tests.helpers import RERUN_WATCH  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_download_guard():
    """Each test starts with no remembered download failures and a fresh per-minute download budget."""
    _stocks.GUARD.forget()
    yield
    _stocks.GUARD.forget()


@pytest.fixture(autouse=True)
def _main_module_kept():
    """An AppTest runs its script as `__main__` and Streamlit leaves it there. A process started later with
    multiprocessing's spawn (Dask's nanny) runs the main module's file first: an AppTest.from_function script
    then fails in the child (NameError: __args) and the cluster never starts. Each test gets the main module back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real IMDb, Shakespeare, stocks); tests needing it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture
def with_shared_data(monkeypatch, shared_data):
    """Point the app's local-copy setting at ../shared/data for this test."""
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(shared_data))
    return shared_data


@pytest.fixture
def without_local_data(monkeypatch):
    monkeypatch.delenv("RNN_PLAYGROUND_DATA", raising=False)


# ----------------------------------------------------------------------------- live server


# One log per pytest-xdist worker (tests/run.sh runs the suite on several): never two servers in one file.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
SERVER_LOG = ROOT / "tests" / (f"streamlit-server-{_WORKER}.log" if _WORKER else "streamlit-server.log")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(**settings: str) -> dict[str, str]:
    """The environment of a live server a test starts: this process's, with the deployed default for rehearsals
    (the test process turns them off above) and quiet TensorFlow logs, plus `settings`."""
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RNN_PLAYGROUND_REHEARSALS="1", **settings)


@pytest.fixture(scope="session")
def app_url():
    """`streamlit run app.py` on a free loopback port, for the browser tests."""
    port = _free_port()
    env = server_env()
    if SHARED_DATA.is_dir():
        env["RNN_PLAYGROUND_DATA"] = str(SHARED_DATA)
    log = open(SERVER_LOG, "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"Streamlit server did not start; see {SERVER_LOG.relative_to(ROOT)}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


class _StillBrowser:
    """The browser, whose every context asks for reduced motion (`prefers-reduced-motion: reduce`): Streamlit's
    spinners and transitions stand still. Chromium took 45 % of the CPU of the experiment-link tests, more than
    the training; still pages cost it less, and the pages are the same. Every page also carries RERUN_WATCH, so
    wait_for_app_idle knows a click's rerun is still on its way to the server."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**{"reduced_motion": "reduce", **options})
        context.add_init_script(RERUN_WATCH)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield _StillBrowser(b)
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


# ----------------------------------------------------------------------------- shared runs


@pytest.fixture(autouse=True)
def _no_runs_left_over():
    """Each test starts with no run training, queued, or finished and shared from an earlier test
    (the run manager and its worker processes live once per test process, like once per server)."""
    yield
    runs = sys.modules.get("ui.runs")
    manager = runs.existing_manager() if runs is not None else None
    if manager is not None:
        manager.stop_all("The test ended")
        manager.forget_finished()


# ----------------------------------------------------------------------------- marks by need

# What a test needs, read from where it lives and what it uses, so nobody marks 700 tests by hand.
# `bash tests/run.sh --fast` deselects browser, cluster and slow (FAST_DESELECT).
FAST_DESELECT = "not browser and not cluster and not slow"
_BROWSER_FIXTURES = {"page", "browser", "app_url"}
_DATA_FIXTURES = {"shared_data", "with_shared_data"}
_NEEDS = {
    "tf": re.compile(
        r"^\s*(from|import)\s+(tensorflow|keras)\b|^\s*from\s+core\.\w+(\.\w+)?\s+import\s+.*\b(training|trainer|models"
        r"|seq2seq|forecasting|char_rnn|through_time|lab|reuse|keras_state|numpy_cells|inspect|embeddings)\b"
        r"|^\s*from\s+core\.\w+\.(training|trainer|models|seq2seq|forecasting|char_rnn|through_time|lab|reuse|keras_state)\b",
        re.MULTILINE,
    ),
    "process": re.compile(r"\b(WorkerPool|worker_process|RunManager|run_fixtures|ui\.runs|existing_manager)\b"),
    "apptest": re.compile(r"\b(AppTest|app_at_page)\b"),
}
# Tests that train on the real data sets for many seconds each (measured with --durations; see tests/run.sh).
SLOW_MODULES = {"tests/unit/shakespeare/test_shakespeare.py", "tests/unit/gradients/test_gradient_lab.py"}


def _module_source(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    cached = getattr(module, "__rnn_source__", None)
    if cached is None and module is not None:
        cached = Path(module.__file__).read_text(encoding="utf-8")
        module.__rnn_source__ = cached
    return cached or ""


def marks_for(path: str, fixtures: set[str], source: str) -> set[str]:
    """The need marks of one test: its path relative to the repo, its fixtures, its module's source."""
    marks = {name for name, pattern in _NEEDS.items() if pattern.search(source)}
    if path.startswith("tests/browser/") or fixtures & _BROWSER_FIXTURES:
        marks.add("browser")
    if "cluster" in fixtures:  # tests/unit/engine/test_cluster.py's LocalCluster
        marks.add("cluster")
    real_data = bool(fixtures & _DATA_FIXTURES)
    if real_data and (path in SLOW_MODULES or marks & {"apptest", "process"}):
        marks.add("slow")  # a page or a worker training on the real data sets: tens of seconds each
    return marks


def _fixtures(item: pytest.Item) -> set[str]:
    """The fixtures a test uses; an argument parametrized directly (`parametrize("page", ...)`) is a value, not
    the fixture of the same name."""
    names = set(getattr(item, "fixturenames", ()))
    for mark in item.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs["argnames"]
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",")]
        indirect = mark.kwargs.get("indirect", False)
        names -= {name for name in argnames if not (indirect is True or name in (indirect or ()))}
    return names


def xdist_group(path: str, marks: set[str]) -> str | None:
    """Which tests pytest-xdist (`--dist loadgroup`, tests/run.sh) keeps on one worker: a module's tests together
    (they share its module fixtures, e.g. a model trained once); browser tests go one by one to whichever worker is
    free (each worker starts one live server for all of its browser tests: the browser tests together take longer
    than the rest of the suite, so one worker for all of them would set the pace)."""
    return None if "browser" in marks else path


def same_run(page: str) -> pytest.MarkDecorator:
    """Browser tests that train the same run (a page's Tiny preset) go to one worker, so to one live server: the
    first trains it and the others share the finished run, as a class on one server does (core/engine/runs.py)."""
    return pytest.mark.xdist_group(f"browser-run-{page}")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        marks = marks_for(path, _fixtures(item), _module_source(item))
        for name in marks:
            item.add_marker(getattr(pytest.mark, name))
        group = xdist_group(path, marks)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
