"""Guided experiments of the Gradient lab (core/engine/experiments.py): BPTT and vanishing
gradients, the gated cells' cure, exploding gradients and clipping. TensorFlow-free."""

from __future__ import annotations

import math

import numpy as np

from core.engine.experiments import Experiment, Outcome, Verdict, controls, judge, verdict
from core.gradients.config import (
    CELLS_TRAIN_LABEL,
    CLIP_TRAIN_LABEL,
    NORM_FLOOR,
    PRESETS,
    ComparisonOutcome,
    SingleOutcome,
    reach_ratio,
    reach_words,
    skill,
)

PAGE = "gradient-lab"
VANISHING = "Vanishing: SimpleRNN on the adding problem"
EXPLODING = "Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping"
V = list(PRESETS).index(VANISHING)  # the controls' keys carry the preset's index
E = list(PRESETS).index(EXPLODING)
# Skill = how far a test score got from the trivial guess (measured on the same test set) towards perfect.
GATED_SKILL = 0.5  # a gated cell "learned" the adding problem: test MSE below half the trivial guess's
GATED_UNCLEAR = 0.3  # between 30 % and 50 % of the way: too close to tell
STUCK_SKILL = 0.1  # a cell "learned nothing": less than 10 % of the way (MSE above 90 % of the trivial guess's)
STUCK_UNCLEAR = 0.3  # a SimpleRNN 10-30 % of the way learned a little: inconclusive
REACH_LIMIT = 1e-2  # "vanished": less than 1 % of the gradient at step T reaches step 1
REACH_UNCLEAR = 1e-1  # 1-10 %: too close to tell
CLIPPED_SKILL = 0.1  # the clipped run learned: at least 10 % of the way below the trivial guess
# Experiment 3's settings (measured, seeds 0/1/2: the clipped run's test MSE 0.115 / 0.090 / 0.079 against
# 0.163 for always answering 1; without clipping each run is NaN by step 29): T = 10, 20 epochs, threshold 0.1.
CLIP_LENGTH, CLIP_EPOCHS, CLIP_THRESHOLD = 10, 20, 0.1


def worst(*outcomes: Outcome) -> Outcome:
    """A claim made of parts holds only if every part does; any part not shown makes it not shown."""
    if Outcome.NOT_SHOWN in outcomes:
        return Outcome.NOT_SHOWN
    return Outcome.INCONCLUSIVE if Outcome.INCONCLUSIVE in outcomes else Outcome.SHOWED


def versus(value: float, baseline: float, lower_is_better: bool) -> str:
    """A score against the trivial guess's, in words: "0.115 (29 % below the trivial guess's)"."""
    if not math.isfinite(value):
        return f"{value}"
    if not lower_is_better:
        return f"{value:.3f} ({value - baseline:+.3f} vs the trivial guess)"
    if abs(value / baseline - 1) < 0.005:
        return f"{value:.3f} (the same as the trivial guess's)"
    if value <= baseline:
        return f"{value:.3f} ({1 - value / baseline:.0%} below the trivial guess's)"
    if value < 2 * baseline:
        return f"{value:.3f} ({value / baseline - 1:.0%} above the trivial guess's)"
    return f"{value:.3f} ({value / baseline:.1f}× the trivial guess's)"


def against_trivial(value: float, baseline: float, lower_is_better: bool, name: str) -> str:
    return f"{name} {versus(value, baseline, lower_is_better)}"


def _skill_of(run, score) -> float:
    return skill(run.test_score, run.baseline, score.lower_is_better)


