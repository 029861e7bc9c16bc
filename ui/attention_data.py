"""Cached data for the Attention page, shared by every session (treat as read-only).

The translation tasks are generated (no download); the IMDb reviews come from the shared
loaders in ui.data_cache, so the Sentiment and Attention pages hold one copy between them.
"""

from __future__ import annotations

import streamlit as st

from core.attention.config import TranslationData
from core.data.dates import TranslationTask, make_task


@st.cache_resource(show_spinner="Generating the translation pairs…", max_entries=6)
def translation_task(data: TranslationData) -> TranslationTask:
    """A generated task (digits read aloud, dates or number words); frozen dataclass of tuples, safe to share."""
    return make_task(data.task, data.train_size, data.test_size, data.seed)
