"""Benchmark of the Architectures page's work: how long it takes to trace a cell by hand and check it
against Keras, to count parameters, to score single words, and to quick-train on real IMDb.

    PYTHONPATH=. .venv/bin/python bench/architectures.py [--skip-training]

Prints figures; asserts nothing. Reads real IMDb from ../shared/data (or $RNN_PLAYGROUND_DATA) when present.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.cells.config import DEFAULT_CHOICE, QuickOutcome, fit_vocabulary, quick_run
from core.cells.embeddings import single_word_positivity
from core.cells.inputs import feeder_for
from core.cells.inspect import keras_counts
from core.cells.internals import check_against_keras, recurrent_layers, trace_layer
from core.cells.parameters import layer_table
from core.data import imdb
from core.engine.cells import CELLS
from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model
from core.sentiment.config import imdb_run_checks, padded_arrays
from core.sentiment.training import train_and_evaluate

DATA = Path(os.environ.get("RNN_PLAYGROUND_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of `repeat` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_tracing() -> None:
    print("Tracing one sequence by hand (NumPy) and checking it against Keras")
    print("(check: the first call per layer compiles Keras' loop into a graph; later inputs reuse it)")
    print(
        f"{'cell':>10} {'steps':>6} {'units':>6} {'trace ms':>9} {'1st check':>10} {'check ms':>9} {'max |diff|':>11}"
    )
    for cell in CELLS:
        for steps, units in ((80, 16), (200, 64), (500, 256)):
            # The page's default architecture and word input (masked padding), at this cell, width and length.
            config = replace(DEFAULT_CHOICE.model, cell=cell, units=units)
            model = build_model(config, replace(DEFAULT_CHOICE.spec, length=steps), DEFAULT_CHOICE.output)
            recurrent = recurrent_layers(model)[0]
            feeder = feeder_for(model, recurrent)
            ids = np.random.default_rng(0).integers(1, DEFAULT_CHOICE.spec.vocab_size, size=(1, steps))
            sequence, mask, initial = feeder(ids)
            trace_s, traces = timed(lambda: trace_layer(recurrent, sequence, mask, initial))  # noqa: B023
            first_s, _ = timed(lambda: check_against_keras(recurrent, sequence, traces, mask), repeat=1)  # noqa: B023
            check_s, check = timed(lambda: check_against_keras(recurrent, sequence, traces, mask), repeat=2)  # noqa: B023
            print(
                f"{cell:>10} {steps:>6} {units:>6} {trace_s * 1e3:>9.1f} {first_s * 1e3:>10.1f} {check_s * 1e3:>9.1f} "
                f"{check.max_difference:>11.1e}"
            )


def bench_parameters() -> None:
    print("\nParameter table: formulas vs building the Keras model")
    for pattern in ("many_to_one", "encoder_decoder"):
        config = ModelConfig(pattern=pattern, cell="LSTM", units=256, layers=3, bidirectional=True)
        spec = InputSpec(length=500, vocab_size=30_000, embedding_dim=256)
        output = OutputSpec(size=10, activation="softmax", steps=60)
        formula_s, rows = timed(lambda: layer_table(config, spec, output))  # noqa: B023
        keras_s, counts = timed(lambda: keras_counts(config, spec, output), repeat=1)  # noqa: B023
        total = sum(r.params for r in rows)
        agree = all(counts[r.name] == r.params for r in rows)
        print(
            f"  {pattern:>16}: {total:,} weights; formulas {formula_s * 1e3:.2f} ms, "
            f"Keras build {keras_s:.2f} s, agree={agree}"
        )


def bench_quick_training() -> None:
    """The page's quick-train exactly as the page runs it: core.cells.config.quick_run for each cell."""
    if not (DATA / "imdb").is_dir():
        print(f"\nQuick-train: skipped, no IMDb under {DATA}")
        return
    print("\nQuick-train on real IMDb (the page's 'Quick-train' option)")
    start = time.perf_counter()
    data = imdb.load_imdb(local_path=str(DATA))
    print(f"  loading + tokenising 50,000 reviews: {time.perf_counter() - start:.1f} s (once per server)")
    for cell in CELLS:
        choice = replace(DEFAULT_CHOICE, model=replace(DEFAULT_CHOICE.model, cell=cell))
        run = fit_vocabulary(quick_run(choice, str(DATA)), data.vocab.distinct_words)
        problems, _, run = imdb_run_checks(run, data)
        assert not problems, problems
        capped = data.with_vocabulary(run.data.num_words)
        arrays = padded_arrays(capped, run.data.max_length)
        start = time.perf_counter()
        outcome = QuickOutcome.of(train_and_evaluate(run, arrays, capped.vocab.num_words), capped.vocab.num_words)
        seconds = time.perf_counter() - start
        accuracy = outcome.result.epoch_frame()["val_accuracy"].iloc[-1]
        words = np.arange(24, 324)
        words_s, _ = timed(lambda: single_word_positivity(outcome.model, words, run.data.max_length), repeat=2)  # noqa: B023
        print(
            f"  {cell:>9}: trained in {seconds:.1f} s, validation accuracy {accuracy:.1%}, "
            f"test accuracy {outcome.test_accuracy:.1%} ({run.data.test_size:,} reviews); "
            f"scoring 300 single words {words_s * 1e3:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-training", action="store_true", help="skip the real-data quick-train figures")
    args = parser.parse_args()
    print(f"CPU cores visible: {os.cpu_count()} (figures are slower on a shared, loaded machine)\n")
    bench_tracing()
    bench_parameters()
    if not args.skip_training:
        bench_quick_training()


if __name__ == "__main__":
    main()
