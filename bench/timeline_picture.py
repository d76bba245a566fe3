"""Render the fact-timeline pictures from a replay of a labelled corpus.

Serves the corpus as RSS feeds on 127.0.0.1 (as ``eval_corpus.py`` does), runs
``threadline run --once --no-seeded-history`` into a temporary SQLite database,
then ``threadline storylines show ID --png OUT/timeline-ID.png`` for each
storyline the corpus labels. The README's picture is made this way:

    python bench/timeline_picture.py ../shared/corpus/dev.jsonl --out docs/
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from eval_corpus import CorpusServer, labelled_storylines, load, run_once  # noqa: E402


async def replay_into(rows: list[dict[str, Any]], work: Path) -> None:
    domains: dict[str, str] = {}
    for r in rows:
        domains.setdefault(str(r["source_domain"]), str(r["source"]))
    server = CorpusServer()
    await server.start()
    try:
        (work / "feeds.yaml").write_text(
            "feeds:\n"
            + "".join(
                f"  - url: http://127.0.0.1:{server.port}/{d}.xml\n    name: {json.dumps(n)}\n"
                for d, n in domains.items()
            )
        )
        server.show(rows, domains)
        await run_once(work, work / "audit.jsonl")
    finally:
        await server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpus", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--storylines", type=Path, default=REPO / "storylines")
    args = parser.parse_args()
    rows = load(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(args.storylines, work / "storylines")
        asyncio.run(replay_into(rows, work))
        for storyline in labelled_storylines(rows):
            target = args.out / f"timeline-{storyline}.png"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "storylines",
                    "show",
                    storyline,
                    "--png",
                    str(target.resolve()),
                    "--feeds",
                    str(work / "feeds.yaml"),
                    "--storylines",
                    str(work / "storylines"),
                    "--database",
                    f"sqlite+aiosqlite:///{work / 'eval.db'}",
                ],
                cwd=REPO,
                env={
                    k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))
                },
                check=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
