"""Claims end with their process: a ``run --once`` that exits (normally or on
SIGTERM) gives its feeds and outbox rows back, so the next run sends at once
instead of after the lease; and a run that finds the due messages held by
other processes says so and exits non-zero. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build
from bot.config.settings import load_settings
from bot.platforms.console import ConsolePlatform
from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.store import Store
from tests.support.cli import start, threadline
from tests.support.fake_slack import FakeSlack, fake_slack

REPO = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-leases"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as server:
        yield server


async def follow(storyline: str, args: list[str], env: dict[str, str]) -> None:
    code, _, err = await threadline("follow", storyline, "--channel", "slack:C1", *args, env=env)
    assert code == 0, err


def on(db_url: str, args: list[str]) -> list[str]:
    """``args`` with the database replaced by ``db_url``."""
    i = args.index("--database")
    return [*args[: i + 1], db_url, *args[i + 2 :]]


@pytest.mark.slow
async def test_a_run_stopped_by_sigterm_mid_send_gives_its_claims_back(
    db_url: str, cli_args: list[str], env: dict[str, str], slack: FakeSlack
) -> None:
    args = on(db_url, cli_args)
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    for storyline in ("dod-dispute", "fable-suspension"):
        code, _, err = await threadline(
            "follow", storyline, "--channel", "slack:C1", *args, env=env
        )
        assert code == 0, err
    slack.stall("chat.postMessage")  # the first root is posted, its answer held back
    proc = await start("run", "--once", *args, env=env, stderr=asyncio.subprocess.PIPE)
    await asyncio.wait_for(slack.stalled.wait(), 60)
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    err = (await asyncio.wait_for(proc.stderr.read(), 60)).decode()
    assert await proc.wait() == 128 + signal.SIGTERM
    assert "claims given back" in err and "Traceback" not in err
    slack.release()

    # At once, not after THREADLINE_DELIVERY_LEASE: both roots, the stalled one found.
    code, _, err = await threadline("run", "--once", *args, env=env)
    assert code == 0, err
    assert "2 messages sent" in err
    assert len(slack.messages("C1")) == 2


async def test_claims_of_feeds_and_messages_end_when_the_app_closes(
    db_url: str, tmp_path: Path
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds:\n  - url: http://127.0.0.1:9/a.xml\n    name: A\n")
    settings = load_settings(
        database_url=db_url, feeds_file=feeds_file, storylines_dir=REPO / "storylines"
    )
    app = await build(settings, platforms={"console": ConsolePlatform(None)})
    await app.start()  # the console follows every open storyline: root cards queued
    now = datetime.now(UTC)
    assert await app.store.claim_feeds(app.owner, now, timedelta(hours=1), due_only=False)
    assert await app.store.claim_outbox(app.owner, now, timedelta(hours=1), ["console"])
    await app.close()

    engine = make_engine(db_url)
    store = Store(engine)
    try:
        assert await store.claim_feeds("next", now, timedelta(minutes=1), due_only=False)
        assert await store.claim_outbox("next", now, timedelta(minutes=1), ["console"])
    finally:
        await store.close()


@pytest.mark.postgres
@pytest.mark.slow
async def test_run_once_says_what_other_processes_hold_and_fails(
    postgres_url: str, cli_args: list[str], env: dict[str, str], slack: FakeSlack
) -> None:
    args = on(postgres_url, cli_args)
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    code, _, err = await threadline(
        "follow", "dod-dispute", "--channel", "slack:C1", *args, env=env
    )
    assert code == 0, err
    engine = make_engine(postgres_url)
    await migrate.upgrade(engine)
    other = Store(engine)
    try:
        # A daemon on another host holds the root card (its lease is live).
        held = await other.claim_outbox("daemon", datetime.now(UTC), timedelta(hours=1), ["slack"])
        assert len(held) == 1
        code, _, err = await threadline("run", "--once", *args, env=env)
    finally:
        await other.close()
    assert code == 1, err
    assert "0 messages sent" in err and "1 held by other processes" in err
    assert slack.messages("C1") == []
