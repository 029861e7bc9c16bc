"""Where runs execute, behind one protocol the run manager (core.engine.runs) talks to.

* `LocalBackend`: the worker pool (core.engine.workers), fresh interpreters on this machine;
* `ThreadBackend`: threads in the server (RNN_PLAYGROUND_WORKERS=0; tests);
* `core.engine.cluster.ClusterBackend`: a Dask cluster shared by app replicas.

Every backend runs a job the same way - `core.engine.execute.execute` on the machine that computes
it - and reports to a RunSink (progress, finished, failed, stopped). The manager never asks which
backend it has: what differs is answered by the backend (`remote`: its memory is not this host's;
`capacity`: runs at once; `start`: False when no slot is free now).

No Streamlit, no TensorFlow.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from core.engine.execute import deliver, execute
from core.engine.history import StopSignal
from core.engine.workers import RemoteProgress, RunSink, WorkerPool, rss_bytes


class Backend(Protocol):
    """What the run manager needs from wherever runs execute."""

    name: str
    remote: bool  # memory and CPU are other machines' (no local memory budget applies)

    def capacity(self) -> int | None:
        """Runs it can train at once (None: the deployer's setting decides)."""

    def start(self, key: str, spec: Any, sink: RunSink) -> bool:
        """Start the run now; False (nothing started) when no slot is free."""

    def stop(self, key: str, reason: str) -> None: ...

    def others_watching(self, key: str) -> bool:
        """Whether another app replica still wants the run (then a Stop here only detaches)."""

    def detach(self, key: str) -> None: ...

    def release(self, key: str) -> None:
        """A finished run left the shared cache: its copy may go."""

    def rehearse(self, key: str, spec: Any) -> bool:
        """Have an idle worker rehearse a request (core.engine.reuse); False if it can't now."""

    def can_rehearse(self) -> bool: ...

    def rss(self) -> int:
        """Memory its processes on this host take now."""

    def baseline_rss(self) -> int:
        """What its processes cost warmed up and idle."""

    def run_rss(self, key: str) -> int:
        """Memory of the process computing `key` on this host (0: none here)."""

    def pids(self) -> list[int]: ...

    def close(self) -> None: ...


class LocalBackend:
    """Runs in the worker pool's processes on this machine."""

    remote = False
    name = "local"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._claim = threading.Lock()

    def capacity(self) -> int | None:
        return None

    def start(self, key: str, spec: Any, sink: RunSink) -> bool:
        with self._claim:  # one idle worker goes to one run, even with two dispatches at once
            worker = self.pool.idle_worker()
            if worker is None:
                return False
            worker.assign(key, spec, sink)
        return True

    def _worker_of(self, key: str):
        for worker in self.pool.workers:
            current = worker.current
            if current is not None and current.run_id == key:
                return worker
        return None

    def stop(self, key: str, reason: str) -> None:
        if (worker := self._worker_of(key)) is not None:
            worker.stop(key, reason)

    def others_watching(self, key: str) -> bool:
        return False

    def detach(self, key: str) -> None: ...

    def release(self, key: str) -> None: ...

    def can_rehearse(self) -> bool:
        return True

    def rehearse(self, key: str, spec: Any) -> bool:
        return self.pool.rehearse(key, spec)

    def rss(self) -> int:
        return self.pool.rss()

    def baseline_rss(self) -> int:
        return self.pool.baseline_rss()

    def run_rss(self, key: str) -> int:
        worker = self._worker_of(key)
        return rss_bytes(worker.pid) if worker is not None and worker.pid else 0

    def pids(self) -> list[int]:
        return self.pool.pids()

    def close(self) -> None:
        self.pool.close()


class ThreadBackend:
    """Runs on threads in the server process (RNN_PLAYGROUND_WORKERS=0): the same execute(), the
    same progress records as a worker sends them."""

    remote = False
    name = "threads"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stops: dict[str, StopSignal] = {}

    def capacity(self) -> int | None:
        return None

    def start(self, key: str, spec: Any, sink: RunSink) -> bool:
        stop = StopSignal()
        with self._lock:
            self._stops[key] = stop
        threading.Thread(target=self._run, args=(key, spec, sink, stop), name="rnn-playground-run", daemon=True).start()
        return True

    def _run(self, key: str, spec: Any, sink: RunSink, stop: StopSignal) -> None:
        progress = RemoteProgress(lambda message: sink.progress(message[2], message[3]), key)
        try:
            deliver(execute(spec, progress, stop), sink)
        finally:
            with self._lock:
                if self._stops.get(key) is stop:  # the same run may already have started again (it yielded)
                    del self._stops[key]

    def stop(self, key: str, reason: str) -> None:
        with self._lock:
            stop = self._stops.get(key)
        if stop is not None:
            stop.request(reason)

    def others_watching(self, key: str) -> bool:
        return False

    def detach(self, key: str) -> None: ...

    def release(self, key: str) -> None: ...

    def can_rehearse(self) -> bool:
        return False  # a rehearsal would compute in the server itself

    def rehearse(self, key: str, spec: Any) -> bool:
        return False

    def rss(self) -> int:
        return 0

    def baseline_rss(self) -> int:
        return 0

    def run_rss(self, key: str) -> int:
        return rss_bytes() if key in self._stops else 0

    def pids(self) -> list[int]:
        return []

    def close(self) -> None:
        with self._lock:
            stops = list(self._stops.values())
        for stop in stops:
            stop.request("The server is shutting down")
