"""RNN Playground - entry point: `streamlit run app.py`.

Builds the navigation from `ui.registry`; each page is its own script under app_pages/.
Nothing here imports TensorFlow, so the Home page paints fast on a cold container. The first
visit starts the server's run manager (ui/runs.py): its worker processes import and warm up
TensorFlow in the background, so the first press of Train finds them ready.
"""

from pathlib import Path

import streamlit as st

from ui import charts, links, presenter, rooms, streamlit_internals
from ui.registry import BOARD, HOME, available_pages
from ui.runs import run_manager

ROOT = Path(__file__).parent

# Once per server process: is every private Streamlit name the app relies on still there? One log line for each
# that moved, and its fallback (ui/streamlit_internals.py); never an exception.
streamlit_internals.startup(links.WRAPPED)

st.set_page_config(page_title="RNN Playground", page_icon=":material/cycle:", layout="wide")


def _page(info):
    return st.Page(
        str(ROOT / info.path), title=info.title, icon=info.icon, url_path=info.url_path, default=info is HOME
    )


run_manager()  # once per server (cached); starting the workers takes milliseconds, warming them a few seconds
# A flat list: Streamlit's sectioned navigation is invalid list markup (axe: list, listitem).
navigation = st.navigation([_page(HOME), _page(BOARD), *(_page(p) for p in available_pages(ROOT))])
charts.new_run()  # chart download keys count from one on every run
presenter.setup()  # the stylesheet (phones, presenter mode) and the presenter toggle, on every page
# a reload or a page change keeps the class; the teacher's secret only on the pages that show it (Home, the board)
rooms.keep_in_link(teacher_page=navigation.url_path in ("", BOARD.url_path))
navigation.run()