def cells_claim(outcome: ComparisonOutcome) -> Verdict:
    """A gated cell (LSTM or GRU) gets well below the trivial guess on the same test set; SimpleRNN does not."""
    runs = {o.model_config.cell: o for o in outcome.longest}
    score = outcome.score
    simple = runs["SimpleRNN"]
    baseline = simple.baseline
    gated = {cell: runs[cell] for cell in ("LSTM", "GRU") if cell in runs}
    skills = {cell: _skill_of(o, score) for cell, o in gated.items()}
    finite = [v for v in skills.values() if math.isfinite(v)]
    best = max(finite) if finite else math.nan
    simple_skill = _skill_of(simple, score)
    gated_part = judge(best, needed=GATED_SKILL, unclear=GATED_UNCLEAR)
    simple_part = judge(-simple_skill, needed=-STUCK_SKILL, unclear=-STUCK_UNCLEAR)
    result = worst(gated_part, simple_part)
    scores = "; ".join(
        against_trivial(o.test_score, baseline, score.lower_is_better, cell) for cell, o in [*gated.items()]
    )
    sentence = (
        f"At T = {simple.length}, test {score.name} against the trivial guess ({score.baseline_label}: "
        f"{baseline:.3f} on the same test set): {scores}; "
        f"{against_trivial(simple.test_score, baseline, score.lower_is_better, 'SimpleRNN')}."
    )
    learned = [cell for cell, v in skills.items() if math.isfinite(v) and v >= GATED_SKILL]
    return verdict(
        result,
        sentence,
        showed=f"{' and '.join(learned)} learned to add the two marked numbers; the SimpleRNN's gradient never "
        "reached them, so it stayed at the trivial guess.",
        not_shown=_cells_reason(gated_part, simple_part),
        inconclusive="Too close to tell: the lesson needs a gated cell at least half-way from the trivial guess "
        f"to perfect and the SimpleRNN within {STUCK_SKILL:.0%} of it. Train again with another seed or more epochs.",
    )


def _cells_reason(gated_part: Outcome, simple_part: Outcome) -> str:
    if simple_part is Outcome.NOT_SHOWN:
        return (
            "The SimpleRNN learned too: at this T its gradient still reaches the marked numbers. "
            "Add a longer T (100 or more) to see it fall back to the trivial guess."
        )
    return (
        f"No gated cell got half-way from the trivial guess to perfect (the lesson needs {GATED_SKILL:.0%}): "
        "give every run more epochs or more training sequences."
    )


def clipping_claim(outcome: ComparisonOutcome) -> Verdict:
    """Without clipping the run blows up (NaN/inf); the same run clipped stays finite and learns:
    its test score beats the trivial guess on the same test set."""
    plain = next(o for o in outcome.runs if o.train.clip_norm is None)
    clipped = next(o for o in outcome.runs if o.train.clip_norm is not None)
    score = outcome.score
    plain_blew = plain.result.status == "diverged" or not math.isfinite(plain.test_score)
    clipped_ok = clipped.result.status != "diverged" and math.isfinite(clipped.test_score)
    where = f" at step {plain.result.steps}" if plain.result.status == "diverged" else ""
    first = (
        f"Without clipping the loss or gradient became NaN/inf{where}"
        if plain_blew
        else f"Without clipping the run stayed finite (test {score.name} {plain.test_score:.3f})"
    )
    threshold = f"clipped at {clipped.train.clip_norm:g}"
    if not plain_blew:
        return Verdict(
            Outcome.NOT_SHOWN,
            f"{first}: nothing exploded this time.",
            "Raise the learning rate or the recurrent weight scale ρ (the Exploding preset: ρ = 2, SGD 0.3).",
        )
    if not clipped_ok:
        return Verdict(
            Outcome.NOT_SHOWN,
            f"{first}; {threshold} the same run diverged too.",
            "Lower the clip threshold (0.1) so each update stays small.",
        )
    margin = skill(clipped.test_score, clipped.baseline, score.lower_is_better)
    result = judge(margin, needed=CLIPPED_SKILL, unclear=0.0)
    sentence = (
        f"{first}; {threshold} the same run stayed finite for all {clipped.result.steps:,} steps, test "
        f"{against_trivial(clipped.test_score, clipped.baseline, score.lower_is_better, score.name)}; the trivial "
        f"guess ({score.baseline_label}) scores {clipped.baseline:.3f} on the same test set."
    )
    return verdict(
        result,
        sentence,
        showed="Clipping kept every update small, so the run survived the explosion and learned.",
        not_shown="It stayed finite but learned nothing: clipping only kept it from blowing up. Lower the "
        f"threshold or train more epochs (this experiment: T = {CLIP_LENGTH}, {CLIP_EPOCHS} epochs, threshold "
        f"{CLIP_THRESHOLD:g}).",
        inconclusive=f"It beat the trivial guess by less than {CLIPPED_SKILL:.0%} of the way to perfect: too little "
        "to say it learned. Train more epochs.",
    )


