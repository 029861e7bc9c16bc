"""compose.yaml runs one PostgreSQL for every app replica, and the app's URL points at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.rooms.settings import normalise_url

yaml = pytest.importorskip("yaml")
ROOT = Path(__file__).resolve().parents[3]


def test_the_replicas_share_one_postgresql_service():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    (name,) = [n for n, s in services.items() if str(s.get("image", "")).startswith("postgres")]
    db = services[name]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"]) and "ports" not in db  # not published
    assert any(v["target"] == "/var/lib/postgresql/data" for v in db["volumes"] if isinstance(v, dict))
    app = services["app"]
    url = app["environment"]["RNN_PLAYGROUND_DATABASE_URL"]
    assert url.startswith("postgresql://") and f"@{name}:5432/{db['environment']['POSTGRES_DB']}" in url
    assert normalise_url(url).startswith("postgresql+psycopg://")  # the driver installed
    assert app["depends_on"][name]["condition"] == "service_healthy"
