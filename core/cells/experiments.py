"""Guided experiments of the Architectures page (core/engine/experiments.py): an LSTM's four gate
blocks, word embeddings, bidirectional and stacked layers, on the model the page quick-trains on IMDb.
TensorFlow-free: everything here reads the trained model's layers and its test scores.

What is a fact and what is a verdict. The weight counts (four gate blocks, twice the weights for two
directions, a second layer reading 2 × units numbers per step) hold for any model built this way,
trained or not: they are shown as facts. The verdict is what the run could fail at: the quick model
must beat the trivial baseline measured on the same test reviews (always answering the commoner
label), by a margin, and for the embeddings lesson, a learned table must place praise and criticism
apart (measured against the same words' spread in a table of random vectors of the same size).
"""

from __future__ import annotations

import numpy as np

from core.cells.config import QUICK, QuickOutcome
from core.cells.parameters import rnn_cell_params
from core.engine.experiments import Experiment, Outcome, Verdict, judge, verdict

MIN_GAIN = 0.10  # the quick model beats the majority guess by 10 points of test accuracy ...
UNCLEAR_GAIN = 0.03  # ... below 3 points it did not learn; in between it is too close to tell
RNN_LAYERS = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")
PRAISE = ("great", "excellent", "best", "wonderful", "perfect", "loved", "amazing")
CRITICISM = ("bad", "worst", "awful", "boring", "terrible", "waste", "poor")
MIN_SEPARATION = 2.0  # praise vs criticism: at least twice the spread random vectors would give


def _layers(outcome: QuickOutcome, names: tuple[str, ...]) -> list:
    return [layer for layer in outcome.model.layers if type(layer).__name__ in names]


def _weights(layer) -> int:
    """The layer's weight count (Keras' count_params, read without importing TensorFlow here)."""
    return int(layer.count_params())


def beats_majority(outcome: QuickOutcome, lesson: str) -> Verdict:
    """The quick model against the trivial baseline measured on the same test reviews."""
    accuracy, majority = outcome.test_accuracy, outcome.majority_accuracy
    gain = accuracy - majority
    said = (
        f"test accuracy {accuracy:.1%} against {majority:.1%} for always answering the commoner label on the same "
        f"reviews ({gain * 100:+.1f} points; the lesson needs +{MIN_GAIN * 100:.0f})."
    )
    return verdict(
        judge(gain, needed=MIN_GAIN, unclear=UNCLEAR_GAIN),
        said,
        showed=lesson,
        not_shown="The model has not learned from the reviews yet, so its gates and vectors are still near their "
        "random start: train again (a new seed) or use the Sentiment page's Small preset.",
        inconclusive="Too close to the trivial baseline to tell; train once more.",
    )


def _recurrent_facts(outcome: QuickOutcome) -> list[str]:
    """Weight counts of every recurrent layer: one cell's blocks, two directions, what a stacked layer reads."""
    model = outcome.config.model
    n, width = model.units, outcome.config.data.embedding_dim
    out = []
    for depth, layer in enumerate(_layers(outcome, RNN_LAYERS), start=1):
        both = type(layer).__name__ == "Bidirectional"
        one = rnn_cell_params(model.cell, n, width)
        where = f"recurrent layer {depth}" + (" (bidirectional)" if both else "")
        text = f"{where} reads {width} numbers per step and holds {_weights(layer):,} weights"
        if both:
            text += f" = 2 × {one:,}: one {model.cell} cell per direction"
        if depth > 1:
            text += f"; it is stacked: its input is the {width} numbers the layer below outputs at each step"
        out.append(text + ".")
        width = 2 * n if both else n
    return out


def gate_facts(outcome: QuickOutcome) -> list[str]:
    model = outcome.config.model
    if model.cell != "LSTM":
        return [f"this run trained a {model.cell}, not an LSTM: press Set up 1 again for the LSTM."]
    n, m = model.units, outcome.config.data.embedding_dim
    block = n * (n + m) + n
    return [
        f"an LSTM layer of {n} units reading {m} numbers holds 4 × ({n}·({n} + {m}) + {n}) = 4 × {block:,} "
        "weights: one block each for the input, forget and output gates and the candidate."
    ]


def gates_claim(outcome: QuickOutcome) -> Verdict:
    """The LSTM learned from the reviews (beats the majority guess), so its gates carry what it learned."""
    if outcome.config.model.cell != "LSTM":
        return Verdict(
            Outcome.NOT_SHOWN, f"this run trained a {outcome.config.model.cell}, not an LSTM.", "Press Set up 1."
        )
    return beats_majority(
        outcome, "Its gates are trained: step through a review below and watch the forget gates hold the memory."
    )


