"""Small bounds with no dependencies (Home imports them without loading SQLAlchemy): plain text, a throttle."""

from __future__ import annotations

import threading
import time

MAX_NICKNAME = 24
MAX_LABEL = 80


def plain_text(value: str, limit: int) -> str:
    """One line of printable text, at most `limit` characters (control characters and newlines dropped)."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return " ".join(cleaned.split())[:limit]


class Throttle:
    """At most `limit` events per `seconds` (a short code typed, per session and per server); thread-safe."""

    def __init__(self, limit: int, seconds: float = 60.0, clock=time.monotonic) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._times: list[float] = []
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Count one event now; False (and not counted) when the window is full."""
        with self._lock:
            now = self.clock()
            self._times = [t for t in self._times if t > now - self.seconds]
            if len(self._times) >= self.limit:
                return False
            self._times.append(now)
            return True
