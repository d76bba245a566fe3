"""Quick, pure evaluation of the core (matcher + fact tracking) on a labelled corpus.

    .venv/bin/python bench/core_eval.py [--corpus ../shared/corpus/dev.jsonl]
                                        [--storylines storylines] [--json out.json]

Builds Entry objects straight from the JSONL (no feeds, no database), runs the
Matcher on every item and, in publication order, extracts claims for each
matched (item, storyline) and resolves the facts, starting from NO seeded
history. Prints per-storyline precision/recall/F1 (``ambiguous`` items left
out), the misses and false hits by id, and for each required fact the detected
transitions against the true timeline (FACTS.md), false flips, disputed flags
and lag; plus the keyword baseline. The end-to-end evaluation through the real
pipeline lives elsewhere.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config.storylines import load_storylines  # noqa: E402
from bot.core.facts import Claim, FactView  # noqa: E402
from bot.core.items import Entry  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.reader import extract_claims  # noqa: E402
from bot.core.resolve import resolve  # noqa: E402

LABELLED = ("fable-suspension", "dod-dispute")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


#: The true timelines of the required facts (FACTS.md): (became true, value).
TRUTH: dict[tuple[str, str], list[tuple[datetime, str]]] = {
    ("fable-suspension", "access_status"): [
        (_utc("2026-06-09T00:00:00+00:00"), "available"),
        (_utc("2026-06-12T17:21:00-04:00"), "suspended"),
        (_utc("2026-06-26T16:00:00-04:00"), "partially-restored"),
        (_utc("2026-06-30T00:00:00-04:00"), "restored"),
    ],
    ("dod-dispute", "designation_status"): [
        (_utc("2026-02-16T00:00:00+00:00"), "threatened"),
        (_utc("2026-03-03T00:00:00+00:00"), "designated"),
        (_utc("2026-03-26T00:00:00+00:00"), "blocked"),
        (_utc("2026-04-08T00:00:00+00:00"), "partially-blocked"),
    ],
}
BASELINE = {
    "fable-suspension": re.compile(r"fable", re.IGNORECASE),
    "dod-dispute": re.compile(r"pentagon|supply[- ]chain", re.IGNORECASE),
}


def load_items(path: Path) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(items, key=lambda d: _utc(d["published"]))


def to_entry(item: dict[str, Any], feed_ids: dict[str, int]) -> Entry:
    domain = item.get("source_domain") or item.get("source") or "unknown"
    published = _utc(item["published"])
    summary = html.unescape(re.sub(r"<[^>]+>", " ", item.get("summary") or ""))
    return Entry(
        feed_id=feed_ids.setdefault(domain, len(feed_ids) + 1),
        key=item["id"],
        guid=item["id"],
        url=item.get("url"),
        title=item.get("title") or "",
        summary=" ".join(summary.split()),
        published=published,
        first_seen=published,
        source=domain,
    )


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def true_value(key: tuple[str, str], when: datetime) -> str | None:
    value = None
    for start, v in TRUTH[key]:
        if start <= when:
            value = v
    return value


def evaluate(corpus: Path, storylines_dir: Path) -> dict[str, Any]:
    storylines = load_storylines(storylines_dir)
    by_id = {s.id: s for s in storylines}
    matcher = Matcher(storylines)
    items = load_items(corpus)
    feed_ids: dict[str, int] = {}
    entries = [to_entry(item, feed_ids) for item in items]

    scores = {s: Scores() for s in LABELLED}
    baseline = {s: Scores() for s in LABELLED}
    misses: dict[str, list[str]] = defaultdict(list)
    false_hits: dict[str, list[str]] = defaultdict(list)
    known: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    views: dict[tuple[str, str], FactView] = {}
    changes: list[dict[str, Any]] = []

    for index, (item, entry) in enumerate(zip(items, entries, strict=True)):
        results = {r.storyline: r for r in matcher.match(entry)}
        label = item["storyline"]
        for sid in LABELLED:
            got = results[sid].matched if sid in results else False
            base = bool(BASELINE[sid].search(f"{item['title']} {item.get('summary') or ''}"))
            if label == "ambiguous":
                continue
            truth = label == sid
            for s, hit in ((scores[sid], got), (baseline[sid], base)):
                s.tp += hit and truth
                s.fp += hit and not truth
                s.fn += truth and not hit
            if truth and not got:
                misses[sid].append(f"{item['id']} ({results[sid].score:.0f}) {item['title'][:70]}")
            if got and not truth:
                false_hits[sid].append(
                    f"{item['id']} ({results[sid].score:.0f}) {item['title'][:70]}"
                )
        best = max((r.score for r in results.values() if r.matched), default=0.0)
        for sid, result in results.items():
            if not result.matched or result.score < best:
                continue  # facts move only for the storyline the item belongs to most
            storyline = by_id[sid]
            for claim in extract_claims(storyline, entry):
                key = (sid, claim.fact)
                known[key].append(claim)
                old = views.get(key) or FactView(sid, claim.fact, None)
                new = resolve(storyline.fact(claim.fact), known[key], storyline=storyline)
                views[key] = new
                if (old.value, old.disputed) != (new.value, new.disputed):
                    changes.append(
                        {
                            "index": index,
                            "id": item["id"],
                            "published": item["published"],
                            "storyline": sid,
                            "fact": claim.fact,
                            "old": old.value,
                            "new": new.value,
                            "disputed": new.disputed,
                            "contenders": [f"{c.value} ({c.who})" for c in new.contenders],
                            "claim": claim.value,
                        }
                    )

    facts_report = {key: _fact_report(key, items, changes) for key in TRUTH}
    other = defaultdict(list)
    for c in changes:
        if (c["storyline"], c["fact"]) not in TRUTH:
            other[f"{c['storyline']}.{c['fact']}"].append(
                f"{c['published'][:10]} {c['id']}: {c['old']} -> {c['new']}"
                + (" (disputed)" if c["disputed"] else "")
            )
    return {
        "corpus": str(corpus),
        "items": len(items),
        "match": {s: scores[s].as_dict() for s in LABELLED},
        "baseline": {s: baseline[s].as_dict() for s in LABELLED},
        "misses": dict(misses),
        "false_hits": dict(false_hits),
        "facts": {f"{k[0]}.{k[1]}": v for k, v in facts_report.items()},
        "other_facts": dict(other),
    }


def _fact_report(
    key: tuple[str, str], items: list[dict[str, Any]], changes: list[dict[str, Any]]
) -> dict[str, Any]:
    label_key = f"{key[0]}.{key[1]}"
    mine = [c for c in changes if (c["storyline"], c["fact"]) == key]
    flips = [c for c in mine if c["old"] != c["new"]]
    false_flips = [c for c in flips if c["new"] != true_value(key, _utc(c["published"]))]
    transitions = []
    for start, value in TRUTH[key]:
        reporting = [
            i
            for i, it in enumerate(items)
            if it.get("facts", {}).get(label_key) == value and _utc(it["published"]) >= start
        ]
        adopted = next((c for c in flips if c["new"] == value), None)
        lag = None
        ok = False
        if adopted is not None and reporting:
            lag = sum(1 for i in reporting if i < adopted["index"])
            ok = adopted["index"] in reporting[:2]
        transitions.append(
            {
                "value": value,
                "true_from": start.isoformat(),
                "first_reporting": items[reporting[0]]["id"] if reporting else None,
                "detected_at": adopted["id"] if adopted else None,
                "detected_on": adopted["published"] if adopted else None,
                "lag_items": lag,
                "ok": ok,
            }
        )
    disputes = [
        {
            "id": c["id"],
            "published": c["published"],
            "disputed": c["disputed"],
            "value": c["new"],
            "contenders": c["contenders"],
        }
        for c in mine
        if c["old"] == c["new"]
    ]
    return {
        "transitions": transitions,
        "all_detected": all(t["ok"] for t in transitions),
        "false_flips": [f"{c['id']} {c['old']} -> {c['new']}" for c in false_flips],
        "dispute_flags": disputes,
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"corpus: {report['corpus']} ({report['items']} items)\n")
    print(f"{'storyline':<18} {'prec':>6} {'recall':>6} {'F1':>6}   baseline F1")
    for sid, s in report["match"].items():
        b = report["baseline"][sid]
        print(
            f"{sid:<18} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f}   {b['f1']:.3f}"
            f"  (tp {s['tp']} fp {s['fp']} fn {s['fn']})"
        )
    for title, key in (("misses", "misses"), ("false hits", "false_hits")):
        for sid, rows in report[key].items():
            print(f"\n{title} — {sid}:")
            for row in rows:
                print(f"  {row}")
    for fact, r in report["facts"].items():
        print(f"\n{fact}: all transitions detected in time: {r['all_detected']}")
        for t in r["transitions"]:
            print(
                f"  {t['value']:<19} first reported {t['first_reporting']}  "
                f"detected {t['detected_at']} ({(t['detected_on'] or '')[:16]}) "
                f"lag {t['lag_items']} {'OK' if t['ok'] else 'LATE/MISSED'}"
            )
        print(f"  false flips: {len(r['false_flips'])} {r['false_flips']}")
        for d in r["dispute_flags"]:
            state = "disputed" if d["disputed"] else "dispute cleared"
            print(f"  {state} at {d['id']} ({d['published'][:10]}): {', '.join(d['contenders'])}")
    for fact, rows in report["other_facts"].items():
        print(f"\n{fact}:")
        for row in rows:
            print(f"  {row}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/dev.jsonl")
    parser.add_argument("--storylines", type=Path, default=ROOT / "storylines")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    report = evaluate(args.corpus, args.storylines)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
