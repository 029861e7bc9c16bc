"""Cached data sets, shared by every session on the server.

`st.cache_resource` hands every session the same object (no copy), so a classroom of 30
students holds one IMDb in memory, not 30. The objects are treated as read-only.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data import imdb
from core.sentiment import padded_arrays


@st.cache_resource(show_spinner="Loading IMDb reviews (first time only; shared by all users)…", max_entries=3)
def imdb_full(local_path: str | None) -> imdb.ImdbData:
    """All reviews with their full vocabulary, from the first source that works."""
    return imdb.load_imdb(local_path=local_path or None)


@st.cache_resource(show_spinner="Preparing the vocabulary…", max_entries=4)
def imdb_capped(local_path: str | None, num_words: int) -> imdb.ImdbData:
    return imdb_full(local_path).with_vocabulary(num_words)


@st.cache_resource(show_spinner="Padding reviews…", max_entries=4)
def imdb_arrays(local_path: str | None, num_words: int, max_length: int) -> dict[str, np.ndarray]:
    """Padded train/test id matrices for one (vocabulary, length) choice."""
    return padded_arrays(imdb_capped(local_path, num_words), max_length)
