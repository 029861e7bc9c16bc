"""The deployer's settings for rooms: where the database is and how much a public host accepts.

Every value comes from the environment (a deployer's setting, never a visitor's):

| variable | default | what |
|---|---|---|
| RNN_PLAYGROUND_DATABASE_URL | SQLite file `rooms.sqlite3` in the cache folder | e.g. `postgresql://user:pw@db/rnn` |
| RNN_PLAYGROUND_ROOM_HOURS | 12 | a room expires this long after its last run (or its creation) |
| RNN_PLAYGROUND_MAX_ROOMS | 200 | open rooms on the server at once |
| RNN_PLAYGROUND_ROOM_RUNS | 2000 | runs recorded per room |
| RNN_PLAYGROUND_RUNS_PER_MINUTE | 6 | runs one session may record per minute |

A Streamlit deployer may put `RNN_PLAYGROUND_DATABASE_URL` in `.streamlit/secrets.toml` instead
(ui/rooms.py reads it there when the environment has none).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from core.data.disk_cache import cache_root

DATABASE_ENV_VAR = "RNN_PLAYGROUND_DATABASE_URL"
SQLITE_FILE = "rooms.sqlite3"
IN_MEMORY = "sqlite://"  # the cache folder is off: rooms last as long as the process
logger = logging.getLogger(__name__)


def _number(name: str, default: float, lo: float, hi: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, text, default)
        return default
    return min(max(value, lo), hi)


@dataclass(frozen=True)
class RoomSettings:
    expiry_hours: float = 12.0
    max_rooms: int = 200
    max_runs_per_room: int = 2000
    runs_per_session_minute: int = 6

    @classmethod
    def from_env(cls) -> RoomSettings:
        return cls(
            expiry_hours=_number("RNN_PLAYGROUND_ROOM_HOURS", cls.expiry_hours, 0.01, 24 * 30),
            max_rooms=int(_number("RNN_PLAYGROUND_MAX_ROOMS", cls.max_rooms, 1, 100_000)),
            max_runs_per_room=int(_number("RNN_PLAYGROUND_ROOM_RUNS", cls.max_runs_per_room, 1, 1_000_000)),
            runs_per_session_minute=int(
                _number("RNN_PLAYGROUND_RUNS_PER_MINUTE", cls.runs_per_session_minute, 1, 1000)
            ),
        )

    @property
    def expiry_seconds(self) -> float:
        return self.expiry_hours * 3600.0


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` go through psycopg 3 (the driver installed), other URLs unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(configured: str | None = None) -> str:
    """The database: `configured` (secrets.toml), else the environment, else SQLite in the cache folder."""
    url = (os.environ.get(DATABASE_ENV_VAR, "") or configured or "").strip()
    if url:
        return normalise_url(url)
    root = cache_root()
    if root is None:
        return IN_MEMORY
    return f"sqlite:///{Path(root) / SQLITE_FILE}"


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)
