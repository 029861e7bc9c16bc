"""Guided experiments of the Architectures page (core/engine/experiments.py): an LSTM's four gate
blocks, word embeddings, bidirectional and stacked layers - each checked against the weights of the
model the page quick-trains on IMDb. TensorFlow-free: the claims only read the trained model's layers."""

from __future__ import annotations

from core.cells.config import QUICK, QuickOutcome
from core.cells.parameters import rnn_cell_params
from core.engine.experiments import Experiment

MIN_ACCURACY = 0.6  # the quick model learned something from the reviews (the majority guess is about 0.5)
RNN_LAYERS = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")


def _layer(outcome: QuickOutcome, names: tuple[str, ...]):
    return next(layer for layer in outcome.model.layers if type(layer).__name__ in names)


def _weights(layer) -> int:
    """The layer's weight count (Keras' count_params, read without importing TensorFlow here)."""
    return int(layer.count_params())


def _recurrent(outcome: QuickOutcome) -> tuple[str, int, int, int, bool]:
    """(cell, units, input size, weights, bidirectional) of the model's recurrent layer."""
    model = outcome.config.model
    layer = _layer(outcome, RNN_LAYERS)
    return (
        model.cell,
        model.units,
        outcome.config.data.embedding_dim,
        _weights(layer),
        type(layer).__name__ == "Bidirectional",
    )


def _learned(outcome: QuickOutcome) -> tuple[bool, str]:
    ok = outcome.test_accuracy >= MIN_ACCURACY
    return ok, f"test accuracy {outcome.test_accuracy:.1%}" + (
        "" if ok else f" (below the {MIN_ACCURACY:.0%} expected)"
    )


def gates_claim(outcome: QuickOutcome) -> tuple[bool, str]:
    """The trained LSTM layer holds exactly four blocks of weights, one per gate."""
    cell, n, m, weights, both_ways = _recurrent(outcome)
    if cell != "LSTM" or both_ways:
        return False, f"this run trained a {'bidirectional ' if both_ways else ''}{cell}, not one LSTM layer."
    block = n * (n + m) + n
    learned, accuracy = _learned(outcome)
    held = weights == 4 * block and learned
    return held, (
        f"the LSTM layer holds {weights:,} weights = 4 × ({n}·({n} + {m}) + {n}) = 4 × {block:,}: one block each for "
        f"the input, forget and output gates and the candidate; {accuracy}."
    )


def embeddings_claim(outcome: QuickOutcome) -> tuple[bool, str]:
    """Most of a small text model's weights are its word vectors."""
    embedding = _layer(outcome, ("Embedding",))
    table = _weights(embedding)
    total = sum(_weights(layer) for layer in outcome.model.layers)
    share = table / total if total else 0.0
    learned, accuracy = _learned(outcome)
    held = share > 0.5 and learned
    return held, (
        f"the embedding table is {outcome.vocab_size:,} words × {outcome.config.data.embedding_dim} numbers = "
        f"{table:,} weights, {share:.0%} of the model's {total:,}; {accuracy}. "
        + ("Most of what a small text model learns is where each word sits." if held else "")
    )


def bidirectional_claim(outcome: QuickOutcome) -> tuple[bool, str]:
    """A bidirectional layer is two cells, one per direction: exactly twice the weights of one."""
    cell, n, m, weights, both_ways = _recurrent(outcome)
    one = rnn_cell_params(cell, n, m)
    learned, accuracy = _learned(outcome)
    held = both_ways and weights == 2 * one and learned
    return held, (
        f"the {'bidirectional ' if both_ways else ''}{cell} layer holds {weights:,} weights; one direction alone "
        f"would hold {one:,}"
        + (" - exactly half: a second cell reads the review backwards" if weights == 2 * one else "")
        + f"; {accuracy}."
    )


COMMON = {"source": QUICK, "pattern": "many_to_one"}
EXPERIMENTS = (
    Experiment(
        1,
        "Inside an LSTM: four gates",
        ("LSTM and GRU gates",),
        {**COMMON, "view": 1, "cell": "LSTM", "bidirectional": False},
        "Quick-train a small LSTM on IMDb, then step through a review word by word: the input, forget and "
        "output gates open and close per unit. Look for forget gates near 1 (keep the memory) and the cell state "
        "jumping at words like 'great' or 'awful'.",
        gates_claim,
        shown=("view",),
        train_label="Train quickly",
    ),
    Experiment(
        2,
        "Word embeddings: where each word sits",
        ("word embeddings",),
        {**COMMON, "view": 2, "cell": "GRU", "bidirectional": False},
        "Quick-train a GRU on IMDb, then open the word map: every word is a learned vector, projected to 2-D. "
        "Look for praise and criticism drifting to opposite sides, and the neighbours of 'great'.",
        embeddings_claim,
        shown=("view",),
        train_label="Train quickly",
    ),
    Experiment(
        3,
        "Bidirectional and stacked RNNs",
        ("bidirectional and stacked RNNs",),
        {**COMMON, "view": 0, "cell": "GRU", "bidirectional": True, "layers": 2},
        "The explorer's diagram and parameter table show two stacked layers, each reading the sequence both ways "
        "(the second reads the first one's outputs). The quick-trained model (one bidirectional layer) is checked "
        "for exactly twice the weights of one direction.",
        bidirectional_claim,
        shown=("view",),
        train_label="Train quickly",
    ),
)
