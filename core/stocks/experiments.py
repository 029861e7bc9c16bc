"""Guided experiments of the Stocks page (core/engine/experiments.py): patterns judged against the
honest baseline (persistence), and errors that grow with the horizon. TensorFlow-free."""

from __future__ import annotations

import math

from core.engine.experiments import Experiment, controls
from core.stocks.config import PERSISTENCE, PRESETS, ForecastOutcome

RETURNS = "Returns instead of prices: many-to-one GRU"
FIVE_DAYS = "Next 5 days: encoder-decoder GRU on returns"
R, F = list(PRESETS).index(RETURNS), list(PRESETS).index(FIVE_DAYS)
MAX_SKILL = 0.05  # "no better than persistence": the model's RMSE is at most 5 % below persistence's...
MIN_SKILL = -0.10  # ... and at most 10 % above it: the network learned to stay near "no change"
MIN_GROWTH = 1.5  # the 5-day-ahead RMSE is at least 1.5 times the 1-day-ahead one


def persistence_claim(outcome: ForecastOutcome) -> tuple[bool, str]:
    """A many-to-one RNN on returns ends close to 'tomorrow = today': within [MIN_SKILL, MAX_SKILL] of its RMSE."""
    evaluation = outcome.evaluation
    model, persistence = evaluation.model_row, evaluation.persistence_row
    skill = 1 - model["RMSE"] / persistence["RMSE"]
    held = math.isfinite(skill) and MIN_SKILL <= skill <= MAX_SKILL
    return held, (
        f"on the test days the {evaluation.model_name} has RMSE {model['RMSE']:.3g} against {persistence['RMSE']:.3g} "
        f"for persistence (skill {skill:+.1%}). "
        + (
            "Yesterday's close is a forecast the network cannot clearly beat: prices are close to a random walk."
            if held
            else f"The lesson expects a skill between {MIN_SKILL:+.0%} and {MAX_SKILL:+.0%}: "
            + (
                "beating persistence by more is rare - check the test range."
                if skill > MAX_SKILL
                else "this run is far worse."
            )
        )
    )


def horizon_claim(outcome: ForecastOutcome) -> tuple[bool, str]:
    """The encoder-decoder's error grows with the days ahead (uncertainty accumulates)."""
    table = outcome.evaluation.horizons
    rows = table[table["forecaster"] == outcome.evaluation.model_name].sort_values("days ahead")
    first, last = float(rows["RMSE"].iloc[0]), float(rows["RMSE"].iloc[-1])
    growth = last / first if first > 0 else math.nan
    persistence = table[table["forecaster"] == PERSISTENCE].sort_values("days ahead")["RMSE"]
    held = math.isfinite(growth) and growth >= MIN_GROWTH
    return held, (
        f"the {outcome.evaluation.model_name}'s RMSE is {first:.3g} one day ahead and {last:.3g} "
        f"{int(rows['days ahead'].iloc[-1])} days ahead ({growth:.1f}×; persistence {persistence.iloc[0]:.3g} -> "
        f"{persistence.iloc[-1]:.3g}). "
        + (
            "One input sequence, several outputs: each further day adds its own uncertainty."
            if held
            else f"The lesson expects the last day's error at least {MIN_GROWTH}× the first's."
        )
    )


EXPERIMENTS = (
    Experiment(
        1,
        "Many-to-one against the honest baseline",
        ("the five patterns",),
        {"preset": RETURNS, **controls(R, pattern="many_to_one", target="log_return")},
        "A GRU reads the last 30 daily log returns and predicts tomorrow's, turned back into a price. Compare its "
        "line and its RMSE with persistence (tomorrow = today): the forecast hugs the price, because it is "
        "yesterday's price plus a nudge close to zero.",
        persistence_claim,
    ),
    Experiment(
        2,
        "Encoder-decoder: five days ahead",
        ("the five patterns", "seq2seq and attention"),
        {"preset": FIVE_DAYS, **controls(F, pattern="encoder_decoder", horizon=5)},
        "An encoder reads 30 days of log returns into its state; a decoder unrolls that state into the next "
        "5 days. Look at the error by days ahead: it grows with every day the forecast reaches further.",
        horizon_claim,
    ),
)
