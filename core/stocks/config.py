"""The Stock-prices lab's configuration: what to forecast, the presets, and the words the page shows.

TensorFlow-free on purpose. The page builds a `ForecastRun` from its widgets (defined here,
not in the page script, so it keeps its identity across Streamlit reruns and the training
panel can compare two of them); `core.stocks.training` turns it into a `ForecastOutcome`;
`verdict` words the facts `core.stocks.forecasting.run_facts` measures on a finished run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from core.data.stocks import DEFAULT_TICKER, DEFAULT_YEARS
from core.engine import limits
from core.engine.config import PATTERN_LABELS, InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.footprint import Footprint
from core.engine.run import HeldOut, TrainedRun

if TYPE_CHECKING:  # for annotations only: forecasting imports this module
    from core.stocks.forecasting import ForecastData, ForecastEvaluation

Target = Literal["price", "log_return", "raw_price"]
TARGETS: dict[str, str] = {
    "price": "Price, relative to today",
    "log_return": "Daily log return",
    "raw_price": "Raw price (why it fails)",
}
MULTI_STEP = ("encoder_decoder", "one_to_many")
VECTOR_INPUT = ("one_to_one", "one_to_many")
FEATURE_NAMES = ("today", "change since yesterday", "mean of the window", "spread (std) of the window")
MAX_WINDOW = 250
MAX_HORIZON = 30
PERSISTENCE = "Persistence (tomorrow = today)"


def moving_average_name(days: int) -> str:
    return f"Moving average ({days} days)"


# ----------------------------------------------------------------------------- what to forecast


@dataclass(frozen=True)
class ForecastSpec:
    """What to predict from what: pattern, target, window N, horizon K and the split shares."""

    pattern: str = "many_to_one"
    target: Target = "price"
    window: int = 30  # N: days the model reads (or summarises, for the vector-input patterns)
    horizon: int = 5  # K: days predicted by encoder-decoder and one-to-many
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    ma_days: int = 5  # M: the moving-average baseline's window

    @property
    def steps_ahead(self) -> int:
        """How many future days one forecast covers (1 for the single-step patterns)."""
        return self.horizon if self.pattern in MULTI_STEP else 1

    @property
    def input_features(self) -> int:
        return len(FEATURE_NAMES) if self.pattern in VECTOR_INPUT else 1

    def input_spec(self) -> InputSpec:
        return InputSpec(length=self.window, features=self.input_features)

    def output_spec(self) -> OutputSpec:
        return OutputSpec(size=1, activation="linear", steps=self.steps_ahead)

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.pattern not in PATTERN_LABELS:
            out.append(f"Unknown pattern {self.pattern!r}.")
        if self.target not in TARGETS:
            out.append(f"Unknown target {self.target!r}; choose one of {', '.join(TARGETS)}.")
        if not 2 <= self.window <= min(MAX_WINDOW, limits.MAX_SEQUENCE_LENGTH):
            out.append(f"Window length must be between 2 and {MAX_WINDOW} days (got {self.window}).")
        if not 1 <= self.horizon <= min(MAX_HORIZON, limits.MAX_OUTPUT_STEPS):
            out.append(f"Horizon must be between 1 and {MAX_HORIZON} days (got {self.horizon}).")
        if not 1 <= self.ma_days <= MAX_WINDOW:
            out.append(f"Moving-average days must be between 1 and {MAX_WINDOW} (got {self.ma_days}).")
        for label, share in (("Validation", self.val_fraction), ("Test", self.test_fraction)):
            if not 0.02 <= share <= 0.4:
                out.append(f"{label} share must be between 2 % and 40 % (got {share:.0%}).")
        return out


@dataclass(frozen=True)
class ForecastRun:
    """Everything one training run depends on; the training panel compares two of these to
    tell the user that the controls changed since the model was trained."""

    data: str  # which prices, in words (ticker, source, range)
    forecast: ForecastSpec
    model: ModelConfig
    train: TrainConfig

    def footprint(self) -> Footprint:
        """What this run costs (core.engine.footprint): windows of daily features in, the horizon out;
        as many windows as the prices give (counted from the data's size: inputs and targets)."""
        spec = self.forecast
        return Footprint(
            self.model.recurrent(),
            steps=spec.window,
            batch_size=self.train.batch_size,
            epochs=self.train.epochs,
            input_width=spec.input_features,
            output_steps=spec.window if self.model.pattern == "many_to_many" else spec.steps_ahead,
            output_size=1,
            bytes_per_example=4 * (spec.window * spec.input_features + spec.steps_ahead),
        )


@dataclass
class ForecastOutcome(TrainedRun):
    """A finished forecasting run: `config` is its ForecastRun, `evaluation` the test-range
    forecasts and scores (model and baselines), `data` the windows it was trained and scored on."""

    evaluation: ForecastEvaluation
    data: ForecastData
    prices_label: str = ""  # the prices' short name (ticker, upload, 'synthetic prices')
    untrained: ForecastEvaluation | None = None  # the same network scored before training (its initial weights)
    train_skill: tuple[float, float] = (
        math.nan,
        math.nan,
    )  # skill vs persistence on the training windows, before/after

    @property
    def run(self) -> ForecastRun:
        return self.config

    def held_out(self) -> HeldOut:
        return HeldOut("test RMSE", float(self.evaluation.model_row["RMSE"]), False)

    def example_inputs(self) -> dict[str, np.ndarray]:
        names = {"test": "test windows", "validation": "validation windows", "train": "training windows"}
        return {label: self.data.windows[split].x for split, label in names.items() if split in self.data.windows}


# ----------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    forecast: ForecastSpec
    model: ModelConfig
    train: TrainConfig


RAW_PRICE_LESSON = "Why raw prices fail: a GRU on the price level, off the training range"
TEN_EPOCHS = TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3)  # most presets train like this

