"""Guided experiments of the Shakespeare page (core/engine/experiments.py): a many-to-many character
model against the letter-frequency baseline, and a stateful RNN. TensorFlow-free."""

from __future__ import annotations

from core.engine.experiments import Experiment, Verdict, controls, judge, verdict
from core.shakespeare.config import PRESETS, CharOutcome

TINY = "Tiny: seconds, for a quick demo"
STATEFUL = "Stateful: state carried across windows"
T, S = list(PRESETS).index(TINY), list(PRESETS).index(STATEFUL)
MIN_SAVING = 0.5  # bits per character below the unigram baseline (letter frequencies only)
UNCLEAR_SAVING = 0.25
# The stateful lesson: reading with the state carried from window to window saves at least this many bits per
# character against reading every window from a zero state, on the same validation characters. Measured on the
# Stateful preset (seeds 0, 1, 2; 250,000 characters): a stateful run saves 0.070-0.089 bits, its stateless twin
# (the same run with Stateful off) 0.040-0.044 - it never learned to use a state it was never given.
MIN_CONTEXT_GAIN = 0.06
UNCLEAR_CONTEXT_GAIN = 0.05


def _below_unigram(outcome: CharOutcome, lesson: str) -> Verdict:
    saving = outcome.unigram_bits - outcome.val_bits
    return verdict(
        judge(saving, needed=MIN_SAVING, unclear=UNCLEAR_SAVING),
        f"validation {outcome.val_bits:.2f} bits per character against {outcome.unigram_bits:.2f} for a model that "
        f"knows only letter frequencies, measured on the same validation text ({saving:+.2f} bits saved; the lesson "
        f"needs {MIN_SAVING}; top guess right {outcome.val_accuracy:.0%} of the time).",
        showed=lesson,
        not_shown="The model is still close to guessing letters by frequency: train more steps or a larger model.",
        inconclusive="It learned something, but not clearly enough to tell; train once more.",
    )


def many_to_many_claim(outcome: CharOutcome) -> Verdict:
    """Reading the characters before it, the RNN predicts the next one far better than letter frequencies."""
    return _below_unigram(
        outcome, "Every step of every window was a lesson: the model learned which letters follow which."
    )


def stateful_claim(outcome: CharOutcome) -> Verdict:
    """The carried state helps: on the same validation characters, reading with the state carried across windows
    costs MIN_CONTEXT_GAIN bits per character less than reading each window from a zero state."""
    gain = outcome.window_bits - outcome.carried_bits
    stateful = outcome.config.text.stateful
    sentence = (
        f"this {'stateful' if stateful else 'stateless'} run needs {outcome.carried_bits:.3f} bits per validation "
        f"character when its state is carried from window to window, and {outcome.window_bits:.3f} when every "
        f"{outcome.config.text.sequence_length}-character window starts from a zero state ({gain:+.3f} bits; the "
        f"lesson needs +{MIN_CONTEXT_GAIN:.2f})."
    )
    return verdict(
        judge(gain, needed=MIN_CONTEXT_GAIN, unclear=UNCLEAR_CONTEXT_GAIN),
        sentence,
        showed="Trained with its state carried, the model learned to use context from before the window.",
        not_shown=(
            "A model trained from zero states (Stateful off) gains only about 0.04: it never learned to use a carried "
            "state. Press Set up 2 (Stateful on) and train again."
            if not stateful
            else "The carried state did not help much this time: train again with a new seed or more characters."
        ),
        inconclusive="The gain is too close to the line to tell; train once more.",
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
        "The check reads the validation text twice - state carried, and every window from zero - and needs the "
        "carried state to save bits; train once more with Stateful off to see a stateless run fail it.",
        stateful_claim,
    ),
)
