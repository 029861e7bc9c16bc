"""The classroom bench's reading of Streamlit's protocol (bench/classroom.py), without a server."""

from __future__ import annotations

from dataclasses import asdict

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider

from bench.classroom import (
    GRADIENT_LAB,
    LAB_PRESETS,
    PRESET_KEY,
    TINY_PREFIX,
    TRAIN_KEY,
    PageSession,
    SessionRecord,
    appearance_delays,
    board_runs_shown,
    format_room,
    join_code,
    lab_variants,
    phase_of,
    queue_place,
    refresh_seconds,
    room_cost,
    shown_elapsed,
    shows_loss,
    targets_a,
    targets_room,
    tiny_variants,
    widget_key,
)
from core.sentiment.config import PRESETS, TINY_PRESET

QUEUED = (
    "Waiting in the queue: place 3 of 7 · starts in about 1:10 · 1 session(s) waiting for this run. "
    "Other visitors' runs are training; yours starts as soon as a slot is free."
)
TRAINING = "Training · epoch 1/2 · batch 4/196 · loss 0.6912 · elapsed 2 s · ETA 1:35"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _bytes(msg: ForwardMsg) -> bytes:
    return msg.SerializeToString()


def _new_session(fragment: str | None = None) -> bytes:
    msg = ForwardMsg()
    msg.new_session.page_script_hash = "hash-sentiment"
    if fragment:
        msg.metadata.run.fragment_ids.append(fragment)
    return _bytes(msg)


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = status
    return _bytes(msg)


def _element(**set_fields) -> bytes:
    msg = ForwardMsg()
    element = msg.delta.new_element
    for kind, fill in set_fields.items():
        fill(getattr(element, kind))
    return _bytes(msg)


def _button(key: str) -> bytes:
    return _element(button=lambda b: setattr(b, "id", f"$$ID-0123abcd-{key}"))


def _progress(text: str) -> bytes:
    return _element(progress=lambda p: setattr(p, "text", text))


def _alert(form: int, body: str) -> bytes:
    def fill(alert):
        alert.format, alert.body = form, body

    return _element(alert=fill)


def _auto_rerun(fragment: str) -> bytes:
    msg = ForwardMsg()
    msg.auto_rerun.fragment_id, msg.auto_rerun.interval = fragment, 1.0
    return _bytes(msg)


def _opened(clock: Clock) -> PageSession:
    session = PageSession("s01", clock)
    for data in (_new_session(), _button(TRAIN_KEY), _alert(Alert.WARNING, "Data notice"), _finished()):
        session.handle(data)
    return session


def test_texts_of_the_panel_are_read():
    assert widget_key("$$ID-9f8e7d-sentiment:1:units") == "sentiment:1:units"
    assert widget_key("$$ID-9f8e7d-None") == "None"
    assert widget_key("abc") is None
    assert queue_place(QUEUED) == (3, 7)
    assert queue_place(TRAINING) is None
    assert shows_loss(TRAINING) and not shows_loss(QUEUED) and not shows_loss("Starting… (3 s)")
    assert phase_of(QUEUED) == "Waiting in the queue"
    assert phase_of(TRAINING) == "Training"
    assert phase_of("Starting… (3 s)") == "Starting"
    assert shown_elapsed(TRAINING) == 2.0
    assert shown_elapsed("x · elapsed 1:05 · ETA 3 s") == 65.0


