"""Helpers for AppTest and Playwright tests, shared by every page's tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"


# ----------------------------------------------------------------------------- AppTest


def app_at_page(page_path: str, timeout: float = 180) -> AppTest:
    """An AppTest of the whole app (navigation included), switched to one page and run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page_path)
    at.run()
    return at


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 180, every: float = 1.0) -> AppTest:
    """Rerun the app until `done(at)` (training runs on a background thread)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if done(at):
            return at
        time.sleep(every)
        at.run()
    raise AssertionError(f"condition not met within {timeout} s; exceptions: {[e.value for e in at.exception]}")


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest) -> str:
    """All markdown, captions, alerts and metric labels on the page, joined, for `in` checks."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in (at.success, at.info, at.warning, at.error):
        parts += [e.value for e in kind]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [h.value for h in at.title] + [h.value for h in at.subheader] + [h.value for h in at.header]
    return "\n".join(parts)


def training_finished(key: str) -> Callable[[AppTest], bool]:
    """True once the shared training panel of page `key` shows a final status."""

    def check(at: AppTest) -> bool:
        if at.exception:
            raise AssertionError([e.value for e in at.exception])
        train = [b for b in at.button if b.key == f"{key}:train"]
        busy = [b for b in at.button if b.key == f"{key}:stop" and not b.disabled]
        return bool(train) and not busy and bool(at.success or at.warning or at.error)

    return check


# The guided experiments trained in a real browser, from a link in a fresh context
# (tests/browser/test_browser_experiments.py): one per training panel of every page (the three Gradient-lab
# views have a panel each), each the panel's quickest to train in the full suite's timings.
# tests/app/test_experiments_app.py trains every other experiment from its link through AppTest, and checks that
# this list leaves no panel out.
BROWSER_EXPERIMENTS = frozenset({
    ("architectures", 1),
    ("sentiment", 3),
    ("stocks", 1),
    ("shakespeare", 1),
    ("attention", 2),
    ("gradient-lab", 1),
    ("gradient-lab", 2),
    ("gradient-lab", 3),
})

# How a guided experiment's verdict begins on the page (ui/experiments.py), for each of its three outcomes.
OUTCOMES = ("This run showed it", "This run did not show it", "Inconclusive")


# ----------------------------------------------------------------------------- Playwright


# Streamlit marks its root with the script's state: "notRunning" once a run (or a fragment's run) has ended.
# A click on a widget sends the server a rerun, but Streamlit's page shows "notRunning" until the server answers,
# which on a busy machine can take longer than any quiet period. Every test page therefore records when it last
# sent the server a message and when a script run last started; a message newer than the last start is a rerun
# on its way (for up to RERUN_GRACE_MS, in case the message was not a rerun).
RERUN_WATCH = """(() => {
  window.__rnnSentAt = 0; window.__rnnRunAt = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...args) {
    window.__rnnSentAt = performance.now();
    return send.apply(this, args);
  };
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app.getAttribute("data-test-script-state") === "running") window.__rnnRunAt = performance.now();
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
})();"""
RERUN_GRACE_MS = 10_000

_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const sent = window.__rnnSentAt || 0;
  const pending = sent > (window.__rnnRunAt || 0) && performance.now() - sent < GRACE_MS;
  return !!app && app.getAttribute("data-test-script-state") === "notRunning" && !pending
    && !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSpinner"]')
    && !!document.querySelector("h1");
}""".replace("GRACE_MS", str(RERUN_GRACE_MS))
IDLE_QUIET_S = 0.5


def wait_for_app_idle(page, timeout: float = 120) -> None:
    """Wait until the script has finished: Streamlit says the script is not running, a title is shown, no
    'Running…' widget, no spinner - and it stays so for IDLE_QUIET_S."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        if not page.evaluate(_IDLE):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since >= IDLE_QUIET_S:
            return
        time.sleep(0.1)
    raise AssertionError("app still running after timeout")


def open_page(page, base_url: str, url_path: str, timeout: float = 120) -> None:
    page.goto(f"{base_url}/{url_path}", wait_until="domcontentloaded")
    wait_for_app_idle(page, timeout)


def assert_no_exception_box(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()[:2000]


def screenshot(page, name: str) -> Path:
    """Save the whole page. Streamlit scrolls inside its own container, so the viewport is
    first stretched to the content's height (a plain full-page shot would cut it off)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"], body')].map(e => e.scrollHeight))"
    )
    width = page.viewport_size["width"] if page.viewport_size else 1400
    page.set_viewport_size({"width": width, "height": int(min(max(height + 80, 900), 12_000))})
    time.sleep(0.5)
    page.screenshot(path=str(path), full_page=True)
    return path


def chart_count(at: AppTest) -> int:
    """Number of Altair/Vega-Lite charts on the page."""
    return len(at.get("vega_lite_chart"))


def spec_dicts(spec) -> Iterator[dict]:
    """Every dict nested in a Vega-Lite spec (layers, encodings, legends, axes), depth first."""
    if isinstance(spec, dict):
        yield spec
        for v in spec.values():
            yield from spec_dicts(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from spec_dicts(v)