PRESETS: dict[str, Preset] = {
    "Next day from the last 30: many-to-one GRU": Preset(
        ForecastSpec("many_to_one", "price", window=30),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32),
        TEN_EPOCHS,
    ),
    "Shifted by one day: many-to-many (synced) LSTM": Preset(
        ForecastSpec("many_to_many", "price", window=30),
        ModelConfig(pattern="many_to_many", cell="LSTM", units=32),
        TEN_EPOCHS,
    ),
    "Next 5 days: encoder-decoder GRU on returns": Preset(
        ForecastSpec("encoder_decoder", "log_return", window=30, horizon=5),
        ModelConfig(pattern="encoder_decoder", cell="GRU", units=32),
        TEN_EPOCHS,
    ),
    "Next 5 days from today's features: one-to-many GRU": Preset(
        ForecastSpec("one_to_many", "log_return", window=20, horizon=5),
        ModelConfig(pattern="one_to_many", cell="GRU", units=32),
        TEN_EPOCHS,
    ),
    "Baseline: one-to-one dense net, no recurrence": Preset(
        ForecastSpec("one_to_one", "price", window=20),
        ModelConfig(pattern="one_to_one", units=32, dense_units=32),
        TrainConfig(epochs=20, batch_size=64, learning_rate=3e-3),
    ),
    "Returns instead of prices: many-to-one GRU": Preset(
        ForecastSpec("many_to_one", "log_return", window=30),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32),
        TEN_EPOCHS,
    ),
    "Tiny: seconds, for a quick demo": Preset(
        ForecastSpec("many_to_one", "log_return", window=10, horizon=3),
        ModelConfig(pattern="many_to_one", cell="GRU", units=8),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
    ),
    RAW_PRICE_LESSON: Preset(
        ForecastSpec("many_to_one", "raw_price", window=30),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32),
        TEN_EPOCHS,
    ),
}


def preset_for(pattern: str) -> Preset:
    """The first preset that uses `pattern` (the page's default settings for it)."""
    return next(preset for preset in PRESETS.values() if preset.model.pattern == pattern)


# ----------------------------------------------------------------------------- which prices

RANGES = {"Last 10 years": 10, "Last 5 years": 5, "Last 2 years": 2, "Last 20 years": 20, "Custom dates": None}
SOURCES = ("Ticker", "Upload a CSV", "Synthetic")
SYNTHETIC_DAYS = 2520  # the synthetic series' default length (and the offline fallback's)


