"""Browser test: the Architectures page draws the unrolled diagram and opens a fresh cell."""

from __future__ import annotations

import pytest

from tests.helpers import SCREENSHOTS, assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

DIAGRAM = '[data-testid="stGraphVizChart"] svg'
CHARTS = '[data-testid="stVegaLiteChart"]'


def test_architectures_page_draws_the_diagram_and_the_cell(app_url, page):
    open_page(page, app_url, "architectures")
    assert_no_exception_box(page)

    diagram = page.locator(DIAGRAM).first
    diagram.wait_for(timeout=90_000)
    # The default is many-to-one over 200 steps: x_1 … x_200 feed LSTM states h_1 … h_200, one output y.
    nodes = diagram.locator("g.node")
    assert nodes.count() >= 12
    labels = diagram.text_content()
    assert "200" in labels and "y" in labels
    assert page.get_by_text("Layers and parameters").count() == 1
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=60_000)  # shapes and the layer table
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    diagram.screenshot(path=str(SCREENSHOTS / "architectures_diagram.png"))

    # Switch the pattern to encoder-decoder: the context vector appears.
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Architecture pattern")
    box.click()
    page.get_by_role("option", name="Encoder-decoder (many-to-many, unsynced)").click()
    wait_for_app_idle(page)
    page.locator(DIAGRAM).first.get_by_text("context c").wait_for(timeout=60_000)
    assert_no_exception_box(page)

    page.get_by_role("tab", name="Inside the cell").click()
    page.get_by_text("matches Keras at every step").wait_for(timeout=120_000)
    wait_for_app_idle(page)
    heatmap = page.locator(CHARTS).filter(has=page.locator("canvas, svg")).first
    heatmap.scroll_into_view_if_needed()
    assert heatmap.locator("canvas, svg").count() >= 1
    # Hover the heatmap: the linked views follow the unit under the pointer, and nothing breaks.
    box = heatmap.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 60)
    page.wait_for_timeout(500)
    assert_no_exception_box(page)
    heatmap.screenshot(path=str(SCREENSHOTS / "architectures_cell.png"))
    path = screenshot(page, "architectures")
    assert path.stat().st_size > 10_000
