"""Cached texts for the Shakespeare page, shared by every session on the server.

`st.cache_resource` hands all sessions the same objects (treated as read-only), so a class of
30 students holds tiny Shakespeare and its encoding once. Uploads are keyed by their SHA-256,
so re-running the page does not re-read a file; a file that fails validation raises
UploadError, which is not cached.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from core.data import shakespeare
from core.data.local import data_root
from core.data.shakespeare import TextCorpus
from core.shakespeare.char_rnn import EncodedText, encode_text
from ui import data_cache


@st.cache_resource(show_spinner="Loading tiny Shakespeare (first time only; shared by all users)…", max_entries=1)
def _default_corpus(data_folder: str) -> TextCorpus:
    return data_cache.real_only(shakespeare.load_shakespeare())


@st.cache_resource(show_spinner="Loading the text from the data folder…", max_entries=2)
def _local_corpus(resolved_path: str) -> TextCorpus:
    return data_cache.real_only(shakespeare.load_shakespeare(local_path=resolved_path))


def shakespeare_corpus(local_path: str) -> TextCorpus:
    """Local copy -> Keras download (cached on disk, hash-checked) -> generated play, whichever works first.

    `local_path` is "" (the default source) or a path already resolved inside the data folder;
    the generated play is never cached for everyone (see ui.data_cache.healing).
    """
    if not local_path:
        return data_cache.healing(("shakespeare", "", str(data_root())), lambda: _default_corpus(str(data_root())))
    return data_cache.healing(("shakespeare", local_path), lambda: _local_corpus(local_path))


def upload_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@st.cache_resource(show_spinner="Reading your file…", max_entries=4)
def uploaded_corpus(digest: str, name: str, _data: bytes) -> TextCorpus:
    """A validated upload (raises shakespeare.UploadError with the reason when it is unusable)."""
    return shakespeare.read_upload(_data, name)


@st.cache_resource(show_spinner="Encoding characters…", max_entries=6)
def _encoded(key: str, source: str, _corpus: TextCorpus, max_chars: int, validation_fraction: float) -> EncodedText:
    return encode_text(_corpus.text, validation_fraction=validation_fraction, max_chars=max_chars)


def encoded(source_key: str, corpus: TextCorpus, max_chars: int, validation_fraction: float = 0.1) -> EncodedText:
    """Vocabulary and train/validation ids of one text; `source_key` names the text for the cache.

    The corpus's own source is part of the key, so the generated stand-in's encoding is never
    served for the real text once a download succeeds.
    """
    return _encoded(source_key, data_cache.source_key(corpus.source), corpus, max_chars, validation_fraction)
