"""Browser test: open the Gradient lab, see the BPTT diagram, train the Tiny preset, see the
gradient-through-time heatmap and the global-norm chart."""

from __future__ import annotations

import pytest

from tests.helpers import SCREENSHOTS, assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

TINY = "Tiny: a few seconds"
CHARTS = '[data-testid="stVegaLiteChart"]'
DIAGRAM = '[data-testid="stGraphVizChart"] svg'


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
    page.get_by_role("button", name="Train all three cells").wait_for()
    page.get_by_role("tab", name="1 · One model, gradients through time").click()
    page.get_by_text("What it learned").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "gradient_lab")
