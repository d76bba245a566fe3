"""Accuracy of the real pipeline on a labelled corpus.

Serves the corpus as RSS feeds on 127.0.0.1 (one feed per ``source_domain``, items in
publication order), runs ``threadline run --once --no-seeded-history`` into a temporary
SQLite database and reads the audit log. Prints, per storyline, precision / recall / F1
(``ambiguous`` items excluded) with misses and false hits by id, and for each tracked
fact the detected transitions against the true timeline, false flips, lone reports and
how many reports each transition took. Replays twice: all at once, then in two phases
(items before a cut-off date minus a random 15 %, then everything), so late arrivals of
old articles are exercised. Exits 1 when a ``--min-*`` threshold is not met.

Several corpora may be given (their items are merged in time order), and
``--storylines`` may name other directories or single storyline files (for
example an admin's untuned file), used instead of ``storylines/``. The scored
storylines are those the corpus labels; the true order of a required fact's
values is FACTS.md's for the two shipped storylines, else the order in which
labelled items first report each value (values only one item reports are lone
reports, never transitions).

``--core`` scores the core alone, in seconds rather than a minute: every item
read by the product's corpus reader (``bot.config.corpus_file``) and decided at
once, in publication order, by ``bot.core.decide.decide`` (what each poll cycle
runs), with no feed server, parser, database or seeded history; the same audit
events are scored the same way. A replay decides feed by feed as the feeds
answer, so its numbers may differ a little: the thresholds of CI apply to the
replay (the default), and the test suite holds the core to them with ``--core``.

Time-ordered folds (``--folds K``, default 3): the corpus is cut by publication
time into K parts; the bot replays everything in order (later items need the
earlier ones as context) and each part is scored on its own. Storyline rules
and phrases may be decided only while looking at the first part; the later
parts are the honest numbers, reported beside the whole-corpus ones.

    python bench/eval_corpus.py ../shared/corpus/dev.jsonl [corpus/extra.jsonl]
        [--storylines DIR_OR_FILE ...] [--core] [--folds 3] [--json-out results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bot.config.corpus_file import load_corpus  # noqa: E402
from bot.config.storylines import load_storylines  # noqa: E402
from bot.core.amounts import canonical_amount, same_amount  # noqa: E402
from bot.core.decide import decide  # noqa: E402
from bot.core.match import Matcher  # noqa: E402

# The true order of states of the required facts (../shared/corpus/FACTS.md).
KNOWN_TIMELINES = {
    "fable-suspension.access_status": ["available", "suspended", "partially-restored", "restored"],
    "dod-dispute.designation_status": ["threatened", "designated", "blocked", "partially-blocked"],
}
# Keyword filters of the kind RSS bots offer, as the baseline to beat.
BASELINE = {
    "fable-suspension": lambda text: "fable" in text,
    "dod-dispute": lambda text: "pentagon" in text or "supply chain" in text,
}


def load(paths: list[Path]) -> list[dict[str, Any]]:
    rows = [
        json.loads(line)
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return sorted(rows, key=lambda r: datetime.fromisoformat(r["published"]))


def relabel(rows: list[dict[str, Any]], pairs: list[str]) -> list[dict[str, Any]]:
    """Items labelled ``LABEL`` are scored against storyline ``ID`` (``LABEL=ID``): a
    storyline rewritten under another id is measured on the same labels."""
    mapping = dict(pair.split("=", 1) for pair in pairs)

    def renamed(key: str) -> str:
        storyline, _, fact = key.partition(".")
        return f"{mapping.get(storyline, storyline)}.{fact}" if fact else key

    for row in rows:
        row["storyline"] = mapping.get(row["storyline"], row["storyline"])
        for field in ("facts", "recap_of"):
            if isinstance(row.get(field), dict):
                row[field] = {renamed(k): v for k, v in row[field].items()}
    return rows


def same_value(labelled: str | None, claimed: str) -> bool:
    """The bot's value equals the label, sums of money compared as the bot compares
    them ("15 Millionen Euro" is "€15 million")."""
    if labelled is None:
        return False
    canonical = canonical_amount(labelled)
    return labelled == claimed or (canonical is not None and same_amount(canonical, claimed))


def labelled_storylines(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({r["storyline"] for r in rows} - {"none", "ambiguous"})


def true_timelines(
    rows: list[dict[str, Any]], required: dict[str, list[str]]
) -> dict[str, list[str]]:
    """``storyline.fact`` -> its values in true order, for each required fact of a
    labelled storyline: FACTS.md's for the shipped ones, else the order in which
    labelled items first report each value (a value one item reports is a lone
    report, not a transition)."""
    out: dict[str, list[str]] = {}
    for storyline in labelled_storylines(rows):
        for fact in required.get(storyline, []):
            key = f"{storyline}.{fact}"
            if key in KNOWN_TIMELINES:
                out[key] = KNOWN_TIMELINES[key]
                continue
            counts: dict[str, int] = defaultdict(int)
            order: list[str] = []
            for r in rows:
                value = r.get("facts", {}).get(key)
                if value is None:
                    continue
                counts[str(value)] += 1
                if str(value) not in order:
                    order.append(str(value))
            out[key] = [v for v in order if counts[v] > 1]
    return out


def gather_storylines(sources: list[Path], into: Path) -> dict[str, list[str]]:
    """Copy the storyline files of ``sources`` (directories or files) into ``into``;
    returns each storyline's required facts (the files are validated on the way)."""
    into.mkdir(parents=True, exist_ok=True)
    for source in sources:
        files = (
            sorted([*source.glob("*.yaml"), *source.glob("*.yml")]) if source.is_dir() else [source]
        )
        for f in files:
            shutil.copy(f, into / f.name)
    return {s.id: [f.id for f in s.facts if f.required] for s in load_storylines(into)}


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
        str(workdir / "storylines"),
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
    rows: list[dict[str, Any]], phases: list[list[dict[str, Any]]], storylines: Path
) -> list[dict[str, Any]]:
    domains: dict[str, str] = {}
    for r in rows:
        domains.setdefault(r["source_domain"], r["source"])
    server = CorpusServer()
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copytree(storylines, work / "storylines")
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


