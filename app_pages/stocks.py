"""Stock prices: forecast the next day (or the next K days) with every architecture pattern,
and check honestly whether it beats "tomorrow = today".

Widgets -> ForecastRun (config; defined in core, so it keeps its identity across script
reruns) -> core.stocks.forecasting (split, scale, window, train, score) -> core.stocks.charts.
Loaded prices live in session state, so a failed load (unknown ticker, no network, rate
limit, bad CSV) leaves the previous data on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from core.data import stocks
from core.engine.config import PATTERN_LABELS, PATTERNS, ModelConfig, TrainConfig, validate_all
from core.stocks import charts as forecast_charts
from core.stocks import forecasting
from core.stocks.forecasting import ForecastRun, ForecastSpec
from ui import controls, stocks_data
from ui.training_panel import history_table, trained_config, training_panel

KEY = "stocks"
PRICES = f"{KEY}:prices"  # the PriceData the page works on (survives failed loads)

RANGES = {"Last 10 years": 10, "Last 5 years": 5, "Last 2 years": 2, "Last 20 years": 20, "Custom dates": None}
SOURCES = ("Ticker", "Upload a CSV", "Synthetic")


@dataclass(frozen=True)
class Preset:
    forecast: ForecastSpec
    model: ModelConfig
    train: TrainConfig


PRESETS: dict[str, Preset] = {
    "Next day from the last 30: many-to-one GRU": Preset(
        ForecastSpec("many_to_one", "price", window=30),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32),
        TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3),
    ),
    "Shifted by one day: many-to-many (synced) LSTM": Preset(
        ForecastSpec("many_to_many", "price", window=30),
        ModelConfig(pattern="many_to_many", cell="LSTM", units=32),
        TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3),
    ),
    "Next 5 days: encoder-decoder GRU on returns": Preset(
        ForecastSpec("encoder_decoder", "log_return", window=30, horizon=5),
        ModelConfig(pattern="encoder_decoder", cell="GRU", units=32),
        TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3),
    ),
    "Next 5 days from today's features: one-to-many GRU": Preset(
        ForecastSpec("one_to_many", "log_return", window=20, horizon=5),
        ModelConfig(pattern="one_to_many", cell="GRU", units=32),
        TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3),
    ),
    "Baseline: one-to-one dense net, no recurrence": Preset(
        ForecastSpec("one_to_one", "price", window=20),
        ModelConfig(pattern="one_to_one", units=32, dense_units=32),
        TrainConfig(epochs=20, batch_size=64, learning_rate=3e-3),
    ),
    "Returns instead of prices: many-to-one GRU": Preset(
        ForecastSpec("many_to_one", "log_return", window=30),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32),
        TrainConfig(epochs=10, batch_size=64, learning_rate=3e-3),
    ),
    "Tiny: seconds, for a quick demo": Preset(
        ForecastSpec("many_to_one", "log_return", window=10, horizon=3),
        ModelConfig(pattern="many_to_one", cell="GRU", units=8),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
    ),
}

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
    "price": "**Target: the closing price.** The network predicts the standardised price itself. Prices trend: the "
    "test years can lie above every price seen in training, and a network built from squashing tanh/sigmoid units "
    "extrapolates badly, so its forecasts flatten out below the real price. Even inside the training range the "
    "easiest thing to learn is 'about today's price'.",
    "log_return": "**Target: daily log returns** r_t = log(P_t / P_(t-1)), the day's relative change. Returns hover "
    "around zero with a similar spread in every decade (close to stationary), so training days look like test "
    "days - no extrapolation. They are also mostly noise: a model that predicts r ≈ 0 *is* persistence. Forecasts "
    "are turned back into prices (P_t · e^r̂, summed over the days ahead) so both targets are scored in price units.",
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


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataRequest:
    source: str
    ticker: str = stocks.DEFAULT_TICKER
    start: str | None = None
    end: str | None = None
    years: int = stocks.DEFAULT_YEARS
    local_path: str = ""
    upload: object = None  # a Streamlit UploadedFile
    days: int = 2520
    seed: int = 0


def data_controls() -> tuple[DataRequest, bool]:
    """The Data section of the sidebar; returns the request and whether Load was clicked."""
    with st.sidebar.expander("Data", expanded=PRICES not in st.session_state):
        source = st.radio("Source", SOURCES, horizontal=True, key=f"{KEY}:source")
        request = DataRequest(source)
        if source == "Ticker":
            ticker = st.text_input(
                "Ticker symbol",
                stocks.DEFAULT_TICKER,
                key=f"{KEY}:ticker",
                help="Yahoo Finance symbols: SPY (S&P 500 ETF), AAPL, MSFT, ^GSPC, BRK-B, EURUSD=X …",
            )
            span = st.selectbox("Date range", list(RANGES), key=f"{KEY}:range")
            start = end = None
            if RANGES[span] is None:
                left, right = st.columns(2)
                start = left.date_input("From", date(2010, 1, 1), key=f"{KEY}:start").isoformat()
                end = right.date_input("To", date.today(), key=f"{KEY}:end").isoformat()
            local = controls.local_path_input(
                "Local copy (folder or CSV, optional)",
                key=f"{KEY}:local",
                help="A folder holding stocks/<TICKER>.csv (Date,Open,High,Low,Close,Volume), or one CSV. "
                "Tried before Yahoo Finance.",
            )
            request = DataRequest(source, ticker, start, end, RANGES[span] or stocks.DEFAULT_YEARS, local.strip())
        elif source == "Upload a CSV":
            upload = st.file_uploader(
                "CSV with a date column and a closing-price column",
                type=["csv", "txt"],
                key=f"{KEY}:upload",
                help="Column names such as Date/Datetime and Close/Adj Close/Close/Last/Price are recognised; "
                "dates as 2024-01-31, 01/31/2024, 31.01.2024 …; comma, semicolon or tab separated.",
            )
            request = DataRequest(source, upload=upload)
        else:
            days = st.slider("Trading days", 250, 5000, 2520, 10, key=f"{KEY}:days")
            seed = st.number_input("Random seed", 0, 10_000, 0, key=f"{KEY}:seed")
            request = DataRequest(source, days=int(days), seed=int(seed))
        clicked = st.button("Load data", key=f"{KEY}:load", width="stretch")
        st.caption("Changes here apply when you press **Load data**; if loading fails, the current data stays.")
    return request, clicked


def fetch(request: DataRequest) -> stocks.PriceData:
    """The prices a request asks for; PriceDataError with a readable reason when it can't."""
    if request.source == "Ticker":
        symbol = stocks.normalise_ticker(request.ticker)
        if request.start and request.end and request.start >= request.end:
            raise stocks.PriceDataError("The start date must be before the end date.", "empty")
        return stocks_data.ticker_prices(symbol, request.start, request.end, request.years, request.local_path)
    if request.source == "Upload a CSV":
        if request.upload is None:
            raise stocks.PriceDataError("Choose a CSV file to upload first.", "not_found")
        return stocks.parse_price_csv(request.upload.getvalue(), request.upload.name)
    return stocks_data.synthetic_prices(request.days, request.seed)


