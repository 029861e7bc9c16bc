"""The background training job: progress snapshots, stop, and failures as messages."""

import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
from core.engine.models import build_model
from core.engine.run import TrainedRun
from core.engine.trainer import Trainer
from core.engine.training_job import TrainingJob


def work_factory(epochs=2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")

    def work(progress, stop):
        model = build_model(ModelConfig(units=4), InputSpec(length=8), OutputSpec())
        trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=epochs, batch_size=16))
        return TrainedRun(trainer.fit(x, y, callbacks=[progress], stop=stop), model, config=None)

    return work


def test_job_runs_in_background_and_reports_progress():
    job = TrainingJob(work_factory()).start()
    assert job.wait(120)
    assert job.state == "done", job.error
    snap = job.progress.snapshot()
    assert snap.fraction == 1.0
    assert len(snap.epochs) == 2
    assert {"loss", "accuracy", "grad_norm"} <= set(snap.batches.columns)


def test_stop_ends_the_job_with_a_stopped_result():
    job = TrainingJob(work_factory(epochs=50))
    job.stop()  # requested before the first batch
    job.start()
    assert job.wait(120)
    assert job.output.result.status == "stopped"


def test_a_failing_work_function_becomes_an_error_message():
    def work(progress, stop):
        raise ValueError("bad input")

    job = TrainingJob(work).start()
    assert job.wait(10)
    assert job.state == "failed"
    assert "bad input" in job.error


def test_snapshot_thins_long_histories():
    job = TrainingJob(work_factory(epochs=3)).start()
    job.wait(120)
    snap = job.progress.snapshot(max_points=10)
    assert len(snap.batches) <= 12
    assert snap.batches["step"].iloc[-1] == 48
