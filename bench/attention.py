"""Dates -> ISO: held-out exact-match accuracy after a fixed training time, with and without attention.

Trains the Attention page's default translator for `--seconds` (120) on `--threads` (2)
CPU threads, then greedily decodes every held-out date (calendar days never seen in
training). Target with attention: >= 95 % exact match. The no-attention run shows the
single-context-vector bottleneck, broken down by input length.

    PYTHONPATH=. python bench/attention.py [--attention none,additive,dot] [--seconds 120]

`--clock cpu` counts process CPU seconds instead of wall seconds: on a machine shared
with other jobs, that approximates what a quiet 2-core machine does in the same time.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

from core.attention.config import DEFAULT_PRESET, TRANSLATION_PRESETS
from core.attention.seq2seq import accuracy_by_length, evaluate, make_trainer, prepare, validation_arrays
from core.data.dates import make_task
from core.engine.trainer import BatchRecord, Callback, StopSignal

DEFAULT_RUN = TRANSLATION_PRESETS[DEFAULT_PRESET]  # the Attention page's default translator


class TimeBudget(Callback):
    """Stops training once `seconds` of wall (or process CPU) time have passed."""

    def __init__(self, seconds: float, stop: StopSignal, clock: str):
        self.seconds, self.stop = seconds, stop
        self.now = time.process_time if clock == "cpu" else time.perf_counter
        self.start = self.now()

    def on_train_begin(self, plan) -> None:
        self.start = self.now()

    def on_batch_end(self, record: BatchRecord) -> None:
        if self.now() - self.start >= self.seconds:
            self.stop.request()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attention", default="none,additive", help="comma-separated: none, additive, dot")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--task", default=DEFAULT_RUN.data.task)
    parser.add_argument("--cell", default=DEFAULT_RUN.model.cell)
    parser.add_argument("--units", type=int, default=DEFAULT_RUN.model.units)
    parser.add_argument("--bidirectional", type=int, default=int(DEFAULT_RUN.model.bidirectional))
    parser.add_argument("--embedding", type=int, default=DEFAULT_RUN.model.embedding_dim)
    parser.add_argument("--batch", type=int, default=DEFAULT_RUN.train.batch_size)
    parser.add_argument("--lr", type=float, default=DEFAULT_RUN.train.learning_rate)
    parser.add_argument("--train-size", type=int, default=DEFAULT_RUN.data.train_size)
    parser.add_argument("--test-size", type=int, default=DEFAULT_RUN.data.test_size)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    task = make_task(args.task, args.train_size, args.test_size, seed=DEFAULT_RUN.data.seed)
    print(f"task: {task.description}; {len(task.train_sources):,} train (10 % of them held back for validation) / "
          f"{len(task.test_sources):,} held-out test pairs")
    print(f"budget: {args.seconds:g} s of {args.clock} time on {args.threads} threads (load {os.getloadavg()[0]:.1f})")
    summary = {}
    for attention in args.attention.split(","):
        config = replace(
            DEFAULT_RUN.model,
            attention=attention.strip(),
            cell=args.cell,
            units=args.units,
            bidirectional=bool(args.bidirectional),
            embedding_dim=args.embedding,
        )
        train_config = replace(DEFAULT_RUN.train, batch_size=args.batch, learning_rate=args.lr, epochs=50)
        prepared = prepare(task, config, seed=DEFAULT_RUN.data.seed)
        stop = StopSignal()
        trainer = make_trainer(prepared.models, train_config, len(prepared.train))
        wall, cpu = time.perf_counter(), time.process_time()
        result = trainer.fit(
            prepared.train.x,
            prepared.train.decoder_target,
            sample_weight=prepared.train.weights,
            callbacks=[TimeBudget(args.seconds, stop, args.clock)],
            stop=stop,
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        val_x, val_y, val_w = validation_arrays(prepared.validation, train_config)
        val = trainer.evaluate(val_x, val_y, val_w)  # teacher-forced, mean over real decoder steps
        scored = evaluate(prepared.models, task.test_sources, task.test_targets, task.test_formats)
        summary[config.label] = scored.exact_match
        examples = result.steps * train_config.batch_size
        print(f"\n{config.label}  (batch {train_config.batch_size}, lr {train_config.learning_rate:g})")
        epochs = examples / len(prepared.train)
        print(f"  trained {wall:.0f} s wall / {cpu:.0f} s CPU: {result.steps} steps, {epochs:.1f} epochs")
        print(f"  validation ({len(val_y):,} pairs, teacher-forced): loss {val['loss']:.4f} per real character, "
              f"accuracy {val['sparse_accuracy']:.2%}")
        print(f"  held-out exact match : {scored.exact_match:.2%}   per-character accuracy: {scored.char_accuracy:.2%}")
        table = accuracy_by_length(scored.frame)
        print("  by input length      : " + "  ".join(f"{r.lengths}: {r.exact_match:.0%}" for r in table.itertuples()))
        worst = scored.frame.groupby("format")["correct"].mean().sort_values().head(3)
        print("  hardest formats      : " + "  ".join(f"{name} {value:.0%}" for name, value in worst.items()))
    print("\nsummary: " + " | ".join(f"{label}: {value:.2%}" for label, value in summary.items()))
    print("target : with attention >= 95 % exact match after 120 s on 2 cores")


if __name__ == "__main__":
    main()
