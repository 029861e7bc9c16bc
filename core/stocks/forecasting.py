"""Forecasting daily prices with each architecture pattern, scored against honest baselines.

The pipeline, in order:

  1. target: the price relative to the last known close, log(P_d / P_t) (the default: a
     window looks the same at any price level, and "about the same as today" is 0), daily
     log returns r_t = log(P_t / P_(t-1)), or the raw closing price (the lesson of why raw
     prices fail: standardised with the training days' mean, test prices above every
     training price must be extrapolated);
  2. a chronological split of the days into train | validation | test (never shuffled
     across time: the model must not see the future it will be tested on);
  3. a scaler fitted on the training days only, applied to everything (for the relative
     price: no shift, and the spread of the training days' daily moves);
  4. windows: for each "origin" day t (the last day whose price is known), an input and
     a target whose shapes depend on the pattern (for the relative price, z below is
     z_d - z_t, the window seen from today's close):

       many_to_one      z[t-N+1..t]   -> z[t+1]                 (N, 1) -> (1,)
       many_to_many     z[t-N+1..t]   -> z[t-N+2..t+1]          (N, 1) -> (N, 1), loss at every step
       encoder_decoder  z[t-N+1..t]   -> z[t+1..t+K]            (N, 1) -> (K, 1)
       one_to_many      features(t)   -> z[t+1..t+K]            (4,)   -> (K, 1)
       one_to_one       features(t)   -> z[t+1]                 (4,)   -> (1,)   dense, no recurrence

     where features(t) = (z_t, z_t - z_(t-1), mean and std of z over the last N days);
  5. every forecast goes back to price units (P_t * exp(predicted log move) for the relative
     price, P_t * exp(sum of predicted returns) for returns), so every target and every
     pattern is scored on the same footing as the baselines: persistence (tomorrow = today)
     and a moving average of the last M closes.

A window belongs to the split that holds all of its target days; windows whose targets
straddle a boundary are dropped. Inputs may reach back into the previous split - those
days are in the past at forecast time, which is exactly the real situation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.engine.config import ModelConfig
from core.stocks.config import (
    FEATURE_NAMES,
    MULTI_STEP,
    PERSISTENCE,
    VECTOR_INPUT,
    ForecastSpec,
    RunFacts,
    Target,
    moving_average_name,
)

SPLITS = ("train", "validation", "test")
MIN_TRAIN_WINDOWS = 40
MIN_EVAL_WINDOWS = 5


class ForecastError(ValueError):
    """The data cannot be cut into enough windows for this configuration."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# ----------------------------------------------------------------------------- split and scaling


@dataclass(frozen=True)
class Split:
    """Chronological split of n days: [0, train_end) train, [train_end, val_end) validation, rest test."""

    n: int
    train_end: int
    val_end: int

    def region(self, index: int) -> str:
        return "train" if index < self.train_end else "validation" if index < self.val_end else "test"

    def regions(self) -> np.ndarray:
        return np.array([self.region(i) for i in range(self.n)])


def chronological_split(n: int, val_fraction: float, test_fraction: float) -> Split:
    n_test = max(1, round(n * test_fraction))
    n_val = max(1, round(n * val_fraction))
    return Split(n, n - n_test - n_val, n - n_test)


