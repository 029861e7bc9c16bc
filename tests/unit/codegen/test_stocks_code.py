"""The Stock-prices run as a standalone Keras script, every pattern and target: it runs outside the project on
the shared SPY copy (LOCAL_COPY; a student's copy downloads the same days with yfinance) and reproduces the
app's trainer on the same configuration - test RMSE in price units within LOSS_FRACTION, the same parameter
count (scripts.py)."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from core.codegen import program_for
from core.codegen import stocks as gen
from core.data import stocks
from core.engine.config import ModelConfig, TrainConfig
from core.stocks.config import PRESETS, RAW_PRICE_LESSON, ForecastRun, ForecastSpec
from tests.unit.codegen.scripts import LOSS_FRACTION, assert_no_project_import, ruff_problems, run_program

DEFAULT = next(iter(PRESETS))
# One non-default configuration per pattern (and the raw-price lesson, the third target), each changing what
# the script must follow: the target, layers, a bidirectional encoder, dropout, clipping, early stopping.
VARIANTS = {
    "many_to_many: 2-layer LSTM on returns": (
        ForecastSpec("many_to_many", "log_return", window=20),
        ModelConfig(pattern="many_to_many", cell="LSTM", units=8, layers=2),
        TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, seed=1),
    ),
    "encoder_decoder: bidirectional GRU encoder, price, K=3": (
        ForecastSpec("encoder_decoder", "price", window=20, horizon=3),
        ModelConfig(pattern="encoder_decoder", cell="GRU", units=8, bidirectional=True),
        TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, clip_norm=1.0),
    ),
    "one_to_many: SimpleRNN, price, K=4, dropout": (
        ForecastSpec("one_to_many", "price", window=15, horizon=4),
        ModelConfig(pattern="one_to_many", cell="SimpleRNN", units=8, dropout=0.1),
        TrainConfig(epochs=2, batch_size=32, learning_rate=3e-3),
    ),
    "one_to_one: returns, clip value, early stopping": (
        ForecastSpec("one_to_one", "log_return", window=10),
        ModelConfig(pattern="one_to_one", units=16, dense_units=16),
        TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, clip_value=0.5, early_stopping_patience=1),
    ),
    "raw price: the lesson preset": tuple(vars(PRESETS[RAW_PRICE_LESSON]).values()),
}
CASES = {DEFAULT: tuple(vars(PRESETS[DEFAULT]).values()), **VARIANTS}
YEARS = 4  # of prices (the page's default is 10): enough windows for every split, quick to train


def code(name: str, shared_data: Path) -> gen.StocksCode:
    """The program configuration of a run on the last YEARS years of the shared SPY copy."""
    forecast, model, train = CASES[name] if name in CASES else tuple(vars(PRESETS[name]).values())
    prices = stocks.load_local(shared_data / "stocks" / "SPY.csv", "SPY", None, None, YEARS)
    return gen.code_for(prices, ForecastRun("SPY", forecast, model, train))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_the_app(name, shared_data, tmp_path):
    from core.stocks import forecasting
    from core.stocks.training import train_and_evaluate

    config = code(name, shared_data)
    printed = run_program(program_for(config), tmp_path, shared_data)
    q = gen.quick(config)
    prices = stocks.load_local(shared_data / "stocks" / "SPY.csv", "SPY", q.first_day, q.last_day, YEARS)
    outcome = train_and_evaluate(forecasting.prepare(prices.close, q.run.forecast), q.run)
    rmse = float(outcome.evaluation.model_row["RMSE"])
    assert printed["parameters"] == outcome.model.count_params()
    assert abs(printed["test_rmse"] - rmse) <= LOSS_FRACTION * rmse, (printed, rmse)


@pytest.mark.parametrize("name", [*PRESETS, *VARIANTS])
def test_script_passes_ruff_and_imports_nothing_of_the_project(name, shared_data, tmp_path):
    program = program_for(code(name, shared_data))
    assert_no_project_import(program)
    assert ruff_problems(program, tmp_path) == ""


def test_uploads_and_synthetic_prices_have_no_script(shared_data):
    prices = stocks.load_local(shared_data / "stocks" / "SPY.csv", "SPY", None, None, 10)
    run = ForecastRun("x", *vars(PRESETS[DEFAULT]).values())
    assert gen.code_for(replace(prices, ticker=""), run) is None
    assert gen.code_for(replace(prices, source=replace(prices.source, kind="offline")), run) is None


@pytest.mark.parametrize("ticker", ['A"B', "C:\\new", "x\ny", '"""', "'''; import os"])
def test_a_ticker_enters_only_as_a_literal(ticker, shared_data):
    config = replace(code(DEFAULT, shared_data), ticker=ticker)
    tree = ast.parse(program_for(config).script())
    values = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TICKER"
    ]
    assert values == [ticker]
