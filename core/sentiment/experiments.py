"""Guided experiments of the Sentiment page (core/engine/experiments.py): metrics beyond accuracy,
overfitting with the best epoch marked, tokenisation with padding and truncation. TensorFlow-free.

Every claim compares the run with a baseline measured on the same test reviews: the majority guess
(what a model that learned nothing scores: its accuracy, and a ROC AUC of 0.5 since it ranks no review
above another), or the run's own best epoch. Each has three outcomes (core.engine.experiments.judge).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from core.engine.experiments import Experiment, Outcome, Verdict, controls, judge, verdict
from core.sentiment import charts
from core.sentiment.config import DEFAULT_PRESET, PRESETS, TINY_PRESET, SentimentOutcome, SentimentRun

DEFAULT, TINY = list(PRESETS).index(DEFAULT_PRESET), list(PRESETS).index(TINY_PRESET)
MIN_AUC, UNCLEAR_AUC = 0.85, 0.75  # "ranks reviews well": a random positive above a random negative 85 % of the time
OVERFIT_RISE, UNCLEAR_RISE = 0.15, 0.05  # the last validation loss ends 15 % above its best (5-15 %: too close)
TRUNCATED_GAIN, UNCLEAR_GAIN = 0.08, 0.03  # 20 tokens still beat the majority guess by 8 points (3-8: too close)
LEARNED = 0.9  # before it overfits, the model's best validation loss is at least 10 % below the majority guess's
# A review typed for the walkthrough (short, so its row is mostly padding) - not from the data set.
SHORT_REVIEW = "A gripping story, but the ending felt rushed and flat."


def majority_accuracy(labels: np.ndarray) -> float:
    """The accuracy of always answering the more common label of these reviews."""
    share = float(np.mean(np.asarray(labels) > 0.5)) if len(labels) else 0.5
    return max(share, 1 - share)


def majority_loss(labels: np.ndarray) -> float:
    """The cross-entropy of always answering the share of positives: what a model that learned nothing scores."""
    share = min(max(float(np.mean(np.asarray(labels) > 0.5)) if len(labels) else 0.5, 1e-6), 1 - 1e-6)
    return -(share * math.log(share) + (1 - share) * math.log(1 - share))


def metrics_claim(outcome: SentimentOutcome) -> Verdict:
    """The model ranks reviews well (ROC AUC) where the majority guess ranks none (AUC 0.5)."""
    labels = outcome.test_labels
    m = charts.classification_metrics(labels, outcome.test_probabilities)
    majority = majority_accuracy(labels)
    said = (
        f"ROC AUC {m['ROC AUC']:.3f} against 0.5 for the majority guess, which ranks no review above another "
        f"(accuracy {m['accuracy']:.1%} vs {majority:.1%}; precision {m['precision']:.1%}, recall {m['recall']:.1%}, "
        f"F1 {m['F1']:.3f}, on {len(labels):,} test reviews)."
    )
    outcome_ = judge(m["ROC AUC"], needed=MIN_AUC, unclear=UNCLEAR_AUC)
    return verdict(
        outcome_,
        said,
        showed=f"At {MIN_AUC} or more, a random positive review scores above a random negative one "
        f"{m['ROC AUC']:.0%} of the time, whatever threshold you pick: accuracy at 0.5 is only one point of the curve.",
        not_shown=f"The lesson needs an AUC of at least {MIN_AUC}: train longer or on more reviews.",
        inconclusive=f"Between {UNCLEAR_AUC} and {MIN_AUC} it ranks better than chance but not clearly well: "
        "train another epoch and check again.",
    )


def overfitting_claim(outcome: SentimentOutcome) -> Verdict:
    """The validation loss turns up after its best epoch while the training loss keeps falling."""
    frame = outcome.result.epoch_frame()
    best = charts.best_epoch(frame)
    if best is None or len(frame) < 2:
        return Verdict(
            Outcome.NOT_SHOWN,
            "this run has fewer than two epochs with a validation loss, so nothing can turn up.",
            "Train the experiment's 6 epochs.",
        )
    best_row, last = frame[frame["epoch"] == best].iloc[0], frame.iloc[-1]
    guess = majority_loss(outcome.test_labels)
    said = (
        f"the validation loss was lowest after epoch {best} ({best_row['val_loss']:.3f}; the majority guess "
        f"scores {guess:.3f}) and ended at {last['val_loss']:.3f} after epoch {int(last['epoch'])} "
        f"({last['val_loss'] / best_row['val_loss'] - 1:+.0%}), while the training loss went from "
        f"{best_row['loss']:.3f} to {last['loss']:.3f}."
    )
    if best_row["val_loss"] > LEARNED * guess:
        return Verdict(
            Outcome.NOT_SHOWN,
            f"{said} The model never did clearly better than the majority guess ({1 - LEARNED:.0%} below its "
            "loss), so it memorised without ever learning.",
            "Train again: the lesson needs a model that first learns, then memorises.",
        )
    if best >= int(last["epoch"]) or last["loss"] >= best_row["loss"]:
        return Verdict(
            Outcome.NOT_SHOWN,
            said + " The validation loss did not turn up while the training loss kept falling.",
            "More epochs, or fewer training reviews, let the model memorise.",
        )
    rise = float(last["val_loss"] / best_row["val_loss"] - 1)
    n = outcome.config.data.train_size
    return verdict(
        judge(rise, needed=OVERFIT_RISE, unclear=UNCLEAR_RISE),
        said,
        showed=f"The model memorised its {n:,} training reviews: stop at the marked epoch (early stopping).",
        not_shown=f"The lesson needs the validation loss to end {OVERFIT_RISE:.0%} above its best: train more epochs.",
        inconclusive=f"A rise under {OVERFIT_RISE:.0%} is too small to tell from noise: train more epochs.",
    )


def truncation_claim(outcome: SentimentOutcome) -> Verdict:
    """Reading only the last few tokens of each review still beats the majority guess clearly."""
    majority = majority_accuracy(outcome.test_labels)
    gain = outcome.test_accuracy - majority
    length = outcome.config.data.max_length
    return verdict(
        judge(gain, needed=TRUNCATED_GAIN, unclear=UNCLEAR_GAIN),
        f"reading only the last {length} tokens of each review, test accuracy is {outcome.test_accuracy:.1%} "
        f"against {majority:.1%} for the majority guess ({gain * 100:+.1f} points).",
        showed="Endings carry much of a review's verdict - compare with the Default preset, which reads 200 tokens.",
        not_shown=f"The lesson expects at least {TRUNCATED_GAIN * 100:.0f} points over the guess: train again.",
        inconclusive=f"Under {TRUNCATED_GAIN * 100:.0f} points is too close to the guess to tell: train again.",
    )


def weights_fact(outcome: SentimentOutcome) -> list[str]:
    """How big the model is next to its training set (true by construction)."""
    model = outcome.model
    embedding = next((layer for layer in model.layers if "embedding" in type(layer).__name__.lower()), None)
    within = f", {embedding.count_params():,} of them word embeddings" if embedding is not None else ""
    return [f"this model has {model.count_params():,} weights{within}, for {outcome.config.data.train_size:,} "
            "training reviews."]  # fmt: skip


def run_for(experiment: Experiment) -> SentimentRun:
    """The run the page trains for an experiment (its preset with the experiment's controls), for scripts."""
    run = PRESETS[experiment.params["preset"]]
    fields = {"vocab": "num_words", "maxlen": "max_length", "train": "train_size", "test": "test_size"}
    fields |= {"emb": "embedding_dim"}
    data, model, train = {}, {}, {}
    for name, value in experiment.params.items():
        short = name.split(".", 1)[-1]
        if short in fields:
            data[fields[short]] = value
        elif short in ("units", "layers", "cell", "readout", "pattern", "dropout"):
            model[short] = value
        elif short in ("epochs", "batch_size"):
            train[short] = value
    return replace(
        run, data=replace(run.data, **data), model=replace(run.model, **model), train=replace(run.train, **train)
    )


def metrics_views(outcome: SentimentOutcome) -> list[tuple[object, str]]:
    labels, probs = outcome.test_labels, outcome.test_probabilities
    m = charts.classification_metrics(labels, probs)
    said = probs > 0.5
    negatives = (labels <= 0.5).sum()
    at_half = (float((said & (labels <= 0.5)).sum() / max(1, negatives)), m["recall"])
    return [
        (
            charts.roc_chart(charts.roc_frame(labels, probs), m["ROC AUC"], at_half),
            "**What to look for.** Each point is one threshold: how many positive reviews the model catches (true "
            "positive rate = recall) against how many negatives it wrongly calls positive. The dashed diagonal is "
            "guessing; the closer the curve hugs the top-left corner, the better. Area under it = ROC AUC.",
        ),
        (
            charts.metrics_table(m),
            "Precision: of the reviews called positive, the share that are. Recall: of the positive reviews, the "
            "share found. F1 is their harmonic mean; on balanced IMDb it sits near accuracy.",
        ),
    ]


def overfitting_views(outcome: SentimentOutcome) -> list[tuple[object, str]]:
    return [
        (
            charts.best_epoch_chart(outcome.result.epoch_frame()),
            "**What to look for.** The training loss keeps falling; the validation loss falls, bottoms out at the "
            "marked best epoch, then climbs: from there on the model learns its training reviews by heart, not "
            "sentiment. Early stopping (patience 1) would stop there and keep the weights of the marked epoch.",
        )
    ]


EXPERIMENTS = (
    Experiment(
        1,
        "Accuracy is not the whole story: precision, recall, F1 and the ROC curve",
        ("precision, recall, F1 and ROC",),
        {"preset": DEFAULT_PRESET, **controls(DEFAULT, train=5_000, test=2_000)},
        "Train the default GRU on 5,000 reviews; the check then scores the test reviews four ways. Look at "
        "the ROC curve: it shows every threshold at once, and its area says how well the model ranks reviews.",
        metrics_claim,
        views=(metrics_views,),
    ),
    Experiment(
        2,
        "Overfitting: a big model on 1,000 reviews",
        ("overfitting",),
        {
            "preset": TINY_PRESET,
            **controls(TINY, vocab=10_000, maxlen=80, train=1_000, units=64, emb=64, epochs=10, batch_size=32),
        },
        "A GRU with 64 units and 64-wide embeddings for up to 10,000 words trains on only 1,000 reviews for 10 "
        "epochs. Watch the validation loss: it falls for a few epochs, then rises while the training loss keeps "
        "falling - the best epoch is marked.",
        overfitting_claim,
        views=(overfitting_views,),
        facts=(weights_fact,),
    ),
    Experiment(
        3,
        "Tokens, ids, padding and truncation",
        ("tokenisation, padding and truncation",),
        {"preset": TINY_PRESET, **controls(TINY, maxlen=20, train=5_000, epochs=3)},
        "Every review becomes words, then ids (1 = start, 2 = a word outside the vocabulary), then a row of "
        "exactly 20 ids: short reviews are padded with 0 at the front (and the padding is masked), long ones "
        "keep only their last 20 words. Look how much the model still gets from a review's last 20 words.",
        truncation_claim,
        page_views=("tokenisation",),
    ),
)
