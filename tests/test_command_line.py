"""Issue 9, case 9: the command line a newcomer expects: global flags anywhere,
plain database URLs, an exit code that says when nothing could be delivered,
channel ids checked, quiet -v, and messages without pydantic's wording."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.items import FeedSeed
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from tests.conftest import REPO
from tests.support.cli import threadline

# Every test runs the CLI in a subprocess, often several times: `make test-all`.
pytestmark = pytest.mark.slow

T0 = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    return {
        "feeds": str(feeds),
        "storylines": str(REPO / "storylines"),
        "database": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "audit": str(tmp_path / "audit.jsonl"),
    }


def flags(files: dict[str, str]) -> list[str]:
    return [
        "--database", files["database"], "--feeds", files["feeds"],
        "--storylines", files["storylines"], "--audit-log", files["audit"], "-v",
    ]  # fmt: skip


async def test_global_flags_before_the_command(files: dict[str, str], env: dict[str, str]) -> None:
    code, _out, err = await threadline(*flags(files), "subscriptions", "list", env=env)
    assert code == 0 and "No subscriptions." in _out, err


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["subscriptions", "list"],
        ["feeds", "list"],
        ["storylines", "list"],
        ["follow", "dod-dispute", "--channel", "console:ops"],
    ],
)
async def test_global_flags_after_any_command(
    files: dict[str, str], env: dict[str, str], command: list[str]
) -> None:
    before = command[:1] if command[0] in ("follow", "unfollow") else command[:-1]
    code, _out, err = await threadline(*before, *flags(files), *command[len(before) :], env=env)
    assert code == 0, err  # between a command and its action
    code, _out, err = await threadline(*command, *flags(files), env=env)
    assert code == 0, err  # after everything
    assert Path(files["database"].removeprefix("sqlite:///")).exists()


async def test_plain_sqlite_url_uses_the_async_driver(
    tmp_path: Path, files: dict[str, str], env: dict[str, str]
) -> None:
    code, out, err = await threadline(
        "db", "upgrade", "--database", f"sqlite:///{tmp_path}/plain.db", env=env
    )
    assert code == 0 and "database at schema" in out, err
    assert (tmp_path / "plain.db").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_plain_postgres_urls_use_the_async_driver(
    postgres_url: str, env: dict[str, str], scheme: str
) -> None:
    plain = scheme + "://" + postgres_url.split("://", 1)[1]
    code, out, err = await threadline("db", "upgrade", "--database", plain, env=env)
    assert code == 0 and "database at schema" in out, err


async def test_verbose_shows_threadline_not_driver_debug_lines(
    files: dict[str, str], env: dict[str, str]
) -> None:
    code, _out, err = await threadline("feeds", "list", *flags(files), env=env)
    assert code == 0, err
    for driver in ("aiosqlite", "sqlalchemy", "asyncio", "alembic"):
        assert f" DEBUG {driver}" not in err, err


async def test_run_once_says_so_and_fails_when_nothing_could_be_delivered(
    files: dict[str, str], env: dict[str, str]
) -> None:
    code, _out, err = await threadline(
        "follow", "dod-dispute", "--channel", "slack:C1", *flags(files), env=env
    )
    assert code == 0, err
    # Nothing listens on the discard port: Slack is unreachable.
    env.update(SLACK_BOT_TOKEN="xoxb-test", THREADLINE_SLACK_API_URL="http://127.0.0.1:9/api/")
    code, _out, err = await threadline("run", "--once", *flags(files), env=env)
    assert code == 1, err
    assert "0 messages sent" in err and "1 message could not be delivered" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("channel", "words"),
    [
        ("slack:<!channel>", "slack channel id '<!channel>' is not valid"),
        ("slack:#general", "expected the channel ID"),
        ("discord:not-a-number", "expected the numeric channel ID"),
        ("teams:123", "must look like slack:CHANNEL_ID"),
        # No im:history scope (manifest.yaml): threads live in channels only.
        ("slack:D0123ABCD", "is a direct message"),
    ],
)
async def test_channel_ids_are_checked_per_platform(
    files: dict[str, str], env: dict[str, str], channel: str, words: str
) -> None:
    code, out, err = await threadline(
        "follow", "dod-dispute", "--channel", channel, *flags(files), env=env
    )
    assert code == 2 and words in err and "Traceback" not in err
    code, out, err = await threadline("subscriptions", "list", *flags(files), env=env)
    assert out.strip() == "No subscriptions."


async def test_environment_errors_read_without_pydantic_wording(
    files: dict[str, str], env: dict[str, str]
) -> None:
    env["THREADLINE_ADMIN_CHANNEL"] = "discord:general"
    code, _out, err = await threadline("feeds", "list", *flags(files), env=env)
    assert code == 2 and "THREADLINE_ADMIN_CHANNEL" in err
    assert "Value error" not in err and "Settings" not in err


async def test_an_unchanged_feeds_file_is_not_synced_again(sqlite_url: str) -> None:
    store = Store(make_engine(sqlite_url))
    try:
        await upgrade(store.engine)
        seeds = [FeedSeed(f"http://news.example/{i}.xml", f"Desk {i}", 600) for i in range(3)]
        assert await store.sync_feeds(seeds, T0) == 3
        # An admin renames a feed in the database; the same file does not undo it …
        from sqlalchemy import update

        from bot.storage import tables as t

        async with store.engine.begin() as conn:
            await conn.execute(update(t.feeds).where(t.feeds.c.id == 1).values(name="Renamed"))
        assert await store.sync_feeds(seeds, T0) == 0
        assert (await store.feeds())[0].name == "Renamed"
        # … a changed file is synced.
        seeds.append(FeedSeed("http://news.example/3.xml", "Desk 3", 600))
        assert await store.sync_feeds(seeds, T0) == 1
        assert [f.name for f in await store.feeds()] == ["Desk 0", "Desk 1", "Desk 2", "Desk 3"]
    finally:
        await store.close()


async def test_follow_and_feed_changes_from_the_command_line_are_audit_logged(
    files: dict[str, str], env: dict[str, str]
) -> None:
    """Like a chat's: who ran it (their login, on the command line), what it
    changed, and a refusal too."""
    code, _out, err = await threadline(
        "follow", "dod-dispute", "--channel", "console:ops", "--digest", "daily", *flags(files),
        env=env,
    )  # fmt: skip
    assert code == 0, err
    code, _out, err = await threadline("feeds", "remove", "99", *flags(files), env=env)
    assert code == 1 and "no feed '99'" in err
    code, _out, err = await threadline(
        "unfollow", "dod-dispute", "--channel", "console:ops", *flags(files), env=env
    )
    assert code == 0, err
    runs = [
        json.loads(line)
        for line in Path(files["audit"]).read_text().splitlines()
        if json.loads(line)["event"] == "command.run"
    ]
    assert [(r["command"], r["ok"]) for r in runs] == [
        ("follow", True),
        ("feeds remove", False),
        ("unfollow", True),
    ]
    assert runs[0]["options"] == {
        "storyline": "dod-dispute",
        "channel": "console:ops",
        "digest": "daily",
    }
    assert {r["by"]["platform"] for r in runs} == {"cli"}
    assert all(r["by"]["admin"] and r["by"]["id"] for r in runs)
