"""The Dask backend, end to end on a real local cluster (a scheduler here, two worker processes).

Two RunManagers stand for two app replicas sharing the cluster. Real runs go through it: a tiny
Sentiment run (live progress, then the trained model scores a review here) and a tiny Gradient-lab
run; Stop; one computation for the same run asked from both replicas; Stop by one replica
detaching it while the other watches; a killed worker as a clear error, and the retry training.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.engine.history import TrainingResult
from core.engine.run import TrainedRun
from core.engine.runs import MB, RunManager, RunSettings
from core.engine.training_job import WorkSpec
from tests.unit.engine import run_fixtures as fx

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def cluster():
    # As compose.yaml deploys it: a worker that dies fails its task instead of re-running it elsewhere.
    # One TensorFlow thread per worker (read by each worker from its environment), as the test box has 2 cores.
    saved = os.environ.get("RNN_PLAYGROUND_TF_THREADS")
    os.environ["RNN_PLAYGROUND_TF_THREADS"] = "1"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        yield local
        local.close()
    if saved is None:
        os.environ.pop("RNN_PLAYGROUND_TF_THREADS", None)
    else:
        os.environ["RNN_PLAYGROUND_TF_THREADS"] = saved


def replica(cluster) -> RunManager:
    settings = RunSettings(workers=0, memory_budget=64_000 * MB, scheduler=cluster.scheduler_address)
    manager = RunManager(settings)
    assert manager.cluster is not None and manager.pool is None
    return manager


@pytest.fixture(scope="module")
def replicas(cluster):
    first, second = replica(cluster), replica(cluster)
    yield first, second
    first.close()
    second.close()


@pytest.fixture(autouse=True)
def _clean(replicas):
    yield
    for manager in replicas:
        manager.stop_all()
        manager.forget_finished()


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# ----------------------------------------------------------------------------- work functions for the cluster


def logged_counting(progress, stop, log: str, steps: int = 40, delay: float = 0.05, seed: int = 0) -> TrainedRun:
    """Counts like fx.counting, appending one line per execution to `log` (how many times it really ran)."""
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")
    return fx.counting(progress, stop, steps=steps, delay=delay, seed=seed)


def crash_once(progress, stop, marker: str) -> TrainedRun:
    """Kills its worker process the first time (as the OOM killer would); trains normally after that."""
    if not Path(marker).exists():
        Path(marker).write_text("crashed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return fx.counting(progress, stop, steps=3, seed=5)


# ----------------------------------------------------------------------------- tests


def test_a_tiny_sentiment_run_streams_progress_and_its_model_scores_a_review(replicas):
    from core.data import imdb
    from core.engine.config import ModelConfig, TrainConfig
    from core.sentiment import jobs
    from core.sentiment.config import ImdbChoice, SentimentRun, padded_arrays
    from core.sentiment.training import score

    data = imdb.load_offline(num_words=300, train_size=400, test_size=120)
    run_config = SentimentRun(
        ImdbChoice(num_words=300, max_length=20, train_size=360, test_size=120, embedding_dim=4),
        ModelConfig(pattern="many_to_one", cell="GRU", units=4),
        TrainConfig(epochs=4, batch_size=32, learning_rate=1e-2),
    )
    manager = replicas[0]
    spec = jobs.spec(run_config, padded_arrays(data, 20), 300)
    run = manager.submit("s1", "sentiment", "Sentiment", spec, run_config)
    seen_while_training: list[int] = []
    wait_for(lambda: seen_while_training.append(run.progress.batch_count) or not run.running)
    assert run.state == "done", run.error_detail
    snap = run.progress.snapshot()
    total = len(snap.batches)
    assert total == 4 * 12  # 360 reviews in batches of 32, 4 epochs: every record mirrored
    assert any(0 < seen < total for seen in seen_while_training)  # live: part of the curve before the end
    assert snap.batches["loss"].tolist() == [b.loss for b in run.output.result.batches]  # every record mirrored
    review = data.vocab.encode("a wonderful , moving film with a great cast")[:20]
    ids = np.zeros((1, 20), "int32")
    ids[0, : len(review)] = review
    probability = float(score(run.output.model, ids)[0])  # the weights came back: it scores here
    assert 0.0 < probability < 1.0
    assert run.output.test_accuracy == pytest.approx(
        float(np.mean((run.output.test_probabilities > 0.5) == run.output.test_labels))
    )


def test_a_tiny_gradient_lab_run_through_the_cluster(replicas):
    from core.data import memory_tasks
    from core.gradients import jobs as gradient_jobs
    from core.gradients.config import PRESETS

    task = memory_tasks.adding_task(10, train_size=64, test_size=16)
    preset = PRESETS["Tiny: a few seconds"]
    config = replace(preset, source=replace(preset.source, length=10), train=replace(preset.train, batch_size=32))
    run = replicas[1].submit("s1", "gradients", "Gradient lab", gradient_jobs.make_single_work(config, task), config)
    wait_for(lambda: not run.running)
    assert run.state == "done", run.error_detail
    assert run.output.result.status == "completed" and run.output.score == task.score
    assert run.progress.snapshot().batches["loss"].tolist() == [b.loss for b in run.output.result.batches]
    prediction = np.asarray(run.output.model(task.x_test[:2]))
    assert prediction.shape[0] == 2 and np.isfinite(prediction).all()


def test_stop_stops_the_run_on_the_cluster(replicas):
    manager = replicas[0]
    run = manager.submit("s1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 11}), None)
    wait_for(lambda: run.progress.batch_count >= 3)
    assert manager.stop(run, "s1") == "stopped"
    wait_for(lambda: not run.running, 60)
    assert run.state == "done" and run.output.result.status == "stopped"
    assert run.output.result.message == "Stopped by the user"
    again = manager.submit("s1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 11, "limit": 0.5}), None)
    wait_for(lambda: not again.running, 60)
    assert again.state == "done"  # a stop reaches only the run it was meant for


def test_the_same_run_from_two_replicas_is_computed_once(replicas, tmp_path):
    log = tmp_path / "executions.log"
    spec = WorkSpec(logged_counting, (str(log),), {"steps": 40, "delay": 0.05, "seed": 3})
    first = replicas[0].submit("a", "page", "Page", spec, None)
    wait_for(lambda: first.progress.batch_count >= 2)
    second = replicas[1].submit("b", "page", "Page", spec, None)  # another replica, while it trains
    wait_for(lambda: not first.running and not second.running)
    assert first.state == second.state == "done"
    assert log.read_text().count("\n") == 1  # one computation for both
    assert len(second.progress.snapshot().batches) == 40  # the late joiner caught up on the whole curve
    assert [b.loss for b in first.output.result.batches] == [b.loss for b in second.output.result.batches]
    third = replicas[1].submit("c", "page", "Page", spec, None)  # finished: shared from the cache
    assert third is second and log.read_text().count("\n") == 1


def test_stop_by_one_replica_detaches_while_another_watches(replicas):
    spec = WorkSpec(fx.until_stopped, (), {"seed": 21, "limit": 60.0})
    here = replicas[0].submit("a", "page", "Page", spec, None)
    wait_for(lambda: here.progress.batch_count >= 2)
    there = replicas[1].submit("b", "page", "Page", spec, None)
    wait_for(lambda: there.progress.batch_count >= 2)
    assert replicas[0].stop(here, "a") == "detached"  # the other replica still watches
    assert here.state == "cancelled" and "another server" in here.error
    count = there.progress.batch_count
    wait_for(lambda: there.progress.batch_count > count + 2, 30)  # it goes on for them
    assert there.running
    assert replicas[1].stop(there, "b") == "stopped"  # the last watcher anywhere stops it
    wait_for(lambda: not there.running, 60)
    assert there.output.result.status == "stopped"


def test_a_replica_shutting_down_leaves_runs_another_replica_watches(replicas, cluster):
    spec = WorkSpec(fx.until_stopped, (), {"seed": 31, "limit": 60.0})
    leaving = replica(cluster)
    gone = leaving.submit("a", "page", "Page", spec, None)
    wait_for(lambda: gone.progress.batch_count >= 2)
    there = replicas[1].submit("b", "page", "Page", spec, None)
    wait_for(lambda: there.progress.batch_count >= 2)
    leaving.close()  # e.g. a replica scaled down
    count = there.progress.batch_count
    wait_for(lambda: there.progress.batch_count > count + 2, 30)
    assert there.running  # not stopped for the visitors of the other replica
    assert replicas[1].stop(there, "b") == "stopped"
    wait_for(lambda: not there.running, 60)


def test_a_killed_worker_is_a_clear_error_and_the_run_can_be_retried(replicas, cluster, tmp_path):
    spec = WorkSpec(crash_once, (str(tmp_path / "crashed"),))
    manager = replicas[0]
    run = manager.submit("s1", "page", "Page", spec, None)
    wait_for(lambda: not run.running, 120)
    assert run.state == "failed"
    assert "worker stopped unexpectedly" in run.error and "press Train to retry" in run.error
    assert "Traceback" not in run.error
    cluster.wait_for_workers(2, timeout=120)  # the nanny started a fresh worker
    retry = manager.submit("s1", "page", "Page", spec, None)
    wait_for(lambda: not retry.running, 120)
    assert retry.state == "done", retry.error_detail
    assert isinstance(retry.output.result, TrainingResult) and retry.output.result.status == "completed"


def test_an_unreachable_scheduler_falls_back_to_local_workers(monkeypatch):
    import core.engine.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 1.0)
    settings = RunSettings(workers=0, memory_budget=64_000 * MB, scheduler="tcp://127.0.0.1:9")
    manager = RunManager(settings)
    try:
        assert manager.cluster is None and manager.status()["backend"] == "threads"
        run = manager.submit("s1", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": 1}), None)
        assert run.wait(30) and run.state == "done"  # the embedded default keeps working alone
    finally:
        manager.close()


def test_the_scheduler_setting_comes_from_the_environment():
    settings = RunSettings.from_env({"RNN_PLAYGROUND_SCHEDULER": " tcp://scheduler:8786 "})
    assert settings.scheduler == "tcp://scheduler:8786" and not settings.max_running_explicit
    assert RunSettings.from_env({}).scheduler == ""
    assert RunSettings.from_env({"RNN_PLAYGROUND_MAX_RUNS": "3"}).max_running_explicit


def test_the_progress_log_keeps_records_in_order_and_extras_latest_only():
    from core.engine.cluster import ProgressLog

    log = ProgressLog("attempt-1")
    log.send(("progress", "k", "phase", "Training"))
    log.send(("progress", "k", "extras", {"pid": 1}))
    log.send(("progress", "k", "extras", {"pid": 2}))
    import pickle

    attempt, events, extras_version, extras = pickle.loads(log.dumps())
    assert attempt == "attempt-1" and events == [("phase", "Training")]
    assert extras_version == 2 and extras == {"pid": 2}  # extras are latest-only


def test_a_replica_trains_as_many_runs_at_once_as_the_cluster_has_worker_threads(replicas):
    wait_for(lambda: replicas[0].max_running == 2, 30)  # 2 workers x 1 thread (followed every 10 s after a restart)
    status = replicas[0].status()
    assert status["max_running"] == 2
    assert status["backend"].startswith("dask tcp://") and status["workers_rss_mb"] == 0
