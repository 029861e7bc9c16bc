"""Instrumented trainer vs plain `model.fit`: same model, data, batches and optimiser.

Prints the wall time of each (median of alternating repeats, after one untimed epoch of each on
the same arrays, so both have compiled everything before timing starts) and their
ratio. Target: instrumented / fit <= 1.10, i.e. per-layer gradient norms, clipping and
the stop check cost at most 10 %.

    PYTHONPATH=. python bench/trainer_overhead.py [--samples 4096] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.engine.trainer import Trainer


def data(samples: int, length: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab, size=(samples, length)).astype("int32")
    y = (x[:, -5:].mean(axis=1) > vocab / 2).astype("float32")
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    vocab = 10_000
    x, y = data(args.samples, args.length, vocab)
    config = ModelConfig(cell="GRU", units=32, readout="max")
    spec = InputSpec(length=args.length, vocab_size=vocab, embedding_dim=64)
    train = TrainConfig(epochs=1, batch_size=args.batch_size, learning_rate=3e-3, shuffle=False)

    fit_model = build_model(config, spec, OutputSpec(), seed=0)
    fit_model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    ours_model = build_model(config, spec, OutputSpec(), seed=0)
    ours_model.set_weights(fit_model.get_weights())
    trainer = Trainer(ours_model, "binary_crossentropy", ["accuracy"], train)

    def run_fit() -> float:
        start = time.perf_counter()
        fit_model.fit(x, y, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0)
        return time.perf_counter() - start

    def run_ours() -> float:
        start = time.perf_counter()
        trainer.fit(x, y)
        return time.perf_counter() - start

    # Warm-up: one untimed epoch each, on the very arrays the timed runs use. The Trainer's compiled
    # step takes the whole training set as an input, so warming it on a smaller slice would leave
    # a retrace (seconds) inside its first timed run while model.fit, fed batches, is already warm.
    warm_fit, warm_ours = run_fit(), run_ours()

    fit_times, our_times = [], []
    for i in range(args.repeats):
        if i % 2 == 0:
            fit_times.append(run_fit())
            our_times.append(run_ours())
        else:
            our_times.append(run_ours())
            fit_times.append(run_fit())
    fit_s, ours_s = statistics.median(fit_times), statistics.median(our_times)
    steps = -(-args.samples // args.batch_size)
    print(f"model: GRU 32 units, max read-out, embedding 64, {args.length} tokens, batch {args.batch_size}, "
          f"{steps} steps per epoch, {args.repeats} alternating repeats")
    print(f"plain model.fit        : {fit_s:7.2f} s/epoch  ({1000 * fit_s / steps:.1f} ms/step)  runs {fit_times}")
    print(f"instrumented Trainer   : {ours_s:7.2f} s/epoch  ({1000 * ours_s / steps:.1f} ms/step)  runs {our_times}")
    print(f"warm-up (untimed)       : model.fit {warm_fit:.2f} s, Trainer {warm_ours:.2f} s")
    print(f"ratio instrumented/fit : {ours_s / fit_s:.3f}   (target <= 1.10)")


if __name__ == "__main__":
    main()
