"""Benchmark: the adding problem at T = 100 - SimpleRNN vs LSTM vs GRU under a time budget.

Each cell trains for the same wall-clock budget (default 120 s) on the same data and
seed, then is scored on 1,000 fresh test sequences. Model and training settings come from
the page's Vanishing preset (core/gradients/config.py); only the cell, T and the data size
differ unless flags say otherwise. The trivial baseline - always answer
1 - scores MSE = 1/6 ≈ 0.167. What a class should see: the gated cells drop far below
the baseline, the SimpleRNN stays on it (its gradient never reaches the first marker).

    PYTHONPATH=. .venv/bin/python bench/gradient_lab.py [--seconds 120] [--length 100] [--preset NAME]

`--as-app` instead runs a preset exactly as the page's "SimpleRNN vs LSTM vs GRU" tab does with
the preset's own T, data size and epochs (gradients recorded every K steps), and prints each run's
wall and CPU time, test MSE and how it ended: is the preset's T one a class can watch in a minute?

    PYTHONPATH=. .venv/bin/python bench/gradient_lab.py --as-app [--preset NAME]

`--claims` trains each guided experiment of the page (core/gradients/experiments.py) on its own
settings, as its link sets the controls, and prints every claim's verdict with its measured margin;
`--seeds 0,1,2` repeats it per training seed and prints each experiment's hold rate.

    PYTHONPATH=. .venv/bin/python bench/gradient_lab.py --claims [--seeds 0,1,2] [--only 2]

Prints figures; asserts nothing. Timings depend on the machine and on whatever else is
running on it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import replace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from core.data.memory_tasks import ADDING_BASELINE_MSE, adding_task, make_task, trivial_score
from core.engine.experiments import Experiment, judge_run
from core.engine.trainer import Callback, StopSignal, Trainer
from core.engine.training_job import LiveProgress
from core.gradients import jobs
from core.gradients.config import (
    PRESETS,
    TRAIN_SIZE_CHOICES,
    ComparisonConfig,
    LabConfig,
    cell_runs,
    clipping_runs,
    reach_ratio,
)
from core.gradients.experiments import EXPERIMENTS
from core.gradients.through_time import build_lab_model, gradient_through_time, train_runs

PRESET = "Vanishing: SimpleRNN on the adding problem"


class Deadline(StopSignal):
    """A stop signal that fires by itself once the time budget is spent."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.start = time.perf_counter()

    def restart(self) -> None:
        self.start = time.perf_counter()

    @property
    def requested(self) -> bool:
        return time.perf_counter() - self.start > self.seconds


class TestCurve(Callback):
    """Test MSE every `every` seconds, to show when (if ever) a cell leaves the baseline."""

    def __init__(self, trainer_ref: list, x: np.ndarray, y: np.ndarray, every: float = 20.0):
        self.trainer_ref, self.x, self.y, self.every = trainer_ref, x, y, every
        self.next_at = every
        self.points: list[tuple[float, int, float]] = []

    def on_batch_end(self, record) -> None:
        if record.elapsed >= self.next_at:
            self.next_at += self.every
            mse = self.trainer_ref[0].evaluate(self.x, self.y)["loss"]
            self.points.append((record.elapsed, record.step, mse))


