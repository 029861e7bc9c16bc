"""Made for a room: every page at phone size (390×844, touch) and in presenter mode at 1920×1080, in both colour
schemes, audited with axe-core. Screenshots land in tests/screenshots/ (room-*.png) to be looked at.

What counts: no page scrolls sideways (document.documentElement.scrollWidth <= the viewport) before and after
training; no exception box; zero serious or critical axe violations (WCAG 2.1 A/AA + best practices); a dark
browser gets the dark theme; ?present=1 opens presenter mode with the controls hidden; a keyboard reaches Train in at
most 10 key presses from the page's start on every training page.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.conftest import same_run
from tests.helpers import assert_no_exception_box, open_page, screenshot, wait_for_app_idle
from ui.registry import PAGES

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# (page, link to its fastest preset, a text the page shows once the run has finished)
TINY_RUNS = [
    ("sentiment", "preset=" + quote("Tiny: seconds, for a quick demo"), "Test accuracy"),
    ("gradient-lab", "preset=" + quote("Tiny: a few seconds"), "Trained"),
    ("attention", "preset=" + quote("Tiny: seconds, for a quick demo"), "How good is it?"),
]
# ... and on a phone the other two labs with a Tiny preset as well
PHONE_RUNS = [
    *TINY_RUNS,
    ("stocks", "preset=" + quote("Tiny: seconds, for a quick demo"), "How good is it - honestly?"),
    ("shakespeare", "preset=" + quote("Tiny: seconds, for a quick demo"), "How well does it predict?"),
]
DONE = '[data-testid="stAlertContentSuccess"]'  # the panel's "Trained N epoch(s) ..." box
# Every page with a Train button, opened where that button shows (the Architectures quick-train is in its second tab).
TRAINING_PAGES = [
    "sentiment",
    "shakespeare",
    "stocks",
    "attention",
    "architectures?view=1&source=quick",
    "gradient-lab",
]
MOST_KEYS_TO_TRAIN = 10


def shared(runs: list[tuple[str, str, str]]) -> list:
    """The Tiny runs as parameters, each on the worker (so the server) of the other tests training that run."""
    return [pytest.param(*run, id=run[0], marks=same_run(run[0])) for run in runs]


FOCUSED = """() => {
  const el = document.activeElement;
  const box = el && el.closest('[data-testid="stButton"]') && el.closest('[class*="st-key-"]');
  if (box && [...box.classList].some((c) => /^st-key-.+-train$/.test(c))) return "train";
  return el ? el.tagName + " " + (el.innerText || el.getAttribute("aria-label") || "").slice(0, 40) : "";
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def sideways_scroll(page) -> int:
    """Pixels the page scrolls sideways (0 = none)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def keys_to_train(page, limit: int = 120) -> tuple[int, list[str]]:
    """Key presses from the page's start until the Train button has focus: Tab, and Enter on a "Skip to Train"
    link (what a keyboard user does); the path taken, for the failure message."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    presses, path = 0, []
    while presses < limit:
        page.keyboard.press("Tab")
        presses += 1
        focused = page.evaluate(FOCUSED)
        if focused.startswith("A ") and "Skip to Train" in focused:
            page.keyboard.press("Enter")
            presses += 1
            focused = page.evaluate(FOCUSED)
        path.append(focused)
        if focused == "train":
            return presses, path
    return presses + 1, path


# A chart's marks: Vega draws thousands of SVG nodes inside each chart (the chart itself, its labelled root, stays
# audited). After a run, the audit leaves them out: ten seconds or more per page, for nodes no reader reaches one by
# one. The audit of every page before training (test_every_page_fits_a_phone_and_passes_axe) keeps them in.
CHART_MARKS = '[data-testid="stVegaLiteChart"] svg > *'


def serious_violations(page, skip_chart_marks: bool = False) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    context = {"exclude": [[CHART_MARKS]]} if skip_chart_marks else None
    result = Axe().run(page, context=context, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:160] if v['nodes'] else ''}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["", *(p.url_path for p in PAGES)], ids=["home", *(p.url_path for p in PAGES)])
def test_every_page_fits_a_phone_and_passes_axe(app_url, phone, path):
    open_page(phone, app_url, path, timeout=240)
    assert_no_exception_box(phone)
    assert sideways_scroll(phone) <= 0
    assert serious_violations(phone) == []
    screenshot(phone, f"room-phone-{path or 'home'}")


@pytest.mark.parametrize(("path", "link", "finished"), shared(PHONE_RUNS))
def test_tiny_runs_train_on_a_phone_without_sideways_scroll(app_url, phone, path, link, finished):
    open_page(phone, app_url, f"{path}?{link}", timeout=240)
    phone.get_by_role("button", name="Train", exact=True).first.tap()
    phone.locator(DONE).filter(has_text="Trained").first.wait_for(timeout=300_000)
    phone.get_by_text(finished).filter(visible=True).first.wait_for(timeout=60_000)
    wait_for_app_idle(phone, timeout=240)
    assert_no_exception_box(phone)
    assert sideways_scroll(phone) <= 0  # wide heatmaps scroll inside their own box
    assert serious_violations(phone, skip_chart_marks=True) == []
    screenshot(phone, f"room-phone-{path}-trained")


def test_a_dark_browser_gets_the_dark_theme(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
    page = context.new_page()
    try:
        open_page(page, app_url, "sentiment", timeout=240)
        background = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        red, green, blue = (int(v) for v in background.removeprefix("rgb(").rstrip(")").split(",")[:3])
        assert max(red, green, blue) < 60, background
        assert serious_violations(page) == []  # captions and code stay readable on dark
        screenshot(page, "room-dark-sentiment")
    finally:
        context.close()


@pytest.mark.parametrize(("path", "link", "finished"), shared(TINY_RUNS))
def test_presenter_mode_from_a_link(browser, app_url, path, link, finished):
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    try:
        open_page(page, app_url, f"{path}?{link}&present=1", timeout=240)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden(timeout=10_000)  # the controls are out of the way
        page.get_by_role("button", name="Train", exact=True).first.click()
        page.locator(DONE).filter(has_text="Trained").first.wait_for(timeout=300_000)
        page.get_by_text(finished).filter(visible=True).first.wait_for(timeout=60_000)
        wait_for_app_idle(page, timeout=240)
        assert_no_exception_box(page)
        assert page.get_by_role("switch", name="Presenter mode").is_checked()
        first_chart = page.get_by_test_id("stVegaLiteChart").first.bounding_box()
        train = page.get_by_role("button", name="Train", exact=True).first.bounding_box()
        assert first_chart["y"] < train["y"]  # the run's main chart comes first, above the controls
        screenshot(page, f"room-presenter-{path}")
    finally:
        context.close()


@pytest.mark.parametrize("path", TRAINING_PAGES, ids=[p.split("?")[0] for p in TRAINING_PAGES])
def test_train_is_at_most_ten_key_presses_from_the_page_start(page, app_url, path):
    open_page(page, app_url, path, timeout=240)
    page.get_by_role("button", name=re.compile(r"^Train")).filter(visible=True).first.wait_for(timeout=120_000)
    presses, path_taken = keys_to_train(page)
    if presses > MOST_KEYS_TO_TRAIN:
        screenshot(page, f"room-keys-{path.split('?')[0]}")
    assert presses <= MOST_KEYS_TO_TRAIN, f"{presses} key presses: {path_taken[:12]} ..."
    assert page.get_by_role("link", name="Skip to Train").count() == 1