@dataclass(frozen=True)
class DataRequest:
    """The prices the Data section of the page asks for; loaded only when Load is pressed."""

    source: str
    ticker: str = DEFAULT_TICKER
    start: str | None = None
    end: str | None = None
    years: int = DEFAULT_YEARS
    local_path: str = ""
    upload: object = None  # a Streamlit UploadedFile
    days: int = SYNTHETIC_DAYS
    seed: int = 0


# ----------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class RunFacts:
    """What a finished run's numbers are, for `verdict` (measured by forecasting.run_facts)."""

    skill: float  # 1 - RMSE_model / RMSE_persistence on the test windows
    windows: int  # test windows scored
    forecasts: int  # forecast days scored (windows x days ahead): the coin-flip band's sample size
    direction: float  # share of predicted moves with the right sign; NaN when the model never moves
    up_share: float  # the directional accuracy of always saying "up"
    predicted_move: float  # mean |next-day forecast - today's close|
    actual_move: float  # mean |next-day close - today's close|
    move_correlation: float  # correlation of predicted and actual next-day moves (NaN if flat)
    target: str  # "price" (relative to today), "log_return" or "raw_price"
    outside_training_range: float  # share of test closes outside every training close
    ma_days: int
    ma_skill: float  # the moving-average baseline's skill vs persistence
    train_range: tuple[float, float] = (math.nan, math.nan)  # lowest and highest training close
    test_range: tuple[float, float] = (math.nan, math.nan)  # lowest and highest test close


TIE_BAND = 0.02  # skill within ±2 % of persistence is a tie
FLAT_MOVES = 0.3  # predicted moves under 30 % of the real ones: persistence in disguise
FAR_OUTSIDE = 0.1  # more than 10 % of test closes outside the training range: a price model extrapolates


def coin_flip_band(forecasts: int) -> float:
    """Half-width of the 95 % band around 50 % that a fair coin's hit rate stays in over `forecasts` calls."""
    return 1.96 * math.sqrt(0.25 / max(1, forecasts))


def verdict(facts: RunFacts) -> str:
    """What this run's numbers say, in a few sentences."""
    skill, n = facts.skill, facts.windows
    if skill > TIE_BAND:
        lines = [
            f"The model **beats persistence by {skill:.1%}** of RMSE on {n:,} test windows. Before believing it, "
            "retrain with another seed, ticker or period: a few percent on one test range can be luck."
        ]
    elif skill >= -TIE_BAND:
        lines = [
            f"The model **ties persistence** (skill {skill:+.1%}): on these {n:,} windows it has learned "
            "essentially 'tomorrow ≈ today'. That is the expected, honest result on daily prices."
        ]
    else:
        lines = [f"The model is **worse than persistence** (skill {skill:+.1%}): it adds error to 'tomorrow = today'."]
    if facts.target == "raw_price":
        lines.append(raw_price_sentence(facts, losing=skill < -TIE_BAND))
    if facts.actual_move > 0:
        corr = (
            ""
            if math.isnan(facts.move_correlation)
            else f" (correlation with the real moves {facts.move_correlation:+.2f})"
        )
        flat = facts.predicted_move / facts.actual_move < FLAT_MOVES
        lines.append(
            f"Its next-day forecasts move {facts.predicted_move:,.2f} from today's close on average, the real closes "
            f"{facts.actual_move:,.2f}{corr}" + (" - it barely moves: persistence in disguise." if flat else ".")
        )
    if not math.isnan(facts.direction):
        noise = coin_flip_band(facts.forecasts)
        drift = facts.direction <= facts.up_share + noise
        judged = " - no better than always saying 'up' (it learned the drift)" if drift else ""
        lines.append(
            f"It called the direction right {facts.direction:.1%} of the time{judged}; always saying 'up' would score "
            f"{facts.up_share:.1%}, and ±{noise:.1%} around 50 % is coin-flip noise for this many forecasts."
        )
    lines.append(moving_average_sentence(facts.ma_days, facts.ma_skill))
    return " ".join(lines)


