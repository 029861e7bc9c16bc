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
    assert ("page", repr({"units": 32})) not in tp._REHEARSED  # a request that failed leaves no claim behind


def test_sessions_opening_a_page_at_once_build_its_rehearsal_once(monkeypatch):
    """A class opens the page together: the first session claims the configuration before building its
    request (data slices, hashing), so the others don't build it again meanwhile."""
    import threading
    import time
    from collections import OrderedDict

    from ui import training_panel as tp

    built, rehearsed = [], []

    class Manager:
        def can_rehearse(self):
            return True

        def rehearse(self, page, spec, config):
            rehearsed.append(spec)
            return True

    def start():
        built.append(threading.current_thread().name)
        time.sleep(0.05)  # building a request takes a while (the Sentiment page's: ~40 ms)
        return "spec"

    monkeypatch.setattr(tp, "run_manager", Manager)
    monkeypatch.setattr(tp, "_REHEARSED", OrderedDict())
    sessions = [threading.Thread(target=tp._rehearse_ahead, args=("page", start, {"units": 8})) for _ in range(8)]
    for session in sessions:
        session.start()
    for session in sessions:
        session.join(5)
    deadline = time.monotonic() + 5
    while not rehearsed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(built) == 1 and rehearsed == ["spec"]


def _two_charts() -> None:
    import numpy as np
    import pandas as pd
    import streamlit as st

    from core.engine import charts
    from ui.training_panel import arrow_datasets

    n = 120
    batches = pd.DataFrame(
        {"step": np.arange(1, n + 1), "epoch": np.repeat([1, 2], n // 2), "loss": np.linspace(0.7, 0.2, n)}
    )
    batches.loc[5, "loss"] = np.nan  # a gap in the curve: Altair writes it as null
    epochs = pd.DataFrame({"epoch": [1, 2], "step": [60, 120], "loss": [0.5, 0.3], "val_loss": [0.6, 0.4]})
    spec = charts.training_curves(batches, epochs, "loss", "loss").to_dict(validate=False)
    st.vega_lite_chart(spec=spec, width="stretch")
    st.vega_lite_chart(spec=arrow_datasets(spec), width="stretch")
    st.session_state["kinds"] = sorted({type(v).__name__ for v in arrow_datasets(spec)["datasets"].values()})


def test_a_shared_views_chart_data_is_converted_once_and_draws_the_same_bytes():
    """live_view hands every session Arrow tables (converted once per view) instead of record lists (converted by
    Streamlit on every draw of every session); the chart the browser gets must not change."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_two_charts, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["kinds"] == ["Table"]
    records, tables = [el.proto for el in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")]
    assert records.spec == tables.spec
    assert [(d.name, d.data.data) for d in records.datasets] == [(d.name, d.data.data) for d in tables.datasets]
    assert len(records.datasets) >= 1 and all(d.data.data for d in records.datasets)
