"""Guided experiments of the Stocks page (core/engine/experiments.py): patterns judged against the
honest baseline (persistence), and errors that grow with the horizon. TensorFlow-free.

Both claims are judged against things measured on the same data, so each can fail:
  - the same network before training, on the training windows (did training teach it anything?
    A model that outputs zero moves - persistence itself - or an untrained one learned nothing);
  - persistence on the test windows: overall, and at every day ahead with its own error growth.
"""

from __future__ import annotations

import math

import numpy as np

from core.engine.experiments import Experiment, Outcome, Verdict, controls, judge, verdict
from core.stocks.config import PERSISTENCE, PRESETS, ForecastOutcome

DEFAULT = "Next day from the last 30: many-to-one GRU"
FIVE_DAYS = "Next 5 days: encoder-decoder GRU on returns"
D, F = list(PRESETS).index(DEFAULT), list(PRESETS).index(FIVE_DAYS)
LEARNED = 0.005  # training must move the network's training-day skill vs persistence up by 0.5 points...
UNCLEAR = 0.002  # ... and under 0.2 points it learned nothing (between: too close to tell)
NEAR = 0.05  # "as good as persistence": within 5 % of its RMSE on the test days, either way
MIN_GROWTH = 1.5  # the last day's error is at least 1.5 times the first day's ...
GROWTH_MATCH = 0.25  # ... and grows like persistence's: the ratio of the two growths within 1 ± 0.25


def learned_points(outcome: ForecastOutcome) -> tuple[float, float, float]:
    """(before, after, after - before): skill vs persistence on the training windows around training."""
    before, after = outcome.train_skill
    return float(before), float(after), float(after) - float(before)


def learning_sentence(outcome: ForecastOutcome) -> str:
    before, after, gain = learned_points(outcome)
    return (
        f"On its training days the network went from {before:+.1%} to {after:+.1%} against persistence "
        f"({gain * 100:+.1f} points from training)"
    )


def not_learned(outcome: ForecastOutcome, sentence: str) -> Verdict | None:
    """A NOT_SHOWN / INCONCLUSIVE verdict when training did not move the network, else None."""
    _, _, gain = learned_points(outcome)
    result = judge(gain, needed=LEARNED, unclear=UNCLEAR)
    if result is Outcome.SHOWED:
        return None
    reason = (
        "Its forecasts did not change with training: this is what an untrained network, or persistence itself "
        "(a model that always predicts no move), looks like - nothing was learned, so there is no lesson to read."
        if result is Outcome.NOT_SHOWN
        else f"Training moved it by less than {LEARNED * 100:.1f} points: too little to tell what it learned."
    )
    return Verdict(result, f"{sentence}. {reason}", "Train the experiment again with its own settings and seed.")


def persistence_claim(outcome: ForecastOutcome) -> Verdict:
    """A trained many-to-one GRU learns to be about as good as 'tomorrow = today' - and no clearly better.

    Fails when training taught it nothing (zero-move model, persistence, untrained: measured against the
    same network before training) or when its test RMSE is more than NEAR away from persistence's.
    """
    evaluation = outcome.evaluation
    model, persistence = evaluation.model_row["RMSE"], evaluation.persistence_row["RMSE"]
    skill = 1 - model / persistence
    learning = learning_sentence(outcome)
    sentence = (
        f"{learning[0].lower()}{learning[1:]}; on the unseen test days its RMSE is {model:,.3f} against "
        f"{persistence:,.3f} "
        f"for persistence (skill {skill:+.1%}, the lesson's band is ±{NEAR:.0%})"
    )
    failed = not_learned(outcome, sentence)
    if failed is not None:
        return failed
    margin = NEAR - abs(skill)  # how far inside the band
    result = judge(margin, needed=0.0)
    if not math.isfinite(skill):
        result = Outcome.INCONCLUSIVE
    return verdict(
        result,
        sentence + ".",
        showed="Training taught it 'tomorrow ≈ today' plus a little drift, and no more: yesterday's close is a "
        "forecast the network cannot clearly beat, because daily prices are close to a random walk.",
        not_shown=(
            "It beats persistence by more than the band: rare on daily prices - check the test range and try "
            "another seed or ticker before believing it."
            if skill > NEAR
            else "It ends clearly worse than persistence: it adds error to 'tomorrow = today'. Train longer or "
            "with a smaller learning rate."
        ),
        inconclusive="The scores could not be read; train again.",
    )


