"""Training in worker processes, so the UI process only draws.

A Streamlit server runs every visitor's page scripts in one process. Training there (on a
thread) competes with the page scripts for the GIL, and Streamlit clears Keras' session and
runs the garbage collector after every script run - which slowed a run in the app to 2-4.6x
its own script. So runs execute in a few long-lived worker processes (TensorFlow imported and
warmed once per worker), and the server keeps only a mirror of each run's progress.

A worker is a fresh interpreter (`python -m core.engine.worker_process`), not a multiprocessing
child: under `streamlit run`, multiprocessing's spawn would re-import the app script as the
child's main module. It talks over one end of a socket pair inherited at start
(multiprocessing.connection framing), private to the two processes.

The protocol, over one connection per worker (everything pickled):

    server -> worker   ("run", run_id, spec)     spec: a picklable WorkSpec (core.engine.training_job)
                       ("stop", run_id, reason)  the trainer stops before its next batch
                       ("wake",)                 a run is waiting: stop waiting for a quiet server, warm up now
                       ("rehearse", spec)        nothing to do: rehearse this request (core.engine.reuse)
                       ("exit",)
    worker -> server   ("ready", pid)
                       ("progress", run_id, kind, payload)   kind: phase | plan | batches | epoch | extras
                       ("outcome", run_id, outcome)          how it ended (core.engine.execute.Outcome)
                       ("rehearsed", seconds)                the rehearsal is over (or was skipped: 0)

A worker that dies (killed for memory, a crash in native code) is noticed by the pipe closing;
its run fails with a clear message and a fresh worker takes its place. A worker is also retired
and replaced after a run once its memory (RSS) passes `retire_rss_bytes`, which is how memory
a run grew goes back to the system.

No Streamlit and, in the server process, no TensorFlow: the workers import it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from core.engine import reuse  # no TensorFlow in the server
from core.engine.execute import deliver, execute
from core.engine.history import BatchRecord, Callback, EpochRecord, StopSignal, TrainingPlan

logger = logging.getLogger(__name__)

WARM_MODULES = importlib.import_module("core.labs").warm_modules()  # labs' TF code, imported while warming up
KEEP_SHARE = 0.95  # of the retirement size: past it, a worker lets go of the models it keeps
BATCH_FLUSH_SECONDS = 0.1  # batch records are sent in small bundles, at most this old
EXTRAS_FLUSH_SECONDS = 1.0  # live extras (samples, recorders) are re-sent at most this often


def rss_bytes(pid: int | None = None) -> int:
    """Resident memory of a process (this one by default), through psutil (Linux, macOS, Windows);
    0 only for a process that is gone."""
    try:
        return int(psutil.Process(pid or os.getpid()).memory_info().rss)
    except (psutil.Error, OSError):
        return 0


# ----------------------------------------------------------------------------- inside a worker


class RemoteProgress(Callback):
    """The worker's side of LiveProgress: forwards every record to the server.

    Batches are bundled (at most BATCH_FLUSH_SECONDS old; the first one goes at once, so the
    first loss point shows immediately); extras are re-sent every EXTRAS_FLUSH_SECONDS so that
    objects a work function keeps updating in place (a gradient recorder) stay live.
    """

    def __init__(self, send: Callable[[tuple], None], run_id: str) -> None:
        self._send = send
        self._run_id = run_id
        self._pending: list[BatchRecord] = []
        self._last_flush = 0.0
        self._extras: dict[str, Any] = {}
        self._extras_sent = 0.0

    def _emit(self, kind: str, payload: Any) -> None:
        self._send(("progress", self._run_id, kind, payload))

    def set_phase(self, phase: str) -> None:
        self._emit("phase", phase)

    def put_extra(self, name: str, value: Any) -> None:
        self._extras[name] = value
        self._flush_extras()

    def extra(self, name: str, default: Any = None) -> Any:
        return self._extras.get(name, default)

    def on_train_begin(self, plan: TrainingPlan) -> None:
        self._emit("plan", plan)

    def on_batch_end(self, record: BatchRecord) -> None:
        self._pending.append(record)
        now = time.monotonic()
        if now - self._last_flush >= BATCH_FLUSH_SECONDS:
            self.flush()
        if self._extras and now - self._extras_sent >= EXTRAS_FLUSH_SECONDS:
            self._flush_extras()

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.flush()
        self._emit("epoch", record)
        if self._extras:
            self._flush_extras()

    def flush(self) -> None:
        if self._pending:
            self._emit("batches", self._pending)
            self._pending = []
        self._last_flush = time.monotonic()

    def _flush_extras(self) -> None:
        self._emit("extras", dict(self._extras))
        self._extras_sent = time.monotonic()


def _configure_tensorflow(threads: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _warm_up() -> None:
    """Train tiny recurrent models for a step each, so a worker's first real runs skip one-off costs.

    Each cell kind (the labs use all three), token ids through an Embedding (Sentiment) and float
    sequences (Stocks, the Gradient lab), classification and regression, with a validation pass and
    an eager prediction:
    the first run of a kind in a process otherwise pays for TensorFlow and Keras code paths it
    meets for the first time (about 0.3-1 s of CPU before its first batch). Imports the labs'
    training modules too. Nothing here affects a later run's numbers: every run seeds itself.
    """

    import numpy as np

    from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
    from core.engine.models import build_model
    from core.engine.trainer import Trainer, predict

    tokens, floats = np.ones((8, 4), "int32"), np.ones((8, 4, 1), "float32")
    y = np.ones((8,), "float32")
    config = TrainConfig(epochs=1, batch_size=8)
    token_input = InputSpec(length=4, vocab_size=10, embedding_dim=4, mask_zero=True)
    float_input = InputSpec(length=4, features=1)
    for cell, x, spec, loss, metric, output in (
        ("GRU", tokens, token_input, "binary_crossentropy", "accuracy", OutputSpec()),
        ("LSTM", floats, float_input, "mse", "mae", OutputSpec(activation="linear")),
        ("SimpleRNN", floats, float_input, "mse", "mae", OutputSpec(activation="linear")),
    ):
        model = build_model(ModelConfig(cell=cell, units=4), spec, output)
        Trainer(model, loss, [metric], config).fit(x, y, validation=(x, y))
        predict(model, x)  # the eager forward pass the labs score small test splits with
    for module in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    clear_after_run()  # the first run starts as every later one does (and as in a script): a fresh Keras state


def clear_after_run() -> None:
    """Keras' global state forgotten (names count from zero again) and garbage collected; TensorFlow's
    kernel caches kept, so the steps of models kept for the next run stay instantiated."""
    import gc

    from core.engine.keras_state import reset_keras_state

    reset_keras_state()
    gc.collect()


def worker_main(conn, threads: int, warm: bool = True, keep_bytes: int = 0) -> None:
    """A worker process: import and warm TensorFlow, then run specs one at a time until told to exit.

    Above `keep_bytes` of memory after a run (0: no limit) it lets go of its kept models (_make_room)."""
    _configure_tensorflow(threads)
    from core.engine.keras_state import self_check  # Keras: in the worker only

    self_check()  # one log line if a Keras internal moved (the public API is used for it then)
    if warm:
        _warm_up()
    reuse.enable()  # later runs of a shape this worker has trained skip tracing their steps
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        with send_lock:
            conn.send(message)

    inbox: queue.Queue = queue.Queue()
    stops: dict[str, StopSignal] = {}
    rehearsal = StopSignal()  # set when a run arrives: a rehearsal not yet at its first step gives way

    def listen() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                inbox.put(("exit",))
                return
            if message[0] == "stop":
                if (signal := stops.get(message[1])) is not None:
                    signal.request(message[2])
            elif message[0] == "run":
                stops[message[1]] = StopSignal()
                rehearsal.request("A run arrived")
                inbox.put(message)
            elif message[0] != "wake":  # a nudge that arrived once the worker was already warm
                inbox.put(message)

    threading.Thread(target=listen, name="rnn-playground-worker-inbox", daemon=True).start()
    send(("ready", os.getpid()))
    while True:
        message = inbox.get()
        if message[0] == "rehearse":
            rehearsal = StopSignal()
            send(("rehearsed", 0.0 if inbox.qsize() else _rehearse(message[1], rehearsal, keep_bytes)))
            continue
        if message[0] != "run":
            return
        _, run_id, spec = message
        _run_one(send, run_id, spec, stops[run_id], keep_bytes)
        stops.pop(run_id, None)


def _run_one(send: Callable[[tuple], None], run_id: str, spec: Any, stop: StopSignal, keep_bytes: int = 0) -> None:
    outcome = execute(spec, RemoteProgress(send, run_id), stop)
    _after_run(keep_bytes)  # before the outcome: the server decides on the worker's size when it hears it
    send(("outcome", run_id, outcome))


def _after_run(keep_bytes: int) -> None:
    """The run's outcome is pickled (or it failed): its models may serve the next run; a fresh Keras state."""
    reuse.give_back()
    clear_after_run()
    _make_room(keep_bytes)


