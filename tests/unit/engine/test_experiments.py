"""Guided experiments as data: their links, how a run is matched to them, and every claim on
synthetic outcomes (each claim must be able to say "held" and "did not hold")."""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

import numpy as np
import pytest

from core.engine.experiments import CONCEPTS, Experiment, by_concept, check, controls, encode_value
from core.engine.history import EpochRecord, TrainingResult
from core.gradients import experiments as gradient_experiments


def epochs(val_losses, losses=None, metric=None) -> TrainingResult:
    losses = losses or [1.0 - 0.1 * i for i in range(len(val_losses))]
    records = [
        EpochRecord(i + 1, loss, dict(metric or {}), val, {}, float(i))
        for i, (loss, val) in enumerate(zip(losses, val_losses, strict=True))
    ]
    return TrainingResult("finished", "", [], records, 10.0)


def result(status="finished", steps=10) -> NS:
    return NS(status=status, steps=steps)


# ----------------------------------------------------------------------------- the framework


def _claim_true(outcome):
    return True, "yes"


def _claim_raises(outcome):
    return outcome.missing > 1, "never"


def test_link_params_and_differences():
    e = Experiment(
        1,
        "t",
        ("x",),
        {"preset": "P", "view": 2, **controls(3, lr=0.01, on=True)},
        "look",
        _claim_true,
        shown=("view",),
    )
    assert e.link_params() == {"preset": "P", "view": "2", "3.lr": "0.01", "3.on": "true"}
    assert e.matches({"preset": "P", "3.lr": "0.01", "3.on": "true", "3.units": "64"})  # other controls are free
    assert e.differences({"preset": "P", "3.lr": "0.1", "3.on": "true"}) == ["3.lr=0.01"]
    assert not e.matches({"preset": "P"})  # a missing control is a difference; the shown tab is not
    assert encode_value([10, 20]) == "10,20"


def test_check_turns_an_unreadable_outcome_into_did_not_show():
    e = Experiment(1, "t", ("x",), {}, "look", _claim_raises)
    held, sentence = check(e, NS())
    assert not held and "could not be read" in sentence


def test_by_concept_groups_experiments():
    e = Experiment(1, "t", ("overfitting", "word embeddings"), {}, "look", _claim_true)
    table = by_concept({"sentiment": [e]})
    assert list(table)[: len(CONCEPTS)] == list(CONCEPTS)
    assert table["overfitting"] == [("sentiment", e)] and table["stateful RNNs"] == []


# ----------------------------------------------------------------------------- Gradient lab


def gradient_run(cell: str, score: float, length: int = 50, clip=None, status="finished") -> NS:
    return NS(
        model_config=NS(cell=cell), test_score=score, length=length, train=NS(clip_norm=clip), result=result(status, 22)
    )


def comparison(runs) -> NS:
    longest = max(r.length for r in runs)
    return NS(runs=runs, longest=[r for r in runs if r.length == longest], score=NS(baseline=1 / 6))


def test_cells_claim():
    claim = gradient_experiments.cells_claim
    held, sentence = claim(
        comparison([gradient_run("SimpleRNN", 0.168), gradient_run("LSTM", 0.15), gradient_run("GRU", 0.01)])
    )
    assert held and "GRU learned" in sentence and "LSTM learned" not in sentence
    assert not claim(
        comparison([gradient_run("SimpleRNN", 0.02), gradient_run("LSTM", 0.01), gradient_run("GRU", 0.01)])
    )[0]
    assert not claim(
        comparison([gradient_run("SimpleRNN", 0.17), gradient_run("LSTM", 0.16), gradient_run("GRU", 0.12)])
    )[0]
    assert not claim(
        comparison([gradient_run("SimpleRNN", 0.17), gradient_run("LSTM", math.nan), gradient_run("GRU", 0.16)])
    )[0]


def test_clipping_claim():
    claim = gradient_experiments.clipping_claim
    blew = gradient_run("SimpleRNN", math.nan, status="diverged")
    held, sentence = claim(comparison([blew, gradient_run("SimpleRNN", 0.5, clip=1.0)]))
    assert held and "diverged at step 22" in sentence and "stayed finite" in sentence
    assert not claim(comparison([gradient_run("SimpleRNN", 0.3), gradient_run("SimpleRNN", 0.5, clip=1.0)]))[0]
    assert not claim(comparison([blew, gradient_run("SimpleRNN", math.nan, clip=1.0, status="diverged")]))[0]


def single(norms) -> NS:
    recorder = NS(latest=lambda: NS(norms=np.asarray(norms)))
    return NS(run=NS(recorder=recorder), config=NS(source=NS(length=len(norms))))


def test_reach_claim():
    claim = gradient_experiments.reach_claim
    held, sentence = claim(single([1e-6, 1e-3, 1.0]))
    assert held and "1.0e-06" in sentence
    assert claim(single([0.0, 1.0]))[0]
    assert not claim(single([0.5, 1.0]))[0]
    assert not claim(single([1e-6, 0.0]))[0]  # no gradient at step T: nothing to compare with


