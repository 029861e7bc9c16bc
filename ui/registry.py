"""The list of pages, in menu order, and which pages train each pattern. Plain data: the Home
page imports it, so no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the app root
    title: str
    icon: str
    url_path: str
    pattern: str  # which architecture pattern(s) the page trains
    blurb: str


HOME = PageInfo("app_pages/home.py", "Home", ":material/home:", "home", "", "What the playground is.")
BOARD = PageInfo(  # not a training page: the class's runs (core/rooms), opened with a room's link or code
    "app_pages/board.py", "Class board", ":material/leaderboard:", "board", "", "Every run of a class on one board."
)

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


# Where the playground trains each architecture pattern (the Architectures page links to them).
PATTERN_PAGES: dict[str, tuple[str, ...]] = {
    "one_to_one": ("app_pages/sentiment.py", "app_pages/stocks.py"),
    "one_to_many": ("app_pages/shakespeare.py", "app_pages/stocks.py"),
    "many_to_one": ("app_pages/sentiment.py", "app_pages/stocks.py", "app_pages/gradient_lab.py"),
    "many_to_many": ("app_pages/shakespeare.py", "app_pages/stocks.py"),
    "encoder_decoder": ("app_pages/attention.py", "app_pages/stocks.py"),
}


def available_pages(root) -> list[PageInfo]:
    """Pages whose script exists under `root` (all of them in a complete checkout)."""
    return [p for p in PAGES if (Path(root) / p.path).exists()]


def pages_training(pattern: str, root) -> list[PageInfo]:
    """The available pages that train `pattern`, in PATTERN_PAGES order."""
    pages = {p.path: p for p in available_pages(root)}
    return [pages[path] for path in PATTERN_PAGES.get(pattern, ()) if path in pages]


def panel_title(panel_key: str) -> str:
    """The title of the page whose training panel has this key (a page's key is its URL path)."""
    for page in PAGES:
        if page.url_path.replace("-", "_") == panel_key:
            return page.title
    return panel_key.replace("_", " ")
