"""`threadline run --once` into Slack: the real CLI, the real slack_sdk client and a
local fake of the Slack Web API; feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import pytest

from tests.platforms.conftest import BLOCKED, DOD, FABLE, HOSTILE
from tests.support.cli import start, threadline
from tests.support.fake_slack import FakeSlack
from tests.support.feedserver import FeedServer, rss

TOKEN = "xoxb-e2e-token"


@pytest.fixture
async def slack() -> Any:
    fake = FakeSlack(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def setup(cli_args: list[str], env: dict[str, str], slack: FakeSlack) -> list[str]:
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    return cli_args


def replies_in(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    # A parent carries thread_ts too once it has replies (as in Slack).
    return [m for m in slack.messages(channel) if m.get("thread_ts", m["ts"]) != m["ts"]]


def everything_sent(slack: FakeSlack) -> str:
    return json.dumps([c.args for c in slack.calls if c.method.startswith("chat.")])


@pytest.mark.slow
async def test_threads_replies_root_edits_and_escaping(
    setup: list[str], env: dict[str, str], slack: FakeSlack, feeds: FeedServer
) -> None:
    for storyline in ("fable-suspension", "dod-dispute"):
        code, _, err = await threadline(
            "follow", storyline, "--channel", "slack:C1", *setup, env=env
        )
        assert code == 0, err
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    roots = slack.messages("C1")
    assert len(roots) == 2 and all("thread_ts" not in m for m in roots)
    by_storyline = {m["metadata"]["event_payload"]["outbox_id"]: m for m in roots}
    assert len(by_storyline) == 2
    root_of = {
        "fable-suspension": next(m for m in roots if "Fable" in json.dumps(m["blocks"])),
        "dod-dispute": next(m for m in roots if "Pentagon" in json.dumps(m["blocks"])),
    }

    feeds.set("/fable.xml", rss([FABLE, HOSTILE]))
    feeds.set("/dod.xml", rss([DOD, BLOCKED]))
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err

    posts = [c for c in slack.calls_of("chat.postMessage") if c.error is None]
    replies = [c.args for c in posts if c.args.get("thread_ts")]
    assert len(posts) == 2 + len(replies)  # every post after the roots is a reply
    fable_replies = [r for r in replies if r["thread_ts"] == root_of["fable-suspension"]["ts"]]
    dod_replies = [r for r in replies if r["thread_ts"] == root_of["dod-dispute"]["ts"]]
    assert len(fable_replies) == 1 and "Commerce talks" in fable_replies[0]["text"]
    assert any("was" in r["text"] and "now" in r["text"] for r in dod_replies)  # fact change
    edits = slack.calls_of("chat.update")
    assert [e.args["ts"] for e in edits] == [root_of["dod-dispute"]["ts"]]
    assert "lock" in json.dumps(edits[0].args["blocks"]).lower()  # the card now says blocked

    sent = everything_sent(slack)
    for forbidden in ("<!channel>", "<!here>", "<@U999>", "<http://evil.example"):
        assert forbidden not in sent
    # what survived HTML clean-up arrives as visible text, not as a mention
    assert "&lt;@U999&gt;" in sent and "&amp; Commerce" in sent


@pytest.mark.slow
async def test_kill_between_send_and_commit_gives_no_duplicate(
    setup: list[str], env: dict[str, str], slack: FakeSlack, feeds: FeedServer
) -> None:
    code, _, err = await threadline(
        "follow", "fable-suspension", "--channel", "slack:C1", *setup, env=env
    )
    assert code == 0, err
    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    assert len(slack.messages("C1")) == 1

    feeds.set("/fable.xml", rss([FABLE, HOSTILE]))
    slack.stall("chat.postMessage")  # the reply reaches Slack, its answer never returns
    proc = await start("run", "--once", "--no-seeded-history", *setup, env=env)
    await asyncio.wait_for(slack.stalled.wait(), timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    slack.release()
    assert len(replies_in(slack, "C1")) == 1

    code, _, err = await threadline("run", "--once", "--no-seeded-history", *setup, env=env)
    assert code == 0, err
    assert len(replies_in(slack, "C1")) == 1  # found by its metadata, not sent again
    assert slack.calls_of("conversations.replies") or slack.calls_of("conversations.history")
