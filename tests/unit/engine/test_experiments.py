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
# Every claim is fed the outcome of a run that must NOT show its lesson (an untrained run, a run at the
# trivial guess, a twin that did not explode, ...) and must fail on it; and the measured real outcome,
# on which it must hold. Figures are those measured on the app's settings (see the claims' docstrings).

MSE = NS(name="MSE", lower_is_better=True, baseline=1 / 6, baseline_label="always answer 1")
SHOWED, NOT_SHOWN, INCONCLUSIVE = Outcome.SHOWED, Outcome.NOT_SHOWN, Outcome.INCONCLUSIVE


def gradient_run(
    cell: str, score: float, length: int = 50, clip=None, status="finished", baseline=0.163, initial=0.7, steps=22
) -> NS:
    return NS(
        model_config=NS(cell=cell),
        test_score=score,
        length=length,
        train=NS(clip_norm=clip),
        result=result(status, steps),
        baseline=baseline,
        initial_score=initial,
    )


def comparison(runs) -> NS:
    longest = max(r.length for r in runs)
    return NS(runs=runs, longest=[r for r in runs if r.length == longest], score=MSE)


def cells(simple: float, lstm: float, gru: float, **kw) -> NS:
    return comparison(
        [gradient_run("SimpleRNN", simple, **kw), gradient_run("LSTM", lstm, **kw), gradient_run("GRU", gru, **kw)]
    )


def test_cells_claim_holds_for_the_measured_comparison_and_states_its_margins():
    v = gradient_experiments.cells_claim(cells(0.165, 0.15, 0.004))
    assert v.outcome is SHOWED
    assert "GRU learned" in v.text() and "LSTM learned" not in v.text()
    assert "GRU 0.004 (98% below the trivial guess's)" in v.text() and "SimpleRNN 0.165 (1% above" in v.text()
    assert "always answer 1: 0.163 on the same test set" in v.text()


@pytest.mark.parametrize(
    "run, why",
    [
        (cells(0.72, 0.81, 0.64), "untrained: every cell worse than the trivial guess"),
        (cells(0.163, 0.162, 0.161), "every cell at the trivial guess"),
        (cells(0.02, 0.01, 0.01), "the SimpleRNN learned too"),
        (cells(0.17, math.nan, 0.16), "the gated cells did not learn"),
    ],
)
def test_cells_claim_fails_on_runs_that_do_not_show_it(run, why):
    v = gradient_experiments.cells_claim(run)
    assert v.outcome is NOT_SHOWN, why
    assert v.try_next


def test_cells_claim_is_inconclusive_when_the_margin_is_thin():
    assert gradient_experiments.cells_claim(cells(0.165, 0.10, 0.09)).outcome is INCONCLUSIVE  # 45 % of the way
    assert gradient_experiments.cells_claim(cells(0.13, 0.01, 0.01)).outcome is INCONCLUSIVE  # SimpleRNN 20 %


def clipped(
    plain_status="diverged", plain_score=math.inf, clipped_score=0.115, baseline=0.163, clip_status="completed"
):
    return comparison(
        [
            gradient_run("SimpleRNN", plain_score, status=plain_status, baseline=baseline, steps=18),
            gradient_run("SimpleRNN", clipped_score, clip=0.1, status=clip_status, baseline=baseline, steps=1260),
        ]
    )


def test_clipping_claim_holds_when_the_clipped_run_learns():
    v = gradient_experiments.clipping_claim(clipped())
    assert v.outcome is SHOWED
    assert "NaN/inf at step 18" in v.text() and "stayed finite for all 1,260 steps" in v.text()
    assert "0.115 (29% below the trivial guess's)" in v.text() and "(always answer 1) scores 0.163" in v.text()


def test_clipping_claim_says_when_a_finite_run_learned_nothing():
    """The run the issue measured: clipped at 1, finite, test MSE 0.590 against 0.167 for always answering 1."""
    v = gradient_experiments.clipping_claim(clipped(clipped_score=0.590, baseline=0.167))
    assert v.outcome is NOT_SHOWN
    assert "3.5× the trivial guess's" in v.text() and "learned nothing" in v.text()