def test_a_session_records_its_click_queue_first_loss_and_final_status():
    clock = Clock()
    session = _opened(clock)
    assert session.record.page_ready_at == 0.0
    clock.now = 5.0
    back = BackMsg.FromString(session.click())
    pressed = [w for w in back.rerun_script.widget_states.widgets if w.trigger_value]
    assert [w.id for w in pressed] == ["$$ID-0123abcd-sentiment:train"]
    assert back.rerun_script.page_name == "sentiment"
    assert back.rerun_script.page_script_hash == "hash-sentiment"

    for now, data in ((5.5, _progress(QUEUED)), (6.5, _progress(QUEUED.replace("place 3", "place 1")))):
        clock.now = now
        session.handle(data)
    clock.now = 8.0
    session.handle(_progress("Starting… (0 s)"))
    clock.now = 9.0
    session.handle(_progress(TRAINING))
    clock.now = 9.5
    session.handle(_element(exception=lambda e: setattr(e, "message", "boom")))
    clock.now = 20.0
    session.handle(_alert(Alert.WARNING, "Data notice"))  # shown before the click too: not the result
    assert not session.done
    session.handle(_alert(Alert.SUCCESS, "Trained 2 epoch(s), 392 steps, in 14.0 s."))
    clock.now = 21.0
    session.handle(_finished())

    summary = session.record.summary()
    assert summary["queue_places"] == [3, 1]
    assert summary["wait_s"] == 3.0
    assert summary["first_loss_s"] == 4.0
    assert summary["finish_s"] == 15.0
    assert summary["run_elapsed_at_first_loss_s"] == 2.0
    assert session.record.phases == ["Waiting in the queue", "Starting", "Training"]
    assert session.record.final_kind == "success"
    assert session.record.settled_at == 21.0
    assert session.record.exceptions == [": boom"]


def test_fragment_timers_follow_the_server():
    session = _opened(Clock())
    session.handle(_new_session())
    session.handle(_auto_rerun("frag-1"))
    session.handle(_new_session(fragment="frag-1"))  # a fragment's own run keeps the timer
    assert session.auto_reruns == {"frag-1": 1.0}
    back = BackMsg.FromString(session.rerun(fragment_id="frag-1"))
    assert back.rerun_script.fragment_id == "frag-1" and back.rerun_script.is_auto_rerun
    assert not any(w.trigger_value for w in back.rerun_script.widget_states.widgets)
    session.handle(_new_session())  # a full run registers its fragments again
    assert session.auto_reruns == {}
    session.handle(_auto_rerun("frag-1"))
    msg = ForwardMsg()
    msg.stop_auto_rerun.fragment_ids.append("frag-1")
    session.handle(_bytes(msg))
    assert session.auto_reruns == {}


def test_controls_are_set_as_the_browser_encodes_them():
    session = _opened(Clock())

    def select_slider(s):
        s.id, s.type = f"$$ID-aa-{TINY_PREFIX}:units", Slider.SELECT_SLIDER

    session.handle(_element(selectbox=lambda s: setattr(s, "id", f"$$ID-bb-{PRESET_KEY}")))
    session.handle(_element(slider=select_slider))
    session.handle(_element(slider=lambda s: setattr(s, "id", f"$$ID-cc-{TINY_PREFIX}:epochs")))
    session.handle(_element(number_input=lambda s: setattr(s, "id", f"$$ID-dd-{TINY_PREFIX}:train")))
    session.set_value(PRESET_KEY, TINY_PRESET)
    session.set_value(f"{TINY_PREFIX}:units", 8)
    session.set_value(f"{TINY_PREFIX}:epochs", 1)
    session.set_value(f"{TINY_PREFIX}:train", 500)
    states = {w.id: w for w in BackMsg.FromString(session.rerun()).rerun_script.widget_states.widgets}
    assert states[f"$$ID-bb-{PRESET_KEY}"].string_value == TINY_PRESET
    assert list(states[f"$$ID-aa-{TINY_PREFIX}:units"].string_array_value.data) == ["8"]
    assert list(states[f"$$ID-cc-{TINY_PREFIX}:epochs"].double_array_value.data) == [1.0]
    assert states[f"$$ID-dd-{TINY_PREFIX}:train"].double_value == 500.0


def test_tiny_variants_are_distinct_and_never_the_preset_itself():
    tiny = PRESETS[TINY_PRESET]
    variants = tiny_variants(30)
    assert len({tuple(sorted(v.items())) for v in variants}) == 30
    assert all(
        (v["units"], v["epochs"], v["batch_size"], v["train"])
        != (tiny.model.units, tiny.train.epochs, tiny.train.batch_size, tiny.data.train_size)
        for v in variants
    )


def _phase(finals: list[tuple[float, float, float]], peak: float) -> dict:
    """(click, first loss, final) per session -> the bench's phase dict."""
    sessions = []
    for click, loss, final in finals:
        record = {"click_at": click, "final_at": final, "final_kind": "success", "exceptions": [], "errors": []}
        sessions.append({"record": record, "first_loss_s": loss - click})
    return {"sessions": sessions, "memory": {"peak_total_mb": peak}}


