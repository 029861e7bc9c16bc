"""RNN Playground - entry point: `streamlit run app.py`.

Builds the navigation from `ui.registry`; each page is its own script under app_pages/.
Nothing here imports TensorFlow, so the Home page paints fast on a cold container.
"""

from pathlib import Path

import streamlit as st

from ui.registry import HOME, available_pages

ROOT = Path(__file__).parent

st.set_page_config(page_title="RNN Playground", page_icon=":material/cycle:", layout="wide")


def _page(info):
    return st.Page(
        str(ROOT / info.path), title=info.title, icon=info.icon, url_path=info.url_path, default=info is HOME
    )


navigation = st.navigation({"": [_page(HOME)], "Playground": [_page(p) for p in available_pages(ROOT)]})
navigation.run()
