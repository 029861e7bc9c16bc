"""The Architectures page's experiments: weight counts are facts; the verdicts compare the quick model with
the trivial baseline on the same test reviews and fail on an untrained model (the counterfactual)."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np

from core.cells import experiments as cell_experiments
from core.cells.parameters import rnn_cell_params
from core.engine.experiments import Outcome, facts_of


class Layer:
    def __init__(self, weights: int, table: np.ndarray | None = None) -> None:
        self.weights, self.table = weights, table

    def count_params(self) -> int:
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        return [self.table]


def _table(vocab: int, emb: int, separated: bool) -> tuple[np.ndarray, dict[str, int]]:
    rng = np.random.default_rng(1)
    table = rng.uniform(-0.05, 0.05, size=(vocab, emb))
    words = [*cell_experiments.PRAISE, *cell_experiments.CRITICISM]
    ids = {w: 10 + i for i, w in enumerate(words)}
    if separated:  # training pushed praise one way and criticism the other
        for w in cell_experiments.PRAISE:
            table[ids[w]] += 0.5
        for w in cell_experiments.CRITICISM:
            table[ids[w]] -= 0.5
    return table, ids


def quick(
    cell="LSTM",
    accuracy=0.72,
    majority=0.5,
    layers=1,
    bidirectional=False,
    units=16,
    emb=16,
    vocab=2_000,
    separated=True,
) -> NS:
    table, ids = _table(vocab, emb, separated)
    model_layers = [type("Embedding", (Layer,), {})(vocab * emb, table)]
    width = emb
    for _ in range(layers):
        one = rnn_cell_params(cell, units, width)
        kind = "Bidirectional" if bidirectional else cell
        model_layers.append(type(kind, (Layer,), {})(2 * one if bidirectional else one))
        width = 2 * units if bidirectional else units
    model_layers.append(type("Dense", (Layer,), {})(width + 1))
    return NS(
        model=NS(layers=model_layers),
        config=NS(
            model=NS(cell=cell, units=units, layers=layers, bidirectional=bidirectional), data=NS(embedding_dim=emb)
        ),
        vocab_size=vocab,
        test_accuracy=accuracy,
        majority_accuracy=majority,
        word_ids=ids,
    )


def test_gates_weight_count_is_a_fact_and_the_verdict_needs_learning():
    e = cell_experiments.EXPERIMENTS[0]
    lstm = rnn_cell_params("LSTM", 16, 16)
    assert f"4 × (16·(16 + 16) + 16) = 4 × {lstm // 4:,}" in facts_of(e, quick())[0]
    shown = cell_experiments.gates_claim(quick())
    assert shown.outcome is Outcome.SHOWED and "72.0% against 50.0%" in shown.sentence
    # counterfactual: an untrained LSTM (as good as the majority guess) has the same four blocks but no lesson
    assert cell_experiments.gates_claim(quick(accuracy=0.51)).outcome is Outcome.NOT_SHOWN
    assert cell_experiments.gates_claim(quick(accuracy=0.56)).outcome is Outcome.INCONCLUSIVE
    assert cell_experiments.gates_claim(quick(cell="GRU")).outcome is Outcome.NOT_SHOWN
    # the baseline is measured: 72 % is no lesson when 70 % of the test reviews share one label
    assert cell_experiments.gates_claim(quick(majority=0.70)).outcome is Outcome.NOT_SHOWN


def test_embeddings_claim_compares_with_a_random_table():
    e = cell_experiments.EXPERIMENTS[1]
    assert "of the model's" in facts_of(e, quick(cell="GRU"))[0]
    shown = cell_experiments.embeddings_claim(quick(cell="GRU"))
    assert shown.held and "random table" in shown.sentence
    # counterfactual: a table that training did not move (still random) does not show it
    assert not cell_experiments.embeddings_claim(quick(cell="GRU", separated=False)).held
    assert not cell_experiments.embeddings_claim(quick(cell="GRU", accuracy=0.5)).held
    missing = quick(cell="GRU")
    missing.word_ids = {}
    assert cell_experiments.embeddings_claim(missing).outcome is Outcome.INCONCLUSIVE


def test_stacked_bidirectional_facts_and_verdict():
    e = cell_experiments.EXPERIMENTS[2]
    run = quick(cell="GRU", layers=2, bidirectional=True)
    facts = facts_of(e, run)
    assert "recurrent layer 2 (bidirectional) reads 32 numbers per step" in facts[1] and "stacked" in facts[1]
    assert f"= 2 × {rnn_cell_params('GRU', 16, 16):,}" in facts[0]
    assert cell_experiments.bidirectional_claim(run).held
    # counterfactuals: one layer, one direction, or no learning
    assert not cell_experiments.bidirectional_claim(quick(cell="GRU", layers=1, bidirectional=True)).held
    assert not cell_experiments.bidirectional_claim(quick(cell="GRU", layers=2)).held
    assert not cell_experiments.bidirectional_claim(quick(cell="GRU", layers=2, bidirectional=True, accuracy=0.5)).held


def test_quick_run_is_stacked_as_the_explorer_shows():
    from dataclasses import replace

    from core.cells.config import DEFAULT_CHOICE, quick_run

    choice = replace(DEFAULT_CHOICE, model=replace(DEFAULT_CHOICE.model, layers=3, bidirectional=True))
    run = quick_run(choice)
    assert run.model.layers == 2 and run.model.bidirectional
