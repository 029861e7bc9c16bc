"""The same runs on a Dask cluster: several app replicas share one pool of training workers.

The embedded default (core.engine.workers) needs no other service and is what Community Cloud
runs. A course with several app replicas sets `RNN_PLAYGROUND_SCHEDULER` to a Dask scheduler's
address (`tcp://scheduler:8786`); every replica's run manager then hands its runs to that
cluster instead of to local worker processes. Everything above the backend - identity, sharing,
the queue, Stop per watcher, the panel - is unchanged.

Why Dask (distributed) rather than Ray: it is pure Python (one pip package, no daemons besides
one scheduler and its workers), a `LocalCluster` starts in a second inside a test, and its task
keys give exactly the sharing we need - a task submitted under a key the scheduler already holds
is not run again, whichever client submitted it.

How a run travels (one Dask task per run, key = the run's identity from core.engine.runs):

    replica  -- client.submit(run_on_cluster, key, spec, key=identity) -->  scheduler --> a worker
    worker   -- Variable("rnn-progress:<key>") <- its progress log, republished every 0.25 s
    replica  -- polls that Variable, mirrors new records into the run's LiveProgress
    replica  -- Event("rnn-stop:<key>").set()   (Stop by the last watcher anywhere)
    worker   -- returns ("done", pickled output, custom-layer modules) or ("failed", message, detail)

* **Shared across replicas.** Two replicas asking for the same run submit the same key, so the
  scheduler runs it once and both get its progress (the Variable holds the whole log, so a late
  joiner catches up) and its result. A finished run stays in the cluster while any replica keeps
  it in its cache of finished runs.
* **Stop.** A replica whose last watcher presses Stop asks the scheduler which clients still want
  the task: if another replica does, it only lets go of its own future (its watchers detach);
  otherwise it sets the stop Event and the trainer stops before its next batch, returning what it
  learned.
* **A killed worker** fails the run with a clear message (deploy the scheduler with
  `DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0`, as compose.yaml does, or Dask silently
  starts it again elsewhere); every replica lets go of a failed or stopped task at once, so
  pressing Train again computes it afresh.

No Streamlit here; TensorFlow is imported only inside the cluster's workers. The run manager
imports this module only when a scheduler is configured.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from distributed import WorkerPlugin

from core.engine.execute import Outcome, deliver, execute, read_output
from core.engine.history import StopSignal
from core.engine.workers import RemoteProgress, RunSink, clear_after_run

logger = logging.getLogger(__name__)

PUBLISH_SECONDS = 0.25  # how often a worker republishes a run's progress log
POLL_SECONDS = 0.25  # how often a replica reads it
CONNECT_SECONDS = 10.0


def progress_name(key: str) -> str:
    return f"rnn-progress:{key}"


def stop_name(key: str) -> str:
    return f"rnn-stop:{key}"


# ----------------------------------------------------------------------------- inside a Dask worker

_tf_lock = threading.Lock()
_tf_ready = False


def worker_threads() -> int:
    """TensorFlow threads in a cluster worker: RNN_PLAYGROUND_TF_THREADS in the worker's environment, else
    TensorFlow's default (all the cores the worker sees: a worker runs one task at a time, `--nthreads 1`)."""
    raw = os.environ.get("RNN_PLAYGROUND_TF_THREADS", "").strip()
    return int(raw) if raw.isdigit() else 0


def prepare_tensorflow() -> None:
    """Configure TensorFlow's threads and warm it up, once per worker process (before its first run)."""
    global _tf_ready
    with _tf_lock:
        if _tf_ready:
            return
        from core.engine.workers import _configure_tensorflow, _warm_up  # TensorFlow: in a Dask worker only

        _configure_tensorflow(worker_threads())
        _warm_up()
        _tf_ready = True


class ProgressLog:
    """What a run has reported so far, as one picklable value a replica can mirror.

    `events` is append-only (phase, plan, batches, epoch records, in order); extras are kept
    latest-only with a version, because work functions re-send objects they update in place.
    """

    def __init__(self, attempt: str) -> None:
        self.attempt = attempt
        self.events: list[tuple[str, Any]] = []
        self.extras: dict[str, Any] = {}
        self.extras_version = 0
        self.version = 0
        self._lock = threading.Lock()

    def send(self, message: tuple) -> None:
        """RemoteProgress's `send`: ("progress", run_id, kind, payload)."""
        _, _, kind, payload = message
        with self._lock:
            if kind == "extras":
                self.extras = payload
                self.extras_version += 1
            else:
                self.events.append((kind, payload))
            self.version += 1

    def dumps(self) -> bytes:
        with self._lock:
            state = (self.attempt, list(self.events), self.extras_version, dict(self.extras))
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


