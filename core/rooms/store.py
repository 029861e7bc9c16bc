"""`RoomStore`: rooms and the runs recorded in them, through SQLAlchemy Core in small transactions.

One store per server process (ui/rooms.py keeps it); every method opens its own short transaction,
so replicas sharing a PostgreSQL database see each other's runs at once. Codes come from `secrets`:
the join link carries 72 random bits, the short code students type ~30 bits (ui/rooms.py limits how
often a session may try one), and the teacher secret 144 bits, of which the database keeps only a
SHA-256 hash. Expired rooms (no run for `expiry_hours`) are invisible at once and deleted, with
their runs, when the next room is created.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from core.rooms import schema
from core.rooms.limits import MAX_LABEL, MAX_NICKNAME, plain_text
from core.rooms.records import RunEntry
from core.rooms.settings import IN_MEMORY, RoomSettings, database_url

logger = logging.getLogger(__name__)
SHORT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector
SHORT_LENGTH = 6
CODE_BYTES = 9  # 72 bits, 12 URL-safe characters
TEACHER_BYTES = 18  # 144 bits


DatabaseDown = (SQLAlchemyError, OSError)  # what an unreachable or failing database raises


class RoomError(Exception):
    """Something a visitor is told in words (a limit, a closed room)."""


class RoomGone(RoomError):
    """The room does not exist, expired or was deleted."""


@dataclass(frozen=True)
class Room:
    id: int
    code: str
    short_code: str
    created_at: float
    active_at: float
    closed: bool


@dataclass(frozen=True)
class NewRoom:
    """What the teacher gets once: the room, and the teacher secret (kept nowhere else in clear)."""

    room: Room
    teacher_secret: str


@dataclass(frozen=True)
class StoredRun:
    id: int
    created_at: float
    page: str
    nickname: str
    label: str
    params: dict[str, str]
    score: float | None
    metric: str
    lower_is_better: bool
    curves: list[dict] = field(repr=False)
    status: str
    seconds: float
    hidden: bool
    pinned: bool
    name_hidden: bool
    settings: dict[str, str] = field(default_factory=dict)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def session_tag(session: str) -> str:
    """What the database keeps of a session id: a hash, enough to count its runs."""
    return hashlib.sha256(f"rnn-playground-session:{session}".encode()).hexdigest()[:32]


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: settings.database_url()); SQLite gets WAL, a busy timeout and real BEGINs."""
    url = url or database_url()
    if url == IN_MEMORY:
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
    else:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=10)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        if url != IN_MEMORY:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # a check-then-write holds the write lock from its start

    return engine


