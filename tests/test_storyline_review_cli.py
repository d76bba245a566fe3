"""`threadline storylines check FILE` and `try FILE`, run as an admin would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import threadline
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss

STORYLINE = """\
id: drone-ban
title: Kestrel X flight ban
match:
  subjects:
    - name: drone
      phrases: [Kestrel X, 红隼X]
  actors:
    - name: maker
      phrases: [Skylark, court]
  parties:
    - name: ministry
      phrases: [transport ministry]
  topics:
    - name: events
      phrases: [grounded, banned, cleared, lifted, 禁令]
  siblings:
    - name: other-countries
      phrases: [Canada]
facts:
  - id: status
    label: Kestrel X
    kind: enum
    values:
      - value: grounded
        label: Grounded
        cues: [grounded, banned]
      - value: cleared
        label: Cleared to fly
        cues: [cleared, ban lifted]
"""

ITEMS = [
    ("1", "Transport ministry grounds the Kestrel X", "The drone is grounded.", 3),
    ("2", "Judge's order stops the ministry enforcing the Kestrel X ban", "", 2),
    ("3", "Canada: Kestrel X banned too", "", 2),
    ("4", "交通部对红隼X实施禁令", "", 1),
    ("5", "Motorway bridge opens", "", 1),
]


def write(tmp_path: Path, text: str = STORYLINE) -> Path:
    path = tmp_path / "drone-ban.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    rows = [
        {
            "id": f"it-{guid}",
            "source_domain": "news.example",
            "url": f"https://news.example/{guid}",
            "published": ago(days=days).resolve().isoformat(),
            "title": title,
            "summary": summary,
        }
        for guid, title, summary, days in ITEMS
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


async def test_check_validates_and_warns_with_lines(tmp_path: Path, env: dict[str, str]) -> None:
    code, out, err = await threadline(
        "storylines", "check", str(write(tmp_path)), "--storylines", str(tmp_path), env=env
    )
    assert code == 0, err
    assert "valid storyline 'drone-ban'" in out
    assert "line 9: match.actors[0].phrases[1]: 'court' is a very common word" in out


async def test_check_names_file_line_and_field_of_an_error(
    tmp_path: Path, env: dict[str, str]
) -> None:
    broken = STORYLINE.replace("      phrases: [Canada]\n", "      description: elsewhere\n")
    code, out, err = await threadline("storylines", "check", str(write(tmp_path, broken)), env=env)
    assert code == 2 and out == ""
    assert "drone-ban.yaml" in err and "match.siblings[0] (line 17)" in err
    assert "Traceback" not in err


async def test_try_over_a_corpus_file(tmp_path: Path, env: dict[str, str]) -> None:
    code, out, err = await threadline(
        "storylines",
        "try",
        str(write(tmp_path)),
        "--corpus",
        str(corpus(tmp_path)),
        "--storylines",
        str(tmp_path / "none"),
        env=env,
    )
    assert code == 0, err
    assert "3 of 5 items would match" in out
    matched = out.split("Near misses")[0]
    assert "Judge's order stops the ministry" in matched
    assert "authority: 'judge'" in matched
    assert "交通部对红隼X实施禁令" in matched
    assert "Canada: Kestrel X" not in matched and "Canada: Kestrel X" in out  # a near miss
    assert "claims status = grounded" in out
    assert "Grounded — news.example" in out.split("Fact timelines")[1]


async def test_try_as_json_shows_each_reading_with_its_factuality(
    tmp_path: Path, env: dict[str, str]
) -> None:
    code, out, err = await threadline(
        "storylines",
        "try",
        str(write(tmp_path)),
        "--json",
        "--corpus",
        str(corpus(tmp_path)),
        "--storylines",
        str(tmp_path / "none"),
        env=env,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["storyline"] == "drone-ban" and report["scanned"] == 5
    first = next(i for i in report["items"] if i["title"].startswith("Transport ministry"))
    assert first["matched"] and first["score"] > 0 and first["reasons"]
    reading = first["claims"][0]
    assert reading["value"] == "grounded" and reading["claim"] is True
    assert (reading["polarity"], reading["certainty"], reading["time"]) == (
        "positive",
        "certain",
        "current",
    )
    assert report["timelines"]["status"][0]["value"] == "grounded"
    assert any(i["title"].startswith("Canada") for i in report["near_misses"])


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
async def test_try_over_stored_items(tmp_path: Path, env: dict[str, str]) -> None:
    server = FeedServer()
    await server.start()
    try:
        server.set(
            "/feed.xml",
            rss(
                [
                    {
                        "guid": guid,
                        "link": f"https://news.example/{guid}",
                        "title": title,
                        "summary": summary,
                        "published": ago(days=days),
                    }
                    for guid, title, summary, days in ITEMS
                ]
            ),
        )
        feeds = tmp_path / "feeds.yaml"
        write_feeds(feeds, [(server.url("/feed.xml"), "News")])
        common = ["--feeds", str(feeds), "--database", f"sqlite+aiosqlite:///{tmp_path}/t.db"]
        code, _, err = await threadline("run", "--once", *common, env=env)
        assert code == 0, err
    finally:
        await server.close()
    path = write(tmp_path)
    code, out, err = await threadline("storylines", "try", str(path), *common, env=env)
    assert code == 0, err
    assert "3 of 5 items would match" in out
    code, out, err = await threadline(
        "storylines", "try", str(path), "--since", "1.5", "--brief", *common, env=env
    )
    assert code == 0, err
    assert "1 of 2 items would match" in out and "交通部" in out
    assert "subject:" not in out  # --brief leaves out the reasons
