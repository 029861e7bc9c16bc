"""Cached texts for the Shakespeare page, shared by every session on the server.

`st.cache_resource` hands all sessions the same objects (treated as read-only), so a class of
30 students holds tiny Shakespeare and its encoding once. Uploads are keyed by their SHA-256,
so re-running the page does not re-read a file; a file that fails validation raises
UploadError, which is not cached.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from core.char_rnn import EncodedText, encode_text
from core.data import shakespeare
from core.data.shakespeare import TextCorpus


@st.cache_resource(show_spinner="Loading tiny Shakespeare (first time only; shared by all users)…", max_entries=3)
def shakespeare_corpus(local_path: str) -> TextCorpus:
    """Local copy -> Keras download (cached on disk) -> generated play, whichever works first."""
    return shakespeare.load_shakespeare(local_path=local_path or None)


def upload_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@st.cache_resource(show_spinner="Reading your file…", max_entries=4)
def uploaded_corpus(digest: str, name: str, _data: bytes) -> TextCorpus:
    """A validated upload (raises shakespeare.UploadError with the reason when it is unusable)."""
    return shakespeare.read_upload(_data, name)


@st.cache_resource(show_spinner="Encoding characters…", max_entries=6)
def encoded(source_key: str, _corpus: TextCorpus, max_chars: int, validation_fraction: float = 0.1) -> EncodedText:
    """Vocabulary and train/validation ids of one text; `source_key` names the text for the cache."""
    return encode_text(_corpus.text, validation_fraction=validation_fraction, max_chars=max_chars)