def current_prices(request: DataRequest, clicked: bool) -> stocks.PriceData:
    """Load on the first visit and on every Load click; keep the old data when loading fails."""
    previous: stocks.PriceData | None = st.session_state.get(PRICES)
    if previous is not None and not clicked:
        return previous
    try:
        prices = fetch(request)
    except stocks.PriceDataError as err:
        if previous is not None:
            st.error(f"**Could not load the data.** {err}\n\nStill showing the previous data: {previous.label()}.")
            return previous
        fallback = stocks_data.synthetic_prices(2520, 0)
        prices = replace(fallback, source=replace(fallback.source, notice=f"{err} Showing synthetic prices instead."))
    st.session_state[PRICES] = prices
    return prices


def show_source(prices: stocks.PriceData) -> None:
    if prices.source.is_synthetic:
        st.warning(
            f"**Synthetic prices - generated by the playground, not real market data.** {prices.source.notice} "
            f"({prices.summary()}.) Load a ticker or upload a CSV in the sidebar for real prices."
        )
    else:
        st.caption(f"Data: **{prices.label()}** · {prices.source.describe()} · {prices.summary()}.")


# ----------------------------------------------------------------------------- controls


def sidebar(prices_label: str) -> ForecastRun:
    preset_name = st.sidebar.selectbox(
        "Preset", list(PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = PRESETS[preset_name]
    key = f"{KEY}:{list(PRESETS).index(preset_name)}"
    with st.sidebar.expander("Model", expanded=True):
        pattern = st.selectbox(
            "Architecture pattern",
            list(PATTERNS),
            index=list(PATTERNS).index(preset.model.pattern),
            format_func=lambda p: PATTERN_LABELS[p],
            key=f"{key}:pattern",
        )
        leaks = forecasting.leaks_future(pattern)
        model = controls.model_controls(
            key,
            replace(preset.model, pattern=pattern),
            patterns=(pattern,),
            allow_bidirectional=not leaks,
            container=st,
        )
        if pattern == "one_to_one":
            model = replace(model, dense_units=model.units)
        if leaks:
            st.caption(
                "Bidirectional is off here: in many-to-many the backward RNN would read day i+1 - the answer "
                "at step i - so the model would copy the future instead of forecasting it."
            )
        elif pattern != "one_to_one":
            st.caption(
                "Bidirectional is safe for this pattern: the backward RNN only re-reads the input window, days "
                "that are all in the past when the forecast is made."
            )
    forecast = forecast_controls(key, preset.forecast, pattern)
    with st.sidebar.expander("Training", expanded=False):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=50)
    return ForecastRun(prices_label, forecast, model, train)


def forecast_controls(key: str, defaults: ForecastSpec, pattern: str) -> ForecastSpec:
    with st.sidebar.expander("Target and windows", expanded=True):
        target = st.radio(
            "Predict",
            list(forecasting.TARGETS),
            index=list(forecasting.TARGETS).index(defaults.target),
            format_func=forecasting.TARGETS.get,
            horizontal=True,
            key=f"{key}:target",
            help="Prices trend and must be extrapolated; log returns are day-to-day changes around zero. "
            "See the explanation on the page.",
        )
        window = st.slider(
            "Window N (days the model reads)",
            2,
            forecasting.MAX_WINDOW,
            defaults.window,
            key=f"{key}:window",
            help="Sequence length for the recurrent patterns; for one-to-one and one-to-many, the days summarised "
            "into today's mean and spread.",
        )
        multi = pattern in forecasting.MULTI_STEP
        horizon = st.slider(
            "Horizon K (days predicted)",
            1,
            forecasting.MAX_HORIZON,
            defaults.horizon,
            key=f"{key}:horizon",
            disabled=not multi,
            help="Used by encoder-decoder and one-to-many; the other patterns predict one day.",
        )
        ma_days = st.slider("Moving-average baseline (days)", 2, 60, defaults.ma_days, key=f"{key}:ma")
        left, right = st.columns(2)
        val = left.slider("Validation share", 0.05, 0.3, defaults.val_fraction, 0.05, key=f"{key}:val")
        test = right.slider("Test share", 0.05, 0.3, defaults.test_fraction, 0.05, key=f"{key}:test")
    return ForecastSpec(pattern, target, int(window), int(horizon), float(val), float(test), int(ma_days))


# ----------------------------------------------------------------------------- training work


def make_work(run: ForecastRun, prices: stocks.PriceData):
    """Cut and scale the data now (cheap, and errors show at once); train on the job's thread."""
    data = forecasting.prepare(prices.close, run.forecast)

    def work(progress, stop):
        output = forecasting.train_and_evaluate(
            data, run.model, run.train, callbacks=[progress], stop=stop, on_phase=progress.set_phase
        )
        return {**output, "data": data, "run": run, "prices_label": prices.label()}

    return work


# ----------------------------------------------------------------------------- before training


def show_setup(prices: stocks.PriceData, run: ForecastRun) -> forecasting.ForecastData | None:
    """History chart with the split, what the network sees, and why the target matters."""
    spec = run.forecast
    problems = forecasting.window_problems(spec, len(prices.frame))
    if problems:
        frame = pd.DataFrame({"date": prices.frame.index, "close": prices.close.to_numpy(), "split": "train"})
        st.altair_chart(forecast_charts.price_history_chart(frame, f"{prices.label()}: closing price"), width="stretch")
        return None
    data = forecasting.prepare(prices.close, spec)
    st.altair_chart(
        forecast_charts.price_history_chart(data.split_frame(), f"{prices.label()}: closing price and the split"),
        width="stretch",
    )
    st.caption(
        "The split is chronological: the model learns from the blue **train** days, validation loss is measured on "
        "the orange days, and the final score comes from the green **test** days it never saw. The scaler (mean and "
        "spread) is fitted on the training days only, so nothing about the test period leaks into training. "
        "Drag to pan, scroll to zoom. Notice where the test prices sit relative to the training prices."
    )
    counts = data.counts()
    st.markdown(
        f"**{PATTERN_LABELS[spec.pattern]}** {PATTERN_TEXT[spec.pattern]} "
        f"Windows: {counts['train']:,} train · {counts['validation']:,} validation · {counts['test']:,} test."
    )
    st.markdown(TARGET_TEXT[spec.target])
    outside = forecasting.outside_training_range(data)
    if spec.target == "price" and outside > 0.1:
        st.warning(
            f"{outside:.0%} of the test days closed outside the range of every training close "
            f"({data.prices[: data.split.train_end].min():,.2f} to {data.prices[: data.split.train_end].max():,.2f}). "
            "A price model must extrapolate there; expect it to fall behind. Try **Daily log return**."
        )
    return data


# ----------------------------------------------------------------------------- results


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """Percentages for people; persistence's undefined direction shown as a phrase, not 'None'."""
    out = table.copy()
    out["direction"] = [f"{v * 100:.1f}" if np.isfinite(v) else "n/a (never moves)" for v in out["direction"]]
    out["skill vs persistence"] = out["skill vs persistence"] * 100
    return out.rename(columns={"direction": "directional accuracy %", "skill vs persistence": "skill vs persistence %"})


TABLE_FORMAT = {
    "MAE": st.column_config.NumberColumn("MAE", format="%.3f", help="Mean absolute error, price units."),
    "RMSE": st.column_config.NumberColumn("RMSE", format="%.3f", help="Root mean squared error, price units."),
    "MAPE %": st.column_config.NumberColumn("MAPE %", format="%.3f", help="Mean absolute percentage error."),
    "directional accuracy %": st.column_config.TextColumn(
        "directional accuracy %",
        help="How often the predicted move from today's close has the right sign. Blank for persistence, which "
        "never predicts a move.",
    ),
    "skill vs persistence %": st.column_config.NumberColumn(
        "skill vs persistence %", format="%+.1f", help="1 − RMSE / RMSE of persistence, in percent. > 0 beats it."
    ),
}


def verdict(evaluation: forecasting.ForecastEvaluation, data: forecasting.ForecastData) -> str:
    """What this run's numbers say, in a few sentences."""
    spec = data.spec
    row = evaluation.model_row
    skill, n = row["skill vs persistence"], len(evaluation.origins)
    lines = []
    if skill > 0.02:
        lines.append(
            f"The model **beats persistence by {skill:.1%}** of RMSE on {n:,} test windows. Before believing it, "
            "retrain with another seed, ticker or period: a few percent on one test range can be luck."
        )
    elif skill >= -0.02:
        lines.append(
            f"The model **ties persistence** (skill {skill:+.1%}): on these {n:,} windows it has learned "
            "essentially 'tomorrow ≈ today'. That is the expected, honest result on daily prices."
        )
    else:
        lines.append(
            f"The model is **worse than persistence** (skill {skill:+.1%}): it adds error to 'tomorrow = today'."
        )
        if spec.target == "price" and forecasting.outside_training_range(data) > 0.1:
            lines.append(
                "Much of the test range lies outside the training prices, where a price model must extrapolate "
                "(see the residuals: mostly on one side of zero). Daily log returns avoid this."
            )
    moves = forecasting.move_sizes(evaluation)
    if moves["actual"] > 0:
        ratio = moves["predicted"] / moves["actual"]
        corr = (
            ""
            if math.isnan(moves["correlation"])
            else f" (correlation with the real moves {moves['correlation']:+.2f})"
        )
        lines.append(
            f"Its next-day forecasts move {moves['predicted']:,.2f} from today's close on average, the real closes "
            f"{moves['actual']:,.2f}{corr}" + (" - it barely moves: persistence in disguise." if ratio < 0.3 else ".")
        )
    direction = row["direction"]
    if not math.isnan(direction):
        noise = 1.96 * math.sqrt(0.25 / max(1, evaluation.actual.size))
        up = forecasting.up_share(evaluation)
        judged = " - no better than always saying 'up' (it learned the drift)" if direction <= up + noise else ""
        lines.append(
            f"It called the direction right {direction:.1%} of the time{judged}; always saying 'up' would score "
            f"{up:.1%}, and ±{noise:.1%} around 50 % is coin-flip noise for this many forecasts."
        )
    ma = evaluation.table.iloc[2]
    lines.append(
        f"The {spec.ma_days}-day moving average scores {ma['skill vs persistence']:+.1%}: averaging past closes lags "
        "behind a market that drifts, so it does worse than simply taking the last one."
    )
    return " ".join(lines)


def show_results(output: dict) -> None:
    evaluation: forecasting.ForecastEvaluation = output["evaluation"]
    data: forecasting.ForecastData = output["data"]
    run: ForecastRun = output["run"]
    spec, cell = data.spec, forecasting.model_cell(run.model)
    name = evaluation.model_name
    if not np.isfinite(evaluation.forecasts[name]).all():
        st.error("The model's forecasts contain NaN or infinite values; retrain with a smaller learning rate.")
        return
    st.subheader("How good is it - honestly?")
    row, persistence = evaluation.model_row, evaluation.persistence_row
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test RMSE, model", f"{row['RMSE']:,.3f}", help="Root mean squared error in price units.")
    c2.metric("Test RMSE, persistence", f"{persistence['RMSE']:,.3f}", help="Forecast = last known close.")
    c3.metric(
        "Skill vs persistence",
        f"{row['skill vs persistence']:+.1%}",
        help="1 − RMSE_model / RMSE_persistence. Above zero beats 'tomorrow = today'.",
    )
    c4.metric(
        "Directional accuracy",
        "n/a" if math.isnan(row["direction"]) else f"{row['direction']:.1%}",
        help=f"Always predicting 'up' would score {forecasting.up_share(evaluation):.1%}.",
    )
    st.dataframe(display_table(evaluation.table), hide_index=True, column_config=TABLE_FORMAT)
    days = "the next day" if spec.steps_ahead == 1 else f"each of the next {spec.steps_ahead} days"
    st.caption(
        f"Every row is scored on the same {len(evaluation.origins):,} test windows ({days} after each), in price units "
        f"of {output['prices_label']}. Persistence says every future day closes where today did; the moving average "
        f"says they close at the mean of the last {spec.ma_days} days."
    )
    st.markdown(WHY_HARD)
    st.info("**What this run says.** " + verdict(evaluation, data))
    show_prediction_charts(data, evaluation, cell)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(output["result"]), hide_index=True)