def run_cell(cell: str, args, task, preset: LabConfig) -> dict:
    model_config = replace(preset.model, cell=cell, units=args.units)
    model = build_lab_model(model_config, task.spec, task.output, seed=args.seed)
    # Many epochs: the time budget, not the epoch count, ends each run.
    train = replace(
        preset.train,
        epochs=50,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        clip_norm=args.clip_norm,
        seed=args.seed,
    )
    trainer = Trainer(model, "mse", ["mae"], train)
    curve = TestCurve([trainer], task.x_test, task.y_test)
    deadline = Deadline(args.seconds)
    result = trainer.fit(task.x_train, task.y_train, callbacks=[curve], stop=deadline)
    mse = trainer.evaluate(task.x_test, task.y_test)["loss"]
    norms = gradient_through_time(model, task.x_test[:32], task.y_test[:32], "mse")
    return {
        "cell": cell,
        "mse": mse,
        "steps": result.steps,
        "seconds": result.seconds,
        "status": result.status,
        "curve": curve.points,
        "reach": reach_ratio(norms),
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def as_app(name: str) -> None:
    """The preset's cell comparison at its own T, as the page's second tab trains it."""
    preset = PRESETS[name]
    source = preset.source
    task = make_task(source.kind, source.length, source.train_size, 0)  # what ui.gradient_lab_data caches
    runs = cell_runs(preset.model, preset.train, [source.length])
    print(f"{name!r}, as the page's comparison tab trains it: {task.description}")
    print(f"  {len(task.y_train):,} training sequences, {preset.model.units} units, {preset.train}")
    print(f"  gradients recorded every {preset.every} steps on {preset.probe_size} probe sequences")
    print(f"  trivial baseline {task.score.baseline_label}: {task.score.baseline:.3f}")
    load_before = os.getloadavg()[0]
    total_wall = total_cpu = 0.0
    outcomes = []
    for run in runs:  # one after another, as the page does; timed one by one
        wall, cpu = time.perf_counter(), cpu_seconds()
        (o,) = train_runs([run], lambda length: task, Callback(), StopSignal(), preset.every, preset.probe_size)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        outcomes.append(o)
        r = o.result
        print(
            f"  {o.label:<9} test {task.score.name} {o.test_score:.4f}  {r.steps} steps, wall {wall:.1f} s "
            f"(training {r.seconds:.1f} s), CPU {cpu:.1f} s, load {os.getloadavg()[0]:.2f}  [{r.status}] {r.message}",
            flush=True,
        )
    print(
        f"whole comparison: wall {total_wall:.1f} s, CPU {total_cpu:.1f} s, "
        f"load {load_before:.2f} before / {os.getloadavg()[0]:.2f} after on {os.cpu_count()} CPUs"
    )
    gated = [o.test_score for o in outcomes if o.model_config.cell in ("LSTM", "GRU")]
    if task.score.lower_is_better and gated:
        print(f"Target: LSTM and GRU < 0.05 at T = {source.length} (got {', '.join(f'{v:.4f}' for v in gated)})")


def experiment_config(e: Experiment, seed: int) -> LabConfig:
    """The preset with the experiment's link parameters applied, as its Set up button sets the controls."""
    preset = PRESETS[e.params["preset"]]
    values = {name.split(".", 1)[1]: v for name, v in e.params.items() if name[:1].isdigit()}
    source = replace(preset.source, **{k: values[k] for k in ("length", "train_size") if k in values})
    train = replace(preset.train, **{k: values[k] for k in ("epochs",) if k in values}, seed=seed)
    return replace(preset, source=source, train=train, every=values.get("every", preset.every))


def run_experiment(e: Experiment, seed: int):
    """Train experiment `e` as the page's panel would and return the outcome its claim reads."""
    config = experiment_config(e, seed)
    task = make_task(config.source.kind, config.source.length, config.source.train_size, 0)  # the page's data
    if e.panel.endswith("-clip"):
        threshold = float(e.params["clip.threshold"])
        runs = clipping_runs(config.model, config.train, config.source.length, threshold)
        spec = jobs.make_runs_work(ComparisonConfig(config, clip_threshold=threshold), runs, {task.length: task})
    elif e.panel.endswith("-compare"):
        runs = cell_runs(config.model, config.train, [config.source.length])
        spec = jobs.make_runs_work(ComparisonConfig(config, (config.source.length,)), runs, {task.length: task})
    else:
        spec = jobs.make_single_work(config, task)
    return spec(LiveProgress(), StopSignal())


def claims(seeds: list[int], only: set[int] | None = None) -> None:
    """Every experiment's verdict per seed, with its margin in words, then the hold rate."""
    for e in EXPERIMENTS:
        if only and e.number not in only:
            continue
        held = 0
        print(f"Experiment {e.number}: {e.title}", flush=True)
        for seed in seeds:
            start = time.perf_counter()
            verdict = judge_run(e, run_experiment(e, seed))
            held += verdict.held
            print(f"  seed {seed} [{verdict.outcome.value}] ({time.perf_counter() - start:.0f} s) {verdict.text()}")
        print(f"  held on {held} of {len(seeds)} seed(s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    adding = [name for name, p in PRESETS.items() if p.source.kind == "adding"]
    parser.add_argument("--preset", default=PRESET, choices=adding, help="model and training settings")
    parser.add_argument("--as-app", action="store_true", help="the preset's own comparison, timed (no budget)")
    parser.add_argument("--claims", action="store_true", help="train each guided experiment, print its verdict")
    parser.add_argument("--seeds", default="0", help="training seeds for --claims, comma-separated")
    parser.add_argument("--only", default="", help="experiment numbers for --claims, comma-separated")
    known, _ = parser.parse_known_args()
    if known.claims:
        claims([int(s) for s in known.seeds.split(",")], {int(n) for n in known.only.split(",") if n})
        return
    if known.as_app:
        as_app(known.preset)
        return
    preset = PRESETS[known.preset]
    parser.add_argument("--seconds", type=float, default=120.0, help="training budget per cell")
    parser.add_argument("--length", type=int, default=100, help="sequence length T")
    parser.add_argument("--units", type=int, default=preset.model.units)
    parser.add_argument("--batch-size", type=int, default=preset.train.batch_size)
    parser.add_argument("--lr", type=float, default=preset.train.learning_rate)
    parser.add_argument("--clip-norm", type=float, default=preset.train.clip_norm)
    parser.add_argument("--train-size", type=int, default=max(TRAIN_SIZE_CHOICES))
    parser.add_argument("--seed", type=int, default=preset.train.seed)
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow intra/inter-op threads (2 cores)")
    parser.add_argument("--cells", default="SimpleRNN,LSTM,GRU")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    task = adding_task(args.length, train_size=args.train_size, test_size=1_000, seed=args.seed)
    print(f"Settings from the preset {known.preset!r}, overridden by flags.")
    print(
        f"Adding problem, T = {args.length}: {len(task.y_train):,} training / {len(task.y_test):,} test sequences; "
        f"{args.seconds:.0f} s per cell, batch {args.batch_size}, {preset.train.optimizer} lr {args.lr:g}, "
        f"clip norm {args.clip_norm}, "
        f"{args.units} units, {args.threads} TF threads, {os.cpu_count()} CPUs visible."
    )
    print(
        f"Baseline (always answer 1): MSE {ADDING_BASELINE_MSE:.3f} in theory, "
        f"{trivial_score(task):.3f} on this test set."
    )
    rows = []
    for cell in args.cells.split(","):
        row = run_cell(cell.strip(), args, task, preset)
        rows.append(row)
        curve = ", ".join(f"{t:.0f}s/{s} steps: {m:.3f}" for t, s, m in row["curve"])
        print(f"  {row['cell']:<9} test MSE over time: {curve}", flush=True)

    print()
    print(f"{'cell':<10} {'test MSE':>9} {'vs baseline':>12} {'steps':>7} {'ms/step':>8} {'grad t=1 / t=T':>15}")
    for r in rows:
        print(
            f"{r['cell']:<10} {r['mse']:>9.4f} {r['mse'] / ADDING_BASELINE_MSE:>11.0%} {r['steps']:>7} "
            f"{1000 * r['seconds'] / max(1, r['steps']):>8.1f} {r['reach']:>15.2e}"
        )
    print(f"{'baseline':<10} {ADDING_BASELINE_MSE:>9.4f} {1:>11.0%}")
    gated = min(r["mse"] for r in rows if r["cell"] in ("LSTM", "GRU")) if len(rows) > 1 else float("nan")
    simple = next((r["mse"] for r in rows if r["cell"] == "SimpleRNN"), float("nan"))
    print(
        f"Target: best gated cell < 0.05 (got {gated:.4f}); SimpleRNN near the baseline "
        f"(got {simple:.4f}, {simple / ADDING_BASELINE_MSE:.0%} of it)."
    )


if __name__ == "__main__":
    main()
