"""Matcher throughput: items per second with ~50 storylines on one core.

    .venv/bin/python bench/bench_match.py [--corpus ../shared/corpus/dev.jsonl]
        [--storylines 50] [--rounds 40] [--json bench/out/bench_match.json]

Synthesises ``--storylines`` storylines by varying the real ones (each copy gets
its own id and a few extra made-up phrases per group, so the automaton and
the fuzzy vocabulary grow as they would with more editors' files), then runs
the corpus items (or, without a corpus, a small built-in sample) through
``Matcher.match`` repeatedly. Reports items/s for a cold first pass (empty
fuzzy memo) and for the steady state. A script, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.config.corpus_file import load_corpus  # noqa: E402
from bot.config.storylines import load_storylines  # noqa: E402
from bot.core.items import Entry  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.storyline import Storyline, TermGroup  # noqa: E402

_SAMPLE = [
    ("Judge blocks Pentagon's Anthropic blacklist", "Judge Rita Lin granted an injunction."),
    ("Fable 5 suspended after export directive", "Anthropic disabled Fable 5 and Mythos 5."),
    ("Fable gameplay deep dive", "The reboot is set in Albion a century later."),
    ("World Cup final wraps a record tournament", ""),
]


def synthesise(
    real: list[Storyline], count: int, *, shared_actors: bool = False
) -> list[Storyline]:
    """``count`` storylines: the real ones, then copies of them with their own id,
    a few extra phrases per group and (unless ``shared_actors``) made-up actor
    and subject names, as 50 editors' storylines about different organisations
    would have; party, topic and exclusion vocabulary stays the real one, so
    items still hit many storylines' parties and topics. ``shared_actors`` keeps
    the real actors and subjects in every copy: the worst case, where every item
    about Anthropic hits a third of them."""
    out: list[Storyline] = list(real[:count])
    i = len(out)
    while len(out) < count:
        base = real[i % len(real)]
        extra = (f"term{i}a", f"phrase {i} beta", f"Actor{i}son")

        def vary(
            groups: tuple[TermGroup, ...], n: int = i, extra: tuple[str, ...] = extra
        ) -> tuple[TermGroup, ...]:
            return tuple(
                dataclasses.replace(g, phrases=(*g.phrases, *(f"{p} {n}" for p in extra)))
                for g in groups
            )

        def rename(groups: tuple[TermGroup, ...], n: int = i) -> tuple[TermGroup, ...]:
            return tuple(
                dataclasses.replace(
                    g, phrases=tuple(f"{p.split()[0]}{_letters(n)}" for p in g.phrases)
                )
                for g in groups
            )

        actors = base.match.actors if shared_actors else rename(base.match.actors)
        subjects = base.match.subjects if shared_actors else rename(base.match.subjects)
        rules = dataclasses.replace(
            base.match,
            actors=vary(actors),
            subjects=vary(subjects),
            parties=vary(base.match.parties),
            topics=vary(base.match.topics),
            exclude=vary(base.match.exclude),
        )
        out.append(dataclasses.replace(base, id=f"{base.id}-{i}", match=rules))
        i += 1
    return out


def _letters(n: int) -> str:
    """A short letter suffix per copy ("qb", "qc", …) so names stay words."""
    return "q" + "".join(chr(ord("a") + int(d)) for d in str(n))


def entries(corpus: Path | None) -> list[Entry]:
    if corpus is not None and corpus.exists():
        return sorted(load_corpus(corpus), key=lambda e: e.published)
    now = datetime(2026, 6, 13, tzinfo=UTC)
    return [
        Entry(1, f"s{i}", None, None, t, s, now, now, "sample") for i, (t, s) in enumerate(_SAMPLE)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Matcher throughput benchmark")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/dev.jsonl")
    parser.add_argument("--storylines", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument(
        "--shared-actors",
        action="store_true",
        help="every copy keeps the real actors (worst case: each item hits ~1/3 of them)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench/out/bench_match.json")
    args = parser.parse_args()

    storylines = synthesise(
        load_storylines(ROOT / "storylines"), args.storylines, shared_actors=args.shared_actors
    )
    items = entries(args.corpus)
    started = time.perf_counter()
    matcher = Matcher(storylines)
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    matched = sum(r.matched for e in items for r in matcher.match(e))
    cold = len(items) / (time.perf_counter() - started)

    total = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(args.rounds):
        for entry in items:
            matcher.match(entry)
            total += 1
    elapsed = time.perf_counter() - started
    steady = total / elapsed
    # On a shared machine wall time includes waiting for a core; CPU time does not.
    per_cpu = total / max(time.process_time() - cpu_started, 1e-9)

    result = {
        "storylines": len(storylines),
        "shared_actors": args.shared_actors,
        "items": len(items),
        "rounds": args.rounds,
        "build_seconds": round(build_s, 4),
        "cold_items_per_s": round(cold),
        "items_per_s": round(steady),
        "items_per_cpu_s": round(per_cpu),
        "matches_per_pass": matched,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(
        f"{len(storylines)} storylines, {len(items)} items x {args.rounds} rounds: "
        f"{steady:,.0f} items/s, {per_cpu:,.0f} per CPU second "
        f"(cold first pass {cold:,.0f} items/s; "
        f"build {build_s * 1000:.0f} ms)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
