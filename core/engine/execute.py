"""Running one job, the same way wherever it runs: `execute(spec, progress, stop) -> Outcome`.

A worker process, a Dask worker, a thread in the server and a script's TrainingJob all call
`execute`; the server reads every outcome back with `read_output` (one unpickling path). A run
ends in one of three ways:

* **done**: the work returned; its output (a TrainedRun, models included) is pickled here, so the
  size the server budgets is the size it will hold, and the custom Keras classes it uses are named
  so the reader imports them first;
* **stopped**: the Stop arrived and the work ended within one batch - training, evaluation or
  scoring (core.engine.history.RunStopped); a run stopped before it was scored has no output;
* **failed**: any other exception, as a message for the visitor and a traceback for the log.

`deliver(outcome, sink)` hands an outcome to whatever follows the run (core.engine.runs.SharedRun).

TensorFlow-free: Keras is consulted only if the work imported it.
"""

from __future__ import annotations

import importlib
import pickle
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Literal

from core.engine.history import RunStopped, StopSignal, bind_run_stop, release_run_stop

OutcomeState = Literal["done", "stopped", "failed"]
STOPPED_UNSCORED = "{reason} before its results were scored, so it kept no model. Press Train to run it again."


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as plain data (it crosses process and network boundaries)."""

    state: OutcomeState
    blob: bytes = b""  # the pickled output (done)
    modules: tuple[str, ...] = ()  # modules registering the custom Keras classes the output uses
    message: str = ""  # for the visitor (stopped, failed)
    detail: str = ""  # for the log (failed)
    value: Any = None  # the output itself, when the caller keeps it in-process (pickled=False)

    @property
    def size(self) -> int:
        return len(self.blob)


def custom_object_modules() -> tuple[str, ...]:
    """Modules defining the registered Keras classes (custom layers): imported before unpickling,
    or a model using them could not be rebuilt by the reader."""
    keras = sys.modules.get("keras")
    if keras is None:
        return ()
    objects = keras.saving.get_custom_objects().values()
    return tuple(sorted({getattr(obj, "__module__", "") for obj in objects} - {"", "__main__"}))


def _flush(progress: Any) -> None:
    flush = getattr(progress, "flush", None)
    if callable(flush):
        flush()


def execute(spec: Any, progress: Any, stop: StopSignal, pickled: bool = True) -> Outcome:
    """Run `spec(progress, stop)` to its end and say how it ended (never raises for the work's errors).

    `pickled=False` (a script's TrainingJob) keeps the output as it is, in `value`."""
    token = bind_run_stop(stop)
    try:
        output = spec(progress, stop)
        _flush(progress)
        if not pickled:
            return Outcome("done", value=output)
        blob = pickle.dumps(output, protocol=pickle.HIGHEST_PROTOCOL)
        return Outcome("done", blob, custom_object_modules())
    except RunStopped as stopped:
        _flush(progress)
        return Outcome("stopped", message=STOPPED_UNSCORED.format(reason=str(stopped) or "Stopped"))
    except Exception as err:  # every failure becomes a message; the process lives on
        _flush(progress)
        return Outcome("failed", message=f"{type(err).__name__}: {err}", detail=traceback.format_exc())
    finally:
        release_run_stop(token)


def read_output(outcome: Outcome) -> Any:
    """The output of a done outcome, unpickled (after importing the modules its custom layers need)."""
    if not outcome.blob:
        return outcome.value
    for module in outcome.modules:
        importlib.import_module(module)
    return pickle.loads(outcome.blob)


def deliver(outcome: Outcome, sink: Any) -> bool:
    """Report an outcome to a RunSink (finished / stopped / failed); False when its output could not be read."""
    if outcome.state == "stopped":
        sink.stopped(outcome.message)
        return True
    if outcome.state == "failed":
        sink.failed(outcome.message, outcome.detail)
        return True
    try:
        output = read_output(outcome)
    except Exception as err:
        sink.failed(f"The result could not be read: {type(err).__name__}: {err}", traceback.format_exc())
        return False
    sink.finished(output, outcome.size)
    return True
