"""`threadline status` and `threadline storylines show ID --png FILE`, through
the CLI's entry function on a real SQLite database."""

from __future__ import annotations

import asyncio
import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.entry.cli import main
from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from tests.conftest import REPO
from tests.support.status_rows import seed_status

NOW = datetime.now(UTC)  # the CLI runs on the system clock; only order is asserted


@pytest.fixture
def flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "THREADLINE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    async def prepare() -> None:
        engine = make_engine(url)
        await upgrade(engine)
        store = Store(engine)
        try:
            await seed_status(store, NOW)
        finally:
            await store.close()

    asyncio.run(prepare())
    return ["--database", url, "--feeds", str(feeds), "--storylines", str(REPO / "storylines")]


def test_status_lists_failing_feeds_first_with_why_then_the_outbox_and_storylines(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*flags, "status"]) == 0
    out = capsys.readouterr().out

    assert "Feeds (3): 1 failing, 1 disabled, 1 ok" in out
    failing, disabled, ok = (out.index(name) for name in ("Flaky Wire", "Old Blog", "Healthy News"))
    assert failing < disabled < ok
    assert "failing (3 failures in a row)" in out
    assert "last error: HTTP 503 from failing.example" in out
    assert "Old Blog — disabled (gone)" in out and "last error: HTTP 410 Gone" in out
    assert "SECRET" not in out  # URLs are shown redacted
    oldest = f"{NOW - timedelta(hours=3):%Y-%m-%d %H:%M} UTC"
    assert f"Outbox: 2 messages waiting (oldest queued {oldest}, " in out
    assert "), 1 due now." in out
    # Why they wait: one not tried yet, one retrying later after its error.
    assert "  1 to slack: not tried yet; due now" in out
    assert "  1 to slack: ratelimited by slack; next try in " in out
    assert "dod-dispute (open)" in out and "Designation:" in out


def test_status_as_json(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*flags, "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)

    assert [f["health"] for f in data["feeds"]] == ["failing", "disabled", "ok"]
    assert data["feeds"][0]["last_error"] == "HTTP 503 from failing.example"
    assert data["feeds"][1]["disabled_reason"] == "gone"
    assert data["feeds"][2]["last_success"] is not None
    outbox = data["outbox"]
    assert (outbox["depth"], outbox["due"], outbox["held_elsewhere"], outbox["failed"]) == (
        2,
        1,
        0,
        0,
    )
    assert outbox["oldest"] == (NOW - timedelta(hours=3)).isoformat()
    assert outbox["oldest_age_seconds"] >= 3 * 3600
    assert sorted(
        (r["error"] or "", r["rows"], bool(r["next_attempt"])) for r in outbox["reasons"]
    ) == [
        ("", 1, False),  # due now, not tried yet
        ("ratelimited by slack", 1, True),  # retrying after an error
    ]
    assert {s["id"] for s in data["storylines"]} >= {"dod-dispute", "fable-suspension"}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_show_writes_the_timeline_picture(
    flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "dod.png"
    assert main([*flags, "storylines", "show", "dod-dispute", "--png", str(target)]) == 0
    out, err = capsys.readouterr()

    assert "Designation" in out and f"picture written to {target}" in err
    lanes = sum(1 for line in (REPO / "storylines/dod-dispute.yaml").read_text().splitlines()
                if line.startswith("  - id:"))  # fmt: skip
    assert png_size(target) == (1200, 200 + 120 * lanes)


def test_show_to_an_unwritable_place_says_so_in_one_line(
    flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "dod.png"
    assert main([*flags, "storylines", "show", "dod-dispute", "--png", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write {target}" in err