def decide_in_core(corpora: list[Path], storylines: Path) -> list[dict[str, Any]]:
    """The audit events of ``--core``: the corpora's items decided at once by
    the core, as a first cycle with no history and no channel would be."""
    known = load_storylines(storylines)
    entries = [entry for path in corpora for entry in load_corpus(path)]
    decision = decide(
        entries,
        storylines=[s for s in known if s.status == "open"],
        matcher=Matcher(known),
        claims={},
        states={},
        subscriptions=[],
        recent=[],
        backlog_feeds=frozenset(),
    )
    return decision.audit


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_matching(
    rows: list[dict[str, Any]], predicted: dict[str, set[str]], storylines: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in storylines:
        tp = fp = fn = 0
        misses, false_hits = [], []
        base = [0, 0, 0]
        for r in rows:
            if r["storyline"] == "ambiguous":
                continue
            truth = r["storyline"] == s
            hit = s in predicted.get(r["id"], set())
            text = f"{r['title']} {r.get('summary') or ''}".lower().replace("-", " ")
            kw = BASELINE[s](text) if s in BASELINE else False
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
            "items": tp + fn,
            "misses": misses,
            "false_hits": false_hits,
            "baseline_f1": prf(*base)[2] if s in BASELINE else None,
        }
    return out


def score_facts(
    rows: list[dict[str, Any]],
    events: list[dict[str, Any]],
    timelines: dict[str, list[str]],
    window: set[str] | None = None,
) -> dict[str, Any]:
    """Fact scores; with ``window`` (item ids), only the changes made by those
    items and the transitions first reported by one of them."""
    by_id = {r["id"]: r for r in rows}
    order = {r["id"]: i for i, r in enumerate(rows)}
    scored = {k.split(".", 1)[0] for k in timelines}
    reporters: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for key, value in r["facts"].items():
            reporters[key][canonical_amount(str(value)) or str(value)].append(r["id"])
    keys = sorted({k for k in reporters if k.split(".", 1)[0] in scored} | set(timelines))
    out: dict[str, Any] = {}
    changes = [e for e in events if e["event"] == "fact.changed"]
    for key in keys:
        storyline, fact = key.split(".", 1)
        mine = [e for e in changes if e["storyline"] == storyline and e["fact"] == fact]
        false_flips, lone, detected = [], [], []
        for e in mine:
            item = by_id.get(e["item"]["guid"])
            in_window = window is None or e["item"]["guid"] in window
            asserted = str(item["facts"].get(key)) if item and key in item["facts"] else None
            claimed = str(e.get("claimed", e["new"]))
            if not same_value(asserted, claimed) and in_window:
                false_flips.append(
                    {
                        "item": e["item"]["guid"],
                        "claimed": claimed,
                        "labelled": asserted,
                        "new": e["new"],
                    }
                )
            reported = reporters[key].get(claimed, []) or reporters[key].get(
                claimed.lstrip("€$£"), []
            )
            if len(reported) <= 1 and in_window:
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
        for value in timelines.get(key, []):
            reports = sorted(reporters[key].get(value, []), key=order.__getitem__)
            if window is not None and not (reports and reports[0] in window):
                continue
            first = next((d for d in detected if d["value"] == value), None)
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


