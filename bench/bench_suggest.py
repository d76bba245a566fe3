"""Does ``threadline storylines suggest`` find a story nobody wrote a file for?

For each of the storylines named by ``--remove`` (default: fable-suspension,
dod-dispute, chatgpt-italy), in turn: the storyline's file is taken out of the
live storylines (``storylines/`` plus ``corpus/storylines/chatgpt-italy.yaml``),
``threadline storylines suggest --corpus`` runs as an admin would on the merged
labelled corpora, and the draft that best covers the removed storyline's items
(the real matcher, in-process) is the one suggested. That draft, untouched, then
goes live beside the remaining files and the corpus is replayed through the
real pipeline (``run --once``, as ``bench/eval_corpus.py`` does); its matches are
scored against the removed storyline's labels with eval_corpus's scoring
(``ambiguous`` items left out). Exits 1 when a removed story is not suggested or
its draft scores below ``--min-f1`` (default 0.8).

    .venv/bin/python bench/bench_suggest.py [CORPUS.jsonl ...] [--remove ID ...]
        [--min-f1 0.8] [--json-out bench/out/suggest.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from eval_corpus import evaluate, load, relabel, replay  # noqa: E402

from bot.config.corpus_file import load_corpus  # noqa: E402
from bot.config.storylines import load_storyline  # noqa: E402
from bot.core.match import Matcher  # noqa: E402

CORPORA = [
    REPO.parent / "shared" / "corpus" / "dev.jsonl",
    REPO / "corpus" / "extra.jsonl",
    REPO / "corpus" / "chatgpt-italy.jsonl",
]
STORYLINES = [
    *sorted((REPO / "storylines").glob("*.yaml")),
    REPO / "corpus" / "storylines" / "chatgpt-italy.yaml",
]
REMOVE = ["fable-suspension", "dod-dispute", "chatgpt-italy"]


def suggest(corpus: Path, live: Path, out: Path) -> list[str]:
    """``threadline storylines suggest`` as an admin runs it; its printed lines."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "storylines",
            "suggest",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--storylines",
            str(live),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"storylines suggest failed:\n{done.stderr}")
    return done.stdout.splitlines()


def best_draft(drafts: list[Path], corpus: Path, rows: list[dict[str, Any]], removed: str) -> Path:
    """The draft whose matches (the real matcher, each draft alone) best cover
    the removed storyline's labelled items, by F1."""
    labelled = {r["id"] for r in rows if r["storyline"] == removed}
    scored = {r["id"] for r in rows if r["storyline"] != "ambiguous"}
    entries = load_corpus(corpus)
    best, best_f1 = drafts[0], -1.0
    for path in drafts:
        matcher = Matcher([load_storyline(path)])
        hits = {e.key for e in entries if e.key in scored and matcher.match(e)[0].matched}
        tp = len(hits & labelled)
        f1 = 2 * tp / (len(hits) + len(labelled)) if hits or labelled else 0.0
        if f1 > best_f1:
            best, best_f1 = path, f1
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, nargs="*", default=CORPORA)
    parser.add_argument("--remove", action="append", help="storyline id (repeatable)")
    parser.add_argument("--min-f1", type=float, default=0.8)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    rows = load(args.corpus)
    results: dict[str, Any] = {}
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        merged = work / "corpus.jsonl"
        merged.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        for removed in args.remove or REMOVE:
            live = work / removed / "live"
            live.mkdir(parents=True)
            for path in STORYLINES:
                if load_storyline(path).id != removed:
                    shutil.copy(path, live / path.name)
            out = work / removed / "suggested"
            lines = suggest(merged, live, out)
            drafts = sorted(out.glob("*.yaml"))
            print(f"\n== {removed} removed: {len(drafts)} drafts")
            for line in lines:
                print(f"  {line}")
            if not drafts:
                bad.append(f"{removed}: nothing suggested")
                continue
            draft = best_draft(drafts, merged, rows, removed)
            draft_id = load_storyline(draft).id
            trial = work / removed / "trial"
            shutil.copytree(live, trial)
            shutil.copy(draft, trial / draft.name)
            scored_rows = relabel([dict(r) for r in rows], [f"{removed}={draft_id}"])
            events = asyncio.run(replay(scored_rows, [scored_rows], trial))
            m = evaluate(scored_rows, events, {})["matching"][draft_id]
            results[removed] = {
                "draft": draft_id,
                "draft_text": draft.read_text(encoding="utf-8"),
                "precision": m["precision"],
                "recall": m["recall"],
                "f1": m["f1"],
                "items": m["items"],
                "misses": m["misses"],
                "false_hits": m["false_hits"],
                "drafts": len(drafts),
            }
            print(
                f"  suggested as {draft_id}: P {m['precision']:.3f} R {m['recall']:.3f} "
                f"F1 {m['f1']:.3f} on {m['items']} labelled items"
            )
            print(f"  misses: {' '.join(m['misses']) or '-'}")
            print(f"  false hits: {' '.join(m['false_hits']) or '-'}")
            if m["f1"] < args.min_f1:
                bad.append(f"{removed}: draft {draft_id} F1 {m['f1']:.3f} < {args.min_f1}")
    print("\n== summary")
    for removed, r in results.items():
        print(
            f"  {removed:<18} → {r['draft']:<28} P {r['precision']:.3f} R {r['recall']:.3f} "
            f"F1 {r['f1']:.3f} ({r['items']} items; {r['drafts']} drafts in all)"
        )
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if bad:
        print("\nBELOW THRESHOLD:\n  " + "\n  ".join(bad))
        return 1
    print("\nall removed storylines suggested with F1 >= " + f"{args.min_f1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