@pytest.mark.parametrize(
    "run",
    [
        clipped(plain_status="completed", plain_score=0.3),  # nothing exploded without clipping
        clipped(clipped_score=math.nan, clip_status="diverged"),  # the clipped twin blew up too
    ],
)
def test_clipping_claim_fails_without_an_explosion_or_a_finite_twin(run):
    assert gradient_experiments.clipping_claim(run).outcome is NOT_SHOWN


def test_clipping_claim_is_inconclusive_just_below_the_trivial_guess():
    assert gradient_experiments.clipping_claim(clipped(clipped_score=0.160)).outcome is INCONCLUSIVE


def single(before, after, initial=0.64, final=0.172, baseline=0.1716, steps=63) -> NS:
    first = NS(training_step=0, norms=np.asarray(before))
    last = NS(training_step=steps, norms=np.asarray(after))
    recorder = NS(initial=lambda: first, latest=lambda: last if steps else first)
    run = NS(recorder=recorder, initial_score=initial, test_score=final, baseline=baseline)
    return NS(run=run, score=MSE, config=NS(source=NS(length=len(after))))


def test_reach_claim_holds_for_the_measured_simple_rnn_run():
    """SimpleRNN, T = 100, one epoch (measured): 1.5e-4 at initialisation, 0 (underflow) after 63 steps,
    test MSE 0.172 against 0.1716 for always answering 1."""
    v = gradient_experiments.reach_claim(single([1.5e-4, 1e-3, 1.0], [0.0, 1e-9, 1.0]))
    assert v.outcome is SHOWED
    text = v.text()
    assert "Before training" in text and "1.5e-04" in text and "below 1e-30: nothing reaches step 1" in text
    assert (
        "more than 28 orders of magnitude below" in text
        and "from 0.640 to 0.172 (the same as the trivial guess's)" in text
    )
    v = gradient_experiments.reach_claim(single([1.5e-4, 1.0], [2.2e-7, 1.0]))
    assert v.outcome is SHOWED and "2.2e-07" in v.text() and "5 orders" in v.text()


def test_reach_claim_fails_on_an_untrained_run_although_its_gradient_has_vanished():
    """At initialisation the SimpleRNN's reach is already 1.5e-4 < 1e-2: the old claim held before any training."""
    v = gradient_experiments.reach_claim(single([1.5e-4, 1.0], [1.5e-4, 1.0], steps=0))
    assert v.outcome is NOT_SHOWN and "no step" in v.text()
    v = gradient_experiments.reach_claim(single([1.5e-4, 1.0], [1e-6, 1.0], initial=0.17, final=0.19))
    assert v.outcome is NOT_SHOWN and "did not improve" in v.text()


@pytest.mark.parametrize(
    "run, outcome",
    [
        (single([1e-3, 1.0], [0.5, 1.0]), NOT_SHOWN),  # the gradient reaches step 1 (a gated cell)
        (single([1e-3, 1.0], [1e-5, 1.0], final=0.02), NOT_SHOWN),  # it learned the task anyway
        (single([1e-3, 1.0], [0.05, 1.0]), INCONCLUSIVE),  # 5 %: between the 1 % needed and 10 %
        (single([1e-6, 1.0], [1e-6, 0.0]), INCONCLUSIVE),  # no gradient at step T: nothing to compare with
    ],
)
def test_reach_claim_fails_when_the_gradient_reaches_or_the_task_was_learned(run, outcome):
    assert gradient_experiments.reach_claim(run).outcome is outcome


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


# ----------------------------------------------------------------------------- Stocks

PERSISTENCE_BY_DAY = (1.21, 1.70, 2.08, 2.40, 2.69)  # SPY test range, persistence's RMSE 1..5 days ahead


