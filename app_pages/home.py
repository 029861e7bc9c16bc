"""Home: what the playground is, and a link to every page. Must not import TensorFlow."""

from pathlib import Path

import streamlit as st

from ui.concepts import course_map
from ui.registry import available_pages
from ui.rooms import class_section

st.title("RNN Playground")
st.markdown(
    """
**Train small recurrent neural networks live, and watch what happens inside them.**
Like TensorFlow Playground, but for sequences: pick an architecture pattern and a cell,
press *Train*, and see the loss fall, the gradients flow (or vanish), the attention focus
and the hidden state change - on real data (IMDb reviews, stock prices, Shakespeare) and on
small tasks the playground generates for you.

Made for students meeting RNNs for the first time, for teachers who want to run a lecture
from live experiments, and for engineers who want an intuition before a paper.
"""
)

st.header("The five patterns")
st.markdown(
    """
| pattern | reads | writes | example |
|---|---|---|---|
| one-to-one | one input | one output | a plain dense net (the baseline) |
| one-to-many | one input | a sequence | image captioning, music from a seed |
| many-to-one | a sequence | one output | sentiment of a review |
| many-to-many (synced) | a sequence | one output per step | next character at every position |
| encoder-decoder | a sequence | another sequence | translation, multi-day forecasts |
"""
)

st.header("Pages")
for info in available_pages(Path(__file__).parent.parent):
    with st.container(border=True):
        st.page_link(info.path, label=info.title, icon=info.icon)
        st.caption(f"**Pattern:** {info.pattern}. {info.blurb}")

class_section()  # "Start a class": a room whose runs land on the Class board (ui/rooms.py)

st.header("What each guided experiment teaches")
course_map()

st.header("How to use it")
st.markdown(
    """
1. Open a page and leave the defaults: they are chosen to train in about a minute.
2. Press **Train**. Curves update every second; **Stop** keeps what was learned so far.
3. Read the note under each chart: it says what to look for and what to try next.
4. Change one thing at a time (cell, units, clipping...) and train again to compare.

Data comes from the real sources when the internet is reachable, from a local copy when
one is configured (`RNN_PLAYGROUND_DATA`), and otherwise from a small generated stand-in
that is clearly labelled as such.
"""
)