def _make_room(keep_bytes: int) -> None:
    """Past `keep_bytes`, memory the run freed goes back to the system first; if the worker is still
    past it, the kept models and TensorFlow's caches go too, so the server does not retire a worker
    that only grew by what it keeps."""
    if not keep_bytes or rss_bytes() <= keep_bytes:
        return
    import keras

    _return_freed_memory()
    if rss_bytes() <= keep_bytes:
        return
    dropped = reuse.drop_kept()
    keras.backend.clear_session()  # the kernel caches too (the dropped steps' instantiations), and a full GC
    _return_freed_memory()
    logger.info("Dropped %d kept model(s): %.0f MB now", dropped, rss_bytes() / 2**20)


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Silent(Callback):
    """A rehearsal's progress: nobody watches it."""

    def set_phase(self, phase: str) -> None: ...

    def put_extra(self, name: str, value: Any) -> None: ...

    def extra(self, name: str, default: Any = None) -> Any:
        return default

    def flush(self) -> None: ...


def _rehearse(spec: Any, stop: StopSignal, keep_bytes: int = 0) -> float:
    """Run a request up to its first training step (core.engine.reuse.rehearsal), so the run
    itself finds its steps traced. Anything going wrong is the real run's to report."""
    start = time.perf_counter()
    try:
        with reuse.rehearsal():
            outcome = execute(spec, _Silent(), stop, pickled=False)  # ends with RehearsalDone: a "failure"
        if "RehearsalDone" not in outcome.message:  # the run will meet the same problem and say so
            logger.debug("Rehearsal ended otherwise: %s", outcome.message or outcome.state)
    finally:
        _after_run(keep_bytes)
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- in the server


