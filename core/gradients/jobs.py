"""The Gradient lab's work functions, as the run manager runs them (core/engine/runs.py).

Module-level, so a WorkSpec naming them pickles into a worker process; their arguments are
plain data (frozen configurations and the task arrays). TensorFlow loads only when one runs
(core.gradients.through_time is imported inside the work functions), never when the page builds
a run request: a fresh server's first Train click must not import TensorFlow in the server.

Each work trains (core.gradients.through_time), puts the live gradient recorders where the page
can read them while training, and returns one typed outcome (core.gradients.config).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from core.data.memory_tasks import SequenceTask
from core.engine.charts import RUN_STARTS
from core.engine.history import StopSignal
from core.engine.training_job import LiveProgress, WorkSpec
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

if TYPE_CHECKING:
    from core.gradients.through_time import GradientTimeRecorder


def single_work(progress: LiveProgress, stop: StopSignal, config: LabConfig, task: SequenceTask) -> SingleOutcome:
    """Experiment 1: train one model on `task`, recording its gradients through time."""
    from core.gradients.through_time import train_and_probe

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


def runs_work(
    progress: LiveProgress,
    stop: StopSignal,
    config: ComparisonConfig,
    runs: Sequence[LabRun],
    tasks: Mapping[int, SequenceTask],
) -> ComparisonOutcome:
    """Experiments 2 and 3: train `runs` one after another; `tasks` holds the data by T."""
    from core.gradients.through_time import combined_result, train_runs

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
        on_starts=lambda starts: progress.put_extra(RUN_STARTS, starts),  # the panel overlays the runs from 0
    )
    combined = combined_result(outcomes, stopped=stop.requested)
    last_model = outcomes[-1].model if outcomes else None
    return ComparisonOutcome(combined, last_model, config, outcomes, tasks[runs[0].length].score)


def make_single_work(config: LabConfig, task: SequenceTask) -> WorkSpec:
    """Experiment 1's run request (a worker process calls `single_work`)."""
    return WorkSpec(single_work, (config, task))


def make_runs_work(config: ComparisonConfig, runs: Sequence[LabRun], tasks: Mapping[int, SequenceTask]) -> WorkSpec:
    """Experiments 2 and 3's run request (a worker process calls `runs_work`)."""
    return WorkSpec(runs_work, (config, tuple(runs), dict(tasks)))
