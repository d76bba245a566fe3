"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a local
feed server, and a guard that fails any test touching a non-loopback address."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# No property test has a time limit: a deadline is a wall-clock assertion, and on a
# loaded machine it failed examples that were right (the rule: no test asserts time).
settings.register_profile("threadline", deadline=None)
settings.load_profile("threadline")

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
PG_ENV = "THREADLINE_TEST_POSTGRES_URL"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if not (host.startswith("127.") or host in ("::1", "localhost", "::ffff:127.0.0.1")):
            raise OSError(f"test tried to reach {host}: tests may only use loopback")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never leave the machine (as python-telegram-bot's OfflineRequest)."""

    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        return _real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'threadline.db'}"


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; skips the test
    with the reason when no PostgreSQL is configured."""
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV}, e.g. postgresql+asyncpg://postgres@127.0.0.1/test"
        )
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin)
    name = f"tl_test_{uuid.uuid4().hex[:10]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'threadline.db'}"
        return
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a `threadline` subprocess: no chat tokens, loopback feeds allowed."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("THREADLINE_", "SLACK_", "DISCORD_"))
    }
    base["THREADLINE_ALLOW_PRIVATE_FEEDS"] = "1"
    base["PYTHONUNBUFFERED"] = "1"
    yield base
