"""Unit tests for the stock-price loader, the forecasting pipeline and its charts."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.data import stocks
from core.engine.config import PATTERNS, ModelConfig, TrainConfig
from core.stocks import charts as forecast_charts
from core.stocks import forecasting, training
from core.stocks.config import PERSISTENCE, ForecastOutcome, ForecastRun, ForecastSpec

# ----------------------------------------------------------------------------- helpers


def price_csv(rows: int = 60, header: str = "Date,Open,High,Low,Close,Volume", start: str = "2020-01-01") -> bytes:
    dates = pd.bdate_range(start, periods=rows)
    lines = [header] + [
        f"{d:%Y-%m-%d},{100 + i},{101 + i},{99 + i},{100.5 + i},{1000 + i}" for i, d in enumerate(dates)
    ]
    return "\n".join(lines).encode()


def close_series(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.bdate_range("2020-01-01", periods=len(values)))


@pytest.fixture
def no_network(monkeypatch):
    """yfinance as on a machine without internet: the request fails at once."""

    def fail(*args, **kwargs):
        raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(stocks, "_fetch_history", fail)


# ----------------------------------------------------------------------------- synthetic default


def test_synthetic_prices_are_deterministic_positive_business_days():
    a, b = stocks.synthetic_prices(300, seed=1), stocks.synthetic_prices(300, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(stocks.synthetic_prices(300, seed=2))
    assert len(a) == 300 and a.index.name == "Date" and a.index.is_monotonic_increasing
    assert {"Close", "Open", "High", "Low", "Volume"} <= set(a.columns)
    assert (a["Close"] > 0).all() and (a["High"] >= a[["Open", "Close"]].max(axis=1)).all()
    assert (a.index.dayofweek < 5).all()
    daily = np.diff(np.log(a["Close"].to_numpy()))
    assert 0.005 < daily.std() < 0.02  # about 1 % a day, like a real index


# ----------------------------------------------------------------------------- CSV parsing


def test_parse_shared_format():
    data = stocks.parse_price_csv(price_csv(60), "AAPL.csv")
    assert data.source.kind == "upload" and data.ticker == "AAPL"
    assert list(data.frame.columns) == ["Close", "Open", "High", "Low", "Volume"]
    assert data.frame.index.name == "Date" and len(data.frame) == 60
    assert data.close.iloc[0] == 100.5


def test_parse_prefers_adjusted_close_and_reads_us_dates():
    lines = ["date,open,close,adj close,volume"] + [
        f"{d:%m/%d/%Y},{10 + i},{20 + i},{(20 + i) / 2},5"
        for i, d in enumerate(pd.bdate_range("2021-03-01", periods=40))
    ]
    frame = stocks.parse_price_csv("\n".join(lines).encode(), "x.csv").frame
    assert frame.index[0] == pd.Timestamp("2021-03-01") and frame.index[-1] > pd.Timestamp("2021-04-01")
    assert frame["Close"].iloc[0] == 10.0  # the adjusted close
    assert frame["Open"].iloc[0] == pytest.approx(5.0)  # open rescaled by the same adjustment factor


def test_parse_semicolons_european_dates_and_decimal_commas():
    dates = pd.bdate_range("2022-01-03", periods=35)
    lines = ["Date;Price;Vol"]
    lines += [f"{d:%d.%m.%Y};1.234,{i:02d};7" for i, d in enumerate(dates)]
    frame = stocks.parse_price_csv("\n".join(lines).encode(), "eu.csv").frame
    assert frame.index[0] == pd.Timestamp("2022-01-03") and frame.index[-1] == dates[-1]
    assert frame["Close"].iloc[1] == pytest.approx(1234.01)
    assert "Volume" in frame


def test_parse_nasdaq_export_with_dollar_signs_newest_first():
    dates = pd.bdate_range("2023-05-01", periods=32)[::-1]
    lines = ["Date,Close/Last,Volume,Open,High,Low"] + [
        f"{d:%m/%d/%Y},${150 + i:.2f},{1000},${149 + i:.2f},${151 + i:.2f},${148 + i:.2f}" for i, d in enumerate(dates)
    ]
    frame = stocks.parse_price_csv("\n".join(lines).encode(), "nasdaq.csv").frame
    assert frame.index.is_monotonic_increasing
    assert frame["Close"].iloc[-1] == 150.0 and frame["High"].iloc[-1] == 151.0


def test_parse_yfinance_export_with_time_zones_and_duplicates():
    dates = pd.bdate_range("2024-01-02", periods=31)
    lines = ["Date,Open,High,Low,Close,Volume"] + [
        f"{d:%Y-%m-%d} 00:00:00-05:00,1,1,1,{10 + i},1" for i, d in enumerate(dates)
    ]
    lines.append(f"{dates[-1]:%Y-%m-%d} 00:00:00-05:00,1,1,1,99,1")  # a repeated last day: keep the later row
    frame = stocks.parse_price_csv("\n".join(lines).encode(), "yf.csv").frame
    assert len(frame) == 31 and frame.index[0] == pd.Timestamp("2024-01-02")
    assert frame["Close"].iloc[-1] == 99


@pytest.mark.parametrize(
    ("data", "kind", "words"),
    [
        (b"", "malformed", "empty"),
        (b"\x00\x01\x02PK", "malformed", "not a text file"),
        (b"Date,Open\n2020-01-01,1\n2020-01-02,2\n", "malformed", "closing price"),
        (b"Close,Volume\n1,2\n3,4\n", "malformed", "date"),
        (b"Date,Close\n" + b"\n".join(b"someday %d,1" % i for i in range(40)), "malformed", "could not read dates"),
        (b"Date,Close\n" + b"\n".join(b"2020-01-%02d,n/a" % (i + 1) for i in range(31)), "malformed", "not numbers"),
        (price_csv(10), "too_few_rows", "only 10 days"),
        (price_csv(40).replace(b",100.5,", b",-3,"), "malformed", "positive"),
        (b"prices\n1\n2\n3\n", "malformed", "single column"),
        (b'Date,Close\n"2020-01-01,1\n', "malformed", "not a readable CSV"),
    ],
)
def test_parse_bad_csv_gives_a_clear_error(data, kind, words):
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.parse_price_csv(data, "bad.csv")
    assert info.value.kind == kind
    assert words in str(info.value)


def test_parse_refuses_huge_uploads(monkeypatch):
    monkeypatch.setattr(stocks, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(stocks.PriceDataError, match="limit"):
        stocks.parse_price_csv(price_csv(60), "big.csv")


# ----------------------------------------------------------------------------- local copy and download


@pytest.fixture
def local_folder(tmp_path):
    (tmp_path / "stocks").mkdir()
    dates = pd.bdate_range("2000-01-03", "2015-12-31")
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": np.linspace(10, 50, len(dates))})
    frame.to_csv(tmp_path / "stocks" / "XYZ.csv", index=False)
    return tmp_path


def test_local_copy_comes_first_and_defaults_to_the_last_ten_years(local_folder, monkeypatch):
    monkeypatch.setattr(stocks, "_fetch_history", lambda *a, **k: pytest.fail("must not download"))
    data = stocks.load_prices("xyz", local_path=str(local_folder))
    assert data.source.kind == "local" and data.ticker == "XYZ"
    assert data.first_date >= pd.Timestamp("2005-12-31") and data.last_date == pd.Timestamp("2015-12-31")
    ranged = stocks.load_prices("XYZ", start="2010-01-01", end="2010-12-31", local_path=str(local_folder))
    assert ranged.first_date.year == 2010 and ranged.last_date.year == 2010


def test_local_copy_through_the_environment_variable(local_folder, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(local_folder))
    assert stocks.load_prices("XYZ", allow_download=False).source.kind == "local"


def test_local_copy_errors_name_the_file_inside_the_data_folder_not_the_server_path(
    local_folder, no_network, monkeypatch
):
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(local_folder))
    messages = []
    for local_path in (str(local_folder), str(local_folder / "gone")):
        with pytest.raises(stocks.PriceDataError) as info:
            stocks.load_prices("XYZ", start="2020-01-01", local_path=local_path, fallback=False)
        messages.append(str(info.value))
    assert "the local copy stocks/XYZ.csv (in the server's data folder) has 0 days" in messages[0]
    assert "the local path 'gone (in the server's data folder)' does not exist" in messages[1]
    assert not any(str(local_folder) in message for message in messages)


def test_local_range_outside_the_file_falls_through_to_the_download(local_folder, no_network):
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.load_prices("XYZ", start="2020-01-01", local_path=str(local_folder), fallback=False)
    assert "Local copy unusable" in str(info.value) and info.value.kind == "network"


def test_network_failure_falls_back_to_labelled_synthetic_prices(no_network, without_local_data):
    started = time.perf_counter()
    data = stocks.load_prices("SPY")
    assert time.perf_counter() - started < 5
    assert data.source.is_synthetic and data.label() == "synthetic prices"
    assert "Could not reach Yahoo Finance" in data.source.notice and "synthetic" in data.source.notice.lower()
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.load_prices("SPY", fallback=False)
    assert info.value.kind == "network"


def _raiser(err: Exception):
    def fetch(*args, **kwargs):
        raise err

    return fetch


@pytest.mark.parametrize(
    ("error_name", "kind", "words"),
    [
        ("YFRateLimitError", "rate_limit", "rate-limiting"),
        ("YFTickerMissingError", "unknown_ticker", "does not know the ticker"),
        ("YFPricesMissingError", "empty", "no prices"),
    ],
)
def test_yfinance_errors_are_classified(monkeypatch, without_local_data, error_name, kind, words):
    from yfinance import exceptions

    cls = getattr(exceptions, error_name)
    err = cls() if error_name == "YFRateLimitError" else cls("NOPE", "possibly delisted")
    monkeypatch.setattr(stocks, "_fetch_history", _raiser(err))
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.download_prices("NOPE")
    assert info.value.kind == kind and words in str(info.value)


def test_empty_download_result(monkeypatch):
    monkeypatch.setattr(stocks, "_fetch_history", lambda *a, **k: pd.DataFrame())
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.download_prices("ZZZZ", start="2001-01-01", end="2001-02-01")
    assert info.value.kind == "empty" and "2001-01-01 to 2001-02-01" in str(info.value)


def test_a_hanging_download_is_abandoned_quickly(monkeypatch):
    monkeypatch.setattr(stocks, "_fetch_history", lambda *a, **k: time.sleep(5))
    started = time.perf_counter()
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.download_prices("SPY", deadline=0.3)
    assert time.perf_counter() - started < 2 and info.value.kind == "network"


def test_successful_download_is_tidied(monkeypatch):
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=40), name="Date").tz_localize("America/New_York")
    raw = pd.DataFrame({"Open": 1.0, "High": 2.0, "Low": 0.5, "Close": np.arange(40) + 10.0, "Volume": 7}, index=index)
    seen = {}

    def fetch(symbol, start, end, years, timeout):
        seen.update(symbol=symbol, start=start, end=end, years=years)
        return raw

    monkeypatch.setattr(stocks, "_fetch_history", fetch)
    data = stocks.download_prices(" spy ")
    assert seen["symbol"] == "SPY" and data.source.kind == "download"
    assert data.frame.index.tz is None and data.first_date == pd.Timestamp("2024-01-02")
    assert list(data.frame.columns) == ["Close", "Open", "High", "Low", "Volume"]


@pytest.mark.parametrize("ticker", ["", "   ", "not a ticker!", "DROP TABLE"])
def test_invalid_ticker_symbols(ticker):
    with pytest.raises(stocks.PriceDataError) as info:
        stocks.load_prices(ticker)
    assert info.value.kind == "unknown_ticker"


def test_real_spy_local_copy(shared_data):
    data = stocks.load_prices("SPY", local_path=str(shared_data), allow_download=False)
    assert data.source.kind == "local" and len(data.frame) > 2000
    assert data.last_date == pd.Timestamp("2017-11-10")


# ----------------------------------------------------------------------------- windows


SPECS = {
    "many_to_one": ((8, 1), (1,)),
    "many_to_many": ((8, 1), (8, 1)),
    "encoder_decoder": ((8, 1), (3, 1)),
    "one_to_many": ((4,), (3, 1)),
    "one_to_one": ((4,), (1,)),
}


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("target", ["price", "log_return", "raw_price"])
def test_window_shapes_and_alignment_for_every_pattern(pattern, target):
    prices = close_series(100 + np.cumsum(np.sin(np.arange(400) / 7)) + np.arange(400) * 0.1)
    spec = ForecastSpec(pattern, target, window=8, horizon=3, ma_days=5)
    data = forecasting.prepare(prices, spec)
    x_shape, y_shape = SPECS[pattern]
    train = data.train
    t = int(train.origins[5])
    z = data.scaler.transform(data.series)
    if target == "price":  # the relative price: every value seen from today's (log) close
        z = z - z[t]
    for name, windows in data.windows.items():
        assert windows.x.shape == (len(windows), *x_shape), name
        assert windows.y.shape == (len(windows), *y_shape), name
        assert np.isfinite(windows.x).all() and np.isfinite(windows.y).all()
    if pattern in ("many_to_one", "one_to_one"):
        assert train.y[5, 0] == pytest.approx(z[t + 1])
    elif pattern == "many_to_many":
        np.testing.assert_allclose(train.y[5, :-1, 0], train.x[5, 1:, 0])  # the input shifted by one day
        assert train.y[5, -1, 0] == pytest.approx(z[t + 1])
    else:
        np.testing.assert_allclose(train.y[5, :, 0], z[t + 1 : t + 4], rtol=1e-5)
    if pattern in forecasting.VECTOR_INPUT:
        history = z[t - 7 : t + 1]
        expected = [z[t], z[t] - z[t - 1], history.mean(), history.std()]
        np.testing.assert_allclose(train.x[5], expected, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(train.x[5, :, 0], z[t - 7 : t + 1], rtol=1e-5)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_windows_never_straddle_the_split(pattern):
    spec = ForecastSpec(pattern, "price", window=10, horizon=4)
    data = forecasting.prepare(close_series(np.linspace(10, 20, 500)), spec)
    split, k = data.split, spec.steps_ahead
    assert (data.train.origins + k < split.train_end).all()
    assert (data.validation.origins + 1 >= split.train_end).all()
    assert (data.validation.origins + k < split.val_end).all()
    assert (data.test.origins + 1 >= split.val_end).all()
    assert data.test.origins.max() + k == split.n - 1  # the last test window ends on the last day
    assert split.train_end == 350 and split.val_end == 425


@pytest.mark.parametrize("target", ["price", "log_return", "raw_price"])
def test_scaler_is_fitted_on_training_days_only(target):
    """Changing the validation and test prices changes neither the scaler nor the training windows."""
    rng = np.random.default_rng(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 600)))
    spec = ForecastSpec("many_to_one", target, window=12)
    base = forecasting.prepare(close_series(prices), spec)
    future_changed = prices.copy()
    future_changed[base.split.train_end :] *= rng.uniform(0.5, 3.0, len(prices) - base.split.train_end)
    other = forecasting.prepare(close_series(future_changed), spec)
    assert other.scaler == base.scaler
    np.testing.assert_array_equal(other.train.x, base.train.x)
    np.testing.assert_array_equal(other.train.y, base.train.y)
    train_values = forecasting.target_series(prices, target)[: base.split.train_end]
    if target == "price":  # no shift (0 = no change), one unit = a typical training day's move
        assert base.scaler.mean == 0.0
        assert base.scaler.std == pytest.approx(np.std(np.diff(train_values)))
    else:
        assert base.scaler.mean == pytest.approx(np.nanmean(train_values))
        assert base.scaler.std == pytest.approx(np.nanstd(train_values))


def test_scaled_truth_maps_back_to_the_actual_prices():
    """to_prices inverts the scaling (and, for returns, compounds them from today's close)."""
    prices = close_series(50 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.02, 300))))
    for target in ("price", "log_return", "raw_price"):
        data = forecasting.prepare(prices, ForecastSpec("encoder_decoder", target, window=10, horizon=4))
        truth = data.test.y[..., 0].astype(np.float64)
        np.testing.assert_allclose(
            data.to_prices(truth, data.test.origins), data.actual_prices(data.test.origins), rtol=1e-5
        )


