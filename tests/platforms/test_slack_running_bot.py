"""`threadline run` with Slack in HTTP mode: a signed `/threadline follow` from chat
starts the channel's thread at once (the real CLI, a local fake Slack Web API)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.conftest import REPO
from tests.support.cli import start
from tests.support.fake_slack import FakeSlack

TOKEN = "xoxb-running-bot"
SECRET = "running-bot-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_follow_from_chat_posts_the_root_card_at_once(
    tmp_path: Path, env: dict[str, str]
) -> None:
    slack = FakeSlack(token=TOKEN)
    await slack.start()
    slack.add_user("UMEMBER")
    port = free_port()
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        THREADLINE_SLACK_API_URL=slack.url,
        THREADLINE_HTTP_PORT=str(port),
    )
    proc = await start(
        "run",
        "--feeds",
        str(tmp_path / "feeds.yaml"),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        body = urlencode(
            {
                "command": "/threadline",
                "text": "follow dod-dispute",
                "user_id": "UMEMBER",
                "channel_id": "C1",
                "team_id": "T0001",
                "response_url": slack.response_url(),
                "trigger_id": "1.2.3",
                "token": "legacy",
            }
        )
        async with aiohttp.ClientSession() as http:
            status = 0
            deadline = time.monotonic() + 60
            while status != 200:
                assert time.monotonic() < deadline, "the bot never started listening"
                try:
                    async with http.post(
                        f"http://127.0.0.1:{port}/slack/events", data=body, headers=signed(body)
                    ) as resp:
                        status = resp.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        [answer] = await slack.wait_for_responses(1, timeout=30)
        assert "Following dod-dispute" in str(answer)
        await until(lambda: len(slack.messages("C1")) == 1)
        [root] = slack.messages("C1")
        assert "Pentagon" in str(root["blocks"])  # the card, with the current facts
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
        await slack.stop()
    assert proc.returncode == 0, err.decode()
