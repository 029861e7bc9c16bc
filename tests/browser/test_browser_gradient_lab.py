"""Browser test: open the Gradient lab, see the BPTT diagram, train the Tiny preset, see the
gradient-through-time heatmap and the global-norm chart."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from core.gradients.config import CELLS_TRAIN_LABEL, CLIP_TRAIN_LABEL
from core.gradients.experiments import EXPERIMENTS
from tests.conftest import same_run
from tests.helpers import SCREENSHOTS, assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

TINY = "Tiny: a few seconds"
CHARTS = '[data-testid="stVegaLiteChart"]'
DIAGRAM = '[data-testid="stGraphVizChart"] svg'


@same_run("gradient-lab")
def test_gradient_lab_trains_and_shows_gradients_through_time(app_url, page):
    # Through the app's navigation, as a student would arrive.
    open_page(page, app_url, "")
    page.get_by_role("link", name="Gradient lab").first.click()
    wait_for_app_idle(page)
    page.get_by_text("Gradient lab: vanishing and exploding gradients").wait_for(timeout=120_000)
    assert_no_exception_box(page)

    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset")
    box.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)
    page.get_by_text("Adding problem, T = 20").first.wait_for(timeout=60_000)

    page.get_by_text("How the gradient travels back through time").click()
    diagram = page.locator(DIAGRAM).first
    diagram.wait_for(timeout=60_000)
    assert diagram.locator("g.node").count() >= 12  # h_0, five x_t, five h_t, the loss, the note
    assert "∂L/∂x_1" in diagram.text_content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    diagram.screenshot(path=str(SCREENSHOTS / "gradient_lab_diagram.png"))

    page.get_by_role("button", name="Train", exact=True).click()
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)
    page.get_by_text("What it learned").wait_for()
    page.get_by_text("Gradient reaching each time step").first.wait_for()

    charts = page.locator(CHARTS)
    # loss, error, per-layer norms, global norm, heatmap, init-vs-now
    assert charts.count() >= 6
    heatmap = charts.filter(has_text="Gradient reaching each time step").first
    heatmap.scroll_into_view_if_needed()
    assert heatmap.locator("canvas, svg").count() >= 1
    assert_no_exception_box(page)
    heatmap.screenshot(path=str(SCREENSHOTS / "gradient_lab_heatmap.png"))

    page.get_by_role("tab", name="2 · SimpleRNN vs LSTM vs GRU").click()
    page.get_by_role("button", name=CELLS_TRAIN_LABEL).wait_for()
    page.get_by_role("tab", name="1 · One model, gradients through time").click()
    page.get_by_text("What it learned").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "gradient_lab")


def chart_with(page, title: str):
    chart = page.locator(CHARTS).filter(has_text=title).first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    return chart


def test_several_runs_are_overlaid_and_named_in_tabs_2_and_3(app_url, page):
    """Tab 2 (three cells, Tiny preset) and tab 3 (experiment 3's link: without and with clipping): the
    panel's curves overlay the runs from step 0, one colour per run named in the legend - not end to end
    under one 'train' entry - and the clipping verdict reads its margin against the trivial guess."""
    open_page(page, app_url, "gradient-lab")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset")
    box.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)
    page.get_by_role("tab", name="2 · SimpleRNN vs LSTM vs GRU").click()
    page.get_by_role("button", name=CELLS_TRAIN_LABEL).click()
    page.get_by_text("Who learned the task?").wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)
    loss = chart_with(page, "loss, runs overlaid")
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        assert loss.get_by_text(cell, exact=True).count() >= 1, cell
    assert loss.get_by_text("train", exact=True).count() == 0
    assert page.get_by_text("One colour per run (SimpleRNN, LSTM, GRU)").count() >= 1
    page.wait_for_timeout(500)
    screenshot(page, "gradient_lab_tab2_overlaid")

    clipping = next(e for e in EXPERIMENTS if e.number == 3)
    page.goto(f"{app_url}/gradient-lab?{urlencode(clipping.link_params())}", wait_until="domcontentloaded")
    wait_for_app_idle(page)
    page.get_by_role("button", name=CLIP_TRAIN_LABEL).click()
    page.get_by_text("Without and with clipping", exact=True).wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)
    norms = chart_with(page, "Global gradient norm, runs overlaid")
    assert norms.get_by_text("no clipping", exact=True).count() >= 1
    assert norms.get_by_text("clip norm 0.1", exact=True).count() >= 1
    assert chart_with(page, "loss, runs overlaid").get_by_text("clip norm 0.1", exact=True).count() >= 1
    page.wait_for_timeout(500)
    screenshot(page, "gradient_lab_tab3_overlaid")