def test_too_few_rows_for_the_window_and_horizon():
    spec = ForecastSpec("encoder_decoder", "price", window=60, horizon=10)
    problems = forecasting.window_problems(spec, 120)
    assert problems and "too few" in problems[0] and "60-day window" in problems[0] and "10-day horizon" in problems[0]
    with pytest.raises(forecasting.ForecastError):
        forecasting.prepare(close_series(np.arange(120) + 1.0), spec)
    assert forecasting.window_problems(ForecastSpec("many_to_one", window=10), 400) == []
    assert forecasting.window_problems(ForecastSpec(window=1), 400)  # spec problems come first


# ----------------------------------------------------------------------------- baselines, metrics, skill


def test_baselines_metrics_and_skill_on_a_hand_made_series():
    prices = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 15.0])
    origins = np.array([2, 3, 4])  # forecasts made after days 2, 3 and 4, for days 3, 4 and 5
    baselines = forecasting.baseline_forecasts(prices, origins, steps=1, ma_days=2)
    np.testing.assert_allclose(baselines[PERSISTENCE][:, 0], [11.0, 13.0, 12.0])
    np.testing.assert_allclose(baselines[forecasting.moving_average_name(2)][:, 0], [11.5, 12.0, 12.5])

    actual = np.array([[13.0], [12.0], [15.0]])
    last = prices[origins]
    model = np.array([[12.0], [12.5], [13.0]])
    metrics = forecasting.forecast_metrics(actual, model, last)
    # errors: -1, +0.5, -2
    assert metrics["MAE"] == pytest.approx(3.5 / 3)
    assert metrics["RMSE"] == pytest.approx(np.sqrt(5.25 / 3))
    assert metrics["MAPE %"] == pytest.approx(100 * (1 / 13 + 0.5 / 12 + 2 / 15) / 3)
    # predicted moves: +1 (up, right), -0.5 (down, right), +1 (up, right)
    assert metrics["direction"] == 1.0

    persistence = forecasting.forecast_metrics(actual, baselines[PERSISTENCE], last)
    assert persistence["RMSE"] == pytest.approx(np.sqrt((4 + 1 + 9) / 3))
    assert np.isnan(persistence["direction"])  # it never predicts a move

    table = forecasting.comparison_table(actual, last, {"model": model, **baselines})
    skill = table.set_index("forecaster")["skill vs persistence"]
    assert skill["model"] == pytest.approx(1 - np.sqrt(5.25 / 3) / np.sqrt(14 / 3))
    assert skill[PERSISTENCE] == 0.0
    # moving average errors: 1.5, 0, 2.5 -> RMSE sqrt(8.5/3)
    assert skill[forecasting.moving_average_name(2)] == pytest.approx(1 - np.sqrt(8.5 / 3) / np.sqrt(14 / 3))
    assert forecasting.skill_score(1.0, 2.0) == 0.5 and forecasting.skill_score(3.0, 2.0) == -0.5


