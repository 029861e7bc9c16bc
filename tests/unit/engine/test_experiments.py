"""Guided experiments as data: their links, how a run is matched to them, and every claim on
synthetic outcomes (each claim must be able to say "held" and "did not hold")."""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

import numpy as np
import pytest

from core.engine.experiments import CONCEPTS, Experiment, Outcome, by_concept, check, controls, encode_value
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


LAB_MODULES = ["gradients", "sentiment", "attention", "stocks", "shakespeare", "cells"]


@pytest.mark.parametrize("lab", LAB_MODULES)
def test_each_page_has_two_to_five_numbered_experiments_that_go_into_a_link(lab):
    import importlib

    module = importlib.import_module(f"core.{lab}.experiments")
    assert [e.number for e in module.EXPERIMENTS] == list(range(1, len(module.EXPERIMENTS) + 1))
    assert 2 <= len(module.EXPERIMENTS) <= 5
    for e in module.EXPERIMENTS:
        assert set(e.concepts) <= set(CONCEPTS) and e.concepts
        assert e.look_for.count(". ") + e.look_for.endswith(".") >= 2  # says what to look for, in two sentences
        e.link_params()


def test_every_concept_of_the_course_has_an_experiment_and_every_training_page_has_some():
    from ui.experiments import PAGES, experiments_for
    from ui.registry import PAGES as REGISTERED

    table = by_concept({page: experiments_for(page) for page in PAGES})
    assert all(table[c] for c in CONCEPTS), [c for c in CONCEPTS if not table[c]]
    training_pages = {p.path.removeprefix("app_pages/").removesuffix(".py").replace("_", "-") for p in REGISTERED}
    assert training_pages - {"home"} <= set(PAGES)


# ----------------------------------------------------------------------------- Sentiment
# Each claim: the real run's outcome shows it; a run that must NOT show the lesson (the majority guess, an
# untrained model, a run whose validation loss never turns up, one that never learned) does not.


def sentiment(probabilities, labels, val_losses=None, losses=None, max_length=200, train_size=1_000) -> NS:
    probabilities, labels = np.asarray(probabilities, float), np.asarray(labels, float)
    accuracy = float(np.mean((probabilities > 0.5) == (labels > 0.5)))
    return NS(
        test_probabilities=probabilities,
        test_labels=labels,
        test_accuracy=accuracy,
        result=epochs(val_losses or [0.6, 0.5], losses),
        config=NS(data=NS(max_length=max_length, train_size=train_size)),
        model=None,
    )