class RunSink:
    """What the pool reports a run's life to (core.engine.runs.SharedRun implements it)."""

    def progress(self, kind: str, payload: Any) -> None: ...

    def finished(self, output: Any, size: int) -> None: ...

    def failed(self, message: str, detail: str) -> None: ...

    def stopped(self, message: str) -> None:
        """The Stop ended the work before it returned (scoring included): no output."""


@dataclass
class _Assignment:
    run_id: str
    sink: RunSink


ROOT = Path(__file__).resolve().parent.parent.parent


def connect_back(fd: int) -> Connection:
    """In a worker process: its end of the socket pair the server started it with."""
    return Connection(fd)


class _Process:
    """The worker's OS process, with the little of multiprocessing.Process's interface used here."""

    def __init__(self, popen: subprocess.Popen) -> None:
        self._popen = popen
        self.pid = popen.pid

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._popen.kill()


class Worker:
    """One worker process and the server thread that reads its connection."""

    def __init__(
        self, threads: int, on_idle: Callable[[Worker], None], warm: bool = True, keep_bytes: int = 0
    ) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        command = [sys.executable, "-m", "core.engine.worker_process", str(theirs.fileno()), str(threads)]
        command += ["warm" if warm else "cold", str(keep_bytes // 2**20)]
        popen = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))
        theirs.close()
        self.process = _Process(popen)
        self._parent = Connection(ours.detach())
        self._on_idle = on_idle
        self._send_lock = threading.Lock()
        self.ready = threading.Event()
        self.current: _Assignment | None = None
        self.runs = 0  # runs handed to it so far
        # Judged fit for a run by the pool (after it warmed up, and after each run): a worker whose run just
        # ended is not offered to the next one until the pool has decided whether to retire it.
        self.available = False
        self.baseline_rss = 0
        self.closed = False
        self._woken = False
        self.rehearsing = False  # rehearsing a request (a run sent meanwhile waits for the end of it)
        self.rehearsed: list[str] = []  # the requests it rehearsed, latest last
        self._reader = threading.Thread(target=self._read, name="rnn-playground-worker-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def busy(self) -> bool:
        return self.current is not None

    def rss(self) -> int:
        return rss_bytes(self.process.pid) if self.process.is_alive() else 0

    def send(self, message: tuple) -> None:
        with self._send_lock:
            self._parent.send(message)

    def assign(self, run_id: str, spec: Any, sink: RunSink) -> None:
        self.current = _Assignment(run_id, sink)
        self.available = False
        self.runs += 1
        try:
            self.send(("run", run_id, spec))
        except Exception as err:  # the spec would not pickle, or the pipe is gone
            self.current = None
            sink.failed(f"Could not hand the run to a worker: {type(err).__name__}: {err}", traceback.format_exc())
            if not self.process.is_alive():
                self._died()
            else:
                self._on_idle(self)

    def rehearse(self, key: str, spec: Any) -> bool:
        """Rehearse a request while there is nothing to do (core.engine.reuse); False if not now."""
        if self.rehearsing or self.busy or self.closed or not self.ready.is_set():
            return False
        self.rehearsing = True
        try:
            self.send(("rehearse", spec))
        except Exception:  # the spec would not pickle, or the pipe is gone: only a missed head start
            logger.debug("Could not send a rehearsal", exc_info=True)
            self.rehearsing = False
            return False
        self.rehearsed = [*self.rehearsed[-7:], key]
        return True

    def wake(self) -> None:
        """A run is waiting: a worker still waiting for the server to go quiet warms up at once."""
        if self._woken or self.ready.is_set() or self.closed:
            return
        self._woken = True
        with contextlib.suppress(OSError, EOFError, BrokenPipeError):
            self.send(("wake",))

    def stop(self, run_id: str, reason: str) -> None:
        with contextlib.suppress(OSError, EOFError, BrokenPipeError):
            self.send(("stop", run_id, reason))

    def _read(self) -> None:
        while True:
            try:
                message = self._parent.recv()
            except (EOFError, OSError):
                self._died()
                return
            except Exception as err:  # an output that cannot be unpickled here
                self._fail_current(f"The result could not be read: {type(err).__name__}: {err}", traceback.format_exc())
                continue
            self._dispatch(message)

    def _dispatch(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            self.baseline_rss = self.rss()  # warmed up, before any run: what the worker always costs
            self.ready.set()
            self._on_idle(self)
            return
        if kind == "rehearsed":
            self.rehearsing = False
            logger.debug("Worker %s rehearsed a request in %.2f s", self.pid, message[1])
            return
        current = self.current
        if current is None or message[1] != current.run_id:
            return
        if kind == "progress":
            current.sink.progress(message[2], message[3])
        elif kind == "outcome":
            self.current = None
            deliver(message[2], current.sink)
            self._on_idle(self)

    def _fail_current(self, message: str, detail: str) -> None:
        current, self.current = self.current, None
        if current is not None:
            current.sink.failed(message, detail)
        self._on_idle(self)

    def _died(self) -> None:
        if self.closed and self.current is None:
            return  # closed on purpose (retired, or the pool shut down) with nothing to report
        self.closed = True
        self.process.join(timeout=5)
        code = self.process.exitcode
        current, self.current = self.current, None
        self._on_idle(self)  # the pool starts a replacement first, so a retry finds one
        if current is not None:
            why = "it ran out of memory or crashed" if code not in (0, None) else "it was shut down"
            current.sink.failed(
                f"The training worker stopped unexpectedly ({why}; exit code {code}). "
                "Nothing else was affected - press Train to retry, or make the model or data smaller.",
                f"worker pid {self.process.pid} exit code {code}",
            )

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError, EOFError, BrokenPipeError):
            self.send(("exit",))
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self._parent.close()


class WorkerPool:
    """`size` worker processes; `on_idle` is called (from a reader thread) when one can take a run.

    A worker that died or grew past `retire_rss_bytes` is replaced by a fresh one (which warms
    up before it reports ready). `threads` is TensorFlow's thread count per worker (0: its default).
    """

    def __init__(
        self,
        size: int,
        on_idle: Callable[[], None],
        threads: int = 0,
        retire_rss_bytes: int = 0,
        warm: bool = True,
    ) -> None:
        self._threads, self._warm = threads, warm
        self._retire = retire_rss_bytes
        self._notify = on_idle
        self._lock = threading.RLock()
        self._closed = False
        self.workers: list[Worker] = []
        self.replaced = 0
        for _ in range(size):
            self.workers.append(self._spawn())

    def _spawn(self) -> Worker:
        # A worker keeps models for later runs up to 95 % of the size at which it would be retired.
        return Worker(self._threads, self._worker_idle, self._warm, int(self._retire * KEEP_SHARE))

    def _worker_idle(self, worker: Worker) -> None:
        """A worker is ready, or its run ended: retire it (grown past the retirement size after a run, or
        dead) or offer it to the next run. Until this is decided, `idle_worker` does not hand it out."""
        with self._lock:
            if self._closed:
                return
            if worker in self.workers and not worker.busy:
                # Only after a run: a fresh worker above a (too low) retirement size would be replaced forever.
                grown = self._retire and worker.runs and worker.rss() > self._retire
                if worker.closed or grown:
                    if not worker.closed:
                        logger.info("Retiring worker %s at %.0f MB", worker.pid, worker.rss() / 2**20)
                        threading.Thread(target=worker.close, daemon=True).start()
                    self.workers[self.workers.index(worker)] = self._spawn()
                    self.replaced += 1
                    return  # the fresh worker calls back when it is ready
                worker.available = True
        self._notify()

    def idle_worker(self) -> Worker | None:
        """A warm worker with nothing to do; None (after nudging those still waiting to warm up) if none."""
        with self._lock:
            free = [w for w in self.workers if w.available and w.ready.is_set() and not w.busy and not w.closed]
            if free:
                return min(free, key=lambda w: w.rehearsing)  # one not rehearsing, if there is one
            for worker in self.workers:
                worker.wake()  # someone asked for a worker: don't wait for the server to go quiet
        return None

    def rehearse(self, key: str, spec: Any) -> bool:
        """Have one idle worker rehearse a request, unless a worker already has (core.engine.reuse)."""
        with self._lock:
            workers = [w for w in self.workers if not w.closed]
            if any(key in w.rehearsed for w in workers):
                return False
            return any(w.rehearse(key, spec) for w in workers)

    def wait_ready(self, timeout: float = 120) -> bool:
        for worker in list(self.workers):
            worker.wake()
        deadline = time.monotonic() + timeout
        return all(worker.ready.wait(max(0.0, deadline - time.monotonic())) for worker in list(self.workers))

    def rss(self) -> int:
        return sum(worker.rss() for worker in self.workers)

    def baseline_rss(self) -> int:
        """What the workers cost warmed up and idle (their current size until they report ready)."""
        return sum(worker.baseline_rss or worker.rss() for worker in self.workers)

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.pid is not None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self.workers)
        for worker in workers:
            worker.close()
