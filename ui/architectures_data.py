"""Cached helpers for the Architectures page, shared by every session on the server."""

from __future__ import annotations

import streamlit as st

from core.engine.config import InputSpec, ModelConfig, OutputSpec


@st.cache_data(show_spinner="Building the model in Keras to check the counts…", max_entries=64)
def keras_parameter_counts(config: ModelConfig, spec: InputSpec, output: OutputSpec) -> dict[str, int]:
    """`count_params()` per layer of the real Keras model (small dict; the model is thrown away)."""
    from core.cells.parameters import keras_counts

    return keras_counts(config, spec, output)
