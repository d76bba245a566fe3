"""`threadline storylines suggest`, run as an admin would: drafts from a corpus
file or from the stored items, each passing `storylines check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import threadline
from tests.support.clock import ago
from tests.support.feeds_file import write_feeds
from tests.support.feedserver import FeedServer, rss
from tests.support.made_up_dispute import DISPUTE, LONE, OTHER, rows

LIVE = """\
id: harbour
title: Harbour Authority vs Bluefin Shipping
match:
  subjects:
    - name: ferry
      phrases: [Orca]
  actors:
    - name: company
      phrases: [Bluefin Shipping]
  topics:
    - name: acts
      phrases: [blocks, bans, suspends]
facts: []
"""


def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows()), "utf-8")
    return path


def live_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "storylines"
    folder.mkdir()
    (folder / "harbour.yaml").write_text(LIVE, encoding="utf-8")
    return folder


async def test_suggest_writes_drafts_that_pass_check(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "drafts"
    live = ["--storylines", str(live_dir(tmp_path))]
    code, stdout, err = await threadline(
        "storylines",
        "suggest",
        "--corpus",
        str(corpus(tmp_path)),
        "--out",
        str(out),
        *live,
        env=env,
    )
    assert code == 0, err
    draft = out / "kestrel-x-skylark.yaml"
    assert stdout.splitlines() == [
        f"{draft}: 7 items from 4 outlets (courts.example, dailywire.example, "
        "notizie.example, techbeat.example), 2026-05-04 to 2026-05-17"
    ]
    assert sorted(p.name for p in out.iterdir()) == [draft.name]
    text = draft.read_text(encoding="utf-8")
    assert "Kestrel X" in text and "Ministero dei Trasporti" in text
    code, stdout, err = await threadline("storylines", "check", str(draft), *live, env=env)
    assert code == 0, err
    assert f"{draft}: valid storyline 'kestrel-x-skylark' (open), 1 facts" in stdout
    # Tried beside the live storyline, the draft takes the dispute's items.
    code, stdout, err = await threadline(
        "storylines", "try", str(draft), "--corpus", str(corpus(tmp_path)), *live, env=env
    )
    assert code == 0, err
    assert "kestrel-x-skylark: 7 of 13 items would match" in stdout


async def test_suggest_says_when_there_is_nothing_and_refuses_bad_input(
    tmp_path: Path, env: dict[str, str]
) -> None:
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text("".join(json.dumps(r) + "\n" for r in rows([*LONE, *OTHER])), "utf-8")
    out = tmp_path / "drafts"
    code, stdout, err = await threadline(
        "storylines", "suggest", "--corpus", str(quiet), "--out", str(out), env=env
    )
    assert code == 0, err
    assert stdout.startswith("no candidate stories")
    assert not out.exists()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "no date"}\n', encoding="utf-8")
    code, stdout, err = await threadline(
        "storylines", "suggest", "--corpus", str(broken), "--out", str(out), env=env
    )
    assert code == 2 and stdout == ""
    assert "broken.jsonl: line 1: not a corpus item: missing field 'published'" in err
    assert "Traceback" not in err
    code, _, err = await threadline("storylines", "suggest", "--since", "0", env=env)
    assert code == 2 and "--since" in err


@pytest.mark.slow  # a poll cycle and several CLI runs: make test-all
async def test_suggest_from_stored_items_leaves_matched_ones_out(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # The harbour dispute, reported by three outlets this time.
    harbour = [(k, f"port{i}.example", d, t, s) for i, (k, _, d, t, s) in enumerate(LONE)]
    items = DISPUTE + harbour + OTHER
    outlets = sorted({o for _, o, *_ in items})
    server = FeedServer()
    await server.start()
    try:
        for outlet in outlets:
            server.set(
                f"/{outlet}.xml",
                rss(
                    [
                        {
                            "guid": ident,
                            "link": f"https://{outlet}/{ident}",
                            "title": title,
                            "summary": summary,
                            # The story as it happened, ending a day ago.
                            "published": ago(days=14 - days),
                        }
                        for ident, o, days, title, summary in items
                        if o == outlet
                    ]
                ),
            )
        feeds = tmp_path / "feeds.yaml"
        write_feeds(feeds, [(server.url(f"/{o}.xml"), o) for o in outlets])
        live = live_dir(tmp_path)
        common = [
            "--feeds",
            str(feeds),
            "--database",
            f"sqlite+aiosqlite:///{tmp_path}/t.db",
            "--storylines",
            str(live),
        ]
        code, _, err = await threadline("run", "--once", *common, env=env)
        assert code == 0, err
    finally:
        await server.close()
    # The harbour storyline, rewritten since, no longer matches its items; they
    # were matched when stored, so they are still its own.
    (live / "harbour.yaml").write_text(LIVE.replace("[Orca]", "[Orca 9]"), encoding="utf-8")
    out = tmp_path / "suggested"
    code, stdout, err = await threadline(
        "storylines", "suggest", "--out", str(out), *common, env=env
    )
    assert code == 0, err
    [line] = stdout.splitlines()
    assert line.startswith(f"{out / 'kestrel-x-skylark.yaml'}: 7 items from 4 outlets")
    # Only the last three days: the court ruling and the return.
    code, stdout, err = await threadline(
        "storylines", "suggest", "--since", "3", "--out", str(out), *common, env=env
    )
    assert code == 0, err
    assert ": 3 items from 3 outlets" in stdout
    # With the harbour storyline gone, its items are a candidate story too.
    (live / "harbour.yaml").unlink()
    code, stdout, err = await threadline(
        "storylines", "suggest", "--out", str(out), *common, env=env
    )
    assert code == 0, err
    assert len(stdout.splitlines()) == 2 and "3 items from 3 outlets" in stdout
