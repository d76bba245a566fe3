"""The extension point: a platform registered with ``registry.register`` and
nothing else (``tests/support/memo_platform.py``) is configured from its own
environment variables, takes commands in a running bot, gets its channels'
threads and the admin notices, and has its channel ids checked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build, check_settings
from bot.config.settings import Settings, load_settings
from bot.core.subscriptions import ChannelAddress
from bot.errors import ConfigError
from bot.platforms import registry
from tests.support.memo_platform import MEMO, MemoPlatform
from tests.support.running_bot import running_bot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "MEMO_TOKEN", "MEMO_MAX_TEXT"):
        monkeypatch.delenv(name, raising=False)
    unregister = registry.register(MEMO)
    try:
        yield
    finally:
        unregister()


def settings(tmp_path: Path) -> Settings:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        feeds_file=feeds,
        storylines_dir=REPO / "storylines",
    )


async def test_a_registered_platform_is_followed_from_its_chat_and_posted_to(
    memo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMO_TOKEN", "memo-secret")
    monkeypatch.setenv("THREADLINE_ADMIN_CHANNEL", "memo:ops")
    async with running_bot(tmp_path) as bot:
        chat = bot.app.platforms["memo"]
        assert isinstance(chat, MemoPlatform)
        # Configured, so it replaces the console rather than joining it.
        assert set(bot.app.platforms) == {"memo"}

        # Someone types the command in a memo room; the front end runs it and
        # the thread's root card follows at once (no poll, no restart).
        await chat.typed.put(("newsroom", "follow dod-dispute"))
        while True:
            chat.posted.clear()
            if chat.in_room("newsroom"):
                break
            await asyncio.wait_for(chat.posted.wait(), 30)
        assert any("Following dod-dispute" in answer for answer in chat.answers)
        [root] = chat.in_room("newsroom")
        assert root.kind == "root" and "Pentagon" in root.text

        # THREADLINE_ADMIN_CHANNEL names a memo room: admin notices go there.
        await bot.app.notify("feed #3 disabled after 8 failures", title="Feed disabled")
        [notice] = chat.in_room("ops")
        assert notice.kind == "notice" and "feed #3 disabled" in notice.text
    assert chat.closed


async def test_a_registered_platforms_channel_ids_and_settings_are_checked(
    memo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert registry.parse_channel("memo:newsroom") == ChannelAddress("memo", "newsroom")
    with pytest.raises(ValueError, match="expected a room name in lower case"):
        registry.parse_channel("memo:News Room")
    with pytest.raises(ValueError, match="memo room 'inbox' is private"):
        registry.parse_channel("memo:inbox")
    with pytest.raises(ValueError, match="console:NAME or memo:ROOM"):
        registry.parse_channel("teams:123")

    monkeypatch.setenv("THREADLINE_ADMIN_CHANNEL", "memo:#ops")
    with pytest.raises(ConfigError, match=r"THREADLINE_ADMIN_CHANNEL: .*room name in lower case"):
        check_settings(settings(tmp_path))
    monkeypatch.setenv("THREADLINE_ADMIN_CHANNEL", "memo:ops")
    monkeypatch.setenv("MEMO_MAX_TEXT", "5")
    with pytest.raises(ConfigError, match="MEMO_MAX_TEXT"):
        check_settings(settings(tmp_path))
    monkeypatch.delenv("MEMO_MAX_TEXT")
    check_settings(settings(tmp_path))


async def test_an_unconfigured_platform_is_not_connected(memo: None, tmp_path: Path) -> None:
    app = await build(settings(tmp_path))
    try:
        assert set(app.platforms) == {"console"}  # no MEMO_TOKEN: the console, as before
    finally:
        await app.close()


def test_only_a_registered_platform_is_known() -> None:
    with pytest.raises(ValueError, match="must look like slack:CHANNEL_ID"):
        registry.parse_channel("memo:newsroom")
    slack = registry.find("slack")
    assert slack is not None
    with pytest.raises(ValueError, match="registered already"):
        registry.register(slack)
