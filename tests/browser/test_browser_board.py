"""Browser test of a class: a teacher starts a room on Home, two students join from the link with nicknames
(the second hostile) and train different Gradient lab cells - the second after reloading the page - and the
Class board ranks them (tests/app/test_board_app.py ranks a class of three); the teacher's reload keeps the
controls; the server restarts on the same SQLite file and the board still shows them; a visitor without the code
sees nothing."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT, _free_port, server_env
from tests.helpers import assert_no_exception_box, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

TINY = "Tiny: a few seconds"
HOSTILE = "<img src=x onerror=1>**"
STUDENTS = (("ada", "SimpleRNN"), (HOSTILE, "LSTM"))


class Server:
    """`streamlit run app.py` with the rooms in one SQLite file; restartable on the same port and file."""

    def __init__(self, database: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_env(RNN_PLAYGROUND_DATABASE_URL=f"sqlite:///{database}")
        self.proc: subprocess.Popen | None = None
        self.log = database.parent / "server.log"

    def start(self) -> None:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port)]
        command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def server(tmp_path):
    made = Server(tmp_path / "class.sqlite3")
    made.start()
    yield made
    made.stop()


def board_csv(page) -> list[dict]:
    """The Class board's first tab as its CSV download (the table itself is drawn on a canvas)."""
    with page.expect_download() as download:
        page.get_by_role("button", name="This page's runs (CSV)").first.click()
    return list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))


def in_address(page, **params: str) -> bool:
    query = parse_qs(urlsplit(page.url).query)
    return all(query.get(name) == [value] for name, value in params.items())


def join_and_train(browser, join_url: str, nickname: str, cell: str, reload: bool = False) -> None:
    """A student joins from the link and trains one Tiny run; with `reload`, the student reloads the training
    page first (a new Streamlit session): the address brings back the same member, so the run still lands."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(join_url, wait_until="domcontentloaded")
    wait_for_app_idle(page)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_role("button", name="Join").click()
    wait_for_app_idle(page)
    assert page.get_by_test_id("stText").filter(has_text=nickname).count() == 1  # shown as typed, as text
    assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
    room = parse_qs(urlsplit(join_url).query)["room"][0]
    assert in_address(page, room=room, nickname=nickname) and "teacher=" not in page.url
    # within the app: the sidebar's navigation (Streamlit empties the address; the class goes back into it)
    page.get_by_test_id("stSidebarNav").get_by_text("Gradient lab").click()
    wait_for_app_idle(page, timeout=240)
    page.wait_for_function("() => new URL(location.href).searchParams.has('nickname')", timeout=30_000)
    assert in_address(page, room=room, nickname=nickname) and "teacher=" not in page.url
    if reload:
        page.reload(wait_until="domcontentloaded")
        wait_for_app_idle(page, timeout=240)
        assert in_address(page, room=room, nickname=nickname)
    assert page.get_by_text("not used as given").count() == 0  # the class is no unknown link setting
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset")
    box.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text(cell, exact=True).click()
    wait_for_app_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)
    context.close()


def test_a_class_on_one_board_survives_a_restart(server, browser, page):
    page.goto(server.url, wait_until="domcontentloaded")
    wait_for_app_idle(page)
    page.get_by_role("button", name="Start a class").click()
    page.get_by_test_id("stCode").filter(has_text="board?room=").first.wait_for(timeout=60_000)
    wait_for_app_idle(page)
    codes = page.get_by_test_id("stCode").all_inner_texts()
    join_url = next(c.strip() for c in codes if "board?room=" in c and "teacher=" not in c)
    assert join_url.startswith(f"{server.url}/board?room=")
    short_code = page.get_by_test_id("stMetricValue").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", short_code)
    assert_no_exception_box(page)

    for i, (nickname, cell) in enumerate(STUDENTS):
        join_and_train(browser, join_url, nickname, cell, reload=i == len(STUDENTS) - 1)

    page.get_by_test_id("stSidebarNav").get_by_text("Class board").click()
    wait_for_app_idle(page)
    page.get_by_text("Leaderboard by test MSE").wait_for(timeout=30_000)
    rows = board_csv(page)
    assert sorted(r["nickname"] for r in rows) == sorted(n for n, _ in STUDENTS)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores)  # ranked: lower test MSE first
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(timeout=60_000)  # overlay and scatter
    assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
    screenshot(page, "board")
    # the teacher's own board address holds the secret: a reload keeps the controls
    page.wait_for_function("() => new URL(location.href).searchParams.has('teacher')", timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    wait_for_app_idle(page)
    page.get_by_text("Teacher controls").wait_for(timeout=30_000)
    assert len(board_csv(page)) == len(STUDENTS)

    server.stop()  # a restart: the same SQLite file, a fresh process
    server.start()
    page.goto(join_url, wait_until="domcontentloaded")
    wait_for_app_idle(page)
    page.get_by_text("Leaderboard by test MSE").wait_for(timeout=30_000)
    assert sorted(r["nickname"] for r in board_csv(page)) == sorted(n for n, _ in STUDENTS)

    page.goto(f"{server.url}/board", wait_until="domcontentloaded")  # no code
    wait_for_app_idle(page)
    main = page.get_by_test_id("stMain").inner_text()
    assert "Class code" in main and "Leaderboard" not in main and "ada" not in main
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0
    assert_no_exception_box(page)