class _Publisher:
    """A worker-side thread: republishes the log when it changed, and turns the stop Event into a StopSignal."""

    def __init__(self, key: str, log: ProgressLog, stop: StopSignal) -> None:
        from distributed import Event, Variable, get_client

        client = get_client()  # the worker's client, named explicitly: this object is used from another thread
        self._variable = Variable(progress_name(key), client=client)
        self._stop_event = Event(stop_name(key), client=client)
        self._log, self._stop = log, stop
        self._published = -1
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rnn-playground-publisher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._done.wait(PUBLISH_SECONDS):
            try:
                self.publish()
                if not self._stop.requested and self._stop_event.is_set():
                    self._stop.request("Stopped by the user")
            except Exception:  # the scheduler is briefly unreachable: try again next tick
                logger.debug("Could not publish progress", exc_info=True)

    def publish(self) -> None:
        version = self._log.version
        if version != self._published:
            self._variable.set(self._log.dumps())
            self._published = version

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.publish()


def run_on_cluster(key: str, spec: Any) -> Outcome:
    """The Dask task: run a WorkSpec on this worker (core.engine.execute, as a local worker does),
    publishing progress as it goes. A failure of the work is an outcome for the visitor, not a task error."""
    prepare_tensorflow()
    stop = StopSignal()
    log = ProgressLog(uuid.uuid4().hex)
    publisher = _Publisher(key, log, stop)
    progress = RemoteProgress(log.send, key)
    progress.set_phase("Starting on a cluster worker")
    try:
        return execute(spec, progress, stop)
    finally:
        publisher.close()
        with contextlib.suppress(Exception):
            clear_after_run()  # the same clean-up as a local worker: Keras' state, not TensorFlow's caches


class WarmUp(WorkerPlugin):
    """A Dask worker plugin: every worker (and every one that joins later) prepares TensorFlow in the
    background as soon as it starts, so the first run does not pay TensorFlow's start-up."""

    name = "rnn-playground-warm-up"

    def setup(self, worker) -> None:
        threading.Thread(target=prepare_tensorflow, daemon=True).start()


# ----------------------------------------------------------------------------- in an app replica


@dataclass
class _RemoteRun:
    key: str
    sink: RunSink
    future: Any
    applied: int = 0  # events mirrored so far
    extras_version: int = 0
    attempt: str = ""
    finished: bool = False


# ----------------------------------------------------------------------------- Dask's private names, in one place

TESTED_DASK = "2026.8"  # the distributed version these names were last checked against


def scheduler_wanters(check: bool = False) -> Callable[..., Any]:
    """A function to run on the scheduler (`client.run_on_scheduler(fn, key=...)`) that lists the client ids
    wanting task `key`, or None where this Dask lacks the names it reads; with `check`, one that says whether
    they are all there (the start-up self-check). Built here as a closure so Dask pickles it by value: the
    scheduler need not have the app's code.

    The only place the app reads Dask internals: `Scheduler.tasks` (key -> TaskState),
    `TaskState.who_wants` (typed `set[ClientState] | None`) and `ClientState.client_key`.
    """

    def has_names(dask_scheduler: Any) -> bool:
        from distributed.scheduler import ClientState, TaskState

        tasks = getattr(dask_scheduler, "tasks", None)
        return hasattr(tasks, "get") and hasattr(TaskState, "who_wants") and hasattr(ClientState, "client_key")

    def wanters(dask_scheduler: Any, key: str) -> list[str] | None:
        tasks = getattr(dask_scheduler, "tasks", None)
        if not hasattr(tasks, "get"):
            return None
        task = tasks.get(key)
        if task is None:
            return []
        if not hasattr(task, "who_wants"):
            return None
        ids = [getattr(client, "client_key", None) for client in task.who_wants or ()]
        return None if any(not isinstance(i, str) for i in ids) else sorted(ids)

    return has_names if check else wanters


