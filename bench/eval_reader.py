"""The fact reader alone, item by item, on labelled corpora: what each item claims
against what its label says it presents as current, and what reading costs.

    .venv/bin/python bench/eval_reader.py ../shared/corpus/dev.jsonl corpus/extra.jsonl
        [--storylines storylines --storylines corpus/storylines/chatgpt-italy.yaml]
        [--show-errors] [--json-out bench/out/eval_reader.json]

For every labelled item of a scored storyline (the item's own ``storyline``, not
``ambiguous``) it reads the required facts (``read_item``) and counts, per fact:
claims that agree with the label (right), claims of another value (wrong: these
are what make false flips), claims where the label has none (extra: mostly
recaps and stances), and labelled values read as nothing (missed). Readings are
independent of the matcher and of resolution, so this is the quickest honest
loop for the reader; ``eval_corpus.py`` scores the whole pipeline. The timing is
the reader's CPU time per item (lemmatiser dictionaries and the language model
warmed up first, as in a running bot).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bot.config.storylines import load_storylines  # noqa: E402
from bot.core.amounts import same_amount  # noqa: E402
from bot.core.items import Entry  # noqa: E402
from bot.core.reader import read_item  # noqa: E402


def _entry(row: dict[str, Any]) -> Entry:
    published = datetime.fromisoformat(row["published"])
    return Entry(
        feed_id=1,
        key=row["id"],
        guid=row["id"],
        title=row.get("title") or "",
        summary=row.get("summary") or "",
        url=row.get("url"),
        published=published,
        first_seen=published,
        source=row.get("source_domain") or row.get("source") or "",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument("--storylines", type=Path, action="append")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    storylines = {}
    for path in args.storylines or [REPO / "storylines"]:
        for s in load_storylines(path) if path.is_dir() else load_storylines(path.parent):
            if path.is_dir() or s.id == path.stem:
                storylines[s.id] = s
    rows = [json.loads(line) for c in args.corpus for line in c.open() if line.strip()]
    rows = [r for r in rows if r.get("storyline") in storylines]
    counts: dict[str, Counter[str]] = {}
    errors: list[str] = []
    read_item(next(iter(storylines.values())), _entry(rows[0]))  # warm up
    spent = 0.0
    for row in rows:
        storyline = storylines[row["storyline"]]
        entry = _entry(row)
        started = time.process_time()
        got = read_item(storyline, entry)
        spent += time.process_time() - started
        claimed = {c.fact: c.value for c in got.claims}
        for spec in storyline.facts:
            if not spec.required:
                continue
            key = f"{storyline.id}.{spec.id}"
            label = row.get("facts", {}).get(key)
            value = claimed.get(spec.id)
            tally = counts.setdefault(key, Counter())
            if value is None and label is None:
                tally["none"] += 1
                continue
            if value is None:
                outcome = "missed"
            elif label is None:
                outcome = "extra"
            elif value == str(label) or same_amount(value, str(label)):
                outcome = "right"
            else:
                outcome = "wrong"
            tally[outcome] += 1
            if outcome != "right":
                errors.append(
                    f"  {outcome:6} {row['id']} {key}: label {label!s:18} read {value!s:18}"
                    f" {row['title'][:90]}"
                )
    print(f"{'fact':45} right wrong extra missed  none")
    for key, tally in sorted(counts.items()):
        print(
            f"{key:45} {tally['right']:5} {tally['wrong']:5} {tally['extra']:5}"
            f" {tally['missed']:6} {tally['none']:5}"
        )
    per_item = spent / max(1, len(rows))
    print(f"reading: {len(rows)} items, {per_item * 1e3:.2f} ms CPU per item")
    if args.show_errors:
        print("\n".join(errors))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(
            json.dumps(
                {"counts": {k: dict(v) for k, v in counts.items()}, "ms_per_item": per_item * 1e3},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
