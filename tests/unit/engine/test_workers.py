"""Runs in worker processes: progress streams back, the trained model comes back and predicts,
Stop reaches the worker, a crashed worker is a clear error and is replaced, the server lives on."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from core.engine.runs import MB, RunManager, RunSettings
from core.engine.training_job import WorkSpec
from tests.unit.engine import run_fixtures as fx


@pytest.fixture(scope="module")
def pooled():
    m = RunManager(RunSettings(workers=1, max_running=1, memory_budget=64_000 * MB, tf_threads=1))
    assert m.pool.wait_ready(180)
    yield m
    m.close()


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 1)).astype("float32")
    return x, (x.sum(axis=(1, 2)) > 0).astype("float32")


def test_a_run_in_a_worker_streams_progress_and_returns_a_working_model(pooled):
    x, y = data()
    run = pooled.submit("s1", "page", "Page", WorkSpec(fx.tiny_keras, (x, y)), None)
    assert run.wait(120), run.progress.snapshot().phase
    assert run.state == "done", run.error_detail
    assert run.progress.extra("pid") == pooled.pool.workers[0].pid != os.getpid()  # it trained elsewhere
    snap = run.progress.snapshot()
    assert len(snap.batches) == 8 and len(snap.epochs) == 2  # 64 / 16 x 2 epochs, every record mirrored
    assert snap.batches["loss"].tolist() == [b.loss for b in run.output.result.batches]
    assert run.size > 0
    probabilities = np.asarray(run.output.model(x[:4]))  # the weights came back: it predicts here
    assert probabilities.shape == (4, 1) and np.all((probabilities > 0) & (probabilities < 1))


def test_a_worker_reuses_traced_steps_and_a_rehearsal_and_every_run_matches_a_fresh_one(pooled):
    from core.engine.history import StopSignal
    from core.engine.training_job import LiveProgress

    x, y = data()
    fresh = {seed: fx.tiny_keras_seeded(LiveProgress(), StopSignal(), x, y, seed) for seed in (1, 2, 3)}

    def in_worker(seed: int):
        run = pooled.submit("s1", "reuse", "Reuse", WorkSpec(fx.tiny_keras_seeded, (x, y, seed)), None)
        assert run.wait(120) and run.state == "done", run.error_detail
        return run.output

    first, second = in_worker(1), in_worker(2)
    assert second.config["reused"] == first.config["reused"] + 1  # the same shape: the kept model and its steps
    worker = pooled.pool.workers[0]
    assert pooled.rehearse("reuse", WorkSpec(fx.tiny_keras_seeded, (x, y, 3)), None)
    assert not pooled.rehearse("reuse", WorkSpec(fx.tiny_keras_seeded, (x, y, 3)), None)  # once per worker
    deadline = time.monotonic() + 60
    while worker.rehearsing:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    third = in_worker(3)
    assert third.config["reused"] == second.config["reused"] + 2  # the rehearsal, then the run
    for seed, out in zip((1, 2, 3), (first, second, third), strict=True):
        assert [b.loss for b in out.result.batches] == [b.loss for b in fresh[seed].result.batches]
        for ours, theirs in zip(out.model.get_weights(), fresh[seed].model.get_weights(), strict=True):
            assert np.array_equal(ours, theirs)


def test_nothing_is_rehearsed_while_a_run_trains(pooled):
    run = pooled.submit("s1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 8}), None)
    assert not pooled.can_rehearse()
    assert not pooled.rehearse("page", WorkSpec(fx.counting, (3,), {"seed": 1}), None)
    pooled.stop(run, "s1")
    assert run.wait(30)


def test_stop_reaches_the_worker(pooled):
    run = pooled.submit("s1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 7}), None)
    deadline = time.monotonic() + 60
    while run.progress.batch_count < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert pooled.stop(run, "s1") == "stopped"
    assert run.wait(30) and run.output.result.status == "stopped"
    assert run.output.result.message == "Stopped by the user"


def test_a_crashed_worker_is_a_clear_error_and_a_fresh_worker_takes_over(pooled):
    old_pid = pooled.pool.workers[0].pid
    run = pooled.submit("s1", "page", "Page", WorkSpec(fx.crashing), None)
    assert run.wait(60) and run.state == "failed"
    assert "worker stopped unexpectedly" in run.error and "exit code 3" in run.error
    assert "Traceback" not in run.error
    assert pooled.pool.wait_ready(180)
    assert pooled.pool.workers[0].pid != old_pid
    retry = pooled.submit("s1", "page", "Page", WorkSpec(fx.counting, (4,), {"seed": 99}), None)
    assert retry.wait(60) and retry.state == "done"  # the server and the pool still serve


def test_an_error_in_the_work_is_a_message_and_the_worker_lives_on(pooled):
    pid = pooled.pool.workers[0].pid
    run = pooled.submit("s1", "page", "Page", WorkSpec(fx.failing), None)
    assert run.wait(60) and run.state == "failed" and "bad input" in run.error
    assert "Traceback" in run.error_detail  # for the log
    assert pooled.pool.workers[0].pid == pid


def test_a_fresh_worker_waits_for_a_quiet_server_unless_a_run_is_waiting():
    import socket
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    from core.engine.worker_process import await_quiet_server

    ours, theirs = socket.socketpair()
    server, worker = Connection(ours.detach()), Connection(theirs.detach())
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # both have started
        assert await_quiet_server(worker, busy.pid, most=1.0) == "timeout"  # a busy server: wait, but not forever
        # (the machine's own load is left out here: this one is shared, and the busy process is on it)
        assert await_quiet_server(worker, idle.pid, most=10.0, machine_share=None) == "quiet"
        server.send(("wake",))
        start = time.monotonic()
        assert await_quiet_server(worker, busy.pid, most=10.0) == "message"  # a run is waiting: warm up now
        assert time.monotonic() - start < 1.0
    finally:
        for process in (idle, busy):
            process.kill()
            process.wait()
        server.close()
        worker.close()
