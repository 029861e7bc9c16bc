"""The one cell vocabulary: the recurrent cells a user can pick, defined once.

TensorFlow-free (the Keras layer class is looked up only when a model is built), so
widgets and configs can use the names without loading the deep-learning stack.
"""

from __future__ import annotations

from typing import Any, Literal

Cell = Literal["SimpleRNN", "LSTM", "GRU"]
CELLS: tuple[str, ...] = ("SimpleRNN", "LSTM", "GRU")

# Token id 0 is padding everywhere (Keras' `mask_zero` convention): padded IMDb reviews,
# seq2seq source and target ids. An Embedding built with mask_zero=True skips it.
PAD_ID = 0


def cell_problems(cell: str) -> list[str]:
    """[] for a known cell, else one readable message."""
    return [] if cell in CELLS else [f"Unknown cell {cell!r}; choose one of {', '.join(CELLS)}."]


def rnn_layer(cell: str) -> Any:
    """The Keras layer class for a cell name (SimpleRNN, LSTM or GRU)."""
    from keras import layers  # the only place the cell names meet Keras

    return {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}[cell]
