"""Boards share reads: one database read of a room's runs per SHARED_SECONDS, chart specs kept for good."""

from __future__ import annotations

from ui import rooms


def test_shared_values_are_built_once_per_age(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(rooms.time, "monotonic", lambda: now[0])
    built = []

    def build():
        built.append(1)
        return len(built)

    assert rooms.shared(("test", 1), build) == 1
    assert rooms.shared(("test", 1), build) == 1  # another session, a moment later: no second read
    now[0] += rooms.SHARED_SECONDS + 0.1
    assert rooms.shared(("test", 1), build) == 2
    assert rooms.shared(("forever", 1), build, max_age=None) == 3
    now[0] += 10_000
    assert rooms.shared(("forever", 1), build, max_age=None) == 3
    for i in range(rooms.MAX_CACHED + 5):  # bounded
        rooms.shared(("many", i), build)
    assert len(rooms._cache) <= rooms.MAX_CACHED
