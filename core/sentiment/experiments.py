"""Guided experiments of the Sentiment page (core/engine/experiments.py): metrics beyond accuracy,
overfitting with the best epoch marked, tokenisation with padding and truncation. TensorFlow-free."""

from __future__ import annotations

import math

from core.engine.experiments import Experiment, controls
from core.sentiment import charts
from core.sentiment.config import DEFAULT_PRESET, PRESETS, TINY_PRESET, SentimentOutcome

DEFAULT, TINY = list(PRESETS).index(DEFAULT_PRESET), list(PRESETS).index(TINY_PRESET)
MIN_AUC = 0.85  # "ranks reviews well": a random positive scores above a random negative 85 % of the time
OVERFIT_RISE = 1.15  # the last validation loss is at least 15 % above the best one
TRUNCATED_GAIN = 0.08  # 20 tokens still beat the majority guess by this much
# A review typed for the walkthrough (short, so its row is mostly padding) - not from the data set.
SHORT_REVIEW = "A gripping story, but the ending felt rushed and flat."


def metrics_claim(outcome: SentimentOutcome) -> tuple[bool, str]:
    """The ROC AUC shows the model ranks reviews well; precision, recall and F1 are reported beside accuracy."""
    m = charts.classification_metrics(outcome.test_labels, outcome.test_probabilities)
    held = math.isfinite(m["ROC AUC"]) and m["ROC AUC"] >= MIN_AUC
    return held, (
        f"accuracy {m['accuracy']:.1%}, precision {m['precision']:.1%}, recall {m['recall']:.1%}, F1 {m['F1']:.3f}; "
        f"ROC AUC {m['ROC AUC']:.3f} "
        + (
            f"(at least {MIN_AUC}): the model ranks a random positive review above a random negative one "
            f"{m['ROC AUC']:.0%} of the time, whatever threshold you pick."
            if held
            else f"- below the {MIN_AUC} the lesson expects; train longer or on more reviews."
        )
    )


def overfitting_claim(outcome: SentimentOutcome) -> tuple[bool, str]:
    """The validation loss turns up after its best epoch while the training loss keeps falling."""
    frame = outcome.result.epoch_frame()
    best = charts.best_epoch(frame)
    if best is None or len(frame) < 2:
        return False, "this run has fewer than two epochs with a validation loss, so nothing can turn up."
    best_row, last = frame[frame["epoch"] == best].iloc[0], frame.iloc[-1]
    rose = last["val_loss"] >= OVERFIT_RISE * best_row["val_loss"]
    train_fell = last["loss"] < best_row["loss"]
    held = bool(best < int(last["epoch"]) and rose and train_fell)
    return held, (
        f"the validation loss was lowest after epoch {best} ({best_row['val_loss']:.3f}) and ended at "
        f"{last['val_loss']:.3f} after epoch {int(last['epoch'])}, while the training loss went from "
        f"{best_row['loss']:.3f} to {last['loss']:.3f}. "
        + (
            "The model memorised its 1,000 training reviews: stop at the marked epoch (early stopping)."
            if held
            else f"The lesson needs the validation loss to end {OVERFIT_RISE - 1:.0%} above its best while the "
            "training loss keeps falling."
        )
    )


def truncation_claim(outcome: SentimentOutcome) -> tuple[bool, str]:
    """Reading only the last few tokens of each review still beats the majority guess clearly."""
    labels = outcome.test_labels
    majority = max(float(labels.mean()), 1 - float(labels.mean()))
    gain = outcome.test_accuracy - majority
    length = outcome.config.data.max_length
    held = gain >= TRUNCATED_GAIN
    return held, (
        f"reading only the last {length} tokens of each review, test accuracy is {outcome.test_accuracy:.1%} against "
        f"{majority:.1%} for the majority guess ({gain * 100:+.1f} points). "
        + (
            "Endings carry much of a review's verdict - compare with the Default preset, which reads 200 tokens."
            if held
            else f"The lesson expects at least {TRUNCATED_GAIN * 100:.0f} points over the guess."
        )
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
            "sentiment. Early stopping keeps the weights of the marked epoch.",
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
            **controls(TINY, vocab=10_000, maxlen=80, train=1_000, units=32, emb=64, epochs=6, batch_size=32),
        },
        "A GRU with 64-wide embeddings for 10,000 words (over 640,000 weights) trains on only 1,000 reviews "
        "for 6 epochs. Watch the validation loss: it falls for an epoch or two, then rises while the "
        "training loss keeps falling - the best epoch is marked.",
        overfitting_claim,
        views=(overfitting_views,),
    ),
    Experiment(
        3,
        "Tokens, ids, padding and truncation",
        ("tokenisation, padding and truncation",),
        {"preset": TINY_PRESET, **controls(TINY, maxlen=20)},
        "Every review becomes words, then ids (1 = start, 2 = a word outside the vocabulary), then a row of "
        "exactly 20 ids: short reviews are padded with 0 at the front (and the padding is masked), long ones "
        "keep only their last 20 words. Look how much the model still gets from a review's last 20 words.",
        truncation_claim,
        page_views=("tokenisation",),
    ),
)
