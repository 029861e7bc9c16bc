"""Attention vs none: held-out exact match at equal training time, on the Attention page's default preset.

Default mode (`--compare`, what issue 12/13 ask): for each seed (`--seeds 0,1`), train the
page's default preset with attention exactly as the page does (train_translation: its epochs,
its per-epoch snapshots), then train the same model without attention for the same training
time (`--clock cpu`: the same process CPU seconds, fair on a shared machine; `wall`: the same
wall seconds), and score both on the held-out split (digit strings never seen in training).
Prints wall and CPU seconds, the load, both exact matches side by side and the difference in
points, accuracy by input length, and how much of each output digit's attention falls on the
word it is read from (what the heatmap shows). Bars: with attention >= 99 % in <= 60 s of
training; without attention >= 20 points lower, on every seed.

    PYTHONPATH=. python bench/attention.py [--seeds 0,1] [--clock cpu|wall] [--preset NAME]

Free mode (`--attention none,additive --seconds 120 [--task numbers ...]`): every listed
attention kind trains for a fixed time budget with the given settings.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import replace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

from core.attention.config import DEFAULT_PRESET, TRANSLATION_PRESETS, TranslationRun
from core.attention.seq2seq import (
    Evaluation,
    accuracy_by_length,
    attention_on_spans,
    evaluate,
    make_trainer,
    prepare,
    train_translation,
    translate,
    validation_arrays,
)
from core.data.dates import digit_word_spans, make_task
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


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"


def cpu_seconds() -> float:
    """Process CPU seconds (user + system, all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def by_length(evaluation: Evaluation) -> str:
    table = accuracy_by_length(evaluation.frame, bin_width=10)
    return "  ".join(f"{r.lengths}: {r.exact_match:.0%}" for r in table.itertuples())


def train_without_attention(
    run: TranslationRun, task, seconds: float, clock: str
) -> tuple[Evaluation, float, float, int]:
    """The same model without attention, trained for `seconds` of `clock` time; (score, wall, CPU, steps)."""
    config = replace(run.model, attention="none")
    prepared = prepare(task, config, seed=run.data.seed)
    stop = StopSignal()
    trainer = make_trainer(prepared.models, replace(run.train, epochs=50), len(prepared.train))
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = trainer.fit(
        prepared.train.x,
        prepared.train.decoder_target,
        sample_weight=prepared.train.weights,
        callbacks=[TimeBudget(seconds, stop, clock)],
        stop=stop,
    )
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return evaluate(prepared.models, task.test_sources, task.test_targets, task.test_formats), wall, cpu, result.steps


class CpuClock(Callback):
    """Process CPU seconds spent inside fit (training, per-epoch validation and snapshots)."""

    def __init__(self) -> None:
        self.start, self.seconds = 0.0, 0.0

    def on_train_begin(self, plan) -> None:
        self.start = cpu_seconds()

    def on_train_end(self, result) -> None:
        self.seconds = cpu_seconds() - self.start


def alignment(outcome, sources: list[str]) -> float | None:
    """Mean share of each output digit's attention on the letters of its own spoken word."""
    if outcome.config.data.task != "digits" or not outcome.models.has_attention:
        return None
    shares = []
    for translation in translate(outcome.models, sources):
        shares.append(attention_on_spans(translation.weights, digit_word_spans(translation.source)))
    return float(sum(shares) / len(shares))


def compare(preset: str, seeds: list[int], clock: str) -> None:
    """The page's preset with attention (as the page trains it) vs the same model without, at equal time."""
    base = TRANSLATION_PRESETS[preset]
    print(f"preset: {preset}  ({base.model.label}, {base.train.epochs} epochs, batch {base.train.batch_size}, "
          f"lr {base.train.learning_rate:g}); equal time by {clock} clock")
    rows = []
    for seed in seeds:
        run = replace(base, data=replace(base.data, seed=seed), train=replace(base.train, seed=seed))
        task = make_task(run.data.task, run.data.train_size, run.data.test_size, seed=seed)
        print(f"\nseed {seed}: {task.description}; {len(task.train_sources):,} train (10 % held back for "
              f"validation) / {len(task.test_sources):,} held-out pairs; load {load()}")
        wall, cpu = time.perf_counter(), cpu_seconds()
        clock_cpu = CpuClock()
        outcome = train_translation(run, task, callbacks=[clock_cpu])
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        trained, trained_cpu = outcome.result.seconds, clock_cpu.seconds
        budget = trained if clock == "wall" else trained_cpu
        with_att = outcome.evaluation
        print(f"  {run.model.label}: trained {trained:.1f} s wall / {trained_cpu:.1f} s CPU, {outcome.result.steps} "
              f"steps ({wall:.1f} s wall / {cpu:.1f} s CPU with building and scoring); load {load()}")
        print(f"    held-out exact match {with_att.exact_match:.2%}; by length: {by_length(with_att)}")
        share = alignment(outcome, list(task.test_sources[:200]))
        if share is not None:
            print(f"    heatmap: {share:.0%} of each output digit's attention is on the letters of its own word")
        snapshot = outcome.snapshots[-1].translation
        print(f"    live heatmap example: {snapshot.source!r} -> {snapshot.prediction!r}")
        without, n_wall, n_cpu, steps = train_without_attention(run, task, budget, clock)
        print(f"  {replace(run.model, attention='none').label}: trained {n_wall:.1f} s wall / {n_cpu:.1f} s CPU "
              f"({budget:.1f} s {clock} budget), {steps} steps; load {load()}")
        print(f"    held-out exact match {without.exact_match:.2%}; by length: {by_length(without)}")
        rows.append((seed, with_att.exact_match, trained, trained_cpu, without.exact_match, n_wall, n_cpu))
    print("\nseed | with attention: exact match, train wall, train CPU | without: exact match, wall, CPU | difference")
    for seed, a, a_wall, a_cpu, n, n_wall, n_cpu in rows:
        print(f"{seed:4d} | {a:7.2%} {a_wall:6.1f} s {a_cpu:6.1f} s | {n:7.2%} {n_wall:6.1f} s {n_cpu:6.1f} s | "
              f"{100 * (a - n):+.1f} points")
    print("bars : with attention >= 99 % in <= 60 s of training; without attention >= 20 points lower on every seed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attention", default="", help="free mode: comma-separated none, additive, dot")
    parser.add_argument("--seconds", type=float, default=120.0, help="free mode: training budget per model")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", default="0,1", help="compare mode: comma-separated seeds")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(TRANSLATION_PRESETS))
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
    if not args.attention:
        compare(args.preset, [int(seed) for seed in args.seeds.split(",")], args.clock)
        return

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