class RoomStore:
    """Rooms and runs in one database; thread-safe (SQLAlchemy's pool), every call one transaction."""

    def __init__(self, engine: Engine, settings: RoomSettings | None = None, clock=time.time) -> None:
        self.engine = engine
        self.settings = settings or RoomSettings()
        self.clock = clock
        self._lock = threading.Lock()
        self._migrated = False

    @classmethod
    def open(cls, url: str | None = None, settings: RoomSettings | None = None) -> RoomStore:
        store = cls(make_engine(url), settings or RoomSettings.from_env())
        store.ensure_schema()
        return store

    def ensure_schema(self) -> int:
        with self._lock:
            version = schema.migrate(self.engine)
            self._migrated = True
            return version

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ rooms

    def _fresh_after(self) -> float:
        return self.clock() - self.settings.expiry_seconds

    def create_room(self) -> NewRoom:
        """A new room with fresh codes; expired rooms are deleted first. RoomError at the room limit."""
        now = self.clock()
        secret = secrets.token_urlsafe(TEACHER_BYTES)
        with self.engine.begin() as conn:
            conn.execute(delete(schema.rooms).where(schema.rooms.c.active_at < self._fresh_after()))
            count = conn.execute(select(func.count()).select_from(schema.rooms)).scalar_one()
            if count >= self.settings.max_rooms:
                raise RoomError(
                    f"This server already holds {count} open classes, its limit. Try again later, or ask its "
                    "deployer to raise RNN_PLAYGROUND_MAX_ROOMS."
                )
            for _attempt in range(5):
                code = secrets.token_urlsafe(CODE_BYTES)
                short = "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_LENGTH))
                clash = conn.execute(
                    select(schema.rooms.c.id).where(
                        (schema.rooms.c.code == code) | (schema.rooms.c.short_code == short)
                    )
                ).first()
                if clash is None:
                    break
            else:  # pragma: no cover - 5 clashes in a row of 30-bit codes
                raise RoomError("Could not draw a free room code; try again.")
            row_id = conn.execute(
                insert(schema.rooms).values(
                    code=code, short_code=short, teacher_hash=_hash(secret), created_at=now, active_at=now, closed=False
                )
            ).inserted_primary_key[0]
        return NewRoom(Room(row_id, code, short, now, now, False), secret)

    def _room_where(self, column, value: str) -> Room | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(schema.rooms).where(column == value, schema.rooms.c.active_at >= self._fresh_after())
            ).first()
        if row is None:
            return None
        return Room(row.id, row.code, row.short_code, row.created_at, row.active_at, bool(row.closed))

    def room(self, code: str) -> Room | None:
        """The live room whose join code is `code` (None: no such room, or it expired)."""
        if not isinstance(code, str) or not 8 <= len(code) <= 32:
            return None
        return self._room_where(schema.rooms.c.code, code)

    def room_by_short_code(self, short_code: str) -> Room | None:
        typed = "".join(ch for ch in str(short_code).upper() if ch.isalnum())
        if len(typed) != SHORT_LENGTH:
            return None
        return self._room_where(schema.rooms.c.short_code, typed)

    def is_teacher(self, code: str, secret: str) -> bool:
        """True when `secret` is the teacher secret of the live room `code` (compared in constant time)."""
        if not secret or not isinstance(secret, str) or len(secret) > 64:
            return False
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(schema.rooms.c.teacher_hash).where(
                    schema.rooms.c.code == code, schema.rooms.c.active_at >= self._fresh_after()
                )
            ).scalar()
        return stored is not None and hmac.compare_digest(stored, _hash(secret))

    def set_closed(self, room: Room, closed: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(schema.rooms).where(schema.rooms.c.id == room.id).values(closed=closed))

    def delete_room(self, room: Room) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(schema.hidden_names).where(schema.hidden_names.c.room_id == room.id))
            conn.execute(delete(schema.runs).where(schema.runs.c.room_id == room.id))
            conn.execute(delete(schema.rooms).where(schema.rooms.c.id == room.id))

    # ------------------------------------------------------------------ runs

    def add_run(self, room: Room, nickname: str, entry: RunEntry, session: str) -> int:
        """Record a run in the room; RoomError when the room is closed/full or the session records too fast."""
        nickname = plain_text(nickname, MAX_NICKNAME)
        if not nickname:
            raise RoomError("A nickname is needed to record runs.")
        now = self.clock()
        tag = session_tag(session)
        with self.engine.begin() as conn:
            live = conn.execute(
                select(schema.rooms.c.closed).where(
                    schema.rooms.c.id == room.id, schema.rooms.c.active_at >= self._fresh_after()
                )
            ).first()
            if live is None:
                raise RoomGone("This class has ended (it expired or the teacher deleted it).")
            if live.closed:
                raise RoomError("The teacher has closed this class: the board is read-only now.")
            count = conn.execute(
                select(func.count()).select_from(schema.runs).where(schema.runs.c.room_id == room.id)
            ).scalar_one()
            if count >= self.settings.max_runs_per_room:
                raise RoomError(f"This class's board is full ({count} runs).")
            recent = conn.execute(
                select(func.count())
                .select_from(schema.runs)
                .where(schema.runs.c.session_tag == tag, schema.runs.c.created_at >= now - 60)
            ).scalar_one()
            if recent >= self.settings.runs_per_session_minute:
                raise RoomError(
                    f"At most {self.settings.runs_per_session_minute} runs a minute go on the board from one "
                    "visitor; this one was kept on your page only."
                )
            run_id = conn.execute(
                insert(schema.runs).values(
                    room_id=room.id,
                    created_at=now,
                    page=entry.page[:64],
                    nickname=nickname,
                    label=plain_text(entry.label, MAX_LABEL) or "run",
                    params=json.dumps(entry.params, sort_keys=True),
                    score=entry.score,
                    metric=entry.metric[:80],
                    lower_is_better=entry.lower_is_better,
                    curves=json.dumps(entry.curves),
                    status=entry.status[:16],
                    seconds=float(entry.seconds),
                    hidden=False,
                    pinned=False,
                    session_tag=tag,
                    settings=json.dumps(entry.settings, sort_keys=True),
                )
            ).inserted_primary_key[0]
            conn.execute(update(schema.rooms).where(schema.rooms.c.id == room.id).values(active_at=now))
        return int(run_id)

    def runs(self, room: Room, include_hidden: bool = False) -> list[StoredRun]:
        """The room's runs, oldest first; hidden runs and hidden nicknames only when `include_hidden`."""
        with self.engine.begin() as conn:
            hidden = set(
                conn.execute(
                    select(schema.hidden_names.c.nickname).where(schema.hidden_names.c.room_id == room.id)
                ).scalars()
            )
            rows = conn.execute(
                select(schema.runs).where(schema.runs.c.room_id == room.id).order_by(schema.runs.c.id)
            ).all()
        out = []
        for row in rows:
            name_hidden = row.nickname in hidden
            if not include_hidden and (row.hidden or name_hidden):
                continue
            out.append(
                StoredRun(
                    row.id,
                    row.created_at,
                    row.page,
                    row.nickname,
                    row.label,
                    _json(row.params, {}),
                    row.score,
                    row.metric,
                    bool(row.lower_is_better),
                    _json(row.curves, []),
                    row.status,
                    row.seconds,
                    bool(row.hidden),
                    bool(row.pinned),
                    name_hidden,
                    _json(row.settings, {}),
                )
            )
        return out

    def _set_run(self, room: Room, run_id: int, **values: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.runs).where(schema.runs.c.room_id == room.id, schema.runs.c.id == run_id).values(**values)
            )

    def set_hidden(self, room: Room, run_id: int, hidden: bool) -> None:
        self._set_run(room, run_id, hidden=hidden)

    def set_pinned(self, room: Room, run_id: int, pinned: bool) -> None:
        self._set_run(room, run_id, pinned=pinned)

    def set_name_hidden(self, room: Room, nickname: str, hidden: bool) -> None:
        table = schema.hidden_names
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.room_id == room.id, table.c.nickname == nickname))
            if hidden:
                conn.execute(insert(table).values(room_id=room.id, nickname=nickname))

    def nicknames(self, room: Room) -> list[str]:
        with self.engine.begin() as conn:
            return sorted(
                set(conn.execute(select(schema.runs.c.nickname).where(schema.runs.c.room_id == room.id)).scalars())
            )


def _json(text: str, default: Any) -> Any:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def as_params(values: Mapping[str, Any]) -> dict[str, str]:
    """Link parameters as plain strings (what a URL carries)."""
    return {str(k)[:40]: str(v)[:200] for k, v in list(values.items())[:100]}
