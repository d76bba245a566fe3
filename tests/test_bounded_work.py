"""Bounded work, through the real CLI: a storyline regex that backtracks forever
cannot hang `run --once`, and a flood of matching items gives a thread ten replies
and one summary, not one reply per item."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.support.cli import start
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

ISSUE_PATTERN = r"(?P<value>(a+)+)b"  # the issue's example: re never returns on 40 "a"
RUNAWAY_PATTERN = r"(?P<value>(a|aa)+)b"  # one the regex engine cannot shortcut either
HOSTILE_ITEM = {
    "guid": "hostile-1",
    "link": "https://news.example.com/fable/aaaa",
    "title": "Anthropic keeps Claude Fable 5 suspended under export directive " + "a" * 40,
    "summary": "a" * 40,
    "published": ago(hours=6),
}
LATER_ITEM = {
    "guid": "later-1",
    "link": "https://news.example.com/fable/later",
    "title": "Commerce Department reviews the Claude Fable 5 export directive",
    "summary": "Officials met Anthropic over the directive that took Fable 5 offline.",
    "published": ago(hours=1),
}


async def run_cli(*args: str, env: dict[str, str], timeout: float = 90) -> tuple[int, str, str]:
    """`threadline ARGS`; a run that outlives ``timeout`` is killed and fails the test."""
    proc = await start(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"threadline {' '.join(args[:2])} still running after {timeout} s")
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    yield srv
    await srv.close()


def cli_flags(tmp_path: Path, server: FeedServer, storylines: Path) -> list[str]:
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, [(server.url("/fable.xml"), "Fable desk")])
    return [
        "--feeds",
        str(feeds),
        "--storylines",
        str(storylines),
        "--database",
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        "--audit-log",
        str(tmp_path / "audit.jsonl"),
    ]


def storylines_with_patterns(tmp_path: Path, *patterns: str) -> Path:
    """The fable storyline, plus one text fact per pattern."""
    folder = tmp_path / "storylines"
    folder.mkdir()
    data = yaml.safe_load((REPO / "storylines" / "fable-suspension.yaml").read_text())
    for i, pattern in enumerate(patterns):
        data["facts"].append(
            {"id": f"codename_{i}", "label": f"Codename {i}", "kind": "text", "patterns": [pattern]}
        )
    (folder / "fable-suspension.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


async def test_a_backtracking_storyline_pattern_cannot_hang_the_cycle(
    tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    storylines = storylines_with_patterns(tmp_path, ISSUE_PATTERN, RUNAWAY_PATTERN)
    flags = cli_flags(tmp_path, server, storylines)
    server.set("/fable.xml", rss([HOSTILE_ITEM]))

    code, _out, err = await run_cli("run", "--once", "--no-seeded-history", *flags, env=env)
    assert code == 0, err
    log = tmp_path / "audit.jsonl"
    events = audit(log)
    matched = [e for e in events if e["event"] == "item.matched"]
    assert [e["item"]["guid"] for e in matched] == ["hostile-1"]  # decided and stored
    timeouts = [e for e in events if e["event"] == "pattern.timeout"]
    assert {e["pattern"] for e in timeouts} == {RUNAWAY_PATTERN}
    assert "was skipped for it" in err  # the log line for the operator
    # The item's other facts were still read from it.
    changes = [e for e in events if e["event"] == "fact.changed"]
    assert ("access_status", "suspended") in [(e["fact"], e["new"]) for e in changes]

    # The next cycle does not meet the item again (it was committed) and does not hang.
    server.set("/fable.xml", rss([HOSTILE_ITEM, LATER_ITEM]))
    code, _out, err = await run_cli("run", "--once", "--no-seeded-history", *flags, env=env)
    assert code == 0, err
    later = audit(log)[len(events) :]
    assert [e["item"]["guid"] for e in later if e["event"] == "item.matched"] == ["later-1"]


def flood(count: int) -> list[dict[str, Any]]:
    return [
        {
            "guid": f"flood-{i}",
            "link": f"https://news.example.com/fable/flood-{i}",
            "title": f"Claude Fable 5 export directive: Anthropic customer report number {i}",
            "summary": f"Customer {i} describes life without Fable 5 under the directive.",
            "published": ago(minutes=100 - i),
        }
        for i in range(count)
    ]


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_a_flood_gives_the_thread_ten_replies_and_one_summary(
    tmp_path: Path, server: FeedServer, env: dict[str, str]
) -> None:
    flags = cli_flags(tmp_path, server, REPO / "storylines")
    server.set("/fable.xml", rss([HOSTILE_ITEM | {"title": "Fable 5 stays suspended"}]))
    code, _out, err = await run_cli("run", "--once", *flags, env=env)  # backlog: not posted
    assert code == 0, err

    server.set("/fable.xml", rss(flood(30)))
    code, out, err = await run_cli("run", "--once", *flags, env=env)
    assert code == 0, err
    replies = [line.strip() for line in out.splitlines() if line.lstrip().startswith("↳")]
    coverage = [r for r in replies if r.startswith("↳ [fable-suspension] •")]
    summaries = [r for r in replies if r.startswith("↳ [fable-suspension] …")]
    assert len(coverage) == 10
    assert summaries == [
        "↳ [fable-suspension] … and 20 more matched items: "
        "`threadline storylines show fable-suspension`"
    ]
    # Every item is still stored, matched and audited.
    matched = [e for e in audit(tmp_path / "audit.jsonl") if e["event"] == "item.matched"][1:]
    assert len(matched) == 30
    assert sum(e["posted"] for e in matched) == 10
    assert sum(bool(e.get("capped")) for e in matched) == 20
