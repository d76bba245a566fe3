"""Accuracy of the real pipeline on a labelled corpus.

Serves the corpus as RSS feeds on 127.0.0.1 (one feed per ``source_domain``, items in
publication order), runs ``threadline run --once --no-seeded-history`` into a temporary
SQLite database and reads the audit log. Prints, per storyline, precision / recall / F1
(``ambiguous`` items excluded) with misses and false hits by id, and for each tracked
fact the detected transitions against the true timeline, false flips, lone reports and
how many reports each transition took. Replays twice: all at once, then in two phases
(items before a cut-off date minus a random 15 %, then everything), so late arrivals of
old articles are exercised. Exits 1 when a ``--min-*`` threshold is not met.

    python bench/eval_corpus.py ../shared/corpus/dev.jsonl [--json-out results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
from collections import defaultdict
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
STORYLINES = ("fable-suspension", "dod-dispute")
# The true order of states of the required facts (../shared/corpus/FACTS.md).
TRUE_TIMELINES = {
    "fable-suspension.access_status": ["available", "suspended", "partially-restored", "restored"],
    "dod-dispute.designation_status": ["threatened", "designated", "blocked", "partially-blocked"],
}
# Keyword filters of the kind RSS bots offer, as the baseline to beat.
BASELINE = {
    "fable-suspension": lambda text: "fable" in text,
    "dod-dispute": lambda text: "pentagon" in text or "supply chain" in text,
}


def load(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(rows, key=lambda r: datetime.fromisoformat(r["published"]))


def rss(rows: list[dict[str, Any]], title: str) -> bytes:
    items = "".join(
        "<item>"
        f'<guid isPermaLink="false">{escape(r["id"])}</guid>'
        f"<link>{escape(r['url'])}</link>"
        f"<title>{escape(r['title'])}</title>"
        f"<description>{escape(r.get('summary') or '')}</description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(r['published']))}</pubDate>"
        "</item>"
        for r in rows
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://{escape(title)}/</link>"
        f"<description>corpus</description>{items}</channel></rss>"
    ).encode()


class CorpusServer:
    """Serves one RSS document per domain; ``show`` sets which items each holds."""

    def __init__(self) -> None:
        self.docs: dict[str, bytes] = {}
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = self.docs.get(request.match_info["domain"])
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type="application/rss+xml")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{domain}.xml", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def show(self, rows: list[dict[str, Any]], domains: dict[str, str]) -> None:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            grouped[r["source_domain"]].append(r)
        self.docs = {d: rss(grouped.get(d, []), name) for d, name in domains.items()}

    async def close(self) -> None:
        if self.runner:
            await self.runner.cleanup()


async def run_once(workdir: Path, audit: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["THREADLINE_ALLOW_PRIVATE_FEEDS"] = "1"
    env["THREADLINE_FETCH_CONCURRENCY"] = "32"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--once",
        "--no-seeded-history",
        "--feeds",
        str(workdir / "feeds.yaml"),
        "--storylines",
        str(REPO / "storylines"),
        "--database",
        f"sqlite+aiosqlite:///{workdir / 'eval.db'}",
        "--audit-log",
        str(audit),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"threadline run --once failed:\n{err.decode()}")


async def replay(
    rows: list[dict[str, Any]], phases: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    domains: dict[str, str] = {}
    for r in rows:
        domains.setdefault(r["source_domain"], r["source"])
    server = CorpusServer()
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "feeds.yaml").write_text(
                "feeds:\n"
                + "".join(
                    f"  - url: http://127.0.0.1:{server.port}/{d}.xml\n    name: {json.dumps(n)}\n"
                    for d, n in domains.items()
                )
            )
            audit = work / "audit.jsonl"
            for phase in phases:
                server.show(phase, domains)
                await run_once(work, audit)
            return [json.loads(line) for line in audit.read_text().splitlines()]
    finally:
        await server.close()


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_matching(rows: list[dict[str, Any]], predicted: dict[str, set[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in STORYLINES:
        tp = fp = fn = 0
        misses, false_hits = [], []
        base = [0, 0, 0]
        for r in rows:
            if r["storyline"] == "ambiguous":
                continue
            truth = r["storyline"] == s
            hit = s in predicted.get(r["id"], set())
            text = f"{r['title']} {r.get('summary') or ''}".lower().replace("-", " ")
            kw = BASELINE[s](text)
            tp += truth and hit
            fp += hit and not truth
            fn += truth and not hit
            base[0] += truth and kw
            base[1] += kw and not truth
            base[2] += truth and not kw
            if truth and not hit:
                misses.append(r["id"])
            if hit and not truth:
                false_hits.append(r["id"])
        p, rc, f1 = prf(tp, fp, fn)
        out[s] = {
            "precision": p,
            "recall": rc,
            "f1": f1,
            "misses": misses,
            "false_hits": false_hits,
            "baseline_f1": prf(*base)[2],
        }
    return out


def score_facts(rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {r["id"]: r for r in rows}
    order = {r["id"]: i for i, r in enumerate(rows)}
    reporters: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for key, value in r["facts"].items():
            reporters[key][str(value)].append(r["id"])
    keys = sorted(set(reporters) | set(TRUE_TIMELINES))
    out: dict[str, Any] = {}
    changes = [e for e in events if e["event"] == "fact.changed"]
    for key in keys:
        storyline, fact = key.split(".", 1)
        mine = [e for e in changes if e["storyline"] == storyline and e["fact"] == fact]
        false_flips, lone, detected = [], [], []
        for e in mine:
            item = by_id.get(e["item"]["guid"])
            asserted = str(item["facts"].get(key)) if item and key in item["facts"] else None
            claimed = str(e.get("claimed", e["new"]))
            if asserted != claimed:
                false_flips.append(
                    {
                        "item": e["item"]["guid"],
                        "claimed": claimed,
                        "labelled": asserted,
                        "new": e["new"],
                    }
                )
            if len(reporters[key].get(claimed, [])) <= 1:
                lone.append(
                    {
                        "item": e["item"]["guid"],
                        "value": claimed,
                        "flagged_disputed": e["disputed"],
                        "adopted": e["new"] == claimed,
                    }
                )
            if not e["disputed"] and (not detected or detected[-1]["value"] != e["new"]):
                detected.append({"value": e["new"], "item": e["item"]["guid"]})
        transitions = []
        for value in TRUE_TIMELINES.get(key, []):
            first = next((d for d in detected if d["value"] == value), None)
            reports = sorted(reporters[key].get(value, []), key=order.__getitem__)
            lag = None
            if first and first["item"] in order:
                lag = sum(1 for rid in reports if order[rid] < order[first["item"]])
            transitions.append(
                {
                    "value": value,
                    "detected": first is not None,
                    "reports": len(reports),
                    "lag_reports": lag,
                    "at": first["item"] if first else None,
                }
            )
        out[key] = {
            "detected": [d["value"] for d in detected],
            "transitions": transitions,
            "false_flips": false_flips,
            "lone_reports": lone,
        }
    return out


def evaluate(rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    predicted: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e["event"] == "item.matched":
            predicted[e["item"]["guid"]].add(e["storyline"])
    return {"matching": score_matching(rows, predicted), "facts": score_facts(rows, events)}


def report(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name}")
    print(f"{'storyline':<18} {'P':>6} {'R':>6} {'F1':>6} {'keyword F1':>11}")
    for s, m in result["matching"].items():
        print(
            f"{s:<18} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}"
            f" {m['baseline_f1']:11.3f}"
        )
        if m["misses"]:
            print(f"  misses: {' '.join(m['misses'])}")
        if m["false_hits"]:
            print(f"  false hits: {' '.join(m['false_hits'])}")
    for key, f in result["facts"].items():
        print(f"{key}: detected {' → '.join(f['detected']) or '(none)'}")
        for t in f["transitions"]:
            where = f"after {t['lag_reports']} earlier report(s)" if t["detected"] else "MISSED"
            print(f"  {t['value']:<20} {where} of {t['reports']}")
        print(
            f"  false flips: {len(f['false_flips'])}"
            + "".join(f"\n    {x}" for x in f["false_flips"])
        )
        for lone in f["lone_reports"]:
            print(
                f"  lone report {lone['value']!r} ({lone['item']}): "
                f"{'flagged disputed' if lone['flagged_disputed'] else 'NOT flagged'}, "
                f"{'ADOPTED' if lone['adopted'] else 'not adopted'}"
            )


def failures(result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    bad = []
    for s, m in result["matching"].items():
        if m["precision"] < args.min_precision:
            bad.append(f"{s} precision {m['precision']:.3f} < {args.min_precision}")
        if m["f1"] < args.min_f1:
            bad.append(f"{s} F1 {m['f1']:.3f} < {args.min_f1}")
    for key in TRUE_TIMELINES:
        f = result["facts"][key]
        for t in f["transitions"]:
            if not t["detected"] or (t["lag_reports"] or 0) > args.max_lag:
                bad.append(f"{key} → {t['value']}: {'missed' if not t['detected'] else 'late'}")
        if len(f["false_flips"]) > args.max_false_flips:
            bad.append(f"{key}: {len(f['false_flips'])} false flips")
        for lone in f["lone_reports"]:
            if lone["adopted"] and not lone["flagged_disputed"]:
                bad.append(f"{key}: lone report {lone['value']} adopted without dispute")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--min-precision", type=float, default=0.0)
    parser.add_argument("--min-f1", type=float, default=0.0)
    parser.add_argument("--max-false-flips", type=int, default=1_000_000)
    parser.add_argument(
        "--max-lag",
        type=int,
        default=1_000_000,
        help="reports a transition may wait for (1 = the first or the next)",
    )
    parser.add_argument("--cutoff", default="2026-06-20", help="two-phase replay cut-off date")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    rows = load(args.corpus)
    cutoff = datetime.fromisoformat(args.cutoff).date()
    before = [r for r in rows if datetime.fromisoformat(r["published"]).date() < cutoff]
    rng = random.Random(args.seed)
    held_back = set(rng.sample([r["id"] for r in before], k=round(len(before) * 0.15)))
    results = {}
    for name, phases in (
        ("one cycle", [rows]),
        (
            f"two phases (cut-off {cutoff}, {len(held_back)} items late)",
            [[r for r in before if r["id"] not in held_back], rows],
        ),
    ):
        events = asyncio.run(replay(rows, phases))
        results[name] = evaluate(rows, events)
        report(name, results[name])
    bad = [f"{name}: {b}" for name, r in results.items() for b in failures(r, args)]
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    if bad:
        print("\nBELOW THRESHOLD:\n  " + "\n  ".join(bad))
        return 1
    print("\nall thresholds met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
