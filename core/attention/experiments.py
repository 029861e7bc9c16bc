"""Guided experiments of the Attention page (core/engine/experiments.py): the encoder-decoder's
bottleneck with and without attention, and what the attention weights look at. TensorFlow-free."""

from __future__ import annotations

import numpy as np

from core.attention.config import BOTTLENECK_PRESET, DEFAULT_PRESET, TRANSLATION_PRESETS, TranslationOutcome
from core.data.dates import digit_word_spans
from core.engine.experiments import Experiment, Outcome, Verdict, controls, judge, verdict

B, D = list(TRANSLATION_PRESETS).index(BOTTLENECK_PRESET), list(TRANSLATION_PRESETS).index(DEFAULT_PRESET)
PART_TRANSLATION = "Translation (encoder-decoder)"  # the page's "Part" choice (app_pages/attention.py)
MIN_GAIN = 0.20  # attention beats the context vector alone by 20 points of held-out exact match
UNCLEAR_GAIN = 0.05  # below 5 points the bottleneck did not show; in between it is too close to tell
MIN_OWN_WORD = 0.5  # after training, each output digit puts at least half its attention on its own word ...
MIN_SHARPENING = 0.20  # ... and 20 points more than before training and than attention spread evenly


def bottleneck_claim(outcome: TranslationOutcome) -> Verdict:
    """With attention, held-out exact match beats the no-attention twin's (same data, epochs, batches) by MIN_GAIN."""
    if outcome.twin is None:
        return Verdict(
            Outcome.NOT_SHOWN,
            "no twin without attention was trained, so there is nothing to compare.",
            "Tick “Also train a twin without attention” (Set up 1 does) and train again.",
        )
    with_attention, without = outcome.evaluation.exact_match, outcome.twin.evaluation.exact_match
    gain = with_attention - without
    n = len(outcome.evaluation.frame)
    return verdict(
        judge(gain, needed=MIN_GAIN, unclear=UNCLEAR_GAIN),
        f"held-out exact match {with_attention:.1%} with attention, {without:.1%} without, on the same {n:,} "
        f"test inputs after the same epochs ({gain * 100:+.1f} points; the lesson needs +{MIN_GAIN * 100:.0f}).",
        showed="One context vector cannot hold eight digits; attention lets every output look back at its own word.",
        not_shown="Both models ended close: with one epoch the attention model may not have learned the task yet - "
        "train 2 epochs, or use longer inputs, where the single vector breaks first.",
        inconclusive="The difference is too small to tell on this run; train once more.",
    )


def own_word_share(weights: np.ndarray, source: str) -> float:
    """Mean share of each output digit's attention on the letters of its own spoken word."""
    spans = digit_word_spans(source)
    weights = np.asarray(weights, dtype=float)
    rows = min(len(spans), weights.shape[0])
    if rows == 0:
        return 0.0
    return float(np.mean([weights[k, start:end].sum() for k, (start, end) in enumerate(spans[:rows])]))


def alignment_claim(outcome: TranslationOutcome) -> Verdict:
    """After training, attention is a staircase on many held-out inputs: it beats both the untrained model's
    share and an even spread by MIN_SHARPENING, and reaches MIN_OWN_WORD."""
    first, last = outcome.snapshots[0], outcome.snapshots[-1]
    if last.alignment is None or first.alignment is None or last.epoch == first.epoch:
        return Verdict(
            Outcome.INCONCLUSIVE,
            "this run has no attention measurements before and after training (no attention layer, a task that is "
            "not spoken digits, or it stopped before its first epoch ended).",
            "Press Set up 2 and train to the end.",
        )
    after, before = last.alignment, first.alignment
    chance = last.chance if last.chance is not None else 0.0
    margin = after - max(before, chance)
    sentence = (
        f"over {last.probed:,} held-out inputs, each output digit puts {after:.0%} of its attention on the letters "
        f"of its own word after training, against {before:.0%} before training and {chance:.0%} for attention "
        f"spread evenly ({margin * 100:+.0f} points; the lesson needs {MIN_OWN_WORD:.0%} and "
        f"+{MIN_SHARPENING * 100:.0f})."
    )
    outcome_ = judge(margin, needed=MIN_SHARPENING, unclear=MIN_SHARPENING / 2)
    if outcome_ is Outcome.SHOWED and after < MIN_OWN_WORD:
        outcome_ = Outcome.INCONCLUSIVE
    return verdict(
        outcome_,
        sentence,
        showed="The heatmap is a staircase: attention learned the alignment nobody gave it.",
        not_shown="The attention is still a blur: train another epoch, or a larger attention size.",
        inconclusive="The staircase is forming but not clear yet; train one more epoch.",
    )


EXPERIMENTS = (
    Experiment(
        1,
        "The bottleneck: attention vs one context vector",
        ("seq2seq and attention",),
        {
            "part": PART_TRANSLATION,
            "preset": BOTTLENECK_PRESET,
            **controls(B, epochs=2, test=1_000, twin=True),
        },
        "The same encoder-decoder is trained twice on digits read aloud (“five two nine” -> 529): with "
        "attention, and as a twin that must squeeze the whole input into the encoder's final state. Look at the "
        "held-out exact match by input length: without attention it collapses on the longest inputs.",
        bottleneck_claim,
    ),
    Experiment(
        2,
        "Where does the decoder look? The attention heatmap",
        ("seq2seq and attention",),
        {"part": PART_TRANSLATION, "preset": DEFAULT_PRESET, **controls(D, epochs=1, test=1_000)},
        "Scrub the heatmap from epoch 0 to the last: each row is one output digit, each column one input "
        "character. Look for the blur of the untrained model turning into a staircase - digit k looking at word k "
        "(the check measures it on hundreds of held-out inputs, not just the one drawn).",
        alignment_claim,
    ),
)