def test_horizon_table_and_evaluation_on_perfect_forecasts():
    prices = close_series(100 + np.cumsum(np.random.default_rng(3).normal(0, 1, 300)))
    data = forecasting.prepare(prices, ForecastSpec("one_to_many", "price", window=10, horizon=3))
    evaluation = forecasting.evaluate_forecasts(data, "oracle", data.test.y[..., 0])
    assert evaluation.model_row["RMSE"] == pytest.approx(0, abs=1e-3)
    assert evaluation.model_row["skill vs persistence"] == pytest.approx(1, abs=1e-3)
    assert evaluation.model_row["direction"] == pytest.approx(1.0)
    assert list(evaluation.table["forecaster"]) == ["oracle", PERSISTENCE, forecasting.moving_average_name(5)]
    per_day = evaluation.horizons[evaluation.horizons["forecaster"] == PERSISTENCE]["RMSE"].to_numpy()
    assert per_day.shape == (3,) and per_day[0] < per_day[2]  # persistence gets worse further out
    assert 0 <= forecasting.up_share(evaluation) <= 1


def test_bidirectional_leaks_only_for_many_to_many():
    assert forecasting.leaks_future("many_to_many")
    assert not any(forecasting.leaks_future(p) for p in PATTERNS if p != "many_to_many")
    assert forecasting.model_label(ModelConfig(pattern="one_to_one")) == "Dense one-to-one"
    assert forecasting.model_label(ModelConfig(pattern="encoder_decoder", cell="LSTM")) == "LSTM encoder-decoder"


