"""Benchmark: every forecasting pattern on SPY, against persistence.

    PYTHONPATH=. .venv/bin/python bench/stocks.py [--epochs 10] [--targets price log_return]

Reads ../shared/data/stocks/SPY.csv (or $RNN_PLAYGROUND_DATA/stocks/SPY.csv) - the last
10 years of it, as the page does by default - trains each pattern with the settings of the
page's first preset for it (core/stocks/config.py; the flags override them) and prints test
RMSE (price units), skill vs persistence and directional accuracy.
Figures, not assertions: expect skill within a few percent of zero on real daily prices.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

from core.data import stocks
from core.engine.config import PATTERNS
from core.stocks import forecasting, training
from core.stocks.config import TARGETS, ForecastRun, preset_for

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticker", default="SPY")
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--units", type=int, help="default: the preset's")
    parser.add_argument("--cell", choices=["SimpleRNN", "LSTM", "GRU"], help="default: the preset's")
    parser.add_argument("--window", type=int, help="default: the preset's")
    parser.add_argument("--horizon", type=int, help="default: the preset's (multi-step patterns)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--patterns", nargs="+", default=list(PATTERNS), choices=list(PATTERNS))
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    return parser.parse_args()


def overrides(args: argparse.Namespace, *names: str) -> dict:
    """The flags among `names` given on the command line (a flag left out keeps the preset's value)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def bench_run(args: argparse.Namespace, pattern: str, target: str, label: str) -> ForecastRun:
    """The page's preset for `pattern`, with the target and the command line's overrides."""
    preset = preset_for(pattern)
    spec = replace(preset.forecast, target=target, **overrides(args, "window", "horizon"))
    model = replace(preset.model, **overrides(args, "cell", "units"))
    if pattern == "one_to_one":
        model = replace(model, dense_units=model.units)  # as the page does
    return ForecastRun(label, spec, model, replace(preset.train, **overrides(args, "epochs")))


def main() -> None:
    args = parse_args()
    local = os.environ.get("RNN_PLAYGROUND_DATA") or (str(SHARED) if SHARED.is_dir() else None)
    prices = stocks.load_prices(args.ticker, local_path=local, years=args.years)
    print(f"Data: {prices.label()} - {prices.source.describe()} - {prices.summary()}")
    if prices.source.notice:
        print(f"Notice: {prices.source.notice}")
    print("Models: each pattern's preset (cell, units, window, horizon, epochs, batch, Adam rate) as listed below;")
    print("split 70/15/15 chronological\n")
    rows = []
    for target in args.targets:
        for pattern in args.patterns:
            run = bench_run(args, pattern, target, f"{prices.label()}, {prices.summary()}")
            data = forecasting.prepare(prices.close, run.forecast)
            started = time.perf_counter()
            outcome = training.train_and_evaluate(data, run, prices_label=prices.label())
            seconds = time.perf_counter() - started
            evaluation = outcome.evaluation
            row, persistence = evaluation.model_row, evaluation.persistence_row
            moving_average = evaluation.table.iloc[2]
            rows.append(
                {
                    "pattern": pattern,
                    "target": target,
                    "model": f"{forecasting.model_label(run.model)} {run.model.units}",
                    "window": run.forecast.window,
                    "days ahead": run.forecast.steps_ahead,
                    "epochs": run.train.epochs,
                    "lr": run.train.learning_rate,
                    "test windows": len(data.test),
                    "RMSE model": row["RMSE"],
                    "RMSE persistence": persistence["RMSE"],
                    "RMSE moving avg": moving_average["RMSE"],
                    "skill vs persistence": f"{row['skill vs persistence']:+.1%}",
                    "direction": f"{row['direction']:.1%}",
                    "always up": f"{forecasting.up_share(evaluation):.1%}",
                    "train s": round(seconds, 1),
                    "status": outcome.result.status,
                }
            )
            print(f"  {pattern:16s} {target:10s} skill {rows[-1]['skill vs persistence']:>7s}  ({seconds:.0f} s)")
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
