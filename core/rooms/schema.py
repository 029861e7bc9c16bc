"""The rooms database's tables and its forward migrations (a versioned schema table, no Alembic).

`schema_version` holds one row: the version the database is at. `migrate(engine)` brings any
database - empty, or at an older version - to `LATEST` by running each missing step in order,
each step in its own transaction that also writes the new version, so a crash leaves the database
at a whole version. Steps are only ever added, never edited: a deployed database may be at any of them.

- v1: rooms (link code, short code, the teacher secret's hash, times, closed) and runs (page,
  nickname, label, link parameters, held-out score, curves, duration, time; hidden, pinned).
- v2: runs.session_tag (a hash of the recording session: the per-session rate limit holds across
  replicas), runs.settings (the run's configuration as named settings, for the board's filters and
  its setting-against-score scatter) and hidden_names (a teacher hides a nickname, and every run under it).

On PostgreSQL a transaction-level advisory lock serialises replicas that start at once; on SQLite
the steps check what exists before they add it, so a second process repeating one is harmless.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

LATEST = 2
ADVISORY_LOCK = 7_261_926_011  # any constant: the rooms schema's lock id on PostgreSQL


def _rooms(metadata: MetaData) -> Table:
    return Table(
        "rooms",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("code", String(32), nullable=False, unique=True),  # in the join link
        Column("short_code", String(12), nullable=False, unique=True),  # typed by students
        Column("teacher_hash", String(64), nullable=False),  # sha256 of the teacher secret, never the secret
        Column("created_at", Float, nullable=False),
        Column("active_at", Float, nullable=False),  # creation or the last run: expiry counts from it
        Column("closed", Boolean, nullable=False, default=False),
    )


def _runs_v1(metadata: MetaData) -> Table:
    return Table(
        "runs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        Column("created_at", Float, nullable=False),
        Column("page", String(64), nullable=False),  # the training panel's key
        Column("nickname", String(64), nullable=False),
        Column("label", String(160), nullable=False),
        Column("params", Text, nullable=False),  # JSON: the link's query parameters
        Column("score", Float, nullable=True),  # held-out score (None: the run has none)
        Column("metric", String(80), nullable=False),
        Column("lower_is_better", Boolean, nullable=False),
        Column("curves", Text, nullable=False),  # JSON: [{curve, epochs, value, quantity}, ...]
        Column("status", String(16), nullable=False),
        Column("seconds", Float, nullable=False),
        Column("hidden", Boolean, nullable=False, default=False),
        Column("pinned", Boolean, nullable=False, default=False),
        Index("runs_room", "room_id", "created_at"),
    )


# ---------------------------------------------------------------------------- the latest schema (queries use it)

metadata = MetaData()
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
rooms = _rooms(metadata)
runs = _runs_v1(metadata)
runs.append_column(Column("session_tag", String(64), nullable=True))
runs.append_column(Column("settings", Text, nullable=True))  # JSON {name: text}; NULL on v1 rows
hidden_names = Table(
    "hidden_names",
    metadata,
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("nickname", String(64), primary_key=True),
)
Index("runs_session", runs.c.session_tag, runs.c.created_at)


# ---------------------------------------------------------------------------- steps


def _step_1(conn: Connection) -> None:
    v1 = MetaData()
    _rooms(v1)
    _runs_v1(v1)
    v1.create_all(conn, checkfirst=True)


def _step_2(conn: Connection) -> None:
    columns = {c["name"] for c in inspect(conn).get_columns("runs")}
    if "session_tag" not in columns:
        conn.execute(text("ALTER TABLE runs ADD COLUMN session_tag VARCHAR(64)"))
    if "settings" not in columns:
        conn.execute(text("ALTER TABLE runs ADD COLUMN settings TEXT"))
    if "runs_session" not in {i["name"] for i in inspect(conn).get_indexes("runs")}:
        conn.execute(text("CREATE INDEX runs_session ON runs (session_tag, created_at)"))
    hidden_names.create(conn, checkfirst=True)


STEPS: dict[int, Callable[[Connection], None]] = {1: _step_1, 2: _step_2}


def current_version(conn: Connection) -> int:
    """The database's version: 0 for an empty one."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK})


def migrate(engine: Engine, target: int = LATEST) -> int:
    """Bring the database to `target` (default: the latest) one step per transaction; returns the version."""
    with engine.begin() as conn:
        _lock(conn)
        schema_version.create(conn, checkfirst=True)
        if conn.execute(select(schema_version.c.version)).first() is None:
            conn.execute(schema_version.insert().values(version=0))
    while True:
        with engine.begin() as conn:
            _lock(conn)
            version = current_version(conn)
            if version >= target:
                return version
            STEPS[version + 1](conn)
            conn.execute(schema_version.update().values(version=version + 1))
