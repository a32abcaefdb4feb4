"""Ledgers for the tests: a SQLite file, or a schema of its own on the real PostgreSQL server that
``postgres.py`` starts once per test run (a database per xdist worker); and one live mock for all
the ledger's tests (per worker), on a virtual clock (``ledger_mock``), and the account it scripts
(``account``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_mock import NOW
from postgres import acquire, release, wait_ready

from helpers import Clock
from openrouter_credits.ledger import Location
from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="session")
def clock() -> Clock:
    """The mock's and the clients' clock: each test's set-up puts it back where it wants it."""
    return Clock(NOW)


@pytest.fixture(scope="session")
def server(clock: Clock) -> Iterator[MockServer]:
    """The live mock of every ledger test (each test's set-up resets it)."""
    with MockServer(MockOpenRouter(clock=clock)) as running:
        yield running


@pytest.fixture
def account(server: MockServer, clock: Clock) -> Iterator[MockServer]:
    """The live mock, reset, at NOW: $3.55 of activity from 20 to 23 November, and two keys (ci and
    batch, hashes a… and b…)."""
    clock.now = NOW
    server.app.reset()
    server.app.set_activity({"2026-11-20": 1.25, "2026-11-21": 0.1, "2026-11-22": 0.2, "2026-11-23": 2.0})
    server.app.set_keys([
        {"name": "ci", "hash": "a" * 64, "usage": 10.0, "usage_daily": 1.0},
        {"name": "batch", "hash": "b" * 64, "usage": 5.0, "usage_daily": 0.0},
    ])  # fmt: skip
    yield server
    server.app.reset()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of this worker's own database on the shared PostgreSQL server."""
    import psycopg

    shared = tmp_path_factory.getbasetemp().parent / "postgres"
    info = acquire(shared)
    try:
        port = int(str(info["port"]))
        wait_ready(port)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        database = f"ledger_{worker}"
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database}")
            conn.execute(f"CREATE DATABASE {database}")
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        release(shared)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A schema of this test's own, named in the URL (search_path), dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{pg_server}?options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


#: The tests on the real PostgreSQL run on one xdist worker (make test's --dist loadgroup), which starts
#: the server once while the other worker goes on with other tests.
ON_POSTGRESQL = pytest.mark.xdist_group("postgresql")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=ON_POSTGRESQL)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """Each ledger test runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return Location(path=tmp_path / "ledger.sqlite3")
    return Location(url=request.getfixturevalue("pg_url"), origin="--ledger")


@pytest.fixture(autouse=True)
def _own_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's own ledger."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("OPENROUTER_CREDITS_LEDGER", raising=False)
