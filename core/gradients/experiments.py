"""Guided experiments of the Gradient lab (core/engine/experiments.py): BPTT and vanishing
gradients, the gated cells' cure, exploding gradients and clipping. TensorFlow-free."""

from __future__ import annotations

import math

import numpy as np

from core.engine.experiments import Experiment, controls
from core.gradients.config import PRESETS, ComparisonOutcome, SingleOutcome, reach_ratio

PAGE = "gradient-lab"
VANISHING = "Vanishing: SimpleRNN on the adding problem"
EXPLODING = "Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping"
V = list(PRESETS).index(VANISHING)  # the controls' keys carry the preset's index
GATED_SHARE = 0.5  # a gated cell "learned" the adding problem: test MSE below half the trivial baseline
SIMPLE_SHARE = 0.9  # SimpleRNN "did not": its MSE stayed above 90 % of it
REACH_LIMIT = 1e-2  # "vanished": less than 1 % of the gradient at step T reaches step 1


def cells_claim(outcome: ComparisonOutcome) -> tuple[bool, str]:
    """A gated cell (LSTM or GRU) falls well below the adding problem's trivial baseline; SimpleRNN does not."""
    runs = {o.model_config.cell: o for o in outcome.longest}
    baseline = outcome.score.baseline
    simple = runs["SimpleRNN"].test_score
    gated = {cell: runs[cell].test_score for cell in ("LSTM", "GRU") if cell in runs}
    learned = [cell for cell, v in gated.items() if math.isfinite(v) and v < GATED_SHARE * baseline]
    simple_stuck = not simple < SIMPLE_SHARE * baseline
    scores = ", ".join(f"{cell} {value:.3f}" for cell, value in gated.items())
    if learned and simple_stuck:
        ending = (
            f"{' and '.join(learned)} learned to add the two marked numbers; the SimpleRNN's gradient never "
            "reached them."
        )
    else:
        ending = (
            f"The lesson needs a gated cell below {GATED_SHARE:.0%} of the baseline and the SimpleRNN above "
            f"{SIMPLE_SHARE:.0%} of it."
        )
    return bool(learned) and simple_stuck, (
        f"test MSE {scores}, SimpleRNN {simple:.3f}, against the {baseline:.3f} baseline (always answer 1). " + ending
    )


def clipping_claim(outcome: ComparisonOutcome) -> tuple[bool, str]:
    """Without clipping the run blows up (NaN/inf); the same run clipped stays finite."""
    plain = next(o for o in outcome.runs if o.train.clip_norm is None)
    clipped = next(o for o in outcome.runs if o.train.clip_norm is not None)
    plain_blew = plain.result.status == "diverged" or not math.isfinite(plain.test_score)
    clipped_ok = clipped.result.status != "diverged" and math.isfinite(clipped.test_score)
    words = {True: "diverged", False: "stayed finite"}
    return plain_blew and clipped_ok, (
        f"without clipping the run {words[plain_blew]}"
        + (f" at step {plain.result.steps}" if plain.result.status == "diverged" else "")
        + f"; clipped at {clipped.train.clip_norm:g} it {words[not clipped_ok]}"
        + (f" (test MSE {clipped.test_score:.3f})." if clipped_ok else ".")
    )


def reach_claim(outcome: SingleOutcome) -> tuple[bool, str]:
    """In a SimpleRNN, the gradient reaching the first step is a vanishing share of the last step's."""
    latest = outcome.run.recorder.latest()
    ratio = reach_ratio(np.asarray(latest.norms)) if latest is not None else float("nan")
    held = math.isfinite(ratio) and ratio < REACH_LIMIT
    share = "0 (below float precision)" if ratio == 0 else f"{ratio:.1e}"
    return held, (
        f"after training, the gradient reaching step 1 is {share} of the gradient at step "
        f"T = {outcome.config.source.length} "
        + ("- it vanished on the way back through time." if held else f"(the lesson needs less than {REACH_LIMIT:g}).")
    )


EXPERIMENTS = (
    Experiment(
        1,
        "The gradient vanishes on its way back through time",
        ("BPTT and vanishing gradients",),
        {"preset": VANISHING, "view": 0, **controls(V, length=100, train_size=2_000, epochs=1)},
        "Watch the heatmap and the reach chart: the gradient of the loss with respect to each input step, "
        "from the last step T back to step 1. In a SimpleRNN it shrinks by a roughly constant factor per "
        "step, so the first steps get almost nothing and cannot be learned from.",
        reach_claim,
        panel=PAGE,
        shown=("view",),
    ),
    Experiment(
        2,
        "SimpleRNN vs LSTM vs GRU on the adding problem",
        ("LSTM and GRU gates", "BPTT and vanishing gradients"),
        {"preset": VANISHING, "view": 1, **controls(V, length=50, train_size=2_000, epochs=3, every=100)},
        "The three cells train on the same sequences with the same seed; the answer depends on two numbers "
        "marked somewhere in a sequence of 50. Look for the gated cells' MSE falling far below the 0.167 "
        "baseline (always answer 1) while the SimpleRNN stays on it - the gates keep a path for the gradient.",
        cells_claim,
        panel=f"{PAGE}-compare",
        shown=("view",),
        train_label="Train all three cells",
    ),
    Experiment(
        3,
        "Exploding gradients, and clipping",
        ("exploding gradients and clipping",),
        {"preset": EXPLODING, "view": 2, "clip.threshold": 1.0},
        "A SimpleRNN whose recurrent weights start at twice the stable scale, trained with plain SGD at a high "
        "learning rate, once without and once with clipping by global norm. Look for the unclipped run's "
        "gradient norm shooting up until the loss is NaN, and the clipped run's norm capped at the dashed line.",
        clipping_claim,
        panel=f"{PAGE}-clip",
        shown=("view",),
        train_label="Train without and with clipping",
    ),
)
