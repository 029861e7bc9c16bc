"""Stock prices: forecast the next day (or the next K days) with every architecture pattern,
and check honestly whether it beats "tomorrow = today".

Widgets -> ForecastRun (core.stocks.config, with the presets and the words shown here) ->
core.stocks.forecasting (split, scale, window, score) and core.stocks.training (train) ->
core.stocks.charts. Loaded prices live in session state, so a failed load (unknown ticker,
no network, rate limit, bad CSV) leaves the previous data on the page.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from core import stocks as stocks_lab
from core.data import stocks
from core.engine.config import PATTERN_LABELS, PATTERNS, validate_all
from core.engine.training_job import WorkSpec
from core.stocks import charts as forecast_charts
from core.stocks import config as lab
from core.stocks.config import PRESETS, RANGES, SOURCES, DataRequest, ForecastOutcome, ForecastRun, ForecastSpec
from ui import controls, experiments, links, presenter, stocks_data
from ui.charts import draw_chart
from ui.code_panel import stocks_code_panel
from ui.training_panel import history_table, trained_config, training_panel

KEY = "stocks"
PRICES = f"{KEY}:prices"  # the PriceData the page works on (survives failed loads)


# ----------------------------------------------------------------------------- data


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
            days = st.slider("Trading days", 250, 5000, lab.SYNTHETIC_DAYS, 10, key=f"{KEY}:days")
            seed = st.number_input("Random seed", 0, 10_000, 0, key=f"{KEY}:seed")
            request = DataRequest(source, days=int(days), seed=int(seed))
        clicked = st.button("Load data", key=f"{KEY}:load", width="stretch")
        st.caption("Changes here apply when you press **Load data**; if loading fails, the current data stays.")
    return request, clicked


def fetch(request: DataRequest, clicked: bool) -> stocks.PriceData:
    """The prices a request asks for; PriceDataError with a readable reason when it can't.

    Yahoo Finance is asked only on a Load click: a page view (a link's ticker included) reads a local copy.
    """
    if request.source == "Ticker":
        symbol = stocks.normalise_ticker(request.ticker)
        if request.start and request.end and request.start >= request.end:
            raise stocks.PriceDataError("The start date must be before the end date.", "empty")
        load = stocks_data.ticker_prices if clicked else stocks_data.local_ticker_prices
        return load(symbol, request.start, request.end, request.years, request.local_path)
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
        prices = fetch(request, clicked)
    except stocks.PriceDataError as err:
        if previous is not None:
            st.error(f"**Could not load the data.** {err}\n\nStill showing the previous data: {previous.label()}.")
            return previous
        fallback = stocks_data.synthetic_prices(lab.SYNTHETIC_DAYS, 0)
        notice = f"{err} Showing synthetic prices instead."
        if not clicked and err.kind == "not_found" and request.source == "Ticker":
            notice = f"Nothing is downloaded until you ask: press **Load data** to fetch {request.ticker.strip()[:20]}."
        prices = replace(fallback, source=replace(fallback.source, notice=notice))
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
        leaks = stocks_lab.forecasting.leaks_future(pattern)
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
            st.caption(lab.BIDIRECTIONAL_LEAKS)
        elif pattern != "one_to_one":
            st.caption(lab.BIDIRECTIONAL_SAFE)
    forecast = forecast_controls(key, preset.forecast, pattern)
    with st.sidebar.expander("Training", expanded=False):
        train = controls.training_controls(key, preset.train, container=st, max_epochs=50)
    return ForecastRun(prices_label, forecast, model, train)


def forecast_controls(key: str, defaults: ForecastSpec, pattern: str) -> ForecastSpec:
    with st.sidebar.expander("Target and windows", expanded=True):
        target = st.radio(
            "Predict",
            list(lab.TARGETS),
            index=list(lab.TARGETS).index(defaults.target),
            format_func=lab.TARGETS.get,
            horizontal=True,
            key=f"{key}:target",
            help="Relative to today: the window seen from today's close, so 'no change' is 0 at any price level. "
            "Log returns: day-to-day changes around zero. Raw price: the lesson - trends must be extrapolated. "
            "See the explanation on the page.",
        )
        window = st.slider(
            "Window N (days the model reads)",
            2,
            lab.MAX_WINDOW,
            defaults.window,
            key=f"{key}:window",
            help="Sequence length for the recurrent patterns; for one-to-one and one-to-many, the days summarised "
            "into today's mean and spread.",
        )
        multi = pattern in lab.MULTI_STEP
        horizon = st.slider(
            "Horizon K (days predicted)",
            1,
            lab.MAX_HORIZON,
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


def make_work(run: ForecastRun, prices: stocks.PriceData) -> WorkSpec:
    """Cut and scale the data now (cheap, and errors show at once); train on the job's thread."""
    data = stocks_data.windows(prices, run.forecast)
    return stocks_lab.jobs.spec(data, run, prices.label())


# ----------------------------------------------------------------------------- before training


def show_setup(prices: stocks.PriceData, run: ForecastRun) -> stocks_lab.forecasting.ForecastData | None:
    """History chart with the split, what the network sees, and why the target matters."""
    spec = run.forecast
    if stocks_lab.forecasting.window_problems(spec, len(prices.frame)):
        frame = pd.DataFrame({"date": prices.frame.index, "close": prices.close.to_numpy(), "split": "train"})
        draw_chart(forecast_charts.price_history_chart(frame, f"{prices.label()}: closing price"))
        return None
    data = stocks_data.windows(prices, spec)
    draw_chart(
        forecast_charts.price_history_chart(data.split_frame(), f"{prices.label()}: closing price and the split")
    )
    st.caption(lab.SPLIT_HELP)
    counts = data.counts()
    st.markdown(
        f"**{PATTERN_LABELS[spec.pattern]}** {lab.PATTERN_TEXT[spec.pattern]} "
        f"Windows: {counts['train']:,} train · {counts['validation']:,} validation · {counts['test']:,} test."
    )
    st.markdown(lab.TARGET_TEXT[spec.target])
    outside = stocks_lab.forecasting.outside_training_range(data)
    if spec.target == "raw_price" and outside > lab.FAR_OUTSIDE:
        train = data.prices[: data.split.train_end]
        st.warning(
            f"{outside:.0%} of the test days closed outside the range of every training close "
            f"({train.min():,.2f} to {train.max():,.2f}). "
            "A raw-price model must extrapolate there; expect it to fall behind. Try **Price, relative to today**."
        )
    return data


# ----------------------------------------------------------------------------- results

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


def show_results(outcome: ForecastOutcome) -> None:
    evaluation, data = outcome.evaluation, outcome.data
    spec, cell = data.spec, stocks_lab.forecasting.model_cell(outcome.run.model)
    if not np.isfinite(evaluation.forecasts[evaluation.model_name]).all():
        st.error("The model's forecasts contain NaN or infinite values; retrain with a smaller learning rate.")
        return
    facts = stocks_lab.forecasting.run_facts(evaluation, data)
    st.subheader("How good is it - honestly?")
    row, persistence = evaluation.model_row, evaluation.persistence_row
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test RMSE, model", f"{row['RMSE']:,.3f}", help="Root mean squared error in price units.")
    c2.metric("Test RMSE, persistence", f"{persistence['RMSE']:,.3f}", help="Forecast = last known close.")
    c3.metric(
        "Skill vs persistence",
        f"{facts.skill:+.1%}",
        help="1 − RMSE_model / RMSE_persistence. Above zero beats 'tomorrow = today'.",
    )
    c4.metric(
        "Directional accuracy",
        "n/a" if math.isnan(facts.direction) else f"{facts.direction:.1%}",
        help=f"Always predicting 'up' would score {facts.up_share:.1%}.",
    )
    st.dataframe(lab.display_table(evaluation.table), hide_index=True, column_config=TABLE_FORMAT)
    days = "the next day" if spec.steps_ahead == 1 else f"each of the next {spec.steps_ahead} days"
    st.caption(
        f"Every row is scored on the same {facts.windows:,} test windows ({days} after each), in price units "
        f"of {outcome.prices_label}. Persistence says every future day closes where today did; the moving average "
        f"says they close at the mean of the last {spec.ma_days} days." + lab.untrained_note(outcome.untrained)
    )
    st.markdown(lab.WHY_HARD)
    presenter.stage().info("**What this run says.** " + lab.verdict(facts))  # presenter mode: under the title
    show_prediction_charts(data, evaluation, cell)
    with st.expander("Training history per epoch"):
        st.dataframe(history_table(outcome.result), hide_index=True)


def show_prediction_charts(
    data: stocks_lab.forecasting.ForecastData, evaluation: stocks_lab.forecasting.ForecastEvaluation, cell: str
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
    frame = stocks_lab.forecasting.predictions_frame(data, evaluation, ahead)
    with presenter.stage():
        draw_chart(forecast_charts.predictions_chart(frame, name, cell, ahead))
        st.caption(lab.PREDICTIONS_HELP)

    st.subheader(f"Forecast of {spec.steps_ahead} day{'s' if spec.steps_ahead > 1 else ''} from a chosen date")
    labels = [f"{d:%Y-%m-%d}" for d in evaluation.origin_dates]
    chosen = st.select_slider(
        "Forecast made after the close of",
        labels,
        value=labels[len(labels) // 2],
        key=f"{KEY}:origin:{labels[0]}:{labels[-1]}:{len(labels)}",
    )
    index = labels.index(chosen)
    from_frame = stocks_lab.forecasting.forecast_from_frame(data, evaluation, index)
    draw_chart(forecast_charts.forecast_from_chart(from_frame, name, cell, evaluation.origin_dates[index]))
    single = lab.SINGLE_STEP_NOTE if spec.steps_ahead == 1 else ""
    st.caption(lab.FORECAST_FROM_HELP.format(window=spec.window) + single)

    st.subheader("Residuals")
    residuals = stocks_lab.forecasting.residuals_frame(data, evaluation, ahead)
    draw_chart(forecast_charts.residuals_chart(residuals, name, cell))
    draw_chart(forecast_charts.residual_histogram(residuals, name, cell))
    st.caption(lab.RESIDUALS_HELP)
    if spec.steps_ahead > 1:
        draw_chart(forecast_charts.horizon_chart(evaluation.horizons, name, cell))
        st.caption(lab.HORIZON_HELP)


# ----------------------------------------------------------------------------- page


def main() -> None:
    presenter.title("Stock prices: forecasting, against honest baselines")
    experiments.section(KEY)
    st.markdown(lab.INTRO)
    st.sidebar.header("Stock prices settings")
    request, clicked = data_controls()
    prices = current_prices(request, clicked)
    show_source(prices)
    run = sidebar(f"{prices.label()}, {prices.summary()}")

    data = show_setup(prices, run)
    problems = validate_all(run.model, run.train) + stocks_lab.forecasting.window_problems(
        run.forecast, len(prices.frame)
    )
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
    stocks_code_panel(KEY, prices, run)
    if job is not None and job.state == "done":
        show_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption("Tip: the Tiny preset trains in a few seconds; the others take about a minute on a laptop.")


links.restore(KEY)
main()
links.publish(KEY)