def raw_price_sentence(facts: RunFacts, losing: bool) -> str:
    """Why the raw price failed (or why it got away with it): where the test closes lie against the training ones."""
    low, high = facts.train_range
    test_low, test_high = facts.test_range
    where = (
        f"{facts.outside_training_range:.0%} of the test closes ({test_low:,.2f} to {test_high:,.2f}) lie outside "
        f"the range of every training close ({low:,.2f} to {high:,.2f})"
    )
    if losing and facts.outside_training_range > FAR_OUTSIDE:
        return (
            f"**Why raw prices fail:** {where}. The network learned prices standardised with the training days' "
            "mean and spread; its squashing tanh/sigmoid units never produced a level that high (or low), so "
            "its forecasts flatten out at the edge of the training range while the real price walks away "
            "(the residuals sit on one side of zero). The default target, the price relative to today's close, "
            "sees every window from today's level, so 'about the same as today' is the same input at any price."
        )
    if losing:
        return (
            f"Only {where}, so extrapolation is not the main cause here: the raw level is simply a harder "
            "target than the move from today. Try the default target, the price relative to today's close."
        )
    return (
        f"{where}: with so few test days outside the training range the raw price got away with it this time. "
        "Load a longer range with a strong trend (or the synthetic series) to see it fail."
    )


def moving_average_sentence(days: int, skill: float) -> str:
    """What the moving-average baseline's score says - true for the number shown."""
    if skill < -TIE_BAND:
        return (
            f"The {days}-day moving average scores {skill:+.1%}: averaging past closes lags behind a market that "
            "moves, so here it does worse than simply taking the last close."
        )
    if skill <= TIE_BAND:
        return f"The {days}-day moving average scores {skill:+.1%}: about the same as taking the last close."
    return (
        f"The {days}-day moving average scores {skill:+.1%}: on these days prices swung back often enough that "
        "averaging the last closes beat taking the last one."
    )


def untrained_note(untrained: ForecastEvaluation | None) -> str:
    """One sentence on the same network before training (the twin that shows what training changed)."""
    if untrained is None:
        return ""
    row = untrained.model_row
    return (
        f" Before training, the same network (its initial weights) scored RMSE {row['RMSE']:,.3f}, skill "
        f"{row['skill vs persistence']:+.1%}."
    )


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table for people: percentages, and persistence's undefined direction as a phrase."""
    out = table.copy()
    out["direction"] = [f"{v * 100:.1f}" if np.isfinite(v) else "n/a (never moves)" for v in out["direction"]]
    out["skill vs persistence"] = out["skill vs persistence"] * 100
    return out.rename(columns={"direction": "directional accuracy %", "skill vs persistence": "skill vs persistence %"})


# ----------------------------------------------------------------------------- words the page shows

INTRO = (
    "Feed a recurrent network the prices of the last N days and ask for tomorrow's - or the next K days. "
    "Every pattern is here: many-to-one, many-to-many shifted by a day, encoder-decoder, one-to-many from "
    "today's features, and a dense one-to-one net with no recurrence. Each is scored next to two baselines "
    "that know nothing: **persistence** (tomorrow = today) and a **moving average**."
)

PATTERN_TEXT = {
    "many_to_one": "reads the last **N** values, one per step, and answers once: the next day. "
    "Input (N, 1) → output (1,).",
    "many_to_many": "reads the last **N** days and answers at **every** step: after day i it predicts day i+1, so "
    "the target is the input shifted by one day and the loss counts every step. Only the last step's answer (day "
    "t+1, the only one about the future) is scored below. Input (N, 1) → output (N, 1).",
    "encoder_decoder": "an encoder reads the last **N** days into one context vector; a decoder unrolls it into the "
    "next **K** days. Input (N, 1) → output (K, 1).",
    "one_to_many": "gets **one feature vector for today** - today's value, the change since yesterday, and the mean "
    "and spread of the last N days - and unrolls the next **K** days from it. Input (4,) → output (K, 1).",
    "one_to_one": "a **dense network, no recurrence**, maps today's feature vector (today's value, change since "
    "yesterday, mean and spread of the last N days) to tomorrow. If it does as well as the RNNs, reading the "
    "sequence step by step wasn't helping. Input (4,) → output (1,).",
}