def forecast(model_rmse, persistence_rmse=1.212, train_skill=(-0.0094, 0.0078), model_by_day=None) -> NS:
    """A finished stocks run as the claims read it: test RMSEs, per-day RMSEs, training-day skill before/after."""
    import pandas as pd

    from core.stocks.config import PERSISTENCE

    by_day = PERSISTENCE_BY_DAY if model_by_day is None else model_by_day
    rows = [{"days ahead": k + 1, "forecaster": "GRU", "RMSE": v} for k, v in enumerate(by_day)]
    rows += [{"days ahead": k + 1, "forecaster": PERSISTENCE, "RMSE": v} for k, v in enumerate(PERSISTENCE_BY_DAY)]
    return NS(
        evaluation=NS(
            model_name="GRU",
            model_row={"RMSE": model_rmse},
            persistence_row={"RMSE": persistence_rmse},
            horizons=pd.DataFrame(rows),
        ),
        train_skill=train_skill,
    )


def test_stocks_one_holds_for_a_trained_gru_and_fails_for_what_learned_nothing():
    from core.engine.experiments import Outcome
    from core.stocks.experiments import persistence_claim

    real = persistence_claim(forecast(1.206))  # SPY, default preset, seed 0: skill +0.5 %, +1.7 points in training
    assert real.outcome is Outcome.SHOWED and "skill +0.5%" in real.sentence and "+1.7 points" in real.sentence
    # Counterfactuals: a model that outputs zero moves is persistence: same RMSE, nothing learned.
    zero = persistence_claim(forecast(1.212, train_skill=(0.0, 0.0)))
    assert zero.outcome is Outcome.NOT_SHOWN and "nothing was learned" in zero.sentence
    untrained = persistence_claim(forecast(1.23, train_skill=(-0.009, -0.009)))  # scored twice before training
    assert untrained.outcome is Outcome.NOT_SHOWN
    assert persistence_claim(forecast(16.0)).outcome is Outcome.NOT_SHOWN  # learned, but far worse on test
    assert persistence_claim(forecast(1.05)).outcome is Outcome.NOT_SHOWN  # +13 %: not the lesson, suspicious
    assert persistence_claim(forecast(1.206, train_skill=(0.0, 0.003))).outcome is Outcome.INCONCLUSIVE


def test_stocks_two_compares_each_day_ahead_with_persistence_and_fails_for_persistence_itself():
    from core.engine.experiments import Outcome
    from core.stocks.experiments import horizon_claim

    realistic = tuple(0.99 * v for v in PERSISTENCE_BY_DAY)  # SPY encoder-decoder: ~1 % better at every day
    real = horizon_claim(forecast(1.93, train_skill=(0.001, 0.019), model_by_day=realistic))
    assert real.outcome is Outcome.SHOWED and "2.2×" in real.sentence and "+1.0%" in real.sentence
    # Persistence fed as the model: its error grows 2.2x too, but it learned nothing.
    itself = horizon_claim(forecast(1.93, train_skill=(0.0, 0.0)))
    assert itself.outcome is Outcome.NOT_SHOWN and "nothing was learned" in itself.sentence
    zero_growth = horizon_claim(forecast(1.93, model_by_day=(2.0, 2.0, 2.1, 2.2, 2.3)))  # a constant-error model
    assert zero_growth.outcome is Outcome.NOT_SHOWN and "grow" in zero_growth.try_next
    behind = horizon_claim(forecast(1.93, model_by_day=tuple(1.1 * v for v in PERSISTENCE_BY_DAY)))
    assert behind.outcome is Outcome.NOT_SHOWN and "falls 10.0% behind" in behind.try_next


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
    e = Experiment(
        1,
        "t",
        ("x",),
        {},
        "look",
        lambda o: Verdict(Outcome.INCONCLUSIVE, "close"),
        facts=(lambda o: [f"this model has {o.weights:,} weights"], lambda o: [o.missing]),
    )
    assert judge_run(e, NS(weights=2112)).outcome is Outcome.INCONCLUSIVE
    assert facts_of(e, NS(weights=2112)) == ["this model has 2,112 weights"]  # an unreadable fact is left out