# ----------------------------------------------------------------------------- training and charts


def test_tiny_training_run_scores_every_forecaster():
    prices = close_series(stocks.synthetic_prices(400, seed=3)["Close"])
    spec = ForecastSpec("one_to_one", "log_return", window=10)
    data = forecasting.prepare(prices, spec)
    run = ForecastRun("synthetic", spec, ModelConfig(pattern="one_to_one", dense_units=8), TrainConfig(epochs=1))
    outcome = training.train_and_evaluate(data, run, prices_label="synthetic prices")
    assert isinstance(outcome, ForecastOutcome)
    assert outcome.run is run and outcome.data is data and outcome.prices_label == "synthetic prices"
    assert outcome.result.status == "completed" and outcome.result.steps > 0 and outcome.model is not None
    evaluation = outcome.evaluation
    assert evaluation.forecasts["Dense one-to-one"].shape == (len(data.test), 1)
    assert np.isfinite(evaluation.table[["MAE", "RMSE", "MAPE %"]].to_numpy()).all()
    facts = forecasting.run_facts(evaluation, data)
    assert facts.windows == len(data.test) and facts.target == "log_return" and facts.ma_days == 5
    assert facts.skill == pytest.approx(evaluation.model_row["skill vs persistence"])


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_builds_and_forecasts_in_price_units(pattern):
    from core.engine.models import build_model
    from core.engine.trainer import predict

    prices = close_series(stocks.synthetic_prices(300, seed=4)["Close"])
    spec = ForecastSpec(pattern, "price", window=6, horizon=2)
    data = forecasting.prepare(prices, spec)
    model = build_model(ModelConfig(pattern=pattern, units=4, dense_units=4), spec.input_spec(), spec.output_spec())
    steps = forecasting.outputs_to_steps(predict(model, data.test.x), pattern)
    assert steps.shape == (len(data.test), spec.steps_ahead)
    evaluation = forecasting.evaluate_forecasts(data, "m", steps)
    assert evaluation.forecasts["m"].shape == evaluation.actual.shape


