"""Pieces of the shared training panel that don't need a browser."""

import keras
import numpy as np

from core.engine.config import InputSpec, ModelConfig, OutputSpec
from core.engine.models import build_model
from ui.training_panel import _format_seconds, model_bytes


def test_model_download_bytes_load_back(tmp_path):
    model = build_model(ModelConfig(units=4), InputSpec(length=5, vocab_size=20, embedding_dim=3), OutputSpec())
    path = tmp_path / "m.keras"
    path.write_bytes(model_bytes(model))
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(0).integers(1, 20, size=(2, 5))
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_eta_formatting():
    assert _format_seconds(None) == "…"
    assert _format_seconds(42.4) == "42 s"
    assert _format_seconds(125) == "2:05"


def _shared_run(state: str, batches: int = 0, watchers: int = 1):
    from core.engine.history import BatchRecord
    from core.engine.runs import SharedRun
    from core.engine.training_job import WorkSpec

    run = SharedRun("k", "page", "Page", WorkSpec(print), None, 0)
    run.state = state
    run.watchers = {f"s{i}": 0.0 for i in range(watchers)}
    for step in range(1, batches + 1):
        run.progress.on_batch_end(BatchRecord(step, 1, step, 1.0, {}, 1.0, 1.0, {}, 0.1))
    return run


def test_the_panel_polls_quickly_until_the_first_loss_then_at_the_usual_pace():
    from ui.training_panel import FIRST_POINT_SECONDS, REFRESH_SECONDS, _refresh_interval

    assert _refresh_interval(_shared_run("running")) == FIRST_POINT_SECONDS  # nothing to chart yet
    assert _refresh_interval(_shared_run("running", batches=1)) == REFRESH_SECONDS
    assert _refresh_interval(_shared_run("queued")) == REFRESH_SECONDS  # the queue's place changes slowly
    assert _refresh_interval(_shared_run("running", watchers=9)) == 2 * REFRESH_SECONDS  # a crowd: no burst
    assert _refresh_interval(_shared_run("done", batches=3)) is None
    assert FIRST_POINT_SECONDS < REFRESH_SECONDS


def test_a_crowd_redraws_slowly_but_sees_the_end_of_the_run_as_soon_as_a_lone_student():
    from ui.training_panel import REFRESH_SECONDS, _end_watch_interval, _refresh_interval

    for watchers in (1, 8, 9, 30, 60):
        for batches in (0, 5):
            run_every = _refresh_interval(_shared_run("running", batches=batches, watchers=watchers))
            end_every = _end_watch_interval(run_every)
            assert min(run_every, end_every or run_every) <= REFRESH_SECONDS, (watchers, batches)
            assert (end_every is None) == (run_every <= REFRESH_SECONDS)  # no second timer where the redraw is quick
    assert _refresh_interval(_shared_run("running", batches=5, watchers=30)) == 4 * REFRESH_SECONDS
    assert _end_watch_interval(None) is None  # an ended run has no timers


def test_a_panel_hands_each_configuration_over_for_a_rehearsal_once(monkeypatch):
    import threading
    import time
    from collections import OrderedDict

    from ui import training_panel as tp

    calls, handed = [], threading.Event()

    class Manager:
        accept = True

        def can_rehearse(self):
            return True

        def rehearse(self, page, spec, config):
            calls.append((page, spec))
            handed.set()
            return self.accept

    manager = Manager()
    monkeypatch.setattr(tp, "run_manager", lambda: manager)
    monkeypatch.setattr(tp, "_REHEARSED", OrderedDict())

    def draw(spec, config):
        handed.clear()
        tp._rehearse_ahead("page", lambda: spec, config)

    draw("spec-8", {"units": 8})
    assert handed.wait(5)
    draw("spec-8", {"units": 8})  # drawn again (another session, a rerun): not handed over twice
    assert not handed.wait(0.3) and calls == [("page", "spec-8")]

    manager.accept = False  # e.g. a run started meanwhile
    draw("spec-16", {"units": 16})
    assert handed.wait(5)
    deadline = time.monotonic() + 5
    while ("page", repr({"units": 16})) in tp._REHEARSED:  # refused: the claim is given up ...
        assert time.monotonic() < deadline
        time.sleep(0.01)
    manager.accept = True
    draw("spec-16", {"units": 16})  # ... and the next draw hands it over
    assert handed.wait(5) and calls[-1] == ("page", "spec-16") and len(calls) == 3

    tp._rehearse_ahead("page", lambda: 1 / 0, {"units": 32})  # no request yet (data loading): nothing
    monkeypatch.setattr(Manager, "can_rehearse", lambda self: False)
    draw("spec-64", {"units": 64})  # a run queues or trains: nothing
    assert not handed.wait(0.3) and len(calls) == 3
