"""The class board's costs, without a browser: 30 sessions record a Tiny-sized run in one room at once,
then a board refresh with 30 and with 300 recorded runs (the first, which reads and builds the charts,
and a further student's, which shares them), the database's size on disk and this process's RSS.

    PYTHONPATH=. .venv/bin/python bench/rooms.py                       # SQLite in a temporary folder
    PYTHONPATH=. .venv/bin/python bench/rooms.py --url postgresql://u@host/db

A run's entry is what a Tiny Gradient lab run records (loss and metric curves: 60 training points
and 3 validation points each, a few settings). The full scenario through the real app (30 sessions
joining a room by its link and a nickname, each training a Tiny run) is `bench/classroom.py --scenario room`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
from sqlalchemy import text

from core.rooms import board, charts, schema
from core.rooms.records import RunEntry
from core.rooms.settings import RoomSettings
from core.rooms.store import RoomStore, make_engine
from ui import rooms as ui_rooms

CELLS = ("SimpleRNN", "LSTM", "GRU")


def tiny_entry(i: int) -> RunEntry:
    curves = [
        {"quantity": q, "curve": "training", "epochs": round(k / 20, 4), "value": 1 / (k + 1)}
        for q in ("loss", "mae")
        for k in range(60)
    ]
    curves += [
        {"quantity": q, "curve": "validation", "epochs": e, "value": 1 / e} for q in ("loss", "mae") for e in (1, 2, 3)
    ]
    settings = {"model cell": CELLS[i % 3], "model units": str(8 * (1 + i % 4)), "train clip norm": "1.0"}
    params = {"page": "gradient-lab", "0.cell": CELLS[i % 3]}
    return RunEntry(
        "gradient-lab",
        f"{CELLS[i % 3]}",
        params,
        0.1 + (i % 17) / 100,
        "test MSE",
        True,
        curves,
        "completed",
        6.0,
        settings,
    )


def record_at_once(store: RoomStore, room, sessions: int, start: int) -> list[float]:
    """`sessions` threads each record one run at the same moment; seconds each took."""
    times: list[float] = [0.0] * sessions
    gate = threading.Barrier(sessions)

    def one(i: int) -> None:
        gate.wait()
        t = time.perf_counter()
        store.add_run(room, f"student{i}", tiny_entry(start + i), f"session{start + i}")
        times[i] = time.perf_counter() - t

    threads = [threading.Thread(target=one, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def refresh(store: RoomStore, room) -> float:
    """One student's board refresh: the room's runs (shared), the leaderboard, the two chart specs (shared)."""
    t = time.perf_counter()
    runs = ui_rooms.room_runs(store, room, False)
    ranked = board.ranked(runs)
    board.leaderboard(runs)
    chosen = ranked[:3]
    ids = tuple(r.id for r in chosen)
    ui_rooms.shared(
        ("overlay", ids), lambda: charts.overlay(board.curves(chosen), "loss").to_dict(validate=False), None
    )
    key = ("scatter", tuple(r.id for r in runs))
    scores = board.setting_scores(runs, "model units")
    ui_rooms.shared(
        key, lambda: charts.setting_scatter(scores, "model units", "test MSE").to_dict(validate=False), None
    )
    return time.perf_counter() - t


def database_bytes(store: RoomStore, folder: Path | None) -> int | None:
    """The database's size: SQLite's files in `folder` (its write-ahead log included), or PostgreSQL's tables
    of the rooms schema with their indexes and TOAST (pg_total_relation_size); None for another database."""
    if folder:
        return sum(p.stat().st_size for p in folder.iterdir())
    if store.engine.dialect.name != "postgresql":
        return None
    tables = [t.name for t in schema.metadata.sorted_tables]
    query = text("SELECT sum(pg_total_relation_size(quote_ident(t))) FROM unnest(CAST(:tables AS text[])) AS t")
    with store.engine.connect() as conn:
        return int(conn.execute(query, {"tables": tables}).scalar() or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--sessions", type=int, default=30)
    args = parser.parse_args(argv)
    folder = None if args.url else Path(tempfile.mkdtemp(prefix="rooms-bench-"))
    url = args.url or f"sqlite:///{folder / 'rooms.sqlite3'}"
    store = RoomStore(make_engine(url), RoomSettings(runs_per_session_minute=1000, max_runs_per_room=100_000))
    store.ensure_schema()
    room = store.create_room().room
    took = record_at_once(store, room, args.sessions, 0)
    print(
        f"{args.sessions} sessions record a run at once: median {statistics.median(took) * 1000:.0f} ms, "
        f"slowest {max(took) * 1000:.0f} ms"
    )
    recorded = args.sessions
    for target in (30, 300):
        while recorded < target:
            batch = min(args.sessions, target - recorded)
            record_at_once(store, room, batch, recorded)
            recorded += batch
        ui_rooms._cache.clear()
        first = refresh(store, room)
        others = statistics.median(refresh(store, room) for _ in range(9))
        size = database_bytes(store, folder)
        where = f"; database on disk {size / 1e6:.1f} MB" if size else ""
        times = f"first board refresh {first * 1000:.0f} ms, another student's {others * 1000:.1f} ms"
        print(f"{target:>4} runs: {times}{where}")
    print(f"process RSS {psutil.Process(os.getpid()).memory_info().rss / 2**20:.0f} MiB")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