TARGET_TEXT = {
    "price": "**Target: the price, relative to today's close.** Every window is seen from the last known close: "
    "the network reads log(P_d / P_t) for the last N days (so the window always ends at 0) and predicts "
    "log(P_(t+1) / P_t), one unit being a typical training day's move. 'About the same as today' is an output of 0 "
    "at any price level, so test years far above the training prices look just like training days - no "
    "extrapolation. Forecasts go back to prices as P_t · e^ŷ. (For the feature-vector patterns today's value is "
    "then always 0; the window's mean says how far today sits above or below its recent average.)",
    "log_return": "**Target: daily log returns** r_t = log(P_t / P_(t-1)), the day's relative change. Returns hover "
    "around zero with a similar spread in every decade (close to stationary), so training days look like test "
    "days - no extrapolation. They are also mostly noise: a model that predicts r ≈ 0 *is* persistence. Forecasts "
    "are turned back into prices (P_t · e^r̂, summed over the days ahead) so every target is scored in price units.",
    "raw_price": "**Target: the raw closing price - the lesson of why it fails.** The network predicts the price "
    "itself, standardised with the training days' mean and spread. Prices trend: the test years can lie above "
    "every price seen in training, and a network built from squashing tanh/sigmoid units cannot produce a level it "
    "never saw, so its forecasts flatten out below the real price. Compare with the default target, the price "
    "relative to today's close.",
}

WHY_HARD = (
    "**Why 'tomorrow = today' is so hard to beat.** A liquid stock or index moves about 1 % a day, mostly "
    "unpredictably: if the past closes told you where tomorrow's goes, traders would trade on it until the pattern "
    "disappeared. What is left is close to a random walk with a small upward drift, and for a random walk the best "
    "forecast of tomorrow is today's close - exactly persistence. A network can at best learn 'copy the last value "
    "plus a little drift'; anything else it learns from 2,000 noisy days mostly adds error. On a chart of the "
    "whole test range the lines overlap and look impressive; zoom in and the model's line is usually the actual "
    "line shifted one day to the right."
)

BIDIRECTIONAL_LEAKS = (
    "Bidirectional is off here: in many-to-many the backward RNN would read day i+1 - the answer "
    "at step i - so the model would copy the future instead of forecasting it."
)
BIDIRECTIONAL_SAFE = (
    "Bidirectional is safe for this pattern: the backward RNN only re-reads the input window, days "
    "that are all in the past when the forecast is made."
)

SPLIT_HELP = (
    "The split is chronological: the model learns from the blue **train** days, validation loss is measured on "
    "the vermillion (red-orange) days, and the final score comes from the black **test** days it never saw. "
    "The scaler (mean and spread) is fitted on the training days only, so nothing about the test period leaks "
    "into training. Drag (or swipe) to pan, scroll (or pinch) to zoom. Notice where the test prices sit "
    "relative to the training prices."
)

PREDICTIONS_HELP = (
    "Drag (or swipe) to pan, scroll (or pinch) to zoom, double-click to reset; hover (or tap) for every line's "
    "value that day; click (or tap) a legend entry to highlight it. Zoom into a few weeks: if the model's line "
    "is the black line shifted one day to the right, the model is copying today's close. Dashed lines are the "
    "baselines."
)

FORECAST_FROM_HELP = (
    "Left of the dotted line: the {window} days the model read. Right of it: what really happened (black) "
    "and each forecaster's path from today's close. Step through dates: a skilful model bends the right way "
    "more often than not; most of the time its path hugs the flat grey persistence line."
)
SINGLE_STEP_NOTE = " Single-step patterns forecast one day; pick encoder-decoder or one-to-many for K days."

RESIDUALS_HELP = (
    "Residual = actual − forecast. You want a cloud centred on zero without structure. A cloud above zero means "
    "the model forecasts too low (typical for the raw price target when test prices are above the training range). "
    "Compare the model's spread with persistence's: narrower is better, equal means no skill."
)

HORIZON_HELP = (
    "RMSE for each day ahead. Everyone's error grows with the horizon (uncertainty compounds); the question "
    "is whether the model's line stays below persistence's anywhere."
)