def test_charts_build_valid_specs():
    prices = close_series(stocks.synthetic_prices(400, seed=5)["Close"])
    data = forecasting.prepare(prices, ForecastSpec("encoder_decoder", "log_return", window=10, horizon=3))
    evaluation = forecasting.evaluate_forecasts(data, "GRU encoder-decoder", np.zeros((len(data.test), 3)))
    name, cell = evaluation.model_name, "GRU"
    predictions = forecasting.predictions_frame(data, evaluation, 2)
    assert set(predictions["forecaster"]) == {"Actual close", name, PERSISTENCE, forecasting.moving_average_name(5)}
    from_frame = forecasting.forecast_from_frame(data, evaluation, 3)
    assert (from_frame["forecaster"] == "Known history").sum() == 10
    assert (from_frame["forecaster"] == name).sum() == 4  # today's close + 3 days
    residuals = forecasting.residuals_frame(data, evaluation)
    charts = [
        forecast_charts.price_history_chart(data.split_frame()),
        forecast_charts.predictions_chart(predictions, name, cell, 2),
        forecast_charts.forecast_from_chart(from_frame, name, cell, evaluation.origin_dates[3]),
        forecast_charts.residuals_chart(residuals, name, cell),
        forecast_charts.residual_histogram(residuals, name, cell),
        forecast_charts.horizon_chart(evaluation.horizons, name, cell),
    ]
    for chart in charts:
        spec = chart.to_dict()
        assert "tooltip" in str(spec)
    spans = forecast_charts.region_spans(data.split_frame())
    assert list(spans["split"]) == ["train", "validation", "test"] and spans["days"].sum() == 400
