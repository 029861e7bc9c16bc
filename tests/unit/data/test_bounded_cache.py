"""Issue 22, item 9: shared caches sized by visitor choices are bounded by bytes, not entry counts."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.data import bounded_cache, memory_tasks
from core.data.bounded_cache import BoundedCache, nbytes


def block(mb: int) -> np.ndarray:
    return np.zeros(mb * 1_000_000, dtype=np.uint8)


def test_nbytes_counts_arrays_in_containers_and_dataclasses():
    task = memory_tasks.make_task("adding", 100, 1_000)
    arrays = task.x_train.nbytes + task.y_train.nbytes + task.x_test.nbytes + task.y_test.nbytes
    assert arrays <= nbytes(task) < arrays + 100_000
    assert nbytes({"a": block(2), "b": [block(1), block(1)]}) >= 4_000_000


def test_entries_are_dropped_least_recently_used_first_to_stay_within_the_budget():
    cache = BoundedCache(max_bytes=10_000_000)
    for i in range(5):
        cache.get(i, lambda: block(3))
        assert cache.total_bytes <= 10_000_000
    assert len(cache) == 3
    cache.get(2, lambda: pytest.fail("2 is kept"))
    cache.get(5, lambda: block(3))  # drops 3, the least recently used (2 was just read)
    cache.get(2, lambda: pytest.fail("2 is still kept"))
    rebuilt = []
    cache.get(3, lambda: rebuilt.append(1) or block(3))
    assert rebuilt == [1]


def test_an_entry_larger_than_the_budget_is_returned_not_kept():
    cache = BoundedCache(max_bytes=1_000_000)
    assert cache.get("big", lambda: block(2)).nbytes == 2_000_000
    assert len(cache) == 0


def test_a_failed_build_is_not_kept():
    cache = BoundedCache(max_bytes=1_000_000)
    with pytest.raises(ValueError):
        cache.get("x", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert cache.get("x", lambda: 7) == 7


def test_one_build_per_key_at_a_time():
    cache, builds = BoundedCache(max_bytes=10_000_000), []

    def build():
        builds.append(1)
        time.sleep(0.2)
        return block(1)

    threads = [threading.Thread(target=cache.get, args=("k", build)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [1]


def test_opening_many_task_links_stays_within_the_budget(monkeypatch):
    """The Gradient lab's tasks (T up to 500) were kept 12 at a time whatever their size: 362 MB."""
    monkeypatch.setattr(bounded_cache, "SHARED", BoundedCache(max_bytes=60_000_000))
    for length in (100, 200, 300, 400, 500):
        memory_tasks.shared_task("recall", length, 2_000)
        assert bounded_cache.SHARED.total_bytes <= 60_000_000
    assert memory_tasks.shared_task("recall", 500, 2_000) is memory_tasks.shared_task("recall", 500, 2_000)


def test_the_budget_is_a_deployer_setting():
    assert bounded_cache.budget_setting({bounded_cache.CACHE_MB_ENV_VAR: "64"}) == 64_000_000
    assert bounded_cache.budget_setting({}) == bounded_cache.DEFAULT_CACHE_MB * 1_000_000
    assert (
        bounded_cache.budget_setting({bounded_cache.CACHE_MB_ENV_VAR: "x"})
        == bounded_cache.DEFAULT_CACHE_MB * 1_000_000
    )
