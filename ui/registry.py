"""The pages, in menu order, and which pages train each pattern, derived from core/labs.py (the one
list of labs). Plain data: the Home page imports it, so no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import labs
from core.labs import Lab


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


def page_info(lab: Lab) -> PageInfo:
    return PageInfo(lab.path, lab.title, lab.icon, lab.key, lab.pattern_words, lab.blurb)


# Derived from core/labs.py (the one list of labs): menu order, and where each pattern is trained.
PAGES: tuple[PageInfo, ...] = tuple(page_info(lab) for lab in labs.LABS)
PATTERN_PAGES: dict[str, tuple[str, ...]] = labs.pattern_pages()


def available_pages(root) -> list[PageInfo]:
    """Pages whose script exists under `root` (all of them in a complete checkout)."""
    return [p for p in PAGES if (Path(root) / p.path).exists()]


def pages_training(pattern: str, root) -> list[PageInfo]:
    """The available pages that train `pattern`, in PATTERN_PAGES order."""
    pages = {p.path: p for p in available_pages(root)}
    return [pages[path] for path in PATTERN_PAGES.get(pattern, ()) if path in pages]


def panel_title(panel_key: str) -> str:
    """The title of the page whose training panel has this key ("gradient-lab-clip" -> "Gradient lab")."""
    lab = labs.lab_for_panel(panel_key)
    return lab.title if lab is not None else panel_key.replace("_", " ")