@dataclass(frozen=True)
class Scaler:
    """Standardisation z = (x - mean) / std with statistics of the training days only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> Scaler:
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        std = float(values.std())
        return cls(float(values.mean()), std if std > 1e-12 else 1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        return np.asarray(scaled, dtype=np.float64) * self.std + self.mean


def target_series(prices: np.ndarray, target: Target) -> np.ndarray:
    """The series the network models, aligned with the prices (day 0 has no return: NaN).

    Raw price: the price; relative price: log price (windows subtract today's); returns: r_t.
    """
    prices = np.asarray(prices, dtype=np.float64)
    if target == "raw_price":
        return prices.copy()
    if target == "price":
        return np.log(prices)
    returns = np.full_like(prices, np.nan)
    returns[1:] = np.diff(np.log(prices))
    return returns


def is_relative(target: Target) -> bool:
    """Whether windows are seen from the last known close (value - today's value)."""
    return target == "price"


def fit_scaler(series: np.ndarray, target: Target, train_end: int) -> Scaler:
    """The scaler, from the training days only.

    Relative price: no shift (0 must stay "no change") and the spread of the training days'
    daily log moves, so one unit is a typical day's move at any price level.
    """
    if is_relative(target):
        moves = np.diff(np.asarray(series[:train_end], dtype=np.float64))
        return Scaler(0.0, Scaler.fit(moves).std)
    return Scaler.fit(series[_target_offset(target) : train_end])


def _target_offset(target: Target) -> int:
    return 1 if target == "log_return" else 0


def first_origin(spec: ForecastSpec) -> int:
    """Earliest day t with a full input window, yesterday's value and the moving-average window."""
    offset = _target_offset(spec.target)
    return max(spec.window - 1 + offset, 1 + offset, spec.ma_days - 1)


# ----------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class Windows:
    """Inputs and targets of one split; `origins[i]` is the last known day of window i."""

    x: np.ndarray
    y: np.ndarray
    origins: np.ndarray

    def __len__(self) -> int:
        return len(self.origins)


def split_origins(spec: ForecastSpec, split: Split) -> dict[str, np.ndarray]:
    """Origin days per split; a window belongs where all its target days lie."""
    k = spec.steps_ahead
    origins = np.arange(first_origin(spec), split.n - k)
    first_target, last_target = origins + 1, origins + k
    return {
        "train": origins[last_target < split.train_end],
        "validation": origins[(first_target >= split.train_end) & (last_target < split.val_end)],
        "test": origins[first_target >= split.val_end],
    }


def vector_features(history: np.ndarray) -> np.ndarray:
    """Today's feature vector from the (n, N) window (today last): value, change since yesterday,
    window mean and std."""
    today = history[:, -1]
    return np.stack([today, today - history[:, -2], history.mean(axis=1), history.std(axis=1)], axis=1)


def make_windows(z: np.ndarray, origins: np.ndarray, spec: ForecastSpec) -> Windows:
    """Inputs and targets for `origins` on the scaled series `z`, shaped for `spec.pattern`.

    For the relative price every value is taken minus today's (z_d - z_t): the window ends at 0
    and a target of 0 means "the same as today", whatever the price level.
    """
    origins = np.asarray(origins, dtype=np.int64)
    n, window = len(origins), spec.window
    if not n:
        x_shape = (0, len(FEATURE_NAMES)) if spec.pattern in VECTOR_INPUT else (0, window, 1)
        y_shape = {"many_to_many": (0, window, 1)}.get(
            spec.pattern, (0, spec.steps_ahead, 1) if spec.pattern in MULTI_STEP else (0, 1)
        )
        return Windows(np.zeros(x_shape, np.float32), np.zeros(y_shape, np.float32), origins)
    past = origins[:, None] + np.arange(-window + 1, 1)  # (n, N) day indices read by the model
    ahead = origins[:, None] + np.arange(1, spec.steps_ahead + 1)  # (n, K) day indices to predict
    today = z[origins][:, None] if is_relative(spec.target) else 0.0
    history = z[past] - today
    x = vector_features(history) if spec.pattern in VECTOR_INPUT else history[..., None]
    if spec.pattern == "many_to_many":
        y = (z[past + 1] - today)[..., None]
    elif spec.pattern in MULTI_STEP:
        y = (z[ahead] - today)[..., None]
    else:
        y = z[ahead] - today
    return Windows(x.astype(np.float32), y.astype(np.float32), origins)


# ----------------------------------------------------------------------------- prepared data


@dataclass(frozen=True)
class ForecastData:
    """Everything cut and scaled for one ForecastSpec; the page and the bench share it."""

    spec: ForecastSpec
    dates: pd.DatetimeIndex
    prices: np.ndarray
    series: np.ndarray  # the target series, unscaled
    scaler: Scaler
    split: Split
    windows: dict[str, Windows]

    @property
    def train(self) -> Windows:
        return self.windows["train"]

    @property
    def validation(self) -> Windows:
        return self.windows["validation"]

    @property
    def test(self) -> Windows:
        return self.windows["test"]

    def to_prices(self, scaled_steps: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """(n, K) scaled model outputs -> (n, K) price forecasts for days t+1..t+K."""
        values = self.scaler.inverse(scaled_steps)
        if self.spec.target == "raw_price":
            return values
        today = self.prices[origins][:, None]
        if is_relative(self.spec.target):
            return today * np.exp(values)
        return today * np.exp(np.cumsum(values, axis=1))

    def actual_prices(self, origins: np.ndarray) -> np.ndarray:
        return self.prices[origins[:, None] + np.arange(1, self.spec.steps_ahead + 1)]

    def baselines(self, origins: np.ndarray) -> dict[str, np.ndarray]:
        return baseline_forecasts(self.prices, origins, self.spec.steps_ahead, self.spec.ma_days)

    def split_frame(self) -> pd.DataFrame:
        """Date, close and split label per day (for the history chart)."""
        return pd.DataFrame({"date": self.dates, "close": self.prices, "split": self.split.regions()})

    def counts(self) -> dict[str, int]:
        return {name: len(w) for name, w in self.windows.items()}


def window_problems(spec: ForecastSpec, n_days: int) -> list[str]:
    """Why `n_days` of prices are too few for this window, horizon and split (empty if fine)."""
    problems = spec.problems()
    if problems:
        return problems
    split = chronological_split(n_days, spec.val_fraction, spec.test_fraction)
    counts = {name: len(o) for name, o in split_origins(spec, split).items()}
    needs = {"train": MIN_TRAIN_WINDOWS, "validation": MIN_EVAL_WINDOWS, "test": MIN_EVAL_WINDOWS}
    short = [f"{counts[s]} {s} (need {needs[s]})" for s in SPLITS if counts[s] < needs[s]]
    if short:
        problems.append(
            f"{n_days:,} days of prices are too few for a {spec.window}-day window"
            + (f" and a {spec.steps_ahead}-day horizon" if spec.steps_ahead > 1 else "")
            + f": they give {', '.join(short)} windows. Load a longer date range, or shorten the window"
            + (" or the horizon." if spec.steps_ahead > 1 else ".")
        )
    return problems


def prepare(close: pd.Series, spec: ForecastSpec) -> ForecastData:
    """Split, scale (train only) and window a closing-price series; ForecastError if too short."""
    problems = window_problems(spec, len(close))
    if problems:
        raise ForecastError(problems)
    prices = close.to_numpy(dtype=np.float64)
    split = chronological_split(len(prices), spec.val_fraction, spec.test_fraction)
    series = target_series(prices, spec.target)
    scaler = fit_scaler(series, spec.target, split.train_end)
    z = scaler.transform(series)
    windows = {name: make_windows(z, origins, spec) for name, origins in split_origins(spec, split).items()}
    return ForecastData(spec, pd.DatetimeIndex(close.index), prices, series, scaler, split, windows)


# ----------------------------------------------------------------------------- baselines and metrics


def baseline_forecasts(prices: np.ndarray, origins: np.ndarray, steps: int, ma_days: int) -> dict[str, np.ndarray]:
    """Persistence (every future day = today's close) and the mean of the last `ma_days` closes."""
    prices = np.asarray(prices, dtype=np.float64)
    today = prices[origins]
    average = prices[origins[:, None] + np.arange(-ma_days + 1, 1)].mean(axis=1)
    return {
        PERSISTENCE: np.repeat(today[:, None], steps, axis=1),
        moving_average_name(ma_days): np.repeat(average[:, None], steps, axis=1),
    }


def forecast_metrics(actual: np.ndarray, predicted: np.ndarray, last_known: np.ndarray) -> dict[str, float]:
    """MAE, RMSE (price units), MAPE (%) and directional accuracy over every forecast day.

    Direction compares the predicted and the actual move from the last known close; it is
    undefined (NaN) for a forecast that never moves, such as persistence.
    """
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(actual.shape)
    base = np.broadcast_to(
        np.asarray(last_known, dtype=np.float64).reshape(-1, *([1] * (actual.ndim - 1))), actual.shape
    )
    error = predicted - actual
    predicted_move = np.sign(predicted - base)
    moved = predicted_move != 0
    direction = float(np.mean(predicted_move[moved] == np.sign(actual - base)[moved])) if moved.any() else np.nan
    return {
        "MAE": float(np.mean(np.abs(error))),
        "RMSE": float(np.sqrt(np.mean(error**2))),
        "MAPE %": float(np.mean(np.abs(error) / np.abs(actual)) * 100),
        "direction": direction,
    }


def skill_score(rmse_model: float, rmse_persistence: float) -> float:
    """1 - RMSE_model / RMSE_persistence: > 0 beats persistence, 0 ties it, < 0 loses to it."""
    return float(1.0 - rmse_model / rmse_persistence) if rmse_persistence > 0 else np.nan


def comparison_table(actual: np.ndarray, last_known: np.ndarray, forecasts: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per forecaster (model and baselines) on the same windows, with skill vs persistence."""
    persistence = np.broadcast_to(np.asarray(last_known, dtype=np.float64)[:, None], actual.shape)
    reference = forecast_metrics(actual, persistence, last_known)["RMSE"]
    rows = []
    for name, predicted in forecasts.items():
        metrics = forecast_metrics(actual, predicted, last_known)
        rows.append({"forecaster": name, **metrics, "skill vs persistence": skill_score(metrics["RMSE"], reference)})
    return pd.DataFrame(rows)


def horizon_table(actual: np.ndarray, forecasts: dict[str, np.ndarray]) -> pd.DataFrame:
    """RMSE per days-ahead k, per forecaster (long format: k, forecaster, RMSE)."""
    rows = []
    for name, predicted in forecasts.items():
        errors = np.sqrt(np.mean((np.asarray(predicted) - actual) ** 2, axis=0))
        rows += [{"days ahead": k + 1, "forecaster": name, "RMSE": float(e)} for k, e in enumerate(errors)]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- model outputs and evaluation


def model_label(config: ModelConfig) -> str:
    """'GRU many-to-one' / 'Dense one-to-one': the model's row and line in tables and charts."""
    cell = "Dense" if config.pattern == "one_to_one" else config.cell
    direction = "bidirectional " if config.bidirectional and config.pattern != "one_to_one" else ""
    return f"{direction}{cell} {config.pattern.replace('_', '-')}"


def model_cell(config: ModelConfig) -> str:
    return "Dense" if config.pattern == "one_to_one" else config.cell


def leaks_future(pattern: str) -> bool:
    """Bidirectional many-to-many would read day t+1 - the answer at step t - backwards."""
    return pattern == "many_to_many"


def outputs_to_steps(outputs: np.ndarray, pattern: str) -> np.ndarray:
    """Raw model outputs -> (n, K) forecasts; many-to-many keeps its last step (day t+1)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if pattern == "many_to_many":
        return outputs[:, -1, :1]
    return outputs.reshape(len(outputs), -1)


@dataclass
class ForecastEvaluation:
    """Test-set forecasts in price units, for the model and the baselines, plus their scores."""

    model_name: str
    origins: np.ndarray
    origin_dates: pd.DatetimeIndex
    actual: np.ndarray  # (n, K)
    last_known: np.ndarray  # (n,)
    forecasts: dict[str, np.ndarray]  # name -> (n, K); the model first
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizons: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def model_row(self) -> dict:
        return self.table.iloc[0].to_dict()

    @property
    def persistence_row(self) -> dict:
        return self.table[self.table["forecaster"] == PERSISTENCE].iloc[0].to_dict()


def evaluate_forecasts(data: ForecastData, model_name: str, scaled_steps: np.ndarray, split: str = "test"):
    """Score (n, K) scaled forecasts for `split` against the baselines on the same windows."""
    windows = data.windows[split]
    model_prices = data.to_prices(scaled_steps, windows.origins)
    actual = data.actual_prices(windows.origins)
    last_known = data.prices[windows.origins]
    forecasts = {model_name: model_prices, **data.baselines(windows.origins)}
    return ForecastEvaluation(
        model_name,
        windows.origins,
        data.dates[windows.origins],
        actual,
        last_known,
        forecasts,
        comparison_table(actual, last_known, forecasts),
        horizon_table(actual, forecasts),
    )


# ----------------------------------------------------------------------------- frames for the charts


def predictions_frame(data: ForecastData, evaluation: ForecastEvaluation, days_ahead: int = 1) -> pd.DataFrame:
    """Long frame (date, forecaster, price) of the `days_ahead`-day forecasts and the actual close.

    The date is the day being forecast, so a forecast that lags the actual line by a day
    is visibly just repeating yesterday's close.
    """
    k = days_ahead - 1
    target_days = evaluation.origins + days_ahead
    dates = data.dates[target_days]
    frames = [pd.DataFrame({"date": dates, "forecaster": "Actual close", "price": evaluation.actual[:, k]})]
    frames += [
        pd.DataFrame({"date": dates, "forecaster": name, "price": values[:, k]})
        for name, values in evaluation.forecasts.items()
    ]
    return pd.concat(frames, ignore_index=True)


def residuals_frame(data: ForecastData, evaluation: ForecastEvaluation, days_ahead: int = 1) -> pd.DataFrame:
    """Long frame (date, forecaster, residual = actual - forecast) for the model and persistence."""
    k = days_ahead - 1
    dates = data.dates[evaluation.origins + days_ahead]
    rows = []
    for name in (evaluation.model_name, PERSISTENCE):
        residual = evaluation.actual[:, k] - evaluation.forecasts[name][:, k]
        rows.append(pd.DataFrame({"date": dates, "forecaster": name, "residual": residual}))
    return pd.concat(rows, ignore_index=True)


def forecast_from_frame(data: ForecastData, evaluation: ForecastEvaluation, index: int) -> pd.DataFrame:
    """The window the model read and its K-day forecast from test origin number `index`.

    Rows: kind "history" (the last N closes up to the origin), "Actual close" for the K
    days that followed, and one row per day per forecaster; each forecast line starts at
    the origin's close so it visibly departs from today.
    """
    spec = data.spec
    origin = int(evaluation.origins[index])
    start = max(0, origin - spec.window + 1)
    history = pd.DataFrame(
        {
            "date": data.dates[start : origin + 1],
            "forecaster": "Known history",
            "price": data.prices[start : origin + 1],
        }
    )
    future_dates = data.dates[origin + 1 : origin + 1 + spec.steps_ahead]
    anchor = pd.DataFrame({"date": [data.dates[origin]], "price": [data.prices[origin]]})
    frames = [history]
    lines = {"Actual close": evaluation.actual[index], **{n: v[index] for n, v in evaluation.forecasts.items()}}
    for name, values in lines.items():
        future = pd.DataFrame({"date": future_dates, "price": values})
        frames.append(pd.concat([anchor, future], ignore_index=True).assign(forecaster=name))
    return pd.concat(frames, ignore_index=True)


def move_sizes(evaluation: ForecastEvaluation) -> dict[str, float]:
    """Mean absolute predicted move vs actual move from today's close (k = 1).

    A model whose predicted moves are tiny compared with the real ones has learned
    'tomorrow is about today' - persistence in disguise.
    """
    model = evaluation.forecasts[evaluation.model_name][:, 0]
    return {
        "predicted": float(np.mean(np.abs(model - evaluation.last_known))),
        "actual": float(np.mean(np.abs(evaluation.actual[:, 0] - evaluation.last_known))),
        "correlation": float(
            np.corrcoef(model - evaluation.last_known, evaluation.actual[:, 0] - evaluation.last_known)[0, 1]
        )
        if np.std(model - evaluation.last_known) > 0
        else float("nan"),
    }


def up_share(evaluation: ForecastEvaluation) -> float:
    """Share of forecast days that closed above the last known close: the directional
    accuracy of a forecaster that always says "up" (markets drift up, so this beats 50 %)."""
    return float(np.mean(evaluation.actual > evaluation.last_known[:, None]))


def outside_training_range(data: ForecastData) -> float:
    """Share of test-range closes above or below every training close.

    A raw-price model scaled on the training days must extrapolate there, which tanh-squashed
    recurrent cells do badly; the relative price and returns don't have this problem.
    """
    train = data.prices[: data.split.train_end]
    test = data.prices[data.split.val_end :]
    return float(np.mean((test > train.max()) | (test < train.min())))


def run_facts(evaluation: ForecastEvaluation, data: ForecastData) -> RunFacts:
    """The numbers config.verdict words: skill, moves, direction against always-'up', the moving average."""
    row = evaluation.model_row
    moves = move_sizes(evaluation)
    train, test = data.prices[: data.split.train_end], data.prices[data.split.val_end :]
    return RunFacts(
        skill=float(row["skill vs persistence"]),
        windows=len(evaluation.origins),
        forecasts=int(evaluation.actual.size),
        direction=float(row["direction"]),
        up_share=up_share(evaluation),
        predicted_move=moves["predicted"],
        actual_move=moves["actual"],
        move_correlation=moves["correlation"],
        target=data.spec.target,
        outside_training_range=outside_training_range(data),
        ma_days=data.spec.ma_days,
        ma_skill=float(evaluation.table.iloc[2]["skill vs persistence"]),
        train_range=(float(train.min()), float(train.max())),
        test_range=(float(test.min()), float(test.max())),
    )