def show_prediction_charts(
    data: forecasting.ForecastData, evaluation: forecasting.ForecastEvaluation, cell: str
) -> None:
    spec, name = data.spec, evaluation.model_name
    st.subheader("Predictions vs actual on the test range")
    ahead = 1
    if spec.steps_ahead > 1:
        ahead = st.slider(
            "Days ahead to show",
            1,
            spec.steps_ahead,
            1,
            key=f"{KEY}:ahead:{spec.steps_ahead}",
            help="Each point is the forecast for that day made this many days earlier.",
        )
    frame = forecasting.predictions_frame(data, evaluation, ahead)
    st.altair_chart(forecast_charts.predictions_chart(frame, name, cell, ahead), width="stretch")
    st.caption(
        "Drag to pan, scroll to zoom, double-click to reset; hover for every line's value that day; click a legend "
        "entry to highlight it. Zoom into a few weeks: if the model's line is the black line shifted one day to the "
        "right, the model is copying today's close. Dashed lines are the baselines."
    )

    st.subheader(f"Forecast of {spec.steps_ahead} day{'s' if spec.steps_ahead > 1 else ''} from a chosen date")
    labels = [f"{d:%Y-%m-%d}" for d in evaluation.origin_dates]
    chosen = st.select_slider(
        "Forecast made after the close of",
        labels,
        value=labels[len(labels) // 2],
        key=f"{KEY}:origin:{labels[0]}:{labels[-1]}:{len(labels)}",
    )
    index = labels.index(chosen)
    from_frame = forecasting.forecast_from_frame(data, evaluation, index)
    st.altair_chart(
        forecast_charts.forecast_from_chart(from_frame, name, cell, evaluation.origin_dates[index]), width="stretch"
    )
    st.caption(
        f"Left of the dotted line: the {spec.window} days the model read. Right of it: what really happened (black) "
        "and each forecaster's path from today's close. Step through dates: a skilful model bends the right way "
        "more often than not; most of the time its path hugs the flat grey persistence line."
        + (
            " Single-step patterns forecast one day; pick encoder-decoder or one-to-many for K days."
            if spec.steps_ahead == 1
            else ""
        )
    )

    st.subheader("Residuals")
    residuals = forecasting.residuals_frame(data, evaluation, ahead)
    st.altair_chart(forecast_charts.residuals_chart(residuals, name, cell), width="stretch")
    st.altair_chart(forecast_charts.residual_histogram(residuals, name, cell), width="stretch")
    st.caption(
        "Residual = actual − forecast. You want a cloud centred on zero without structure. A cloud above zero means "
        "the model forecasts too low (typical for the price target when test prices are above the training range). "
        "Compare the model's spread with persistence's: narrower is better, equal means no skill."
    )
    if spec.steps_ahead > 1:
        st.altair_chart(forecast_charts.horizon_chart(evaluation.horizons, name, cell), width="stretch")
        st.caption(
            "RMSE for each day ahead. Everyone's error grows with the horizon (uncertainty compounds); the question "
            "is whether the model's line stays below persistence's anywhere."
        )


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Stock prices: forecasting, against honest baselines")
    st.markdown(
        "Feed a recurrent network the prices of the last N days and ask for tomorrow's - or the next K days. "
        "Every pattern is here: many-to-one, many-to-many shifted by a day, encoder-decoder, one-to-many from "
        "today's features, and a dense one-to-one net with no recurrence. Each is scored next to two baselines "
        "that know nothing: **persistence** (tomorrow = today) and a **moving average**."
    )
    st.sidebar.header("Stock prices settings")
    request, clicked = data_controls()
    prices = current_prices(request, clicked)
    show_source(prices)
    run = sidebar(f"{prices.label()}, {prices.summary()}")

    data = show_setup(prices, run)
    problems = validate_all(run.model, run.train) + forecasting.window_problems(run.forecast, len(prices.frame))
    if data is not None and len(data.train) < run.train.batch_size:
        problems.append(f"Batch size {run.train.batch_size} is larger than the {len(data.train)} training windows.")
    can_train = controls.show_problems(problems)

    job = training_panel(
        KEY,
        start=lambda: make_work(run, prices),
        config=run,
        metric="mae",
        metric_label="MAE (scaled units)",
        clip_norm=run.train.clip_norm,
        can_train=can_train,
    )
    if job is not None and job.state == "done":
        show_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption("Tip: the Tiny preset trains in a few seconds; the others take about a minute on a laptop.")


main()
