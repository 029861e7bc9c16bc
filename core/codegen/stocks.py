"""The Stock-prices run as a standalone Keras program: every pattern, every target.

The run's configuration (`ForecastRun`) names its prices only in words, so the program is generated from a
`StocksCode`: the ticker and the exact first and last day the run was trained on, plus the run. The script
downloads those days with `yfinance` (or reads a local copy: the playground's Date,...,Close CSV) and
prepares them as core/stocks/forecasting.py does: the chronological split, the target (the price relative
to today's close, daily log returns or the raw price), the scaler fitted on the training days only, the
windows each pattern reads, and every forecast turned back into prices and scored against persistence.
Uploaded and synthetic prices have no program (`supported`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.codegen.common import (
    LOCAL_ENV,
    SEEDED_BATCHES,
    Program,
    Section,
    callbacks_code,
    fit_on_seeded_batches,
    head_code,
    literal,
    optimizer_code,
    rnn_stack_code,
    train_settings,
)
from core.stocks.config import FEATURE_NAMES, MULTI_STEP, VECTOR_INPUT, ForecastRun

QUICK_EPOCHS = 2
IMPORTS = ("import os", "", "import keras", "import numpy as np", "import pandas as pd", "from keras import layers")


@dataclass(frozen=True)
class StocksCode:
    """What a Stocks program needs: the run and the prices it was trained on (a ticker's days, inclusive)."""

    ticker: str
    first_day: str  # ISO date
    last_day: str
    run: ForecastRun
    local_path: str = ""


def quick(code: StocksCode) -> StocksCode:
    """The run QUICK_RUN=1 makes of the script's settings (the tests train the app on this one)."""
    train = replace(code.run.train, epochs=min(code.run.train.epochs, QUICK_EPOCHS))
    return replace(code, run=replace(code.run, train=train))


def supported(code: StocksCode) -> bool:
    return bool(code.ticker)


DATA = f"""
if {LOCAL_ENV}:
    path = {LOCAL_ENV} if {LOCAL_ENV}.endswith(".csv") else os.path.join({LOCAL_ENV}, "stocks", TICKER + ".csv")
    close = pd.read_csv(path, index_col="Date", parse_dates=True)["Close"]
else:
    import yfinance as yf  # pip install yfinance

    end = (pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")  # yfinance's end is exclusive
    close = yf.download(TICKER, start=FIRST_DAY, end=end, auto_adjust=True, progress=False)["Close"].squeeze()
close = close[(close.index >= FIRST_DAY) & (close.index <= LAST_DAY)].dropna()
prices = close.to_numpy(dtype="float64")
print(f"{{TICKER}}: {{len(prices)}} trading days, {{close.index[0]:%Y-%m-%d}} to {{close.index[-1]:%Y-%m-%d}}")

# Chronological split: train | validation | test, never shuffled across time.
n_test = max(1, round(len(prices) * TEST_FRACTION))
n_val = max(1, round(len(prices) * VAL_FRACTION))
train_end, val_end = len(prices) - n_test - n_val, len(prices) - n_test
{{TARGET}}
z = (series - mean) / std

# Windows: origin day t is the last known day; a window belongs to the split holding all its target days.
first = max(WINDOW - 1 + OFFSET, 1 + OFFSET, MA_DAYS - 1)
origins = np.arange(first, len(prices) - STEPS)
splits = {{
    "train": origins[origins + STEPS < train_end],
    "validation": origins[(origins + 1 >= train_end) & (origins + STEPS < val_end)],
    "test": origins[origins + 1 >= val_end],
}}


def windows(origins):
    past = origins[:, None] + np.arange(-WINDOW + 1, 1)  # the days the model reads
    ahead = origins[:, None] + np.arange(1, STEPS + 1)  # the days it predicts
    today = z[origins][:, None] if RELATIVE else 0.0
    history = z[past] - today
{{WINDOWS}}
    return x.astype("float32"), y.astype("float32")


(x_train, y_train), (x_val, y_val), (x_test, y_test) = (windows(splits[s]) for s in ("train", "validation", "test"))
print(f"{{len(x_train)}} training, {{len(x_val)}} validation, {{len(x_test)}} test windows")
"""

TARGETS = {
    "price": (
        "# Target: the price relative to today's close, log(P_d / P_t); one unit = a typical day's move (training\n"
        "# days), no shift, so 0 stays 'the same as today' at any price level.\n"
        'series = np.log(prices)\nmean, std = 0.0, float(np.diff(series[:train_end]).std())'
    ),
    "log_return": (
        "# Target: daily log returns r_t = log(P_t / P_t-1), standardised with the training days' mean and spread.\n"
        "series = np.full_like(prices, np.nan)\nseries[1:] = np.diff(np.log(prices))\n"
        "mean, std = float(series[1:train_end].mean()), float(series[1:train_end].std())"
    ),
    "raw_price": (
        "# Target: the raw price, standardised with the training days' mean and spread - the lesson: test prices\n"
        "# above every training price must be extrapolated.\n"
        "series = prices.copy()\nmean, std = float(series[:train_end].mean()), float(series[:train_end].std())"
    ),
}

WINDOWS = {
    "many_to_one": "    x, y = history[..., None], z[ahead] - today  # (N, 1) -> (1,)",
    "many_to_many": "    x, y = history[..., None], (z[past + 1] - today)[..., None]  # (N, 1) -> (N, 1), a day later",
    "encoder_decoder": "    x, y = history[..., None], (z[ahead] - today)[..., None]  # (N, 1) -> (K, 1)",
    "one_to_many": "    x, y = features(history), (z[ahead] - today)[..., None]  # (4,) -> (K, 1)",
    "one_to_one": "    x, y = features(history), z[ahead] - today  # (4,) -> (1,)",
}

FEATURES = f'''
def features(history):
    """Today's feature vector from the window:
    {", ".join(FEATURE_NAMES)}."""
    today = history[:, -1]
    return np.stack([today, today - history[:, -2], history.mean(axis=1), history.std(axis=1)], axis=1)
'''

TO_PRICES = {
    "price": "forecast = today * np.exp(values)",
    "log_return": "forecast = today * np.exp(np.cumsum(values, axis=1))",
    "raw_price": "forecast = values",
}


def model_code(run: ForecastRun) -> list[str]:
    m, spec = run.model, run.forecast
    vector = spec.pattern in VECTOR_INPUT
    shape = f"({len(FEATURE_NAMES)},)" if vector else "(WINDOW, 1)"
    lines = [
        "keras.utils.set_random_seed(SEED)  # the same initial weights as the playground's run",
        f'inputs = keras.Input(shape={shape}, name="inputs")',
        "x = inputs",
    ]
    if spec.pattern == "one_to_one":
        lines.append(f'x = layers.Dense({m.dense_units}, activation="relu", name="dense_hidden")(x)')
    elif spec.pattern == "one_to_many":
        lines.append('x = layers.RepeatVector(STEPS, name="repeat_input")(x)  # the same vector at every output step')
        lines += rnn_stack_code(m, "rnn", last_returns_sequences=True)
    elif spec.pattern == "encoder_decoder":
        lines.append("# The encoder squeezes the window into one vector; the decoder unrolls STEPS days from it.")
        lines += rnn_stack_code(m, "encoder", last_returns_sequences=False)
        lines.append('x = layers.RepeatVector(STEPS, name="context_vector")(x)')
        lines += rnn_stack_code(replace(m, bidirectional=False), "decoder", last_returns_sequences=True)
    else:
        lines += rnn_stack_code(m, "rnn", last_returns_sequences=spec.pattern == "many_to_many")
    lines += head_code(m, 1, "linear")
    lines += [f'model = keras.Model(inputs, outputs, name="{spec.pattern}")', "model.summary()"]
    return lines


def program(code: StocksCode) -> Program:
    run, spec = code.run, code.run.forecast
    relative, offset = spec.target == "price", 1 if spec.target == "log_return" else 0
    settings = "\n".join(
        [
            f"TICKER = {literal(code.ticker)}",
            f'FIRST_DAY, LAST_DAY = "{code.first_day}", "{code.last_day}"  # the days the playground trained on',
            f'TARGET = "{spec.target}"',
            f"WINDOW = {spec.window}  # N: days the model reads (or summarises)",
            f"STEPS = {spec.steps_ahead}  # days ahead one forecast covers",
            f"VAL_FRACTION, TEST_FRACTION = {spec.val_fraction!r}, {spec.test_fraction!r}",
            f"MA_DAYS = {spec.ma_days}  # the moving-average baseline's days",
            f"RELATIVE, OFFSET = {relative}, {offset}  # windows seen from today's close; returns start a day late",
            train_settings(run.train),
            f'{LOCAL_ENV} = os.environ.get("{LOCAL_ENV}", {literal(code.local_path)})  # a local copy, or download',
        ]
    )
    data = DATA.replace("{TARGET}", TARGETS[spec.target]).replace("{WINDOWS}", WINDOWS[spec.pattern])
    if spec.pattern == "many_to_many":  # its targets are the window's days, each a day later
        data = data.replace("    ahead = origins[:, None] + np.arange(1, STEPS + 1)  # the days it predicts\n", "")
    callbacks, helper = callbacks_code(run.train, True, {"mae": "mae"})
    optimizer, _ = optimizer_code(run.train)
    train = "\n".join(
        [
            optimizer,
            'model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])',
            callbacks,
            "batches = SeededBatches(x_train, y_train, BATCH_SIZE, SEED, EPOCHS)",
            *fit_on_seeded_batches(assign=""),
        ]
    )
    last = "[:, -1, :1]  # many-to-many: its last step is tomorrow" if spec.pattern == "many_to_many" else ""
    evaluate = f"""
outputs = model.predict(x_test, verbose=0).astype("float64"){last}
values = outputs.reshape(len(outputs), -1) * std + mean  # back to the target's units
origins = splits["test"]
today = prices[origins][:, None]
{TO_PRICES[spec.target]}
actual = prices[origins[:, None] + np.arange(1, STEPS + 1)]
moving_average = prices[origins[:, None] + np.arange(-MA_DAYS + 1, 1)].mean(axis=1)[:, None]
rmse = {{
    "model": float(np.sqrt(np.mean((forecast - actual) ** 2))),
    "persistence (tomorrow = today)": float(np.sqrt(np.mean((today - actual) ** 2))),
    f"moving average ({{MA_DAYS}} days)": float(np.sqrt(np.mean((moving_average - actual) ** 2))),
}}
for name, value in rmse.items():
    print(f"  {{name}}: RMSE {{value:,.3f}}")
print(f"skill vs persistence: {{1 - rmse['model'] / rmse['persistence (tomorrow = today)']:+.1%}}")
print(f"parameters: {{model.count_params()}}")
print(f"test_rmse: {{rmse['model']:.4f}}")
"""
    helpers = [SEEDED_BATCHES, FEATURES if spec.pattern in VECTOR_INPUT else "", helper]
    steps = f"the next {spec.steps_ahead} days" if spec.pattern in MULTI_STEP else "tomorrow"
    return Program(
        name=f"stocks_{spec.pattern}_{spec.target}",
        summary=f"Stock prices (TICKER below): a {spec.pattern.replace('_', '-')} model forecasts {steps} "
        f"({spec.target.replace('_', ' ')} target), scored in price units against persistence.",
        imports=IMPORTS,
        settings=settings,
        quick=f"EPOCHS = min(EPOCHS, {QUICK_EPOCHS})",
        quick_words=f"at most {QUICK_EPOCHS} epochs",
        local_words="reads PATH (a Date,...,Close CSV, or a folder holding stocks/TICKER.csv) instead of yfinance",
        helpers="\n\n\n".join(h.strip() for h in helpers if h),
        sections=(
            Section("Data", "Daily closes, split in time, scaled on the training days, cut into windows.", data),
            Section("Model", f"The {spec.pattern.replace('_', '-')} pattern on the scaled windows.",
                    "\n".join(model_code(run))),
            Section("Train", "Mean squared error on the scaled target, the playground's optimiser and batches.", train),
            Section("Evaluate", "Test forecasts back in prices: RMSE of the model and the two baselines.", evaluate),
        ),
        metric="test_rmse",
        notes=(
            "Left out: the playground also charts every layer's gradient norm and rolls the weights back when "
            "the loss turns NaN; it also scores MAE, MAPE and the direction of each move.",
        ),
    )


def code_for(prices: object, run: ForecastRun) -> StocksCode | None:
    """The program's configuration for a run on `prices` (a core.data.stocks.PriceData): a ticker's real
    prices only (None for an upload or the synthetic series)."""
    source = getattr(prices, "source", None)
    ticker = getattr(prices, "ticker", "")
    if not ticker or source is None or source.is_synthetic:
        return None
    return StocksCode(ticker, f"{prices.first_date:%Y-%m-%d}", f"{prices.last_date:%Y-%m-%d}", run)