def horizon_errors(outcome: ForecastOutcome, name: str) -> np.ndarray:
    table = outcome.evaluation.horizons
    return table[table["forecaster"] == name].sort_values("days ahead")["RMSE"].to_numpy(dtype=float)


def horizon_claim(outcome: ForecastOutcome) -> Verdict:
    """The trained encoder-decoder's error grows with the days ahead just as persistence's does, and it keeps
    within NEAR of persistence at every day: further days are no more predictable for a network either.

    Judged against persistence at each horizon (its own growth included) and the same network before
    training, so persistence fed as the model, a zero-move model or an untrained one fail.
    """
    model = horizon_errors(outcome, outcome.evaluation.model_name)
    base = horizon_errors(outcome, PERSISTENCE)
    growth, base_growth = model[-1] / model[0], base[-1] / base[0]
    skills = 1 - model / base
    days = len(model)
    sentence = (
        f"the {outcome.evaluation.model_name}'s RMSE is {model[0]:,.3f} one day ahead and {model[-1]:,.3f} {days} days "
        f"ahead ({growth:.1f}×); persistence's grows {base[0]:,.3f} → {base[-1]:,.3f} ({base_growth:.1f}×). Its skill "
        f"vs persistence by day ahead: {', '.join(f'{s:+.1%}' for s in skills)}. {learning_sentence(outcome)}"
    )
    failed = not_learned(outcome, sentence)
    if failed is not None:
        return failed
    match = abs(growth / base_growth - 1)
    worst = int(np.argmin(skills))
    if not (math.isfinite(growth) and math.isfinite(base_growth)):
        return Verdict(Outcome.INCONCLUSIVE, sentence + ".", "The errors could not be read; train again.")
    if growth < MIN_GROWTH or match > GROWTH_MATCH:
        return Verdict(
            Outcome.NOT_SHOWN,
            sentence + ".",
            f"The lesson expects its error to grow at least {MIN_GROWTH}× and like persistence's (within "
            f"±{GROWTH_MATCH:.0%} of its growth); this run's grew {growth / base_growth:.2f}× as fast. Train again.",
        )
    result = judge(NEAR + skills[worst], needed=0.0)
    return verdict(
        result,
        sentence + ".",
        showed="One input sequence, several outputs: each further day adds its own uncertainty, for the "
        "network as for 'tomorrow = today', and the decoder knows no more about day "
        f"{days} than persistence does.",
        not_shown=f"On day {worst + 1} it falls {-skills[worst]:.1%} behind persistence (the band is "
        f"{NEAR:.0%}): train longer or with a smaller learning rate.",
    )


EXPERIMENTS = (
    Experiment(
        1,
        "Many-to-one against the honest baseline",
        ("the five patterns",),
        {"preset": DEFAULT, **controls(D, pattern="many_to_one", target="price")},
        "A GRU reads the last 30 closes, each seen relative to today's close, and predicts tomorrow's move. "
        "Compare its line and its RMSE with persistence (tomorrow = today): training teaches it 'about today', "
        "and its forecast hugs the price because it is today's close plus a nudge close to zero.",
        persistence_claim,
    ),
    Experiment(
        2,
        "Encoder-decoder: five days ahead",
        ("the five patterns", "seq2seq and attention"),
        {"preset": FIVE_DAYS, **controls(F, pattern="encoder_decoder", horizon=5)},
        "An encoder reads 30 days of log returns into its state; a decoder unrolls that state into the next "
        "5 days. Look at the error by days ahead: it grows with every day the forecast reaches further - "
        "for persistence just as much, so the network knows no more about day 5 than 'today' does.",
        horizon_claim,
    ),
)