def test_targets_compare_the_class_with_the_lone_run():
    lone = _phase([(0.0, 2.0, 50.0)], 1500)
    good = {"lone": lone, "class": _phase([(0.0, 3.0, 55.0), (9.0, 10.0, 56.0)], 2000)}
    assert all(t["pass"] for t in targets_a(good))
    slow = {"lone": lone, "class": _phase([(0.0, 7.0, 70.0), (9.0, 10.0, 71.0)], 2600)}
    verdicts = [t["pass"] for t in targets_a(slow)]
    assert verdicts[:3] == [False, False, False]


def test_a_run_that_left_the_queue_ends_the_session():
    session = _opened(Clock())
    session.click()
    session.handle(_progress(QUEUED))
    session.handle(_alert(Alert.INFO, "This run left the queue before it started, because its page stopped checking."))
    assert session.done and session.record.final_kind == "cancelled"


# ----------------------------------------------------------------------------- the room scenario


def _markdown(body: str) -> bytes:
    return _element(markdown=lambda m: setattr(m, "body", body))


def test_a_student_joins_the_room_through_the_boards_form():
    session = PageSession("s01", Clock(), GRADIENT_LAB)
    back = BackMsg.FromString(session.go("board", "room=AbC-12_x"))
    assert back.rerun_script.page_name == "board" and back.rerun_script.query_string == "room=AbC-12_x"
    assert back.rerun_script.page_script_hash == ""
    session.handle(_new_session())
    session.handle(_element(text_input=lambda t: setattr(t, "id", "$$ID-11-board:nickname")))

    def submit(button):
        button.id, button.label = "$$ID-22-FormSubmitter:board:nickname-form-Join", "Join"
        button.is_form_submitter = True

    session.handle(_element(button=submit))
    session.handle(_finished())
    session.set_value("board:nickname", "s01")
    states = BackMsg.FromString(session.rerun(trigger_key=session.button_labelled("Join"))).rerun_script
    by_id = {w.id: w for w in states.widget_states.widgets}
    assert by_id["$$ID-11-board:nickname"].string_value == "s01"
    assert by_id["$$ID-22-FormSubmitter:board:nickname-form-Join"].trigger_value
    # then the training page: the board's widgets are gone, its Train button makes the page ready
    assert BackMsg.FromString(session.go(GRADIENT_LAB.url)).rerun_script.page_name == "gradient-lab"
    assert session.values == {} and session.record.page_ready_at is None
    session.handle(_new_session())
    session.handle(_button(GRADIENT_LAB.train_key))
    session.handle(_finished())
    assert session.record.page_ready_at is not None
    click = BackMsg.FromString(session.click()).rerun_script
    assert [w.id for w in click.widget_states.widgets if w.trigger_value] == ["$$ID-0123abcd-gradient-lab:train"]
    session.handle(_element(toast=lambda t: setattr(t, "body", "Added to the class board.")))
    assert session.record.added_at is not None


def test_the_board_counts_and_refresh_times_are_read():
    assert board_runs_shown("**Leaderboard by test MSE** (30 runs)") == 30
    assert board_runs_shown("**Leaderboard by test accuracy** (1 run)") == 1
    assert board_runs_shown("Runs (3 runs)") is None
    assert join_code("http://127.0.0.1:8501/board?room=Xy-z_09") == "Xy-z_09"
    assert join_code("no link") is None
    clock = Clock()
    session = PageSession("projector", clock, GRADIENT_LAB)
    session.handle(_new_session())
    session.handle(_alert(Alert.INFO, "No runs yet. Students: open a training page..."))
    session.handle(_finished())
    assert session.record.board_counts == [(0.0, 0)]
    clock.now = 5.0
    session.rerun(fragment_id="board")
    clock.now = 5.75
    session.handle(_new_session(fragment="board"))
    session.handle(_markdown("**Leaderboard by test MSE** (20 runs)"))  # two page tabs: their counts add up
    session.handle(_markdown("**Leaderboard by test accuracy** (4 runs)"))
    session.handle(_finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY))
    assert session.record.board_counts[-1] == (5.75, 24)
    assert session.record.fragment_seconds == [(5.75, 0.75)]
    assert refresh_seconds(session.record.fragment_seconds, since=5.0) == [0.75]
    assert refresh_seconds(session.record.fragment_seconds, since=6.0) == []