def embedding_facts(outcome: QuickOutcome) -> list[str]:
    embedding = _layers(outcome, ("Embedding",))[0]
    table = _weights(embedding)
    total = sum(_weights(layer) for layer in outcome.model.layers)
    return [
        f"the embedding table is {outcome.vocab_size:,} words × {outcome.config.data.embedding_dim} numbers = "
        f"{table:,} weights, {table / total:.0%} of the model's {total:,}."
    ]


def separation(table: np.ndarray, praise: list[int], criticism: list[int]) -> float:
    """Distance between the mean praise and mean criticism vectors, over the mean spread within each group."""
    a, b = table[praise], table[criticism]
    between = float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)))
    within = float(
        np.mean([np.linalg.norm(a - a.mean(axis=0), axis=1).mean(), np.linalg.norm(b - b.mean(axis=0), axis=1).mean()])
    )
    return between / within if within > 0 else float("nan")


def embeddings_claim(outcome: QuickOutcome, word_ids: dict[str, int] | None = None) -> Verdict:
    """Praise and criticism sit apart in the learned table, far more than in a random table of the same size."""
    learned = beats_majority(outcome, "")
    if not learned.held:
        return learned
    table = np.asarray(_layers(outcome, ("Embedding",))[0].get_weights()[0], dtype=float)
    ids = word_ids if word_ids is not None else getattr(outcome, "word_ids", None) or {}
    praise = [ids[w] for w in PRAISE if w in ids and ids[w] < len(table)]
    criticism = [ids[w] for w in CRITICISM if w in ids and ids[w] < len(table)]
    if len(praise) < 3 or len(criticism) < 3:
        return Verdict(Outcome.INCONCLUSIVE, "too few of the praise and criticism words are in this vocabulary.")
    rng = np.random.default_rng(0)
    random = rng.uniform(-0.05, 0.05, size=table.shape)  # Keras' default embedding start
    got, chance = separation(table, praise, criticism), separation(random, praise, criticism)
    ratio = got / chance if chance > 0 else float("nan")
    return verdict(
        judge(ratio, needed=MIN_SEPARATION, unclear=1.3),
        f"{learned.sentence} In the learned table praise ({', '.join(PRAISE[:3])}, …) and criticism "
        f"({', '.join(CRITICISM[:3])}, …) sit {got:.2f} spreads apart, against {chance:.2f} for the same words in "
        f"a random table ({ratio:.1f}×; the lesson needs {MIN_SEPARATION:.0f}×).",
        showed="Training moved words by what they say about a film.",
        not_shown="The model learned, but not yet through these words: train longer or with a larger vocabulary.",
        inconclusive="Too close to random to tell; train once more.",
    )


def bidirectional_claim(outcome: QuickOutcome) -> Verdict:
    """The stacked bidirectional model learned from the reviews (the weight counts are shown as facts)."""
    model = outcome.config.model
    if not model.bidirectional or model.layers < 2:
        return Verdict(
            Outcome.NOT_SHOWN,
            f"this run trained {model.layers} {'bidirectional ' if model.bidirectional else ''}layer(s), not two "
            "stacked bidirectional layers.",
            "Press Set up 3.",
        )
    return beats_majority(outcome, "Two layers, each reading the review both ways, learned the task together.")


def bidirectional_facts(outcome: QuickOutcome) -> list[str]:
    model = outcome.config.model
    one = rnn_cell_params(model.cell, model.units, outcome.config.data.embedding_dim)
    return [*_recurrent_facts(outcome), f"one direction of the first layer alone would hold {one:,} weights."]


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
        facts=(gate_facts,),
    ),
    Experiment(
        2,
        "Word embeddings: where each word sits",
        ("word embeddings",),
        {**COMMON, "view": 1, "cell": "GRU", "bidirectional": False},  # opens where "Train quickly" is
        "Quick-train a GRU on IMDb, then open the word map: every word is a learned vector, projected to 2-D. "
        "Look for praise and criticism drifting to opposite sides, and the neighbours of 'great'.",
        embeddings_claim,
        shown=("view",),
        train_label="Train quickly",
        facts=(embedding_facts,),
    ),
    Experiment(
        3,
        "Bidirectional and stacked RNNs",
        ("bidirectional and stacked RNNs",),
        {**COMMON, "view": 1, "cell": "GRU", "bidirectional": True, "layers": 2},  # opens where "Train quickly" is
        "Quick-train two stacked layers, each reading the sequence both ways (the second reads the first one's "
        "outputs), then open the Architecture explorer: its diagram and parameter table show the same two layers. "
        "The weight counts are shown as facts, and the check is whether the model learned.",
        bidirectional_claim,
        shown=("view",),
        train_label="Train quickly",
        facts=(bidirectional_facts,),
    ),
)
