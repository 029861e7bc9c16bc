"""Databases for the rooms store's tests: a SQLite file, and a real PostgreSQL cluster this test run starts.

The PostgreSQL fixture runs Debian's server binaries (tests/run.sh installs the `postgresql` package):
`initdb` into a temporary folder, `pg_ctl start` listening on a unix socket in that folder only (no TCP
port), and stops it when the session ends. PostgreSQL refuses to run as root, so as root the cluster
belongs to the `postgres` user (or `nobody`). Tests skip, saying why, only where the binaries are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from core.rooms.store import RoomStore, make_engine

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def _pg_bin() -> Path | None:
    for folder in sorted(glob.glob(PG_BIN_GLOB), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _run_as() -> list[str]:
    """The command prefix that runs the server as a non-root user when we are root."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", user, "--"]
        return ["su", user, "-s", "/bin/sh", "-c"]  # pragma: no cover - no util-linux
    pytest.skip("running as root with neither a postgres nor a nobody user: PostgreSQL cannot start")


@pytest.fixture(scope="session")
def postgres_url():
    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql; tests/run.sh does)")
    folder = Path(tempfile.mkdtemp(prefix="rooms-pg-"))
    prefix = _run_as()
    if prefix:
        user = prefix[2] if prefix[0] == "runuser" else prefix[1]
        shutil.chown(folder, user=user)
    data, log = folder / "data", folder / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [str(binaries / args[0]), *args[1:]]
        if prefix and prefix[0] == "su":  # pragma: no cover
            command = [*prefix, " ".join(command)]
        elif prefix:
            command = [*prefix, *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    made = run("initdb", "-D", str(data), "-A", "trust", "-U", "rooms", "--no-sync", "-E", "UTF8")
    if made.returncode != 0:
        pytest.fail(f"initdb failed: {made.stderr[-2000:]}")
    options = f"-k {folder} -h '' -F -c max_connections=40"
    started = run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
    if started.returncode != 0:
        pytest.fail(f"pg_ctl start failed: {started.stderr[-2000:]} {log.read_text()[-2000:] if log.exists() else ''}")
    try:
        yield f"postgresql+psycopg://rooms@/postgres?host={folder}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _reset(url: str) -> None:
    """An empty database for each test (PostgreSQL's cluster is shared by the session)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in ("hidden_names", "runs", "rooms", "schema_version"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each store test runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    _reset(url)
    return url


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url, clock):
    made = RoomStore(make_engine(db_url), clock=clock)
    made.ensure_schema()
    yield made
    made.close()
