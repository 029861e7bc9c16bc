"""The list of pages, in menu order. Plain data: the Home page imports it, so no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the app root
    title: str
    icon: str
    url_path: str
    pattern: str  # which architecture pattern(s) the page trains
    blurb: str


HOME = PageInfo("app_pages/home.py", "Home", ":material/home:", "home", "", "What the playground is.")

PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "app_pages/architectures.py",
        "Architectures & inside the cell",
        ":material/account_tree:",
        "architectures",
        "all five patterns",
        "Unrolled diagrams of every pattern, tensor shapes, parameter counts, and the hidden "
        "states and gates of a trained cell. Start here.",
    ),
    PageInfo(
        "app_pages/sentiment.py",
        "Sentiment (IMDb)",
        ":material/reviews:",
        "sentiment",
        "many-to-one",
        "Read a movie review word by word and decide: positive or negative? Compare against a "
        "baseline with no recurrence.",
    ),
    PageInfo(
        "app_pages/stocks.py",
        "Stock prices",
        ":material/show_chart:",
        "stocks",
        "all five patterns",
        "Forecast tomorrow's price from the last N days - and check honestly whether it beats 'tomorrow = today'.",
    ),
    PageInfo(
        "app_pages/shakespeare.py",
        "Shakespeare",
        ":material/theater_comedy:",
        "shakespeare",
        "many-to-many, one-to-many",
        "A character-level RNN that you watch learn to write, then generate text with temperature and top-k.",
    ),
    PageInfo(
        "app_pages/attention.py",
        "Attention",
        ":material/visibility:",
        "attention",
        "encoder-decoder",
        "Translate human-written dates to ISO format and see, as a heatmap, where the decoder looks at each step.",
    ),
    PageInfo(
        "app_pages/gradient_lab.py",
        "Gradient lab",
        ":material/science:",
        "gradient-lab",
        "many-to-one",
        "Vanishing and exploding gradients through time, long-memory tasks, and clipping - "
        "measured, not taken on faith.",
    ),
)


def available_pages(root) -> list[PageInfo]:
    """Pages whose script exists under `root` (all of them in a complete checkout)."""
    from pathlib import Path

    return [p for p in PAGES if (Path(root) / p.path).exists()]
