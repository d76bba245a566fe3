"""`threadline outbox list` and `outbox retry [--failed]`: an admin sees what waits
and why, and re-queues it by hand. The real CLI, the Slack double, SQLite."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from bot.storage import tables as t
from bot.storage.engine import make_engine
from tests.support.cli import threadline
from tests.support.fake_slack import FakeSlack, fake_slack

TOKEN = "xoxb-outbox"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as server:
        yield server


def database(args: list[str]) -> str:
    return args[args.index("--database") + 1]


@pytest.mark.slow
async def test_an_admin_sees_why_messages_wait_and_requeues_them(
    cli_args: list[str], env: dict[str, str], slack: FakeSlack
) -> None:
    for storyline in ("dod-dispute", "fable-suspension"):
        code, _, err = await threadline(
            "follow", storyline, "--channel", "slack:C1", *cli_args, env=env
        )
        assert code == 0, err
    env.update(SLACK_BOT_TOKEN=TOKEN, THREADLINE_SLACK_API_URL=slack.url)
    slack.outage(503)
    code, _, err = await threadline("run", "--once", *cli_args, env=env)
    assert code == 1, err
    # Two root cards, and the edit the first poll's fact change asks of one of them.
    assert "Outbox: 3 messages waiting" in err and "server error HTTP 503" in err

    code, out, err = await threadline("outbox", "list", *cli_args, env=env)
    assert code == 0, err
    assert "Outbox: 3 messages waiting" in out
    assert "3 to slack: server_error: slack chat.postMessage: server error HTTP 503" in out
    rows = [
        json.loads(line)
        for line in (await threadline("outbox", "list", "--json", *cli_args, env=env))[1]
        .strip()
        .splitlines()
    ]
    assert [(r["status"], r["channel"]) for r in rows] == [("pending", "slack:C1")] * 3
    assert [r["attempts"] for r in rows] == [1, 0, 0]  # the others waited with the first
    assert all(r["next_attempt"] for r in rows)

    # An older version gave one up for good; Slack is back.
    engine = make_engine(database(cli_args))
    async with engine.begin() as conn:
        await conn.execute(update(t.outbox).where(t.outbox.c.id == 2).values(status="failed"))
    await engine.dispose()
    slack.restore()
    code, out, err = await threadline("outbox", "retry", *cli_args, env=env)
    assert code == 0 and "re-queued 2 messages:" in out, err
    code, out, err = await threadline("outbox", "retry", "--failed", *cli_args, env=env)
    assert code == 0 and "re-queued 1 message:" in out, err

    code, _, err = await threadline("run", "--once", *cli_args, env=env)
    assert code == 0, err
    # The edit is moot once its root goes out with the current card: two posts.
    assert "2 messages sent" in err and "Outbox" not in err
    assert len(slack.messages("C1")) == 2
    code, out, _ = await threadline("outbox", "list", *cli_args, env=env)
    assert out.strip() == "Outbox: nothing waiting."


async def test_outbox_list_refuses_a_bad_limit(cli_args: list[str], env: dict[str, str]) -> None:
    code, _, err = await threadline("outbox", "list", "--limit", "0", *cli_args, env=env)
    assert code == 2 and "--limit must be at least 1" in err