def evaluate(
    rows: list[dict[str, Any]],
    events: list[dict[str, Any]],
    timelines: dict[str, list[str]],
    window: set[str] | None = None,
) -> dict[str, Any]:
    predicted: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e["event"] == "item.matched":
            predicted[e["item"]["guid"]].add(e["storyline"])
    scored_rows = rows if window is None else [r for r in rows if r["id"] in window]
    return {
        "matching": score_matching(scored_rows, predicted, labelled_storylines(rows)),
        "facts": score_facts(rows, events, timelines, window),
    }


def folds(rows: list[dict[str, Any]], k: int, storyline: str) -> list[tuple[str, set[str]]]:
    """``k`` time-ordered parts of the storyline's labelled items, each with every
    other item published in the same span, named by their date range."""
    mine = [r for r in rows if r["storyline"] == storyline]
    size = -(-len(mine) // k)
    out = []
    for i in range(k):
        part = mine[i * size : (i + 1) * size]
        if not part:
            continue
        start = part[0]["published"] if i else rows[0]["published"]
        last = i == k - 1 or (i + 1) * size >= len(mine)
        end = rows[-1]["published"] if last else mine[(i + 1) * size]["published"]
        window = {
            r["id"]
            for r in rows
            if _when(start) <= _when(r["published"])
            and (_when(r["published"]) < _when(end) or (last and r["published"] == end))
        }
        out.append((f"part {i + 1}/{k} {start[:10]}..{part[-1]['published'][:10]}", window))
    return out


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def report(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name}")
    print(f"{'storyline':<18} {'P':>6} {'R':>6} {'F1':>6} {'items':>6} {'keyword F1':>11}")
    for s, m in result["matching"].items():
        base = "" if m["baseline_f1"] is None else f"{m['baseline_f1']:11.3f}"
        print(
            f"{s:<18} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}"
            f" {m['items']:6d} {base}"
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


def summary(
    name: str, result: dict[str, Any], timelines: dict[str, list[str]], only: str | None = None
) -> str:
    """One line per storyline: matching and fact-tracking numbers."""
    lines = []
    for s, m in result["matching"].items():
        if only is not None and s != only:
            continue
        keys = [k for k in timelines if k.startswith(s + ".")]
        found = sum(
            1
            for k in keys
            for t in result["facts"][k]["transitions"]
            if t["detected"] and (t["lag_reports"] or 0) <= 1
        )
        total = sum(len(result["facts"][k]["transitions"]) for k in keys)
        flips = sum(
            len(f["false_flips"]) for k, f in result["facts"].items() if k.startswith(s + ".")
        )
        lone = [x for k in keys for x in result["facts"][k]["lone_reports"]]
        lone_text = "".join(
            f"; lone {x['value']!r} {'disputed' if x['flagged_disputed'] else 'NOT disputed'}"
            f"{', ADOPTED' if x['adopted'] else ''}"
            for x in lone
        )
        lines.append(
            f"  {s:<18} {name:<36} P {m['precision']:.3f} R {m['recall']:.3f}"
            f" F1 {m['f1']:.3f} ({m['items']:>3} items)  transitions {found}/{total} in time"
            f"  false flips {flips}{lone_text}"
        )
    return "\n".join(lines)


def failures(
    result: dict[str, Any], args: argparse.Namespace, timelines: dict[str, list[str]]
) -> list[str]:
    bad = []
    for s, m in result["matching"].items():
        if m["precision"] < args.min_precision:
            bad.append(f"{s} precision {m['precision']:.3f} < {args.min_precision}")
        if m["f1"] < args.min_f1:
            bad.append(f"{s} F1 {m['f1']:.3f} < {args.min_f1}")
    for key in timelines:
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


def replays(
    rows: list[dict[str, Any]], storylines: Path, cutoff_text: str | None, seed: int
) -> list[tuple[str, Callable[[], list[dict[str, Any]]]]]:
    """The two replays through the real pipeline, each as (name, run): all at
    once, then in two phases around ``cutoff_text`` (default: the median item's
    day) with a random 15 % of the earlier items held back to the second."""
    cutoff = (
        datetime.fromisoformat(cutoff_text).date()
        if cutoff_text
        else datetime.fromisoformat(rows[len(rows) // 2]["published"]).date()
    )
    before = [r for r in rows if datetime.fromisoformat(r["published"]).date() < cutoff]
    rng = random.Random(seed)
    held_back = set(rng.sample([r["id"] for r in before], k=round(len(before) * 0.15)))
    return [
        (name, lambda phases=phases: asyncio.run(replay(rows, phases, storylines)))
        for name, phases in (
            ("one cycle", [rows]),
            (
                f"two phases (cut-off {cutoff}, {len(held_back)} items late)",
                [[r for r in before if r["id"] not in held_back], rows],
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, nargs="+", help="labelled JSONL file(s)")
    parser.add_argument(
        "--storylines",
        type=Path,
        action="append",
        help="storyline directory or file (repeatable; default: storylines/)",
    )
    parser.add_argument(
        "--relabel",
        action="append",
        default=[],
        metavar="LABEL=ID",
        help="score items labelled LABEL against storyline ID (a rewritten file, say "
        "chatgpt-italy=chatgpt-italy-v2; repeatable)",
    )
    parser.add_argument("--min-precision", type=float, default=0.0)
    parser.add_argument("--min-f1", type=float, default=0.0)
    parser.add_argument("--max-false-flips", type=int, default=1_000_000)
    parser.add_argument(
        "--max-lag",
        type=int,
        default=1_000_000,
        help="reports a transition may wait for (1 = the first or the next)",
    )
    parser.add_argument(
        "--core",
        action="store_true",
        help="score the core alone (one decision, no feeds or database): seconds, not a minute",
    )
    parser.add_argument("--cutoff", help="two-phase replay cut-off date (default: the median item)")
    parser.add_argument("--folds", type=int, default=3, help="time-ordered parts scored apart")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    rows = relabel(load(args.corpus), args.relabel)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = Path(tmp) / "storylines"
        required = gather_storylines(args.storylines or [REPO / "storylines"], chosen)
        timelines = true_timelines(rows, required)
        runs = [("core, one decision", lambda: decide_in_core(args.corpus, chosen))]
        if not args.core:
            runs = replays(rows, chosen, args.cutoff, args.seed)
        results: dict[str, Any] = {}
        lines = []
        for name, run in runs:
            events = run()
            short = name.split(" (")[0]
            results[name] = evaluate(rows, events, timelines)
            report(name, results[name])
            lines.append(summary(f"{short}: all", results[name], timelines))
            for storyline in labelled_storylines(rows):
                for part, window in folds(rows, args.folds, storyline)[1:]:
                    scored = evaluate(rows, events, timelines, window)
                    results[f"{name}: {storyline} {part}"] = scored
                    lines.append(summary(f"{short}: {part}", scored, timelines, storyline))
    print("\n== summary (the later parts were not looked at while tuning)")
    print("\n".join(lines))
    bad = [
        f"{name}: {b}"
        for name, r in results.items()
        if ": part" not in name
        for b in failures(r, args, timelines)
    ]
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    if bad:
        print("\nBELOW THRESHOLD:\n  " + "\n  ".join(bad))
        return 1
    print("\nall thresholds met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
