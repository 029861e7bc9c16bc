"""Every data test writes its data cache to a temporary folder, never the user's cache dir."""

import pytest

from core.data.disk_cache import CACHE_ENV_VAR


@pytest.fixture(autouse=True)
def private_data_cache(monkeypatch, tmp_path_factory):
    folder = tmp_path_factory.mktemp("data-cache")
    monkeypatch.setenv(CACHE_ENV_VAR, str(folder))
    return folder
