"""The Gradient lab's work functions: what the Train buttons run on the training thread.

Each `make_*_work` returns `work(progress, stop)` for ui.training_panel; the work trains
(core.gradients.through_time), puts the live gradient recorders where the page can read
them while training, and returns one typed outcome (core.gradients.config).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from core.data.memory_tasks import SequenceTask
from core.engine.trainer import StopSignal
from core.engine.training_job import LiveProgress
from core.gradients.config import (
    LIVE_CURRENT,
    LIVE_LABEL,
    LIVE_RECORDER,
    LIVE_RECORDERS,
    ComparisonConfig,
    ComparisonOutcome,
    LabConfig,
    LabRun,
    SingleOutcome,
)
from core.gradients.through_time import GradientTimeRecorder, combined_result, train_and_probe, train_runs


def make_single_work(config: LabConfig, task: SequenceTask) -> Callable[[LiveProgress, StopSignal], SingleOutcome]:
    """Experiment 1: train one model on `task`, recording its gradients through time."""

    def work(progress: LiveProgress, stop: StopSignal) -> SingleOutcome:
        progress.set_phase("Building the model and the probe batch")
        progress.put_extra(LIVE_LABEL, config.model.cell)
        run = train_and_probe(
            task,
            config.model,
            config.train,
            callbacks=[progress],
            stop=stop,
            every=config.every,
            probe_size=config.probe_size,
            label=config.model.cell,
            on_ready=lambda recorder: progress.put_extra(LIVE_RECORDER, recorder),
        )
        return SingleOutcome(run.result, run.model, config, run, task.score)

    return work


def make_runs_work(
    config: ComparisonConfig, runs: Sequence[LabRun], tasks: Mapping[int, SequenceTask]
) -> Callable[[LiveProgress, StopSignal], ComparisonOutcome]:
    """Experiments 2 and 3: train `runs` one after another; `tasks` holds the data by T."""

    def work(progress: LiveProgress, stop: StopSignal) -> ComparisonOutcome:
        recorders: dict[str, GradientTimeRecorder] = {}

        def on_run(run: LabRun, recorder: GradientTimeRecorder) -> None:
            recorders[run.label] = recorder
            progress.put_extra(LIVE_RECORDERS, dict(recorders))
            progress.put_extra(LIVE_CURRENT, run.label)

        outcomes = train_runs(
            runs,
            tasks.__getitem__,
            progress,
            stop,
            every=config.lab.every,
            probe_size=config.lab.probe_size,
            on_run=on_run,
            set_phase=progress.set_phase,
        )
        combined = combined_result(outcomes, stopped=stop.requested)
        last_model = outcomes[-1].model if outcomes else None
        return ComparisonOutcome(combined, last_model, config, outcomes, tasks[runs[0].length].score)

    return work