def test_each_run_is_timed_from_its_end_to_the_board():
    recorded = [(10.5, "s02"), (11.0, "s01"), (30.0, "s03")]
    finals = {"s01": 10.8, "s02": 10.0, "s03": 29.0}
    counts = [(9.0, 0), (14.0, 1), (19.0, 2), (24.0, 2), (34.0, 3)]
    delays = appearance_delays(recorded, finals, counts)
    assert [d["nickname"] for d in delays] == ["s02", "s01", "s03"]
    assert [round(d["recorded_s"], 2) for d in delays] == [0.5, 0.2, 1.0]
    assert [d["shown_s"] for d in delays] == [4.0, 8.2, 5.0]
    assert appearance_delays([(1.0, "s09")], {}, counts)[0]["shown_s"] is None
    assert appearance_delays(recorded, finals, [(40.0, 2)])[2]["shown_s"] is None


def test_gradient_lab_variants_are_distinct_and_never_the_preset_itself():
    variants = lab_variants(30)
    assert len({tuple(sorted(v.items())) for v in variants}) == 30
    tiny = LAB_PRESETS[GRADIENT_LAB.tiny]
    assert all(v["seed"] != tiny.train.seed for v in variants)
    assert {v["cell"] for v in variants} == {"SimpleRNN", "LSTM", "GRU"}
    assert GRADIENT_LAB.tiny_prefix == f"gradient-lab:{list(LAB_PRESETS).index('Tiny: a few seconds')}"


def _room_phase(finish: list[float], peak: float, server: float, board: dict | None = None) -> dict:
    records = [SessionRecord(f"s{i}", click_at=0.0, final_at=t, final_kind="success") for i, t in enumerate(finish)]
    sessions = [{"record": asdict(r), **r.summary()} for r in records]
    memory = {"peak_total_mb": peak, "peak_by_kind_mb": {"server": server, "worker": peak - server}}
    phase = {"sessions": sessions, "memory": memory, "loadavg_end": (1.0, 1.0, 1.0), "server_ready_s": 3.0}
    if board is not None:
        phase["board"] = board
    return phase


def test_the_room_is_reported_beside_the_class_without_it():
    board = {
        "finished": 2,
        "recorded": 2,
        "added_toast_s": [0.1, 0.2],
        "appearance": [
            {"nickname": "s0", "recorded_s": 0.1, "shown_s": 3.0},
            {"nickname": "s1", "recorded_s": 0.2, "shown_s": 4.0},
        ],
        "boards": {
            "2": {
                "runs": 2,
                "projector_s": [0.2, 0.3],
                "teacher_s": [0.4],
                "database_bytes": 120_000,
                "rss_total_mb": 900.0,
                "rss_server_mb": 400.0,
            },
            "300": {
                "runs": 300,
                "projector_s": [0.9],
                "teacher_s": [1.5],
                "database_bytes": 2_500_000,
                "rss_total_mb": 950.0,
                "rss_server_mb": 450.0,
            },
        },
        "seed_s": 4.0,
    }
    scenario = {
        "no_room": _room_phase([10.0, 20.0], 1000.0, 400.0),
        "room": _room_phase([11.0, 22.0], 1100.0, 500.0, board),
    }
    cost = {label: (a, b, ratio) for label, a, b, ratio in room_cost(scenario["no_room"], scenario["room"])}
    assert cost["peak RSS, server + workers MB"] == (1000.0, 1100.0, 1.1)
    assert cost["peak RSS, server MB"][2] == 1.25
    assert cost["finish: click -> final status, p90 s"][:2] == (20.0, 22.0)
    assert cost["server process CPU s"] == (None, None, None)
    scenario["targets"] = targets_room(scenario)
    assert all(t["pass"] for t in scenario["targets"])
    text = "\n".join(format_room(scenario))
    assert "database 2.50 MB" in text and "board refresh, projector (300) ms" in text
    assert "runs recorded in the store: 2 of 2 finished" in text
    board["recorded"] = 1
    board["appearance"] = board["appearance"][:1]
    verdicts = {t["target"]: t["pass"] for t in targets_room(scenario)}
    assert not verdicts["(room) every finished run recorded in the store"]
