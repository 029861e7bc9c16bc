"""The default Sentiment preset on the real IMDb data: seconds of training, test accuracy.

Reads ../shared/data/imdb (or the folder in RNN_PLAYGROUND_DATA) and evaluates on all
25,000 test reviews. Target: >= 85 % within 90 s of training on 2 cores.

    PYTHONPATH=. python bench/sentiment.py [--preset NAME] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.data import imdb
from core.sentiment.config import DEFAULT_PRESET, PRESETS, padded_arrays
from core.sentiment.training import train_and_evaluate

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


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

    out = train_and_evaluate(run, arrays, capped.vocab.num_words)
    result = out.result
    for row in result.epoch_frame().itertuples():
        print(f"  epoch {row.epoch}: loss {row.loss:.4f} acc {row.accuracy:.4f} "
              f"val_acc {row.val_accuracy:.4f} at {row.elapsed_s:.1f} s")
    print(f"training time          : {result.seconds:.1f} s ({result.steps} steps)")
    print(f"test accuracy (25k)    : {out.test_accuracy:.2%} on {len(out.test_labels):,} reviews")
    print("target                 : >= 85 % within 90 s of training on 2 cores")


if __name__ == "__main__":
    main()