def balanced(n=400, seed=0):
    return np.random.default_rng(seed).permutation(np.repeat([0.0, 1.0], n // 2))


def test_metrics_claim_against_the_majority_guess_and_an_untrained_model():
    from core.sentiment import charts
    from core.sentiment import experiments as sentiment_experiments

    claim = sentiment_experiments.metrics_claim
    labels = [0, 0, 0, 1, 1, 1]
    good = sentiment([0.1, 0.2, 0.6, 0.55, 0.8, 0.9], labels)
    v = claim(good)
    assert v.outcome is Outcome.SHOWED and "ROC AUC 0.889 against 0.5 for the majority guess" in v.sentence
    assert "precision 75.0%" in v.sentence and "recall 100.0%" in v.sentence
    y = balanced()
    rng = np.random.default_rng(1)
    untrained = sentiment(0.5 + rng.normal(0, 0.01, len(y)), y)  # the same model before training: near 0.5, unranked
    assert claim(untrained).outcome is Outcome.NOT_SHOWN and claim(untrained).try_next
    majority = sentiment(np.full(len(y), 0.7), y)  # always "positive": ranks no review above another
    assert claim(majority).outcome is Outcome.NOT_SHOWN
    middling = sentiment(np.clip(y * 0.3 + rng.normal(0.35, 0.22, len(y)), 0, 1), y)  # AUC about 0.8
    assert 0.75 <= charts.roc_auc(y, middling.test_probabilities) < 0.85
    assert claim(middling).outcome is Outcome.INCONCLUSIVE
    assert charts.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert charts.roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5  # a tie counts half
    frame = charts.roc_frame(np.array(labels), good.test_probabilities)
    assert frame.iloc[0].tolist()[:2] == [0.0, 0.0] and frame.iloc[-1].tolist()[:2] == [1.0, 1.0]
    views = sentiment_experiments.metrics_views(good)
    assert len(views) == 2 and views[0][0].to_dict()["layer"]  # a valid Altair spec: curve, diagonal, dot


def test_overfitting_claim_against_the_runs_own_best_epoch():
    from core.sentiment import charts
    from core.sentiment import experiments as sentiment_experiments

    claim = sentiment_experiments.overfitting_claim
    y = [0, 1]
    turned_up = sentiment([0.2, 0.8], y, val_losses=[0.6, 0.45, 0.55, 0.7], losses=[0.65, 0.4, 0.2, 0.1])
    v = claim(turned_up)
    assert v.outcome is Outcome.SHOWED and "lowest after epoch 2" in v.sentence and "+56%" in v.sentence
    assert "1,000 training reviews" in v.sentence
    assert charts.best_epoch(turned_up.result.epoch_frame()) == 2
    still_falling = sentiment([0.2, 0.8], y, val_losses=[0.6, 0.5, 0.45, 0.44], losses=[0.65, 0.4, 0.3, 0.2])
    assert claim(still_falling).outcome is Outcome.NOT_SHOWN  # early stopping's run: nothing turned up
    barely_up = sentiment([0.2, 0.8], y, val_losses=[0.6, 0.45, 0.48], losses=[0.65, 0.4, 0.3])
    assert claim(barely_up).outcome is Outcome.INCONCLUSIVE  # +7 %: too close to tell
    flat = sentiment([0.2, 0.8], y, val_losses=[0.6, 0.45, 0.452], losses=[0.65, 0.4, 0.3])
    assert claim(flat).outcome is Outcome.NOT_SHOWN
    never_learned = sentiment([0.2, 0.8], y, val_losses=[0.69, 0.7, 0.9], losses=[0.69, 0.3, 0.1])
    v = claim(never_learned)  # memorised without ever beating the majority guess (log 2 = 0.693)
    assert v.outcome is Outcome.NOT_SHOWN and "never did clearly better than the majority guess" in v.sentence
    train_rose = sentiment([0.2, 0.8], y, val_losses=[0.6, 0.45, 0.7], losses=[0.65, 0.4, 0.5])
    assert claim(train_rose).outcome is Outcome.NOT_SHOWN  # a diverging run is not overfitting
    assert claim(sentiment([0.2, 0.8], y, val_losses=[0.6])).outcome is Outcome.NOT_SHOWN
    (chart, caption), *_ = sentiment_experiments.overfitting_views(turned_up)
    assert "best epoch 2" in str(chart.to_dict()) and "What to look for" in caption


def test_truncation_claim_against_the_majority_guess():
    from core.sentiment import experiments as sentiment_experiments

    claim = sentiment_experiments.truncation_claim
    labels = [0] * 5 + [1] * 5
    v = claim(sentiment([0.1] * 4 + [0.9] + [0.9] * 4 + [0.1], labels, max_length=20))
    assert v.outcome is Outcome.SHOWED and "last 20 tokens" in v.sentence and "80.0%" in v.sentence
    assert claim(sentiment([0.1] * 10, labels, max_length=20)).outcome is Outcome.NOT_SHOWN  # the majority guess
    y = balanced(200)
    near_guess = np.where(np.arange(200) < 110, y, 1 - y) * 0.8 + 0.1  # 55 % right: +5 points
    assert claim(sentiment(near_guess, y, max_length=20)).outcome is Outcome.INCONCLUSIVE


def test_sentiment_run_for_an_experiment_is_what_its_link_sets():
    from core.sentiment import experiments as sentiment_experiments
    from core.sentiment.config import PRESETS

    e = sentiment_experiments.EXPERIMENTS[1]
    run = sentiment_experiments.run_for(e)
    assert run.data.train_size == 1_000 and run.model.units == 64 and run.train.epochs == 10
    assert run.model.cell == PRESETS[e.params["preset"]].model.cell


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


# ----------------------------------------------------------------------------- Attention


def translation(with_attention: float, without: float | None, before=None, after=None, source="one two three") -> NS:
    def snapshot(weights):
        return NS(translation=NS(source=source, weights=np.asarray(weights)))

    uniform = np.full((4, len(source)), 1 / len(source))
    staircase = np.zeros((4, len(source)))
    for k, (start, end) in enumerate([(0, 3), (4, 7), (8, 13)]):
        staircase[k, start:end] = 1 / (end - start)
    return NS(
        evaluation=NS(exact_match=with_attention),
        twin=None if without is None else NS(evaluation=NS(exact_match=without)),
        snapshots=[snapshot(uniform if before is None else before), snapshot(staircase if after is None else after)],
    )


def test_bottleneck_claim():
    from core.attention import experiments as attention_experiments

    claim = attention_experiments.bottleneck_claim
    held, sentence = claim(translation(0.999, 0.595))
    assert held and "99.9% with attention, 59.5% without" in sentence and "+40.4 points" in sentence
    assert not claim(translation(1.0, 0.9))[0]
    assert not claim(translation(1.0, None))[0]


def test_alignment_claim():
    from core.attention import experiments as attention_experiments

    claim = attention_experiments.alignment_claim
    held, sentence = claim(translation(1.0, None))
    assert held and "100% of its attention" in sentence
    uniform = np.full((4, 13), 1 / 13)
    assert not claim(translation(1.0, None, after=uniform))[0]
    assert attention_experiments.own_word_share(uniform, "one two three") == pytest.approx((3 + 3 + 5) / 3 / 13)


# ----------------------------------------------------------------------------- Stocks


def forecast(model_rmse: float, persistence_rmse: float, horizon_rmse=(1.0, 2.0)) -> NS:
    import pandas as pd

    from core.stocks.config import PERSISTENCE

    rows = [{"days ahead": k + 1, "forecaster": "GRU", "RMSE": v} for k, v in enumerate(horizon_rmse)]
    rows += [{"days ahead": k + 1, "forecaster": PERSISTENCE, "RMSE": v} for k, v in enumerate(horizon_rmse)]
    return NS(
        evaluation=NS(
            model_name="GRU",
            model_row={"RMSE": model_rmse},
            persistence_row={"RMSE": persistence_rmse},
            horizons=pd.DataFrame(rows),
        )
    )


def test_stocks_claims():
    from core.stocks import experiments as stock_experiments

    held, sentence = stock_experiments.persistence_claim(forecast(5.1, 5.0))
    assert held and "skill -2.0%" in sentence
    assert not stock_experiments.persistence_claim(forecast(4.0, 5.0))[0]  # far better: suspicious
    assert not stock_experiments.persistence_claim(forecast(16.0, 1.2))[0]  # far worse: the model failed
    held, sentence = stock_experiments.horizon_claim(forecast(1, 1, (1.0, 1.4, 2.2)))
    assert held and "2.2×" in sentence
    assert not stock_experiments.horizon_claim(forecast(1, 1, (1.0, 1.1, 1.2)))[0]


# ----------------------------------------------------------------------------- Shakespeare


def chars(val_bits: float, unigram_bits: float = 4.5, stateful: bool = True) -> NS:
    return NS(val_bits=val_bits, unigram_bits=unigram_bits, val_accuracy=0.4, config=NS(text=NS(stateful=stateful)))


def test_shakespeare_claims():
    from core.shakespeare import experiments as text_experiments

    held, sentence = text_experiments.many_to_many_claim(chars(3.2))
    assert held and "3.20 bits per character against 4.50" in sentence
    assert not text_experiments.many_to_many_claim(chars(4.3))[0]
    assert text_experiments.stateful_claim(chars(3.2))[0]
    assert not text_experiments.stateful_claim(chars(3.2, stateful=False))[0]
    assert not text_experiments.stateful_claim(chars(math.nan))[0]


# ----------------------------------------------------------------------------- Architectures


class Layer:
    def __init__(self, kind: str, weights: int) -> None:
        self.kind, self.weights = kind, weights

    def count_params(self) -> int:
        return self.weights


def quick(cell: str, weights: int, kind: str | None = None, accuracy=0.7, vocab=2_000, emb=16, units=16) -> NS:
    recurrent = type(kind or cell, (Layer,), {})(cell, weights)
    embedding = type("Embedding", (Layer,), {})("Embedding", vocab * emb)
    dense = type("Dense", (Layer,), {})("Dense", 17)
    return NS(
        model=NS(layers=[embedding, recurrent, dense]),
        config=NS(model=NS(cell=cell, units=units), data=NS(embedding_dim=emb)),
        vocab_size=vocab,
        test_accuracy=accuracy,
    )


def test_architecture_claims():
    from core.cells import experiments as cell_experiments
    from core.cells.parameters import rnn_cell_params

    lstm = rnn_cell_params("LSTM", 16, 16)
    held, sentence = cell_experiments.gates_claim(quick("LSTM", lstm))
    assert held and f"{lstm:,} weights = 4 × (16·(16 + 16) + 16)" in sentence
    assert not cell_experiments.gates_claim(quick("GRU", rnn_cell_params("GRU", 16, 16)))[0]
    assert not cell_experiments.gates_claim(quick("LSTM", lstm, accuracy=0.5))[0]
    gru = rnn_cell_params("GRU", 16, 16)
    assert cell_experiments.embeddings_claim(quick("GRU", gru))[0]
    assert not cell_experiments.embeddings_claim(quick("GRU", gru, vocab=10, emb=8))[0]
    held, sentence = cell_experiments.bidirectional_claim(quick("GRU", 2 * gru, kind="Bidirectional"))
    assert held and "exactly half" in sentence
    assert not cell_experiments.bidirectional_claim(quick("GRU", gru))[0]


def test_judge_has_three_outcomes():
    from core.engine.experiments import Outcome, judge

    assert judge(0.2, needed=0.1, unclear=0.0) is Outcome.SHOWED
    assert judge(0.05, needed=0.1, unclear=0.0) is Outcome.INCONCLUSIVE
    assert judge(-0.05, needed=0.1, unclear=0.0) is Outcome.NOT_SHOWN
    assert judge(float("nan"), needed=0.1) is Outcome.INCONCLUSIVE
    assert judge(0.09, needed=0.1) is Outcome.NOT_SHOWN  # no band: below the need is not shown
    with pytest.raises(ValueError):
        judge(0.0, needed=0.0, unclear=1.0)


def test_verdict_words_follow_the_outcome_and_facts_are_separate():
    from core.engine.experiments import Outcome, Verdict, facts_of, judge_run, verdict

    shown = verdict(Outcome.SHOWED, "RMSE 1.0 vs 1.2.", showed="Lesson.", not_shown="Try more epochs.")
    assert shown.held and shown.text() == "RMSE 1.0 vs 1.2. Lesson." and shown.try_next == ""
    missed = verdict(Outcome.NOT_SHOWN, "RMSE 1.3 vs 1.2.", showed="Lesson.", not_shown="Try more epochs.")
    assert not missed.held and missed.try_next == "Try more epochs."
    e = Experiment(1, "t", ("x",), {}, "look", lambda o: Verdict(Outcome.INCONCLUSIVE, "close"), facts=(
        lambda o: [f"this model has {o.weights:,} weights"], lambda o: [o.missing]))
    assert judge_run(e, NS(weights=2112)).outcome is Outcome.INCONCLUSIVE
    assert facts_of(e, NS(weights=2112)) == ["this model has 2,112 weights"]  # an unreadable fact is left out
