"""Benchmark: every Stocks preset on SPY (and the other shipped tickers), against persistence.

    PYTHONPATH=. .venv/bin/python bench/stocks.py [--tickers SPY AAPL ...] [--presets 0 1 7] [--seed 0]

Reads ../shared/data/stocks/<TICKER>.csv (or $RNN_PLAYGROUND_DATA/stocks/<TICKER>.csv) - the last
10 years of it, as the page does by default - trains each preset of the page exactly as it is
(core/stocks/config.py) and prints test RMSE (price units), skill vs persistence, the same network's
skill before training, and directional accuracy. `--synthetic-trend` adds a synthetic series with a
strong upward trend (40 % a year), where every test close lies above every training close.

The bar (issue 21): no preset below -5 % skill vs persistence, except the named lesson
"Why raw prices fail: ...", which is there to lose.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from core.data import stocks
from core.stocks import forecasting, training
from core.stocks.config import PRESETS, RAW_PRICE_LESSON, ForecastRun

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHIPPED = ("SPY", "AAPL", "AMZN", "GOOGL", "IBM", "MSFT")
FLOOR = -0.05  # the lowest skill a preset other than the raw-price lesson may show


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickers", nargs="+", default=list(SHIPPED))
    parser.add_argument("--presets", nargs="+", type=int, help="preset numbers (0 = the page's default); default: all")
    parser.add_argument("--years", type=int, default=stocks.DEFAULT_YEARS)
    parser.add_argument("--seed", type=int, help="default: the preset's")
    parser.add_argument("--synthetic-trend", action="store_true", help="add a strongly trending synthetic series")
    return parser.parse_args()


def trending_prices(days: int = 2520, seed: int = 0, yearly: float = 0.40) -> pd.Series:
    """A random walk with a strong drift: the test years lie far above every training price."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(yearly / 252, 0.012, days)
    steps[0] = 0.0
    return pd.Series(50 * np.exp(np.cumsum(steps)), index=pd.bdate_range(end="2024-12-31", periods=days))


def series_for(ticker: str, years: int) -> tuple[str, pd.Series]:
    if ticker == "TREND":
        return "synthetic 40 %/year trend", trending_prices()
    local = os.environ.get("RNN_PLAYGROUND_DATA") or (str(SHARED) if SHARED.is_dir() else None)
    prices = stocks.load_prices(ticker, local_path=local, years=years, allow_download=False, fallback=False)
    return f"{prices.label()} ({prices.summary()})", prices.close


def run_preset(name: str, close: pd.Series, label: str, seed: int | None) -> dict:
    preset = PRESETS[name]
    train = preset.train if seed is None else replace(preset.train, seed=seed)
    run = ForecastRun(label, preset.forecast, preset.model, train)
    data = forecasting.prepare(close, run.forecast)
    started = time.perf_counter()
    outcome = training.train_and_evaluate(data, run, prices_label=label)
    seconds = time.perf_counter() - started
    row, persistence = outcome.evaluation.model_row, outcome.evaluation.persistence_row
    before = outcome.untrained.model_row["skill vs persistence"] if outcome.untrained is not None else np.nan
    return {
        "preset": name[:58],
        "target": run.forecast.target,
        "RMSE model": row["RMSE"],
        "RMSE persistence": persistence["RMSE"],
        "skill": row["skill vs persistence"],
        "skill untrained": before,
        "direction": row["direction"],
        "outside train range": forecasting.outside_training_range(data),
        "train s": round(seconds, 1),
    }


def main() -> None:
    args = parse_args()
    names = list(PRESETS)
    chosen = [names[i] for i in args.presets] if args.presets else names
    tickers = list(args.tickers) + (["TREND"] if args.synthetic_trend else [])
    rows = []
    for ticker in tickers:
        label, close = series_for(ticker, args.years)
        print(f"Data: {label}")
        for name in chosen:
            row = {"ticker": ticker, **run_preset(name, close, label, args.seed)}
            rows.append(row)
            print(
                f"  {row['preset']:58s} skill {row['skill']:+7.1%}  untrained {row['skill untrained']:+8.1%}",
                flush=True,
            )
    table = pd.DataFrame(rows)
    failing = table[(table["skill"] < FLOOR) & (~table["preset"].eq(RAW_PRICE_LESSON[:58]))]
    formats = {"skill": "{:+.1%}".format, "skill untrained": "{:+.1%}".format, "direction": "{:.1%}".format}
    formats["outside train range"] = "{:.0%}".format
    with pd.option_context("display.width", 220, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string(index=False, formatters=formats))
    print(f"\nPresets below {FLOOR:+.0%} skill (other than the raw-price lesson): {len(failing)}")
    for _, row in failing.iterrows():
        print(f"  {row['ticker']}: {row['preset']} {row['skill']:+.1%}")


if __name__ == "__main__":
    main()
