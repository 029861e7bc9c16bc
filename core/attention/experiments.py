"""Guided experiments of the Attention page (core/engine/experiments.py): the encoder-decoder's
bottleneck with and without attention, and what the attention weights look at. TensorFlow-free."""

from __future__ import annotations

import numpy as np

from core.attention.config import BOTTLENECK_PRESET, DEFAULT_PRESET, TRANSLATION_PRESETS, TranslationOutcome
from core.data.dates import digit_word_spans
from core.engine.experiments import Experiment, controls

B, D = list(TRANSLATION_PRESETS).index(BOTTLENECK_PRESET), list(TRANSLATION_PRESETS).index(DEFAULT_PRESET)
PART_TRANSLATION = "Translation (encoder-decoder)"  # the page's "Part" choice (app_pages/attention.py)
MIN_GAIN = 0.20  # attention beats the context vector alone by 20 points of held-out exact match
MIN_OWN_WORD = 0.5  # each output digit puts at least half its attention on its own spoken word


def bottleneck_claim(outcome: TranslationOutcome) -> tuple[bool, str]:
    """With attention, held-out exact match beats the no-attention twin's by MIN_GAIN or more."""
    if outcome.twin is None:
        return False, "no twin without attention was trained, so there is nothing to compare."
    with_attention, without = outcome.evaluation.exact_match, outcome.twin.evaluation.exact_match
    gain = with_attention - without
    held = gain >= MIN_GAIN
    return held, (
        f"held-out exact match {with_attention:.1%} with attention, {without:.1%} without "
        f"({gain * 100:+.1f} points). "
        + (
            "One context vector cannot hold eight digits; attention lets every output look back at its own word."
            if held
            else f"The lesson expects at least {MIN_GAIN * 100:.0f} points of difference."
        )
    )


def own_word_share(weights: np.ndarray, source: str) -> float:
    """Mean share of each output digit's attention on the letters of its own spoken word."""
    spans = digit_word_spans(source)
    weights = np.asarray(weights, dtype=float)
    rows = min(len(spans), weights.shape[0])
    if rows == 0:
        return 0.0
    return float(np.mean([weights[k, start:end].sum() for k, (start, end) in enumerate(spans[:rows])]))


def alignment_claim(outcome: TranslationOutcome) -> tuple[bool, str]:
    """After training, the held-out example's heatmap is a staircase: each digit looks at its own word."""
    first, last = outcome.snapshots[0].translation, outcome.snapshots[-1].translation
    before, after = own_word_share(first.weights, first.source), own_word_share(last.weights, last.source)
    held = after >= MIN_OWN_WORD and after > before
    return held, (
        f"on the held-out example “{last.source}”, each output digit puts {after:.0%} of its attention on the "
        f"letters of its own word after training ({before:.0%} before). "
        + (
            "The heatmap is a staircase: attention learned the alignment nobody gave it."
            if held
            else f"The lesson expects at least {MIN_OWN_WORD:.0%}, and more than before training."
        )
    )


EXPERIMENTS = (
    Experiment(
        1,
        "The bottleneck: attention vs one context vector",
        ("seq2seq and attention",),
        {
            "part": PART_TRANSLATION,
            "preset": BOTTLENECK_PRESET,
            **controls(B, epochs=1, test=1_000, twin=True),
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
        "character. Look for the blur of the untrained model turning into a staircase - digit k looking at word k.",
        alignment_claim,
    ),
)
