"""Guided experiments of the Shakespeare page (core/engine/experiments.py): a many-to-many character
model against the letter-frequency baseline, and a stateful RNN. TensorFlow-free."""

from __future__ import annotations

import math

from core.engine.experiments import Experiment, controls
from core.shakespeare.config import PRESETS, CharOutcome

TINY = "Tiny: seconds, for a quick demo"
STATEFUL = "Stateful: state carried across windows"
T, S = list(PRESETS).index(TINY), list(PRESETS).index(STATEFUL)
MIN_SAVING = 0.5  # bits per character below the unigram baseline (letter frequencies only)


def _below_unigram(outcome: CharOutcome, lesson: str) -> tuple[bool, str]:
    saving = outcome.unigram_bits - outcome.val_bits
    held = math.isfinite(saving) and saving >= MIN_SAVING
    return held, (
        f"validation {outcome.val_bits:.2f} bits per character against {outcome.unigram_bits:.2f} for a model that "
        f"knows only letter frequencies ({saving:+.2f} bits saved; top guess right {outcome.val_accuracy:.0%} of "
        "the time). " + (lesson if held else f"The lesson expects at least {MIN_SAVING} bits saved per character.")
    )


def many_to_many_claim(outcome: CharOutcome) -> tuple[bool, str]:
    """Reading the characters before it, the RNN predicts the next one far better than letter frequencies."""
    return _below_unigram(
        outcome, "Every step of every window was a lesson: the model learned which letters follow which."
    )


def stateful_claim(outcome: CharOutcome) -> tuple[bool, str]:
    """A stateful run (state carried from window to window) learns the text with windows of 32 characters."""
    if not outcome.config.text.stateful:
        return False, "this run was not stateful."
    return _below_unigram(
        outcome, "Its windows are only 32 characters, but the state carried across them keeps the passage's context."
    )


EXPERIMENTS = (
    Experiment(
        1,
        "Many-to-many: predict every next character",
        ("the five patterns",),
        {"preset": TINY, **controls(T, variant="many_to_many", max_chars=100_000)},
        "A small GRU learns from every character of every 32-character window (many-to-many) and then writes "
        "one character at a time from a prompt (one-to-many). Watch the live samples go from noise to words.",
        many_to_many_claim,
    ),
    Experiment(
        2,
        "A stateful RNN: context across windows",
        ("stateful RNNs",),
        {"preset": STATEFUL, **controls(S, stateful=True, max_chars=250_000)},
        "Consecutive windows of the same passage sit in the same batch row, and the final state of one window "
        "starts the next, so the model keeps context longer than 32 characters (gradients still stop at the edge). "
        "Train once more with Stateful off and compare the two runs in Compare runs.",
        stateful_claim,
    ),
)