def reach_claim(outcome: SingleOutcome) -> Verdict:
    """After training, the gradient reaching step 1 of a SimpleRNN is still a vanishing share of the last
    step's, and the first steps stay unlearned: judged against the same run before training and against
    the trivial guess on the same test set. An untrained run shows nothing."""
    run, score = outcome.run, outcome.score
    first, latest = run.recorder.initial(), run.recorder.latest()
    length = outcome.config.source.length
    if first is None or latest is None or latest.training_step <= first.training_step:
        return Verdict(
            Outcome.NOT_SHOWN,
            "This run recorded no gradient after training (it took no step): there is nothing to compare "
            "with the untrained model.",
            "Press Train and let the run finish.",
        )
    before, after = reach_ratio(np.asarray(first.norms)), reach_ratio(np.asarray(latest.norms))
    initial, final = run.initial_score, run.test_score
    trained = final < initial if score.lower_is_better else final > initial
    if not trained:
        return Verdict(
            Outcome.NOT_SHOWN,
            f"Training did not improve the model: test {score.name} {initial:.3f} before training, {final:.3f} "
            f"after {latest.training_step} steps - an untrained model shows no lesson about training.",
            "Train again (more epochs, or another seed).",
        )
    orders = math.log10(REACH_LIMIT / max(after, NORM_FLOOR)) if math.isfinite(after) else math.nan
    reach_part = judge(orders, needed=0.0, unclear=math.log10(REACH_LIMIT / REACH_UNCLEAR))
    learned = skill(final, run.baseline, score.lower_is_better)
    stuck_part = judge(-learned, needed=-STUCK_SKILL, unclear=-STUCK_UNCLEAR)
    below = "more than " if after < NORM_FLOOR else ""
    sentence = (
        f"Before training the gradient reaching step 1 was {reach_words(before)} of the gradient at step "
        f"T = {length}; after {latest.training_step} training steps it is {reach_words(after)}"
        + (
            f" ({below}{orders:.0f} orders of magnitude below the {REACH_LIMIT:g} the lesson needs)"
            if orders > 0
            else ""
        )
        + f". Training moved the test {score.name} from {initial:.3f} to "
        f"{versus(final, run.baseline, score.lower_is_better)}; the trivial guess ({score.baseline_label}) "
        f"scores {run.baseline:.3f} on the same test set."
    )
    return verdict(
        worst(reach_part, stuck_part),
        sentence,
        showed="The gradient vanished on the way back through time, so the first steps were never learned from.",
        not_shown=_reach_reason(reach_part, stuck_part),
        inconclusive="Too close to tell: train again with a longer T (150 or more).",
    )


def _reach_reason(reach_part: Outcome, stuck_part: Outcome) -> str:
    if reach_part is Outcome.NOT_SHOWN:
        return (
            f"More than {REACH_UNCLEAR:g} of the gradient reaches step 1: it did not vanish at this T. "
            "Try a longer T or a smaller recurrent weight scale."
        )
    return "Yet the model learned the task: the steps it needs lie close enough to the end. Try a longer T (150+)."


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
        {"preset": VANISHING, "view": 1, **controls(V, length=50, train_size=4_000, epochs=3, every=100)},
        "The three cells train on the same sequences with the same seed; the answer depends on two numbers "
        "marked somewhere in a sequence of 50. Look for the gated cells' MSE falling far below the 0.167 "
        "baseline (always answer 1) while the SimpleRNN stays on it - the gates keep a path for the gradient.",
        cells_claim,
        panel=f"{PAGE}-compare",
        shown=("view",),
        train_label=CELLS_TRAIN_LABEL,
    ),
    Experiment(
        3,
        "Exploding gradients, and clipping",
        ("exploding gradients and clipping",),
        {
            "preset": EXPLODING,
            "view": 2,
            "clip.threshold": CLIP_THRESHOLD,
            **controls(E, length=CLIP_LENGTH, epochs=CLIP_EPOCHS),
        },
        "A SimpleRNN whose recurrent weights start at twice the stable scale, trained with plain SGD at a high "
        "learning rate, once without and once with clipping by global norm (T = 10, so a SimpleRNN can learn the "
        "task at all). Look for the unclipped run's gradient norm shooting up until the loss is NaN, and the "
        "clipped run's applied norm capped at the dashed line while its loss falls below the trivial guess.",
        clipping_claim,
        panel=f"{PAGE}-clip",
        shown=("view",),
        train_label=CLIP_TRAIN_LABEL,
    ),
)
