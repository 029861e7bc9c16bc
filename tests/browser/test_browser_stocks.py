"""Browser test: open the Stock prices page, train the Tiny preset, see the forecast charts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import same_run
from tests.helpers import assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

CHARTS = '[data-testid="stVegaLiteChart"]'


def choose_preset(page, name: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset")
    box.click()
    page.keyboard.type(name.split(":")[0])  # filter: long option lists are virtualised
    page.get_by_role("option", name=name).click()
    wait_for_app_idle(page)


@same_run("stocks")
def test_stocks_page_trains_and_shows_the_forecast(app_url, page):
    open_page(page, app_url, "stocks")
    assert_no_exception_box(page)
    page.get_by_text("closing price and the split").first.wait_for(timeout=60_000)
    assert page.locator(CHARTS).count() >= 1  # the price history with its split

    choose_preset(page, "Tiny: seconds, for a quick demo")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("How good is it - honestly?").wait_for(timeout=240_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)

    assert page.get_by_text("Predictions vs actual on the test range").count() == 1
    forecast_heading = page.get_by_text("from a chosen date")
    assert forecast_heading.count() == 1
    forecast_chart = page.locator(f'{CHARTS}:below(:text("from a chosen date"))').first
    forecast_chart.scroll_into_view_if_needed()
    assert forecast_chart.locator("canvas, svg").count() >= 1
    # history + loss + mae + gradients + predictions + forecast + residuals + histogram
    assert page.locator(CHARTS).count() >= 8
    table = page.locator('[data-testid="stDataFrame"]').first
    assert table.is_visible()
    path = screenshot(page, "stocks")
    assert path.stat().st_size > 10_000

    # the history downloads are written when pressed (not on every draw of every session): still the whole run
    with page.expect_download() as download:
        page.get_by_role("button", name="History per epoch (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["epoch"] for row in rows] == [str(n) for n in range(1, len(rows) + 1)] and rows
    assert all(float(row["loss"]) > 0 for row in rows)
