"""A flood in Slack: `threadline run --once` with the real slack_sdk client against
the local Slack double; one feed brings 30 new matching items."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.platforms.conftest import FABLE
from tests.support.cli import threadline
from tests.support.fake_slack import FakeSlack
from tests.support.feedserver import FeedServer, rss

TOKEN = "xoxb-flood-token"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def flood(count: int) -> list[dict[str, Any]]:
    return [
        {
            "guid": f"flood-{i}",
            "link": f"https://news.example.com/fable/flood-{i}",
            "title": f"Claude Fable 5 export directive: Anthropic customer report number {i}",
            "summary": f"Customer {i} describes life without Fable 5 under the directive.",
            "published": FABLE["published"] / (i + 2),
        }
        for i in range(count)
    ]


@pytest.mark.slow
async def test_thirty_new_items_give_ten_replies_and_one_summary_in_slack(
    cli_args: list[str], env: dict[str, str], slack: FakeSlack, feeds: FeedServer
) -> None:
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    code, _, err = await threadline(
        "follow", "fable-suspension", "--channel", "slack:C1", *cli_args, env=env
    )
    assert code == 0, err
    code, _, err = await threadline("run", "--once", *cli_args, env=env)  # backlog
    assert code == 0, err
    [root] = slack.messages("C1")

    feeds.set("/fable.xml", rss([FABLE, *flood(30)]))
    code, _, err = await threadline("run", "--once", *cli_args, env=env)
    assert code == 0, err
    replies = [
        c.args
        for c in slack.calls_of("chat.postMessage")
        if c.error is None and c.args.get("thread_ts") == root["ts"]
    ]
    coverage = [r for r in replies if "customer report number" in json.dumps(r["blocks"])]
    summaries = [r for r in replies if "more matched items" in r["text"]]
    assert len(coverage) == 10
    assert len(summaries) == 1
    assert summaries[0]["blocks"][0]["text"]["text"] == (
        "and 20 more matched items: `threadline storylines show fable-suspension`"
    )
