"""One way to run a job (core.engine.execute), and a Stop that ends the work within one batch -
training, evaluation and scoring alike."""

from __future__ import annotations

import numpy as np

from core.engine.execute import Outcome, deliver, execute, read_output
from core.engine.history import StopSignal, TrainingResult
from core.engine.run import TrainedRun
from core.engine.runs import MB, RunManager, RunSettings
from core.engine.training_job import LiveProgress, TrainingJob, WorkSpec
from tests.unit.engine import run_fixtures as fx


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def finished(self, output, size: int) -> None:
        self.events.append(("finished", output, size))

    def failed(self, message: str, detail: str) -> None:
        self.events.append(("failed", message))

    def stopped(self, message: str) -> None:
        self.events.append(("stopped", message))


def test_execute_reports_done_failed_and_stopped_the_same_way_for_every_backend():
    done = execute(WorkSpec(fx.counting, (3,)), LiveProgress(), StopSignal())
    assert done.state == "done" and done.size > 0
    assert isinstance(read_output(done), TrainedRun)
    failed = execute(WorkSpec(fx.failing), LiveProgress(), StopSignal())
    assert failed.state == "failed" and "ValueError: bad input" in failed.message and "Traceback" in failed.detail
    sink = Sink()
    deliver(done, sink)
    deliver(failed, sink)
    deliver(Outcome("done", blob=b"not a pickle"), sink)
    assert [e[0] for e in sink.events] == ["finished", "failed", "failed"]
    assert "could not be read" in sink.events[-1][1]


def _scoring(progress, stop, x: np.ndarray, calls: list) -> TrainedRun:
    """Trains nothing; scores `x` in batches of 10 with a stand-in model that asks to stop on its 2nd batch."""
    from core.engine.trainer import predict

    def model(batch, training=False):
        calls.append(len(batch))
        if len(calls) == 2:
            stop.request("Stopped by the user")
        return np.zeros((len(batch), 1), "float32")

    scores = predict(model, x, batch_size=10)
    return TrainedRun(TrainingResult("completed", "Done."), None, {"scores": scores})


def test_stop_ends_scoring_within_one_batch_and_the_run_ends_stopped():
    calls: list[int] = []
    outcome = execute(WorkSpec(_scoring, (np.zeros((100, 3), "float32"), calls)), LiveProgress(), StopSignal())
    assert outcome.state == "stopped" and "before its results were scored" in outcome.message
    assert len(calls) == 2  # the stop came during the 2nd of 10 batches: nothing after it


def test_a_run_stopped_while_scoring_ends_at_once_in_the_manager_with_a_notice():
    m = RunManager(RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB))
    try:
        run = m.submit("s1", "page", "Page", WorkSpec(_scoring, (np.zeros((100, 3), "float32"), [])), None)
        assert run.wait(30)
        assert run.state == "cancelled" and "scored" in run.notice and run.output is None
    finally:
        m.close()


def test_a_scripts_training_job_keeps_its_output_in_process_and_says_when_it_was_stopped():
    job = TrainingJob(WorkSpec(fx.counting, (3,))).start()
    assert job.wait(10) and job.state == "done" and isinstance(job.output, TrainedRun)
    stopped = TrainingJob(WorkSpec(_scoring, (np.zeros((100, 3), "float32"), []))).start()
    assert stopped.wait(30) and stopped.state == "stopped" and stopped.output is None
