"""The rooms store on SQLite and on a real PostgreSQL: schema migrations, codes, bounds, moderation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text

from core.rooms import schema
from core.rooms.limits import Throttle, plain_text
from core.rooms.records import RunEntry
from core.rooms.settings import RoomSettings
from core.rooms.store import SHORT_ALPHABET, RoomError, RoomGone, RoomStore, make_engine


def entry(page: str = "gradient_lab", label: str = "LSTM", score: float | None = 0.5) -> RunEntry:
    curves = [{"quantity": "loss", "curve": "training", "epochs": 0.5, "value": 1.0}]
    settings = {"model cell": "LSTM", "model units": "8"}
    params = {"page": page, "c": "LSTM"}
    return RunEntry(page, label, params, score, "test MSE", True, curves, "completed", 3.2, settings)


# ----------------------------------------------------------------------------- schema


def test_an_empty_database_is_migrated_to_the_latest_version(db_url):
    engine = make_engine(db_url)
    assert schema.migrate(engine) == schema.LATEST
    tables = set(inspect(engine).get_table_names())
    assert {"schema_version", "rooms", "runs", "hidden_names"} <= tables
    assert "session_tag" in {c["name"] for c in inspect(engine).get_columns("runs")}
    assert schema.migrate(engine) == schema.LATEST  # a second start changes nothing
    with engine.begin() as conn:
        assert conn.execute(select(schema.schema_version.c.version)).scalars().all() == [schema.LATEST]
    engine.dispose()


def test_a_version_1_database_keeps_its_rooms_and_runs_through_the_migration(db_url, clock):
    engine = make_engine(db_url)
    assert schema.migrate(engine, target=1) == 1
    assert not {"session_tag", "settings"} & {c["name"] for c in inspect(engine).get_columns("runs")}
    assert not inspect(engine).has_table("hidden_names")
    with engine.begin() as conn:  # what a v1 server wrote
        conn.execute(
            text(
                "INSERT INTO rooms (code, short_code, teacher_hash, created_at, active_at, closed) "
                "VALUES ('oldroomcode1', 'ABCDEF', :h, :t, :t, false)"
            ),
            {"h": "0" * 64, "t": clock()},
        )
        conn.execute(
            text(
                "INSERT INTO runs (room_id, created_at, page, nickname, label, params, score, metric, "
                "lower_is_better, curves, status, seconds, hidden, pinned) VALUES ((SELECT id FROM rooms), :t, "
                "'sentiment', 'ada', 'GRU', '{\"page\": \"sentiment\"}', 0.81, 'test accuracy', false, '[]', "
                "'completed', 12.5, false, false)"
            ),
            {"t": clock()},
        )
    store = RoomStore(engine, clock=clock)
    assert store.ensure_schema() == schema.LATEST
    room = store.room("oldroomcode1")
    (run,) = store.runs(room)
    assert (run.nickname, run.label, run.score, run.params) == ("ada", "GRU", 0.81, {"page": "sentiment"})
    assert run.settings == {}  # v1 kept no settings
    store.set_name_hidden(room, "ada", True)  # v2's table works on the migrated database
    assert store.runs(room) == []
    store.add_run(room, "bob", entry(), "s1")  # and v2's column
    assert [r.nickname for r in store.runs(room)] == ["bob"]
    store.close()


# ----------------------------------------------------------------------------- rooms


def test_codes_are_random_and_the_teacher_secret_is_kept_only_as_a_hash(store):
    made = [store.create_room() for _ in range(5)]
    codes = {m.room.code for m in made}
    assert len(codes) == 5 and all(len(c) == 12 for c in codes)  # 12 URL-safe characters = 72 bits
    assert all(len(m.room.short_code) == 6 and set(m.room.short_code) <= set(SHORT_ALPHABET) for m in made)
    first = made[0]
    assert store.room(first.room.code) == first.room
    typed = " " + first.room.short_code.lower()[:3] + "-" + first.room.short_code[3:]
    assert store.room_by_short_code(typed) == store.room(first.room.code)
    assert store.room("nosuchroomxx") is None and store.room("") is None and store.room_by_short_code("ZZ") is None
    assert store.is_teacher(first.room.code, first.teacher_secret)
    assert not store.is_teacher(first.room.code, made[1].teacher_secret)
    assert not store.is_teacher(made[1].room.code, first.teacher_secret)
    assert not store.is_teacher(first.room.code, "")
    with store.engine.begin() as conn:
        dump = json.dumps([list(map(str, row)) for row in conn.execute(select(schema.rooms)).all()])
    assert all(m.teacher_secret not in dump for m in made)


def test_rooms_expire_after_their_last_run_and_are_deleted_by_the_next_creation(store, clock):
    made = store.create_room()
    clock.now += 11 * 3600
    store.add_run(made.room, "ada", entry(), "s1")  # activity: 12 h count from here
    clock.now += 11 * 3600
    assert store.room(made.room.code) is not None
    clock.now += 2 * 3600
    assert store.room(made.room.code) is None
    assert not store.is_teacher(made.room.code, made.teacher_secret)
    with pytest.raises(RoomGone):
        store.add_run(made.room, "ada", entry(), "s1")
    store.create_room()
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar() == 0  # its runs went with it


def test_the_server_holds_at_most_n_rooms(db_url, clock):
    store = RoomStore(make_engine(db_url), RoomSettings(max_rooms=2), clock=clock)
    store.ensure_schema()
    store.create_room()
    store.create_room()
    with pytest.raises(RoomError, match="limit"):
        store.create_room()
    clock.now += 13 * 3600  # both expired: room for new ones
    store.create_room()
    store.close()


# ----------------------------------------------------------------------------- runs


def test_runs_are_recorded_with_what_the_board_needs(store):
    room = store.create_room().room
    run_id = store.add_run(room, "  ada\n<b>  ", entry(label="GRU\x00, clip 1.0"), "s1")
    (run,) = store.runs(room)
    assert run.id == run_id
    assert run.nickname == "ada <b>" and run.label == "GRU , clip 1.0"  # one printable line, kept as text
    assert (run.page, run.score, run.metric, run.lower_is_better, run.status) == (
        "gradient_lab",
        0.5,
        "test MSE",
        True,
        "completed",
    )
    assert run.params == {"page": "gradient_lab", "c": "LSTM"} and run.curves[0]["value"] == 1.0
    assert run.settings == {"model cell": "LSTM", "model units": "8"}
    assert run.seconds == pytest.approx(3.2)
    assert plain_text("x" * 100, 24) == "x" * 24
    with pytest.raises(RoomError, match="nickname"):
        store.add_run(room, " \n\t", entry(), "s1")
    store.add_run(room, "bob", entry(score=None), "s2")  # a run without a held-out score is still shown
    assert [r.score for r in store.runs(room)] == [0.5, None]


def test_bounds_per_room_and_per_session_minute(db_url, clock):
    store = RoomStore(make_engine(db_url), RoomSettings(max_runs_per_room=5, runs_per_session_minute=2), clock=clock)
    store.ensure_schema()
    room = store.create_room().room
    store.add_run(room, "ada", entry(), "s1")
    store.add_run(room, "ada", entry(), "s1")
    with pytest.raises(RoomError, match="a minute"):
        store.add_run(room, "ada", entry(), "s1")
    store.add_run(room, "bob", entry(), "s2")  # another session is not slowed down
    clock.now += 61
    store.add_run(room, "ada", entry(), "s1")
    store.add_run(room, "bob", entry(), "s2")
    with pytest.raises(RoomError, match="full"):
        store.add_run(room, "cy", entry(), "s3")
    assert len(store.runs(room)) == 5
    store.close()


def test_teacher_moderation_hide_pin_close_delete(store):
    room = store.create_room().room
    other = store.create_room().room
    a = store.add_run(room, "ada", entry(label="a"), "s1")
    b = store.add_run(room, "rude name", entry(label="b"), "s2")
    c = store.add_run(room, "cy", entry(label="c"), "s3")
    store.add_run(other, "ada", entry(label="elsewhere"), "s4")
    store.set_hidden(room, a, True)
    store.set_name_hidden(room, "rude name", True)
    store.set_pinned(room, c, True)
    store.set_hidden(other, c, True)  # a run id of another room: nothing happens
    assert [r.label for r in store.runs(room)] == ["c"]
    everything = {r.label: r for r in store.runs(room, include_hidden=True)}
    assert everything["a"].hidden and everything["b"].name_hidden and everything["c"].pinned
    assert store.nicknames(room) == ["ada", "cy", "rude name"]
    store.set_name_hidden(room, "rude name", False)
    store.set_hidden(room, a, False)
    assert [r.id for r in store.runs(room)] == [a, b, c]

    store.set_closed(room, True)
    assert store.room(room.code).closed
    with pytest.raises(RoomError, match="closed"):
        store.add_run(room, "ada", entry(), "s1")
    assert len(store.runs(room)) == 3  # read-only, still shown

    store.delete_room(room)
    assert store.room(room.code) is None and store.runs(room) == []
    assert [r.label for r in store.runs(other)] == ["elsewhere"]


def test_a_sqlite_store_survives_a_restart(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    first = RoomStore(make_engine(url), clock=clock)
    first.ensure_schema()
    made = first.create_room()
    first.add_run(made.room, "ada", entry(), "s1")
    first.close()
    again = RoomStore.open(url)
    again.clock = clock
    room = again.room(made.room.code)
    assert [r.nickname for r in again.runs(room)] == ["ada"]
    assert again.is_teacher(room.code, made.teacher_secret)
    again.close()


def test_a_throttle_allows_so_many_tries_a_minute():
    now = [0.0]
    throttle = Throttle(3, 60, clock=lambda: now[0])
    assert [throttle.allow() for _ in range(4)] == [True, True, True, False]
    now[0] = 61
    assert throttle.allow()
