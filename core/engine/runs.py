"""Many visitors, one server: shared runs, an admission queue and a memory budget.

Every press of Train becomes a *run request*: the page, and a WorkSpec (core.engine.training_job)
holding everything that determines the run - its function, the full configuration with its seed,
and the data arrays. The run's identity is a hash of exactly that, so

* **identical runs are computed once**: a session asking for a run that is queued, training or
  finished (kept in a bounded cache of finished runs) attaches to it and sees the same live
  progress, curves and trained model;
* **distinct runs queue fairly**: at most `max_running` train at once (in worker processes,
  core.engine.workers); the rest wait their turn, each session seeing its place and an ETA. Turns
  go round the client addresses (a session without one is its own client): a client's first run
  waits only for what is training, never behind another client's queued runs, and a client's
  further runs wait behind every other client's earlier ones (arrival order within a client);
* **a queued run holds its configuration, not its data**: a page's request comes with the function
  that builds it, so a waiting run keeps only that, and its arrays are rebuilt (from the shared
  data cache) when it starts - checked to be the very same request;
* **a heavy client yields to a light one**: when every slot trains and the next run to start is from a
  client with nothing training, while a training run's client has further runs waiting (one address
  pressing Train from many sessions), that run yields within a batch and goes back to the queue - it
  starts again from the beginning (runs are seeded: the same result) when its turn comes. A run yields
  at most once, and not in its last seconds, so a light client waits about one batch, not a whole run;
* **one session holds one run**: a session watching a queued or training run cannot start
  another (on any page) until it stops or leaves that one;
* **memory is budgeted**: a run whose estimated footprint can never fit in the budget is refused
  with a message saying what to shrink; one that does not fit now waits at the head of the queue;
* **nobody is left behind**: watchers are seen each time their page polls the run; a session that
  closed its tab (the server reports the disconnect) or, where that can't be known, stopped
  polling for a minute is dropped from the queue - a connected visitor on another page keeps its
  place - and a training run nobody watches any more is stopped, keeping what it learned.

Stopping is per watcher: the last watcher's Stop stops the run; anyone else's only detaches them.

No Streamlit here (ui/runs.py is the glue); no TensorFlow either (it lives in the workers).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
import time
import uuid
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from core.engine.backends import Backend, LocalBackend, ThreadBackend
from core.engine.footprint import Footprint, footprint_of
from core.engine.history import StopSignal, TrainingResult
from core.engine.training_job import LiveProgress, WorkSpec
from core.engine.workers import RunSink, WorkerPool, rss_bytes

logger = logging.getLogger(__name__)

RunState = Literal["queued", "running", "done", "failed", "cancelled"]
MB = 2**20
DEFAULT_EXPECTED_SECONDS = 60.0  # a preset's time in the app, until a run of that page has finished


# ----------------------------------------------------------------------------- settings


def _env_int(name: str, default: int, environ: dict[str, str]) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        logger.warning("Ignoring %s=%r (not a whole number); using %s", name, raw, default)
        return default


@dataclass(frozen=True)
class RunSettings:
    """A deployer's settings (environment variables), never a visitor's.

    RNN_PLAYGROUND_WORKERS        worker processes; 0 trains on threads in the server (default: cores / 2, 1 to 4)
    RNN_PLAYGROUND_MAX_RUNS       runs training at once (default: the workers, or 1)
    RNN_PLAYGROUND_MEMORY_MB      memory budget for the server and its workers together (default 2500)
    RNN_PLAYGROUND_FINISHED_RUNS  finished runs kept for sharing (default 16)
    RNN_PLAYGROUND_FINISHED_MB    memory those may take (default 300)
    RNN_PLAYGROUND_TF_THREADS     TensorFlow threads per worker (default: cores / workers)
    RNN_PLAYGROUND_RETIRE_MB      a worker bigger than this after a run is replaced (default 1000)
    RNN_PLAYGROUND_REHEARSALS     0: idle workers do not rehearse the configurations pages show (default 1)
    RNN_PLAYGROUND_RUN_MINUTES    the longest a run may train, in estimated CPU minutes (default 10); a run
                                  estimated longer is refused up front, one running 3x that long is stopped
    RNN_PLAYGROUND_QUEUE          runs waiting at once, all visitors together (default 8)
    RNN_PLAYGROUND_QUEUE_PER_CLIENT  runs waiting at once from one address (default 4: a classroom behind one
                                  NAT address shares it; each session holds one run anyway)
    RNN_PLAYGROUND_QUEUE_MB       data the waiting runs may hold together (default 400)
    RNN_PLAYGROUND_QUEUE_MINUTES  the longest a run may wait in the queue (default 15)
    RNN_PLAYGROUND_PREEMPT        0: a heavy client's training run never yields to a light client's (default 1)
    RNN_PLAYGROUND_HELD_MB        finished models sessions hold, all together (default 600; past it the
                                  oldest are let go: a visitor trains again, or gets the shared cache's copy)
    RNN_PLAYGROUND_SCHEDULER      a Dask scheduler's address (tcp://host:8786): runs train on that cluster,
                                  shared by every app replica, instead of in local workers (default: off)
    RNN_PLAYGROUND_SPEC_DUMP      a folder: every new run's WorkSpec is also pickled there (for
                                  bench/in_app.py, which replays the very same run in a script; off by default)
    """

    workers: int = 1
    max_running: int = 1
    memory_budget: int = 2500 * MB
    finished_runs: int = 16
    finished_bytes: int = 300 * MB
    tf_threads: int = 2
    retire_rss: int = 1000 * MB
    abandon_after: float = 180.0  # a training run nobody has polled for this long is stopped
    queue_abandon_after: float = 60.0  # a queued watcher unseen this long leaves the queue
    disconnect_grace: float = 10.0  # a closed tab leaves after this (reconnects are allowed)
    spec_dump: str = ""
    scheduler: str = ""  # a Dask scheduler's address: train there (core.engine.cluster)
    max_running_explicit: bool = False  # RNN_PLAYGROUND_MAX_RUNS was given (else a cluster's size decides)
    rehearsals: bool = True  # idle workers rehearse the configurations pages show (core.engine.reuse)
    max_run_seconds: float = 600.0  # estimated CPU seconds one run may take (refused up front beyond)
    overrun_factor: float = 3.0  # a run training this many times its allowance (wall clock) is stopped
    max_queue: int = 8  # queued runs, all visitors together
    max_queue_per_client: int = 4  # queued runs from one client address
    max_queue_bytes: int = 400 * MB  # data the queued runs hold together
    max_queue_age: float = 900.0  # a run queued this long leaves the queue
    watcher_max_silence: float = 600.0  # a watcher unseen this long leaves, connected or not
    held_bytes: int = 600 * MB  # finished outputs sessions hold; past it the oldest are let go
    # A heavy client's training run yields to a light client's waiting run (the app's default; off here so a
    # test drives the plain fair queue unless it asks for this).
    preempt: bool = False
    preempt_min_remaining: float = 3.0  # a run this close to its end (estimated seconds) finishes instead

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RunSettings:
        env = dict(os.environ if environ is None else environ)
        cores = max(1, os.cpu_count() or 1)
        # One worker per two cores: a small RNN's training is CPU-bound, so two runs on two cores
        # finish no sooner than one after the other, and every worker costs ~0.5-0.9 GB of memory.
        workers = max(0, min(8, _env_int("RNN_PLAYGROUND_WORKERS", max(1, min(4, cores // 2)), env)))
        max_running = max(1, _env_int("RNN_PLAYGROUND_MAX_RUNS", max(1, workers), env))
        if workers:
            max_running = min(max_running, workers)
        # A lone run gets the cores of its share, so on a 2-core host it trains as fast as its script.
        threads = _env_int("RNN_PLAYGROUND_TF_THREADS", max(1, cores // max(1, workers)), env)
        return cls(
            workers=workers,
            max_running=max_running,
            memory_budget=max(256, _env_int("RNN_PLAYGROUND_MEMORY_MB", 2500, env)) * MB,
            finished_runs=max(0, _env_int("RNN_PLAYGROUND_FINISHED_RUNS", 16, env)),
            finished_bytes=max(0, _env_int("RNN_PLAYGROUND_FINISHED_MB", 300, env)) * MB,
            tf_threads=max(0, threads),
            retire_rss=max(0, _env_int("RNN_PLAYGROUND_RETIRE_MB", 1000, env)) * MB,
            spec_dump=env.get("RNN_PLAYGROUND_SPEC_DUMP", "").strip(),
            scheduler=env.get("RNN_PLAYGROUND_SCHEDULER", "").strip(),
            max_running_explicit=bool(env.get("RNN_PLAYGROUND_MAX_RUNS", "").strip()),
            rehearsals=_env_int("RNN_PLAYGROUND_REHEARSALS", 1, env) != 0,
            max_run_seconds=60.0 * max(1, _env_int("RNN_PLAYGROUND_RUN_MINUTES", 10, env)),
            max_queue=max(1, _env_int("RNN_PLAYGROUND_QUEUE", 8, env)),
            max_queue_per_client=max(1, _env_int("RNN_PLAYGROUND_QUEUE_PER_CLIENT", 4, env)),
            max_queue_bytes=max(16, _env_int("RNN_PLAYGROUND_QUEUE_MB", 400, env)) * MB,
            max_queue_age=60.0 * max(1, _env_int("RNN_PLAYGROUND_QUEUE_MINUTES", 15, env)),
            held_bytes=max(64, _env_int("RNN_PLAYGROUND_HELD_MB", 600, env)) * MB,
            preempt=_env_int("RNN_PLAYGROUND_PREEMPT", 1, env) != 0,
        )


# ----------------------------------------------------------------------------- identity and size


class _Hasher:
    """A file-like sink for pickle that hashes and counts instead of storing."""

    def __init__(self) -> None:
        self.digest = hashlib.blake2b(digest_size=16)
        self.size = 0

    def write(self, data) -> int:
        view = memoryview(data).cast("B")  # bytes, or a PickleBuffer over an array's memory
        self.digest.update(view)
        self.size += view.nbytes
        return view.nbytes


def run_identity(page: str, spec: WorkSpec) -> tuple[str, int]:
    """The run's key (page + hash of everything it is made of) and its pickled size in bytes.

    The spec is hashed as it is pickled - function name, configuration with seed, data arrays -
    without keeping the bytes, so identical runs get identical keys and distinct data never collides.
    """
    sink = _Hasher()
    pickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL).dump(spec)
    return f"{page}:{sink.digest.hexdigest()}", sink.size


def _walk(obj: Any, depth: int = 0) -> Iterable[tuple[str, Any]]:
    """(field name, value) for every field of a nested dataclass configuration."""
    if depth > 6 or not is_dataclass(obj) or isinstance(obj, type):
        return
    for f in fields(obj):
        value = getattr(obj, f.name, None)
        yield f.name, value
        yield from _walk(value, depth + 1)


def estimate_run_bytes(config: Any, payload_bytes: int) -> int:
    """A run's peak memory (worker growth), from the footprint its configuration declares
    (core.engine.footprint: data copies, weights with optimiser state, training and evaluation
    batches, traced graphs). A configuration declaring none (a test's bare work) counts its data
    copies and one graph allowance."""
    footprint = footprint_of(config)
    if footprint is None:
        return int(3 * payload_bytes + 64 * MB)
    return footprint.memory_bytes(payload_bytes)


def shrink_advice(config: Any) -> str:
    """What a visitor can shrink to make a run fit (named after the configuration's own fields)."""
    names = {name for name, _ in _walk(config)}
    options = [
        label
        for field_name, label in (
            ("epochs", "fewer epochs"),
            ("train_size", "fewer training examples"),
            ("num_words", "a smaller vocabulary"),
            ("max_chars", "less text"),
            ("sequence_length", "shorter sequences"),
            ("max_length", "shorter sequences"),
            ("window", "a shorter window"),
            ("units", "fewer units"),
            ("layers", "fewer layers"),
            ("batch_size", "a smaller batch"),
        )
        if field_name in names
    ]
    return ", ".join(dict.fromkeys(options)) if options else "a smaller model or less data"


# ----------------------------------------------------------------------------- one shared run


class AdmissionError(RuntimeError):
    """A run that cannot be admitted; the message is for the visitor."""


class QueueFull(AdmissionError):
    """The queue has no room for this run now (all visitors together, or this client's share)."""


@dataclass(frozen=True)
class Admission:
    """A request that passed admission: its identity and what it will cost."""

    key: str
    payload: int  # bytes of the pickled spec (its data)
    estimate: int  # peak memory, bytes
    seconds: float  # estimated CPU seconds (0: not declared)


class BusyElsewhere(AdmissionError):
    """The session already holds a queued or training run (on `other.page`)."""

    def __init__(self, other: SharedRun) -> None:
        self.other = other
        super().__init__(f"You already have a run {other.state_words} on {other.title}.")


class SharedRun:
    """One run and everyone watching it; reads like a TrainingJob to the training panel."""

    def __init__(
        self,
        key: str,
        page: str,
        title: str,
        spec: WorkSpec | None,
        config: Any,
        estimate: int,
        client: str = "",
        rebuild: Callable[[], WorkSpec] | None = None,
        owner: str = "",
    ) -> None:
        self.key, self.page, self.title = key, page, title
        self.client = client  # the visitor's address (a queue share is per address)
        self.owner = owner or client  # whose turn it is in the queue: the address, else the submitting session
        self.rebuild = rebuild  # builds the spec again at dispatch: a queued run then holds no data
        self.payload = 0  # bytes of the pickled spec: the data a queued run holds
        self.seconds = 0.0  # estimated CPU seconds
        self.evicted = False  # its output was let go to keep sessions' models within the budget
        self.notice = ""  # why it ended without an output, for the visitor (stopped while scoring, waited too long)
        self.label = page
        self.spec: WorkSpec | None = spec
        self.config = config
        self.estimate = estimate
        self.progress = LiveProgress()
        self.stop_signal = StopSignal()
        self.state: RunState = "queued"
        self.output: Any = None
        self.error = ""
        self.error_detail = ""
        self.size = 0  # bytes of the finished output, as pickled
        self.submitted = time.monotonic()
        self.queued_since = self.submitted  # its time in the queue counts from here (again after it yielded)
        self.started: float | None = None
        self.ended: float | None = None
        self.watchers: dict[str, float] = {}  # session -> when it last polled
        self.rss_at_start = 0
        self.yielding = False  # asked to yield its slot to a lighter client's run (it goes back to the queue)
        self.yielded = 0  # how many times it did
        self._done = threading.Event()
        self._on_end: Callable[[SharedRun], None] = lambda run: None
        self._on_yield: Callable[[SharedRun], None] | None = None

    # --- the TrainingJob face the panel reads

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def queued(self) -> bool:
        return self.state == "queued"

    @property
    def state_words(self) -> str:
        return "waiting in the queue" if self.state == "queued" else "training"

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def result(self) -> TrainingResult | None:
        return getattr(self.output, "result", None)

    @property
    def shareable(self) -> bool:
        """Finished, and not cut short by a Stop: the same request would give the same result."""
        result = self.result
        return self.state == "done" and result is not None and result.status != "stopped"

    def evict(self) -> None:
        """Let go of the finished output (its model): sessions holding it train again or share the cache's."""
        self.output, self.evicted = None, True

    # --- what the worker (through _Sink) or the in-process thread reports

    def finished(self, output: Any, size: int) -> None:
        result = getattr(output, "result", None)
        if self._yields_now() and (result is None or result.status == "stopped"):
            return
        self.output, self.size = output, size
        self._end("done", "Finished")

    def failed(self, message: str, detail: str) -> None:
        self.error, self.error_detail = message, detail
        self._end("failed", "Failed")

    def stopped(self, message: str) -> None:
        """The Stop ended the work before it returned (during evaluation or scoring): nothing to keep."""
        if self._yields_now():
            return
        self.error = self.notice = message
        self._end("cancelled", "Stopped")

    def _yields_now(self) -> bool:
        """It was stopped to yield its slot (not by anyone's Stop): back to the queue instead of ending."""
        if not self.yielding or self.stop_signal.requested or self._on_yield is None:
            return False
        self._on_yield(self)
        return True

    def restart_from_queue(self) -> None:
        """Yielded: queued again, to start from the beginning (the manager holds its lock)."""
        self.state, self.started, self.yielding = "queued", None, False
        self.yielded += 1
        self.queued_since = time.monotonic()  # it keeps its turn (submitted); its time in the queue starts again
        if self.rebuild is not None:
            self.spec = None  # the queue holds its configuration; the data is rebuilt at dispatch
        self.progress = LiveProgress()  # it starts again from the beginning: so do its curves
        self.progress.set_phase("Paused for another visitor's run; it starts again from the beginning after it")

    def _end(self, state: RunState, phase: str) -> None:
        self.state, self.ended = state, time.monotonic()
        self.spec = None  # the data arrays are no longer needed
        self.rebuild = None
        self.progress.set_phase(phase)
        try:
            self._on_end(self)  # the manager's books first: whoever waits for the end finds them done
        finally:
            self._done.set()


class _Sink(RunSink):
    """Routes a worker's reports to a SharedRun (whose `progress` is its LiveProgress mirror)."""

    def __init__(self, run: SharedRun) -> None:
        self.run = run

    def progress(self, kind: str, payload: Any) -> None:
        self.run.progress.apply(kind, payload)

    def finished(self, output: Any, size: int) -> None:
        self.run.finished(output, size)

    def failed(self, message: str, detail: str) -> None:
        self.run.failed(message, detail)

    def stopped(self, message: str) -> None:
        self.run.stopped(message)


# ----------------------------------------------------------------------------- the manager


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1 = next to start
    waiting: int  # runs in the queue
    eta_seconds: float  # until it starts, estimated


class RunManager:
    """Admits, queues, shares and supervises runs for one server process."""

    def __init__(
        self,
        settings: RunSettings | None = None,
        is_alive: Callable[[str], bool | None] = lambda session: None,
        pool: WorkerPool | None = None,
    ) -> None:
        self.settings = settings or RunSettings.from_env()
        self._is_alive = is_alive
        self._lock = threading.RLock()
        self._queue: list[SharedRun] = []
        self._running: list[SharedRun] = []
        self._by_key: dict[str, SharedRun] = {}  # queued and running, by key
        self._finished: OrderedDict[str, SharedRun] = OrderedDict()
        self._durations: dict[str, float] = {}  # page -> seconds of its latest finished run
        self._held: OrderedDict[str, weakref.ref[SharedRun]] = OrderedDict()  # finished outputs, oldest first
        self._last_served: OrderedDict[str, float] = OrderedDict()  # client -> when its latest run started
        self._closed = False
        self.started_runs = 0  # how many runs actually trained (sharing keeps this low)
        self.peak_queue = 0
        self.backend: Backend = self._make_backend(pool)
        self._capacity = self.backend.capacity()
        self._capacity_checked = time.monotonic()
        self._sweeper = threading.Thread(target=self._sweep_forever, name="rnn-playground-runs", daemon=True)
        self._sweeper.start()

    def _make_backend(self, pool: WorkerPool | None) -> Backend:
        """The given pool; else the deployer's Dask cluster (falling back to local workers if it can't be
        reached); else local worker processes, or threads in this process with RNN_PLAYGROUND_WORKERS=0."""
        if pool is not None:
            return pool if isinstance(pool, LocalBackend) else LocalBackend(pool)
        if self.settings.scheduler:
            from core.engine.cluster import ClusterBackend

            try:
                return ClusterBackend(self.settings.scheduler, self._dispatch)
            except Exception:
                logger.exception(
                    "Could not reach the Dask scheduler at %s; training in local worker processes instead",
                    self.settings.scheduler,
                )
        if self.settings.workers > 0:
            return LocalBackend(
                WorkerPool(
                    self.settings.workers,
                    self._dispatch,
                    threads=self.settings.tf_threads,
                    retire_rss_bytes=self.settings.retire_rss,
                )
            )
        return ThreadBackend()

    @property
    def pool(self) -> WorkerPool | None:
        """The local worker pool, where runs train in one (tests and benches look inside it)."""
        return getattr(self.backend, "pool", None)

    @property
    def cluster(self) -> Any:
        """The Dask backend, where runs train on a cluster (tests and the deployer's log)."""
        return self.backend if self.backend.name.startswith("dask") else None

    @property
    def max_running(self) -> int:
        """Runs training at once: the setting, or the backend's size (a cluster's) unless the deployer fixed it."""
        if self._capacity is not None and not self.settings.max_running_explicit:
            return max(1, self._capacity)
        return self.settings.max_running

    # --- asking for a run

    def submit(
        self,
        session: str,
        page: str,
        title: str,
        spec: WorkSpec,
        config: Any,
        client: str = "",
        rebuild: Callable[[], WorkSpec] | None = None,
    ) -> SharedRun:
        """The session's run for this request: an identical one it can share, or a new one in the queue.

        `rebuild` (the page's function that made `spec`) lets the queued run drop the spec's data and
        build it again when it starts. Raises BusyElsewhere when the session already holds another queued
        or training run, AdmissionError when the run could never fit in the memory or time budget, and
        QueueFull when the queue (or this client's share of it) has no room now.
        """
        key, payload = run_identity(page, spec)
        with self._lock:
            finished = self._finished.get(key)
            if finished is not None and not finished.evicted:  # costs nothing, so a busy session may have it
                self._finished.move_to_end(key)
                return finished
            self._forget_session_elsewhere(session, key)
            existing = self._by_key.get(key)
            if existing is not None:
                existing.watchers[session] = time.monotonic()
                return existing
            admission = self.admit(key, payload, config)
            self._check_queue_room(payload if rebuild is None else 0, client)
            owner = client or f"session:{session}"
            run = SharedRun(key, page, title, spec, config, admission.estimate, client, rebuild, owner)
            run.payload, run.seconds = payload, admission.seconds
            run._on_end = self._ended
            run._on_yield = self._yielded
            run.watchers[session] = time.monotonic()
            run.progress.set_phase("Waiting in the queue")
            self._by_key[key] = run
            self._queue.append(run)
            if self.settings.spec_dump:
                self._dump(run)
            self.peak_queue = max(self.peak_queue, len(self._queue))
        self._dispatch()  # a run that starts at once uses the spec it came with
        with self._lock:
            if run.queued and rebuild is not None:
                run.spec = None  # the queue holds the configuration; the data is rebuilt at dispatch
        return run

    def admit(self, key: str, payload: int, config: Any) -> Admission:
        """The one admission check for everything that makes a worker compute - runs and rehearsals:
        the run's declared footprint must fit the memory budget and its estimated time the time budget.
        Raises AdmissionError with what to shrink."""
        footprint = footprint_of(config)
        estimate = estimate_run_bytes(config, payload)
        self._check_fits_ever(estimate, config)
        seconds = footprint.cpu_seconds(payload) if footprint is not None else 0.0
        self._check_time(seconds, footprint, payload, config)
        return Admission(key, payload, estimate, seconds)

    def _check_time(self, seconds: float, footprint: Footprint | None, payload: int, config: Any) -> None:
        limit = self.settings.max_run_seconds
        if footprint is None or seconds <= limit:
            return
        raise AdmissionError(
            f"This run would train for about {seconds / 60:,.0f} minutes "
            f"({footprint.train_steps(payload):,} steps), more than one run may take here "
            f"({limit / 60:,.0f} minutes). Try {shrink_advice(config)}."
        )

    def _queued_bytes(self) -> int:
        """Data the queued runs hold (those that cannot rebuild theirs at dispatch)."""
        return sum(run.payload for run in self._queue if run.spec is not None)

    def _check_queue_room(self, payload: int, client: str) -> None:
        """The queue is bounded: in runs, in runs per client address and in the data queued runs hold."""
        settings = self.settings
        if len(self._queue) >= settings.max_queue:
            raise QueueFull(
                f"The queue is full ({len(self._queue)} runs waiting). Try again in a minute, "
                "or pick a preset someone may already be training (identical runs are shared)."
            )
        if client and sum(run.client == client for run in self._queue) >= settings.max_queue_per_client:
            raise QueueFull(
                f"Your address already has {settings.max_queue_per_client} runs waiting; "
                "wait for one to start before adding another."
            )
        if self._queued_bytes() and self._queued_bytes() + payload > settings.max_queue_bytes:
            raise QueueFull("The runs waiting already hold as much data as the queue may; try again in a minute.")

    def can_rehearse(self) -> bool:
        """Whether `rehearse` may do anything now: local workers, and nothing queued or training."""
        with self._lock:
            idle = not self._closed and not self._queue and not self._running
            return self.settings.rehearsals and self.backend.can_rehearse() and idle

    def rehearse(self, page: str, spec: WorkSpec, config: Any) -> bool:
        """A page shows this request and the workers have nothing to do: one rehearses it up to its
        first training step (core.engine.reuse), so if someone presses Train the run skips tracing
        its steps. Nothing happens while anything queues or trains, for a run already kept, or for
        one that admission would refuse or that does not fit in memory now: a rehearsal makes a
        worker compute, so it passes the same admission as a run."""
        if not self.can_rehearse():
            return False
        key, payload = run_identity(page, spec)
        try:
            admission = self.admit(key, payload, config)
        except AdmissionError:
            return False
        with self._lock:
            if key in self._by_key or key in self._finished or not self.can_rehearse():
                return False
            if self._in_use() + admission.estimate > self.settings.memory_budget:
                return False
        return self.backend.rehearse(key, spec)

    def _dump(self, run: SharedRun) -> None:
        """The deployer's benchmarking aid (RNN_PLAYGROUND_SPEC_DUMP): the spec, pickled to a file."""
        try:
            folder = Path(self.settings.spec_dump)
            folder.mkdir(parents=True, exist_ok=True)
            name = run.key.replace(":", "-") + ".pkl"
            (folder / name).write_bytes(pickle.dumps(run.spec, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:
            logger.exception("Could not write the run's spec to %s", self.settings.spec_dump)

    def _forget_session_elsewhere(self, session: str, key: str) -> None:
        other = self.active_run(session)
        if other is not None and other.key != key:
            raise BusyElsewhere(other)

    def _check_fits_ever(self, estimate: int, config: Any) -> None:
        # The server's own size, less the data queued runs hold: what waits in the queue does not shrink
        # what a newcomer may run (it is bounded by the queue's own cap).
        server = max(0, rss_bytes() - self._queued_bytes())
        floor = 0 if self.backend.remote else server + self.backend.baseline_rss()
        if floor + estimate > self.settings.memory_budget:
            raise AdmissionError(
                f"This run needs about {estimate / MB:,.0f} MB, more than this server can give one run "
                f"({max(0, self.settings.memory_budget - floor) / MB:,.0f} MB). "
                f"Try {shrink_advice(config)}."
            )

    def active_run(self, session: str) -> SharedRun | None:
        """The queued or training run this session watches, if any."""
        with self._lock:
            for run in self._running + self._queue:
                if session in run.watchers:
                    return run
        return None

    def touch(self, run: SharedRun, session: str) -> None:
        """The session's page has just polled the run (it is still watching)."""
        with self._lock:
            if run.running:
                run.watchers[session] = time.monotonic()

    # --- stopping and leaving

    def stop(self, run: SharedRun, session: str) -> Literal["stopped", "detached", "left-queue", "ended"]:
        """The session's Stop: stops the run when it is the only watcher, else only detaches it."""
        with self._lock:
            if not run.running:
                return "ended"
            run.watchers.pop(session, None)
            if run.watchers:
                return "left-queue" if run.queued else "detached"
            if run.queued:
                self._cancel(run, "Everyone left the queue")
                return "left-queue"
        return self._stop_or_leave(
            run, "Stopped by the user", "You left this run; it goes on for visitors on another server."
        )

    def _stop_or_leave(self, run: SharedRun, reason: str, leaving: str) -> Literal["stopped", "detached"]:
        """Stop a training run - unless, on a cluster, another replica still watches it: then only let go."""
        if self.backend.others_watching(run.key):
            self._detach_remote(run, leaving)
            return "detached"
        self._stop_running(run, reason)
        return "stopped"

    def _stop_running(self, run: SharedRun, reason: str) -> None:
        run.stop_signal.request(reason)
        self.backend.stop(run.key, reason)

    def _detach_remote(self, run: SharedRun, reason: str) -> None:
        """Nobody here watches a cluster run another replica still watches: let go of it, don't stop it."""
        with self._lock:
            if run in self._running:
                self._running.remove(run)
            self._by_key.pop(run.key, None)
            run.error = reason
            run._on_end = lambda r: None
            run._end("cancelled", "Left the run")
        self.backend.detach(run.key)

    def _cancel(self, run: SharedRun, reason: str) -> None:
        if run in self._queue:
            self._queue.remove(run)
        self._by_key.pop(run.key, None)
        run.error = reason
        run._end("cancelled", "Left the queue")

    # --- the queue

    def place(self, run: SharedRun) -> QueuePlace | None:
        """Where a queued run stands and roughly when it starts; None once it has started."""
        with self._lock:
            if run not in self._queue:
                return None
            slots = [self._remaining(r) for r in self._running]
            slots += [0.0] * max(0, self.max_running - len(slots))
            slots.sort()
            order = self._fair_queue()
            for position, queued in enumerate(order, start=1):
                start = slots[0]
                if queued is run:
                    return QueuePlace(position, len(order), start)
                slots[0] = start + self._expected(queued)
                slots.sort()
        return None

    def _expected(self, run: SharedRun) -> float:
        return self._durations.get(run.page, DEFAULT_EXPECTED_SECONDS)

    def _remaining(self, run: SharedRun) -> float:
        snap = run.progress.snapshot(max_points=2)
        if snap.eta_seconds is not None:
            return snap.eta_seconds
        elapsed = time.monotonic() - (run.started or time.monotonic())
        return max(1.0, self._expected(run) - elapsed)

    def _fair_queue(self) -> list[SharedRun]:
        """The queue in the order runs start: round-robin over clients (addresses, else sessions).

        A run's turn is how many runs its client has ahead of it - training now, or queued earlier - so a
        client's first run waits only for what trains, and a client that queued many waits behind everyone
        else's earlier turns. Equal turns go first to the client served longest ago (never: first), then
        in arrival order."""
        turns = Counter(run.owner for run in self._running)
        ranked: list[tuple[int, float, float, SharedRun]] = []
        for run in sorted(self._queue, key=lambda r: r.submitted):
            ranked.append((turns[run.owner], self._last_served.get(run.owner, 0.0), run.submitted, run))
            turns[run.owner] += 1
        return [item[-1] for item in sorted(ranked, key=lambda item: item[:3])]

    def _served(self, owner: str) -> None:
        self._last_served[owner] = time.monotonic()
        self._last_served.move_to_end(owner)
        while len(self._last_served) > 4096:  # clients long gone
            self._last_served.popitem(last=False)

    def _dispatch(self) -> None:
        """Start queued runs, fairly between clients, while a slot, the backend and the memory allow."""
        while True:
            with self._lock:
                if self._closed or not self._queue:
                    return
                if len(self._running) >= self.max_running:
                    victim = self._yielder()
                    break
                head = self._fair_queue()[0]
                if not self._fits_now(head):
                    head.progress.set_phase("Waiting for memory to free up")
                    return
                self._queue.remove(head)
                self._running.append(head)  # its slot is taken while its data is rebuilt
                self._served(head.owner)
                head.state, head.started = "running", time.monotonic()
                head.progress.restart_clock()
                head.progress.set_phase("Starting")
            spec = self._spec_at_dispatch(head)
            if spec is None:
                continue  # it could not be rebuilt: already ended
            with self._lock:
                if self._closed:
                    self._running.remove(head)
                    head.error = "The server is shutting down"
                    head._on_end = lambda run: None
                    head._end("cancelled", "Stopped")
                    return
                if not self.backend.start(head.key, spec, _Sink(head)):
                    self._running.remove(head)  # no free worker now: the backend calls back when one is
                    self._queue.append(head)
                    head.state, head.started = "queued", None
                    head.progress.set_phase("Waiting in the queue")
                    return
                self.started_runs += 1
                if head.state != "running":
                    continue  # it failed on the way (the pipe or the cluster refused it): already ended
                head.rss_at_start = self.backend.run_rss(head.key)
            if head.stop_signal.requested:  # stopped while it was being handed over
                self.backend.stop(head.key, head.stop_signal.reason)
        if victim is not None:
            self.backend.stop(victim.key, "Yielding to another visitor's run")

    def _yielder(self) -> SharedRun | None:
        """Every slot trains: the run that should yield its slot to the next queued run, if any.

        The next run's client has nothing training; the yielder's client has runs waiting too (it holds more
        than its share), it has not yielded before and is not in its last seconds. Of those, the run of the
        client with the most runs waiting yields (the latest started, on a tie)."""
        if not self.settings.preempt or self.backend.remote or any(r.yielding for r in self._running):
            return None
        head = self._fair_queue()[0]
        if any(r.owner == head.owner for r in self._running):
            return None
        waiting = Counter(r.owner for r in self._queue)
        candidates = [
            r
            for r in self._running
            if waiting[r.owner]
            and not r.yielded
            and not r.stop_signal.requested
            and self._remaining(r) > self.settings.preempt_min_remaining
        ]
        if not candidates:
            return None
        victim = max(candidates, key=lambda r: (waiting[r.owner], r.started or 0.0))
        victim.yielding = True
        victim.progress.set_phase("Pausing for another visitor's run")
        logger.info("A run of %s yields to a waiting run of %s", victim.owner, head.owner)
        return victim

    def _yielded(self, run: SharedRun) -> None:
        """A run stopped to yield its slot: back in the queue (its watchers keep their place), the next starts."""
        with self._lock:
            if run in self._running:
                self._running.remove(run)
            if self._closed:
                run.yielding = False
                run.error = "The server is shutting down"
                run._on_end = lambda r: None
                run._end("cancelled", "Stopped")
                return
            run.restart_from_queue()
            self._queue.append(run)
        threading.Thread(target=self._dispatch, daemon=True).start()

    def _spec_at_dispatch(self, run: SharedRun) -> WorkSpec | None:
        """The run's spec: the one it holds, or - for a queued run that held only its configuration - built
        again now (outside the lock: loading data may take a while) and checked to be the same request."""
        if run.spec is not None or run.rebuild is None:
            return run.spec
        try:
            spec = run.rebuild()
            key, _ = run_identity(run.page, spec)
        except Exception as err:
            logger.exception("Could not rebuild a queued run's data (%s)", run.page)
            run.failed(f"Could not prepare this run's data: {err}", "")
            return None
        if key != run.key:
            run.failed("This run's data changed while it waited in the queue; press Train again.", "")
            return None
        return spec

    def _in_use(self) -> int:
        """Memory the server and its workers take now (their resident sizes)."""
        return rss_bytes() + self.backend.rss()

    def _fits_now(self, run: SharedRun) -> bool:
        if self.backend.remote:
            return True  # training memory is the cluster workers' (each has its own memory limit)
        in_use = self._in_use()
        committed = 0
        for other in self._running:
            grown = max(0, self.backend.run_rss(other.key) - other.rss_at_start)
            committed += max(0, other.estimate - grown)
        return not self._running or in_use + committed + run.estimate <= self.settings.memory_budget

    def _ended(self, run: SharedRun) -> None:
        with self._lock:
            if run in self._running:
                self._running.remove(run)
            self._by_key.pop(run.key, None)
            if run.state == "done" and run.started is not None:
                self._durations[run.page] = time.monotonic() - run.started
            if run.state == "done" and run.output is not None:
                self._hold(run)
            if run.shareable and self.settings.finished_runs > 0:
                if not run.size:
                    run.size = run.estimate
                self._finished[run.key] = run
                self._trim_finished()
            else:
                self.backend.release(run.key)
            run.watchers.clear()
        threading.Thread(target=self._dispatch, daemon=True).start()

    def _hold(self, run: SharedRun) -> None:
        """Sessions keep finished runs (their models) in session state: count them, all sessions together,
        and past the budget let the oldest go (a session that still shows one is told to train again)."""
        if not run.size:
            run.size = run.estimate
        self._held[run.key] = weakref.ref(run)
        total = 0
        alive: list[SharedRun] = []
        for key, ref in list(self._held.items()):
            held = ref()
            if held is None or held.evicted:
                del self._held[key]
                continue
            alive.append(held)
            total += held.size
        for oldest in alive[:-1]:  # the newest run is always kept
            if total <= self.settings.held_bytes:
                break
            total -= oldest.size
            self._held.pop(oldest.key, None)
            if self._finished.pop(oldest.key, None) is not None:
                self.backend.release(oldest.key)
            oldest.evict()
            logger.info("Let go of a finished run's output (%s, %.0f MB)", oldest.page, oldest.size / MB)

    def held_bytes(self) -> int:
        """Bytes of the finished outputs sessions may still hold (as pickled)."""
        with self._lock:
            return sum(run.size for ref in self._held.values() if (run := ref()) is not None and not run.evicted)

    def _trim_finished(self) -> None:
        total = sum(r.size for r in self._finished.values())
        while self._finished and (
            len(self._finished) > self.settings.finished_runs or total > self.settings.finished_bytes
        ):
            _, oldest = self._finished.popitem(last=False)
            total -= oldest.size
            self.backend.release(oldest.key)

    def stop_all(self, reason: str = "Stopped by the server") -> None:
        """Empty the queue and stop every training run (tests between cases; a deployer's reset)."""
        with self._lock:
            for run in list(self._queue):
                self._cancel(run, reason)
            running = list(self._running)
        for run in running:
            self._stop_or_leave(run, reason, f"{reason}; it goes on for visitors on another server.")
        for run in running:
            run.wait(30)

    def forget_finished(self) -> None:
        """Drop every finished run from the shared cache (tests; a deployer's reset)."""
        with self._lock:
            for key in self._finished:
                self.backend.release(key)
            self._finished.clear()

    # --- supervision

    def _sweep_forever(self) -> None:
        while not self._closed:
            time.sleep(1.0)
            try:
                self.sweep()
            except Exception:
                logger.exception("Run supervision failed")

    def sweep(self, now: float | None = None) -> None:
        """Drop watchers that left (tab closed, or unseen too long); stop or cancel runs nobody watches."""
        now = time.monotonic() if now is None else now
        to_stop: list[SharedRun] = []
        overran: list[SharedRun] = []
        with self._lock:
            for run in list(self._queue) + list(self._running):
                limit = self.settings.queue_abandon_after if run.queued else self.settings.abandon_after
                for session, seen in list(run.watchers.items()):
                    alive = self._is_alive(session)
                    gone = alive is False and now - seen > self.settings.disconnect_grace
                    # a connected visitor looking at another page keeps its place in the queue (for a while)
                    stale = now - seen > limit and not (run.queued and alive is True)
                    silent = now - seen > self.settings.watcher_max_silence
                    if gone or stale or silent:
                        del run.watchers[session]
                if run.queued and now - run.queued_since > self.settings.max_queue_age:
                    minutes = self.settings.max_queue_age / 60
                    run.notice = f"This run waited in the queue longer than {minutes:.0f} minutes; press Train again."
                    self._cancel(run, run.notice)
                    continue
                if not run.queued and self._overran(run, now) and not run.stop_signal.requested:
                    overran.append(run)
                    continue
                if run.watchers:
                    continue
                if run.queued:
                    self._cancel(run, "Everyone watching it left")
                elif not run.stop_signal.requested:
                    to_stop.append(run)
        for run in to_stop:
            self._stop_or_leave(
                run,
                f"Stopped because nobody watched for {self.settings.abandon_after:.0f} s",
                "Nobody here watched it; it goes on for visitors on another server.",
            )
        for run in overran:
            minutes = self._allowance(run) / 60
            self._stop_running(run, f"Stopped at this server's time limit for one run ({minutes:.0f} minutes)")
        self._refresh_capacity(now)
        self._dispatch()

    def _allowance(self, run: SharedRun) -> float:
        """Wall-clock seconds a run may train: its time budget (or estimate, if larger) times the overrun factor."""
        return self.settings.overrun_factor * max(self.settings.max_run_seconds, run.seconds)

    def _overran(self, run: SharedRun, now: float) -> bool:
        return run.started is not None and now - run.started > self._allowance(run)

    def _refresh_capacity(self, now: float) -> None:
        """A cluster may grow or shrink: follow its size (every 10 s) unless the deployer fixed it."""
        if self._capacity is None or self.settings.max_running_explicit or now - self._capacity_checked < 10:
            return
        self._capacity_checked = now
        self._capacity = self.backend.capacity()

    def status(self) -> dict[str, Any]:
        """Counts and memory, for a deployer's log and the classroom bench."""
        with self._lock:
            return {
                "queued": len(self._queue),
                "running": len(self._running),
                "finished_cached": len(self._finished),
                "started_runs": self.started_runs,
                "peak_queue": self.peak_queue,
                "server_rss_mb": rss_bytes() / MB,
                "workers_rss_mb": self.backend.rss() / MB,
                "worker_pids": self.backend.pids(),
                "backend": self.backend.name,
                "max_running": self.max_running,
            }

    def close(self) -> None:
        with self._lock:
            self._closed = True
            runs = list(self._running)
        for run in runs:  # a run another replica still watches goes on for them
            self._stop_or_leave(run, "The server is shutting down", "This server shut down.")
        self.backend.close()


def new_session_id() -> str:
    return uuid.uuid4().hex
