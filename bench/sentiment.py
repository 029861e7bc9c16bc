"""The default Sentiment preset on the real IMDb data: seconds of training, test accuracy.

Reads ../shared/data/imdb (or the folder in RNN_PLAYGROUND_DATA) and evaluates on all
25,000 test reviews. Target (issue 12): >= 87 % with the run finished within 60 s on 2 cores.
Prints wall and CPU time and the load average beside every figure: on a shared box the wall
time says as much about the neighbours as about the preset.

    PYTHONPATH=. python bench/sentiment.py [--preset NAME] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.data import imdb
from core.sentiment.config import DEFAULT_PRESET, PRESETS, padded_arrays
from core.sentiment.training import train_and_evaluate

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--data", default=os.environ.get("RNN_PLAYGROUND_DATA", str(DEFAULT_DATA)))
    args = parser.parse_args()

    start = time.perf_counter()
    data = imdb.load_imdb(local_path=args.data, allow_download=False)
    if data.source.is_synthetic:
        raise SystemExit(f"No real IMDb data at {args.data}: {data.source.notice}")
    run = PRESETS[args.preset]
    run = replace(run, data=replace(run.data, test_size=len(data.test_ids)))
    capped = data.with_vocabulary(run.data.num_words)
    arrays = padded_arrays(capped, run.data.max_length)
    print(f"data: {data.source.describe()}; loaded and tokenised in {time.perf_counter() - start:.1f} s")
    print(f"preset: {args.preset}\n  model: {run.model}\n  train: {run.train}\n  data: {run.data}")

    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = train_and_evaluate(run, arrays, capped.vocab.num_words)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    result = out.result
    for row in result.epoch_frame().itertuples():
        print(
            f"  epoch {row.epoch}: loss {row.loss:.4f} acc {row.accuracy:.4f} val_loss {row.val_loss:.4f} "
            f"val_acc {row.val_accuracy:.4f} at {row.elapsed_s:.1f} s"
        )
    print(f"how it ended           : [{result.status}] {result.message}")
    print(f"training time          : {result.seconds:.1f} s ({result.steps} steps)")
    print(f"build + train + score  : wall {wall:.1f} s, CPU {cpu:.1f} s (scoring all {len(out.test_labels):,} reviews)")
    print(f"load average           : {load:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs")
    print(f"test accuracy (25k)    : {out.test_accuracy:.2%} on {len(out.test_labels):,} reviews")
    print("target                 : >= 87 % with training done within 60 s on 2 cores")


if __name__ == "__main__":
    main()