def test_gradient_experiments_name_real_presets():
    from core.gradients.config import PRESETS

    for e in gradient_experiments.EXPERIMENTS:
        assert e.params["preset"] in PRESETS
        e.link_params()


@pytest.mark.parametrize("module", [gradient_experiments])
def test_numbers_run_from_one(module):
    assert [e.number for e in module.EXPERIMENTS] == list(range(1, len(module.EXPERIMENTS) + 1))
    assert 2 <= len(module.EXPERIMENTS) <= 5
    for e in module.EXPERIMENTS:
        assert set(e.concepts) <= set(CONCEPTS)


# ----------------------------------------------------------------------------- Sentiment


def sentiment(probabilities, labels, val_losses=None, losses=None, max_length=200) -> NS:
    probabilities, labels = np.asarray(probabilities, float), np.asarray(labels, float)
    accuracy = float(np.mean((probabilities > 0.5) == (labels > 0.5)))
    return NS(
        test_probabilities=probabilities,
        test_labels=labels,
        test_accuracy=accuracy,
        result=epochs(val_losses or [0.6, 0.5], losses),
        config=NS(data=NS(max_length=max_length)),
    )


def test_metrics_claim_and_charts():
    from core.sentiment import charts
    from core.sentiment import experiments as sentiment_experiments

    labels = [0, 0, 0, 1, 1, 1]
    good = sentiment([0.1, 0.2, 0.6, 0.55, 0.8, 0.9], labels)
    held, sentence = sentiment_experiments.metrics_claim(good)
    assert held and "ROC AUC 0.889" in sentence and "precision 75.0%" in sentence and "recall 100.0%" in sentence
    assert not sentiment_experiments.metrics_claim(sentiment([0.9, 0.2, 0.6, 0.55, 0.1, 0.4], labels))[0]
    assert charts.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert charts.roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5  # a tie counts half
    frame = charts.roc_frame(np.array(labels), good.test_probabilities)
    assert frame.iloc[0].tolist()[:2] == [0.0, 0.0] and frame.iloc[-1].tolist()[:2] == [1.0, 1.0]
    assert len(sentiment_experiments.metrics_views(good)) == 2


def test_overfitting_claim_and_best_epoch():
    from core.sentiment import charts
    from core.sentiment import experiments as sentiment_experiments

    claim = sentiment_experiments.overfitting_claim
    turned_up = sentiment([0.2, 0.8], [0, 1], val_losses=[0.6, 0.45, 0.55, 0.7], losses=[0.65, 0.4, 0.2, 0.1])
    held, sentence = claim(turned_up)
    assert held and "lowest after epoch 2" in sentence
    assert charts.best_epoch(turned_up.result.epoch_frame()) == 2
    still_falling = sentiment([0.2, 0.8], [0, 1], val_losses=[0.6, 0.5, 0.45, 0.44], losses=[0.65, 0.4, 0.3, 0.2])
    assert not claim(still_falling)[0]
    barely_up = sentiment([0.2, 0.8], [0, 1], val_losses=[0.6, 0.45, 0.47], losses=[0.65, 0.4, 0.3])
    assert not claim(barely_up)[0]
    assert not claim(sentiment([0.2, 0.8], [0, 1], val_losses=[0.6]))[0]
    assert sentiment_experiments.overfitting_views(turned_up)


def test_truncation_claim():
    from core.sentiment import experiments as sentiment_experiments

    claim = sentiment_experiments.truncation_claim
    labels = [0] * 5 + [1] * 5
    held, sentence = claim(sentiment([0.1] * 4 + [0.9] + [0.9] * 4 + [0.1], labels, max_length=20))
    assert held and "last 20 tokens" in sentence and "80.0%" in sentence
    assert not claim(sentiment([0.1] * 10, labels, max_length=20))[0]  # the majority guess, no gain


def test_tokenisation_steps_pad_and_truncate_at_the_front():
    from core.data.imdb import Vocabulary
    from core.sentiment import charts

    vocab = Vocabulary({"the": 1, "film": 2, "was": 3, "great": 4}, num_words=6)  # ids 4, 5; the rest <?>
    short = charts.tokenisation_steps(vocab, "The film was great", 8)
    assert short["id"].tolist() == [0, 0, 0, 1, 4, 5, 2, 2]
    assert short["token"].tolist()[:4] == ["<pad>", "<pad>", "<pad>", "<start>"]
    assert short["note"].tolist()[-1] == "out of vocabulary"
    cut = charts.tokenisation_steps(vocab, "The film was great", 3)  # the ending is kept
    assert cut["token"].tolist() == ["film", "was", "great"] and cut["id"].tolist() == [5, 2, 2]
