"""bench/rooms.py prints the database's size for SQLite (its files) and PostgreSQL (its tables): both grow with runs."""

from __future__ import annotations

from pathlib import Path

from bench import rooms as bench_rooms
from core.rooms.settings import RoomSettings
from core.rooms.store import RoomStore, make_engine


def test_the_bench_measures_the_databases_size(db_url):
    folder = Path(db_url.removeprefix("sqlite:///")).parent if db_url.startswith("sqlite") else None
    store = RoomStore(make_engine(db_url), RoomSettings(runs_per_session_minute=1000))
    store.ensure_schema()
    room = store.create_room().room
    empty = bench_rooms.database_bytes(store, folder)
    for i in range(40):
        store.add_run(room, f"student{i}", bench_rooms.tiny_entry(i), f"session{i}")
    full = bench_rooms.database_bytes(store, folder)
    store.close()
    assert empty is not None and full is not None and full > empty > 0
