"""One-line probes of fact reading for two made-up storylines, in ten languages (issue 15).

The storylines (``tests/data/probes/storylines``) were written from the README alone, as a
new admin would; the probes (``tests/data/probes/probes.yaml``) were labelled by hand
before the reader was run on them (see ``tests/data/probes/README.md``). Each probe is one
item: the value of its storyline's required enum fact that the headline presents as
current on its date, or ``null`` where a careful editor would record nothing
(retrospectives, plans, requests, hedges, negations, procedure).

``pytest -s`` prints the score per language and per class.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from bot.config.storylines import load_storylines
from bot.core.items import Entry
from bot.core.reader import read_item
from bot.core.storyline import FactSpec, Storyline

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes"
LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "zh", "ja", "ko", "id")
CLASSES = (
    "plain",
    "restriction",
    "retrospective",
    "modality",
    "negation",
    "court",
    "vocabulary",
    "numbers",
)
OVERALL = 0.95
PER_LANGUAGE = 0.9


@dataclass(frozen=True)
class Probe:
    id: str
    storyline: str
    lang: str
    cls: str
    title: str
    summary: str
    published: datetime
    expect: str | None


@dataclass(frozen=True)
class Reading:
    probe: Probe
    got: tuple[str, ...]

    @property
    def right(self) -> bool:
        want = () if self.probe.expect is None else (self.probe.expect,)
        return self.got == want


def _storylines() -> dict[str, Storyline]:
    return {s.id: s for s in load_storylines(PROBES / "storylines")}


def _probes() -> list[Probe]:
    raw = yaml.safe_load((PROBES / "probes.yaml").read_text(encoding="utf-8"))["probes"]
    return [
        Probe(
            id=p["id"],
            storyline=p["storyline"],
            lang=p["lang"],
            cls=p["class"],
            title=p["title"],
            summary=p.get("summary") or "",
            published=datetime.fromisoformat(p["published"]),
            expect=p["expect"],
        )
        for p in raw
    ]


def _required_enum(storyline: Storyline) -> FactSpec:
    (fact,) = [f for f in storyline.facts if f.required and f.kind == "enum"]
    return fact


def _entry(probe: Probe) -> Entry:
    source = f"{probe.lang}.probes.example"
    return Entry(
        feed_id=1,
        key=f"probe:{probe.id}",
        guid=None,
        url=f"https://{source}/{probe.id}",
        title=probe.title,
        summary=probe.summary,
        published=probe.published,
        first_seen=probe.published,
        source=source,
    )


def _read(storylines: dict[str, Storyline], probe: Probe) -> Reading:
    storyline = storylines[probe.storyline]
    fact = _required_enum(storyline).id
    facts = read_item(storyline, _entry(probe))
    got = tuple(sorted({c.value for c in facts.claims if c.fact == fact}))
    return Reading(probe, got)


def _table(readings: list[Reading], key: str, order: tuple[str, ...]) -> list[str]:
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in readings:
        k = r.probe.lang if key == "lang" else r.probe.cls
        total[k] += 1
        right[k] += r.right
    rows = [f"{key:<14} {'right':>5} {'of':>4} {'share':>6}"]
    rows += [
        f"{k:<14} {right[k]:>5} {total[k]:>4} {right[k] / total[k]:>6.1%}"
        for k in order
        if total[k]
    ]
    return rows


def _report(readings: list[Reading]) -> str:
    wrong = [r for r in readings if not r.right]
    right = len(readings) - len(wrong)
    lines = [f"probes read right: {right} of {len(readings)} ({right / len(readings):.1%})", ""]
    lines += [*_table(readings, "lang", LANGUAGES), ""]
    lines += [*_table(readings, "class", CLASSES), ""]
    lines.append(f"wrong ({len(wrong)}): id, lang, class, expected, got, headline")
    lines += [
        f"  {r.probe.id:<6} {r.probe.lang:<3} {r.probe.cls:<13} "
        f"{r.probe.expect or 'null':<19} {'/'.join(r.got) or 'null':<19} {r.probe.title}"
        for r in wrong
    ]
    return "\n".join(lines)


def test_the_probe_storylines_load_and_every_expectation_is_a_value_of_their_fact() -> None:
    storylines = _storylines()
    assert set(storylines) == {"pellora-ban", "lumadrift-block"}
    probes = _probes()
    assert len({p.id for p in probes}) == len(probes)
    for p in probes:
        assert p.lang in LANGUAGES, p.id
        assert p.cls in CLASSES, p.id
        assert p.published.utcoffset() is not None, p.id
        values = {v.value for v in _required_enum(storylines[p.storyline]).values}
        assert p.expect is None or p.expect in values, p.id


def test_there_are_at_least_twenty_probes_in_each_language() -> None:
    per_language: dict[str, int] = defaultdict(int)
    for p in _probes():
        per_language[p.lang] += 1
    assert {lang: per_language[lang] >= 20 for lang in LANGUAGES} == dict.fromkeys(
        LANGUAGES, True
    ), dict(per_language)


def test_one_line_probes_are_read_right_in_every_language() -> None:
    storylines = _storylines()
    readings = [_read(storylines, p) for p in _probes()]
    report = _report(readings)
    print("\n" + report)  # the score table, shown by ``pytest -s``
    overall = sum(r.right for r in readings) / len(readings)
    per_language = {
        lang: sum(r.right for r in readings if r.probe.lang == lang)
        / sum(1 for r in readings if r.probe.lang == lang)
        for lang in LANGUAGES
    }
    low = {lang: f"{share:.1%}" for lang, share in per_language.items() if share < PER_LANGUAGE}
    assert overall >= OVERALL and not low, (
        f"overall {overall:.1%} (needs {OVERALL:.0%}); languages under {PER_LANGUAGE:.0%}: "
        f"{low}\n{report}"
    )