class ClusterBackend:
    """Hands runs to a Dask cluster and mirrors their progress; the RunManager's other backend.

    `on_idle` is called when a run ends, so the manager can start the next queued one.
    """

    remote = True

    def __init__(self, address: str, on_idle: Callable[[], None]) -> None:
        from distributed import Client

        self.address = address
        self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        self._on_idle = on_idle
        self._lock = threading.RLock()
        self._active: dict[str, _RemoteRun] = {}
        self._kept: dict[str, Any] = {}  # finished runs' futures, kept while the manager caches them
        self._closed = False
        self.knows_wanters = self._check_dask_internals()
        try:
            self.client.register_plugin(WarmUp(), name=WarmUp.name)
        except Exception:
            logger.warning("Could not register the warm-up plugin on the cluster", exc_info=True)
        self._poller = threading.Thread(target=self._poll_forever, name="rnn-playground-cluster", daemon=True)
        self._poller.start()

    # --- capacity

    def capacity(self) -> int:
        """Runs the cluster can train at once (its worker threads); at least 1."""
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:
            return 1

    @property
    def name(self) -> str:
        return f"dask {self.address}"

    # --- starting, stopping, letting go

    def start(self, key: str, spec: Any, sink: RunSink) -> bool:
        """Hand the run to the cluster (the scheduler queues it until a worker is free)."""
        from distributed import Event, Variable

        try:
            if not self.wanted_by(key):  # a fresh computation: no stale Stop or progress may reach it
                Event(stop_name(key), client=self.client).clear()
                Variable(progress_name(key), client=self.client).set(b"")  # polls read "not started", never time out
            future = self.client.submit(run_on_cluster, key, spec, key=key, pure=False, retries=0)
        except Exception as err:
            sink.failed(
                "The training cluster could not take the run (it may be restarting) - press Train to retry.",
                f"{type(err).__name__}: {err}\n{traceback.format_exc()}",
            )
            self._on_idle()
            return True  # taken, and already ended
        remote = _RemoteRun(key, sink, future)
        with self._lock:
            self._active[key] = remote
        sink.progress("phase", "Waiting for a cluster worker")
        future.add_done_callback(lambda fut, r=remote: self._done(r))
        return True

    def wanted_by(self, key: str) -> list[str] | None:
        """Ids of the clients (app replicas) holding the task, as the scheduler sees them; None where this
        Dask no longer has the private names they are read from (see `scheduler_wanters`)."""
        if not self.knows_wanters:
            return None
        wanting = self.client.run_on_scheduler(scheduler_wanters(), key=key)
        return None if wanting is None else list(wanting)

    def others_watching(self, key: str) -> bool:
        """Whether another replica still wants this run (then our Stop only detaches us). Where that can't
        be known (an unreachable scheduler, a Dask without the names), only this replica's watchers count."""
        try:
            wanting = self.wanted_by(key)
        except Exception:
            return False
        return wanting is not None and any(client != self.client.id for client in wanting)

    def _check_dask_internals(self) -> bool:
        """Start-up self-check: can the scheduler tell which replicas want a task? If not, say so once."""
        try:
            ok = bool(self.client.run_on_scheduler(scheduler_wanters(check=True)))
        except Exception:
            logger.warning("Could not run the Dask self-check on the scheduler", exc_info=True)
            ok = False
        if not ok:
            logger.warning(
                "This Dask scheduler does not expose Scheduler.tasks / TaskState.who_wants / ClientState.client_key "
                "(private names, checked on Dask %s): a Stop then stops a run even if another app replica watches it",
                TESTED_DASK,
            )
        return ok

    def stop(self, key: str, reason: str) -> None:
        """Ask the run's trainer to stop before its next batch (whoever submitted it)."""
        from distributed import Event

        try:
            Event(stop_name(key), client=self.client).set()
        except Exception:
            logger.exception("Could not send Stop for %s to the cluster", key)

    def detach(self, key: str) -> None:
        """Let go of a run others still watch: it goes on for them; we stop mirroring it."""
        with self._lock:
            remote = self._active.pop(key, None)
        if remote is not None:
            remote.finished = True
            remote.future.release()
        self._on_idle()

    def release(self, key: str) -> None:
        """The manager no longer keeps this finished run: the cluster may forget it (when nobody else holds it)."""
        with self._lock:
            future = self._kept.pop(key, None)
        if future is not None:
            future.release()

    # --- progress and results

    def _poll_forever(self) -> None:
        while not self._closed:
            time.sleep(POLL_SECONDS)
            with self._lock:
                active = [r for r in self._active.values() if not r.finished]
            for remote in active:
                try:
                    self._poll(remote)
                except Exception:
                    logger.debug("Could not read progress of %s", remote.key, exc_info=True)

    def _poll(self, remote: _RemoteRun) -> None:
        from distributed import Variable

        try:
            blob = Variable(progress_name(remote.key), client=self.client).get(timeout=1.0)
        except TimeoutError:
            return  # deleted: the run has ended
        if not isinstance(blob, bytes) or not blob:
            return  # not started yet
        attempt, events, extras_version, extras = pickle.loads(blob)
        with self._lock:
            if remote.finished:
                return
            if attempt != remote.attempt:
                if remote.attempt:  # the task started again elsewhere: its log starts again
                    remote.sink.progress("phase", "Started again on another cluster worker")
                remote.attempt, remote.applied, remote.extras_version = attempt, 0, 0
            new, remote.applied = events[remote.applied :], len(events)
            fresh_extras = extras_version != remote.extras_version
            remote.extras_version = extras_version
        for kind, payload in new:
            remote.sink.progress(kind, payload)
        if fresh_extras and extras:
            remote.sink.progress("extras", extras)

    def _done(self, remote: _RemoteRun) -> None:
        """A Dask callback thread: the task finished, failed, or was cancelled."""
        with self._lock:
            if remote.finished or self._active.get(remote.key) is not remote:
                return
        future = remote.future
        outcome: Outcome | None = None
        message, detail = "", ""
        try:
            if future.status == "finished":
                outcome = future.result()
            elif future.status == "error":
                err = future.exception()
                message, detail = _failure_words(err), f"{type(err).__name__}: {err}"
            else:
                message, detail = "The run was cancelled on the training cluster - press Train to retry.", future.status
        except Exception as err:
            message, detail = _failure_words(err), traceback.format_exc()
        with contextlib.suppress(Exception):
            self._poll(remote)  # the last records before the result
        with self._lock:
            remote.finished = True
            self._active.pop(remote.key, None)
        if outcome is None:
            outcome = Outcome("failed", message=message, detail=detail)
        self._deliver(remote, outcome)
        self._cleanup(remote.key)
        self._on_idle()

    def _deliver(self, remote: _RemoteRun, outcome: Outcome) -> None:
        """Keep a finished, shareable run's future (identical requests share it); release anything else."""
        if outcome.state == "done":
            output = read_output_or_none(outcome)
            result = getattr(output, "result", None)
            if output is not None and getattr(result, "status", "") != "stopped":
                with self._lock:
                    self._kept[remote.key] = remote.future
            else:
                remote.future.release()  # a stopped or unreadable run is not what the same request would give
            if output is not None:
                remote.sink.finished(output, outcome.size)
                return
        else:
            remote.future.release()  # a failure is never shared: pressing Train computes it afresh
        deliver(outcome, remote.sink)

    def _cleanup(self, key: str) -> None:
        """Drop the run's progress Variable once nobody else is computing it."""
        from distributed import Variable

        with contextlib.suppress(Exception):
            if not any(client != self.client.id for client in self.wanted_by(key)):
                Variable(progress_name(key), client=self.client).delete()

    # --- the manager's pool-like face

    def rss(self) -> int:
        return 0  # training memory lives on the cluster's workers

    def baseline_rss(self) -> int:
        return 0

    def run_rss(self, key: str) -> int:
        return 0  # the run's memory is a cluster worker's

    def can_rehearse(self) -> bool:
        return False  # a cluster worker is not ours to keep busy ahead of a click

    def rehearse(self, key: str, spec: Any) -> bool:
        return False

    def pids(self) -> list[int]:
        return []

    def close(self) -> None:
        self._closed = True
        with self._lock:
            futures = [r.future for r in self._active.values()] + list(self._kept.values())
            self._active.clear()
            self._kept.clear()
        for future in futures:
            with contextlib.suppress(Exception):
                future.release()
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


def read_output_or_none(outcome: Outcome) -> Any:
    """A done outcome's output, or None where it can't be read here (deliver then reports the failure)."""
    try:
        return read_output(outcome)
    except Exception:
        logger.debug("Could not read a cluster run's output", exc_info=True)
        return None


def _failure_words(err: BaseException) -> str:
    name = type(err).__name__
    if name == "KilledWorker":
        return (
            "The training worker stopped unexpectedly (it ran out of memory or crashed). "
            "Nothing else was affected - press Train to retry, or make the model or data smaller."
        )
    if name in ("CancelledError", "FutureCancelledError"):
        return "The run was cancelled on the training cluster - press Train to retry."
    if "Comm" in name or isinstance(err, OSError | TimeoutError):
        return "The training cluster could not be reached - press Train to retry in a moment."
    return f"The run failed on the training cluster ({name}) - press Train to retry."
