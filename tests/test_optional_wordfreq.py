"""wordfreq is an optional extra (``threadline[wordfreq]``): the commands that use
word frequencies say by name what to install, and the bot runs without it. Each
test runs the real CLI in an interpreter where ``import wordfreq`` fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import threadline
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

# Several CLI processes: make test-all.
pytestmark = pytest.mark.slow

MISSING = (
    "needs the optional 'wordfreq' extra (English word frequencies): "
    "pip install 'threadline[wordfreq]'"
)

STORYLINE = """\
id: drone-ban
title: Kestrel X flight ban
match:
  subjects:
    - name: drone
      phrases: [Kestrel X]
  topics:
    - name: events
      phrases: [grounded, grounds, banned, cleared]
facts:
  - id: status
    label: Kestrel X
    kind: enum
    values:
      - value: grounded
        label: Grounded
        cues: [grounded, grounds, banned]
      - value: cleared
        label: Cleared to fly
        cues: [cleared]
"""


def storylines(tmp_path: Path) -> Path:
    directory = tmp_path / "storylines"
    directory.mkdir()
    (directory / "drone-ban.yaml").write_text(STORYLINE, encoding="utf-8")
    return directory


async def test_storylines_check_names_the_extra_it_needs(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = storylines(tmp_path) / "drone-ban.yaml"
    code, out, err = await threadline(
        "storylines", "check", str(path), env=env, without=["wordfreq"]
    )
    assert (code, out) == (2, "")
    assert err == f"threadline: error: storylines check {MISSING}\n"
    # The same command with wordfreq installed: the blocking above is what failed.
    code, out, err = await threadline("storylines", "check", str(path), env=env)
    assert code == 0 and "valid storyline 'drone-ban'" in out, err


async def test_storylines_suggest_names_the_extra_it_needs(
    tmp_path: Path, env: dict[str, str]
) -> None:
    corpus = tmp_path / "items.jsonl"
    row = {"title": "Kestrel X grounded", "published": ago(days=1).resolve().isoformat()}
    corpus.write_text(json.dumps(row) + "\n", encoding="utf-8")
    code, out, err = await threadline(
        "storylines", "suggest", "--corpus", str(corpus), "--out", str(tmp_path / "drafts"),
        env=env, without=["wordfreq"],
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == f"threadline: error: storylines suggest {MISSING}\n"


async def test_the_bot_runs_and_posts_without_wordfreq(tmp_path: Path, env: dict[str, str]) -> None:
    server = FeedServer()
    await server.start()
    try:
        item = {
            "guid": "1",
            "link": "https://news.example/1",
            "title": "Transport ministry grounds the Kestrel X",
            "summary": "The drone is grounded.",
            "published": ago(hours=2),
        }
        server.set("/feed.xml", rss([item]))
        feeds = tmp_path / "feeds.yaml"
        write_feeds(feeds, [(server.url("/feed.xml"), "News")])
        code, out, err = await threadline(
            "run", "--once", "--feeds", str(feeds), "--storylines", str(storylines(tmp_path)),
            "--database", f"sqlite:///{tmp_path}/t.db",
            env=env, without=["wordfreq"],
        )  # fmt: skip
    finally:
        await server.close()
    assert code == 0, err
    assert "Kestrel X: Grounded" in out  # the storyline's thread, on the console
    assert "storyline drafts keep very common words as topics without the optional" in err
    assert "Traceback" not in err
