"""Benchmark: every forecasting pattern on SPY, against persistence.

    PYTHONPATH=. .venv/bin/python bench/stocks.py [--epochs 10] [--targets price log_return]

Reads ../shared/data/stocks/SPY.csv (or $RNN_PLAYGROUND_DATA/stocks/SPY.csv) - the last
10 years of it, as the page does by default - trains each pattern with the page's default
settings and prints test RMSE (price units), skill vs persistence and directional accuracy.
Figures, not assertions: expect skill within a few percent of zero on real daily prices.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

from core.data import stocks
from core.engine.config import PATTERNS, ModelConfig, TrainConfig
from core.stocks import forecasting

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticker", default="SPY")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--cell", default="GRU", choices=["SimpleRNN", "LSTM", "GRU"])
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--patterns", nargs="+", default=list(PATTERNS), choices=list(PATTERNS))
    parser.add_argument("--targets", nargs="+", default=["price", "log_return"], choices=["price", "log_return"])
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    local = os.environ.get("RNN_PLAYGROUND_DATA") or (str(SHARED) if SHARED.is_dir() else None)
    prices = stocks.load_prices(args.ticker, local_path=local, years=args.years)
    print(f"Data: {prices.label()} - {prices.source.describe()} - {prices.summary()}")
    if prices.source.notice:
        print(f"Notice: {prices.source.notice}")
    print(
        f"Model: {args.cell} {args.units} units, window {args.window}, horizon {args.horizon} (multi-step patterns), "
        f"{args.epochs} epochs, batch 64, Adam 3e-3; split 70/15/15 chronological\n"
    )
    rows = []
    for target in args.targets:
        for pattern in args.patterns:
            spec = forecasting.ForecastSpec(pattern, target, window=args.window, horizon=args.horizon)
            data = forecasting.prepare(prices.close, spec)
            model = ModelConfig(pattern=pattern, cell=args.cell, units=args.units, dense_units=args.units)
            train = TrainConfig(epochs=args.epochs, batch_size=64, learning_rate=3e-3)
            started = time.perf_counter()
            output = forecasting.train_and_evaluate(data, model, train)
            seconds = time.perf_counter() - started
            evaluation = output["evaluation"]
            row, persistence = evaluation.model_row, evaluation.persistence_row
            moving_average = evaluation.table.iloc[2]
            rows.append(
                {
                    "pattern": pattern,
                    "target": target,
                    "days ahead": spec.steps_ahead,
                    "test windows": len(data.test),
                    "RMSE model": row["RMSE"],
                    "RMSE persistence": persistence["RMSE"],
                    "RMSE moving avg": moving_average["RMSE"],
                    "skill vs persistence": f"{row['skill vs persistence']:+.1%}",
                    "direction": f"{row['direction']:.1%}",
                    "always up": f"{forecasting.up_share(evaluation):.1%}",
                    "train s": round(seconds, 1),
                    "status": output["result"].status,
                }
            )
            print(f"  {pattern:16s} {target:10s} skill {rows[-1]['skill vs persistence']:>7s}  ({seconds:.0f} s)")
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
