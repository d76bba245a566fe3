"""Review a storyline before it goes live: warnings about its phrases, and a trial
run over items that shows what it would match and the fact timeline it would
produce. Pure; ``threadline storylines check`` and ``try`` feed it.

Warnings are advice, not errors (the file loads either way):

* a one-word phrase that is a very common word (``commonness`` gives its Zipf
  frequency, e.g. from ``wordfreq``: 6 is "the"-like, 3 is rare); who-and-what
  roles (actors, subjects, parties, siblings) are held to a stricter bar than
  topics, which are expected to be ordinary verbs;
* a phrase found in many of the sample items that the storyline does not match
  (it will pull in unrelated news, or it adds nothing);
* an actor, subject or party phrase that another storyline also uses to say who
  or what it is about (the two will compete for the same items);
* a sibling that names an unknown storyline, or repeats one of the storyline's
  own phrases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.core.facts import Claim, FactView
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.match_result import MatchResult
from bot.core.reader import Reading, read_item
from bot.core.render import published_label
from bot.core.resolve import resolve
from bot.core.storyline import MatchRules, Storyline, TermGroup
from bot.core.text import normalise_text

#: Zipf frequency from which a one-word phrase is "very common" (English "court"
#: is 5.4, "suit" 4.7, "designation" 3.8, "ministry" 4.4).
COMMON_IDENTITY_ZIPF = 4.5
COMMON_TOPIC_ZIPF = 5.5
#: A phrase found in at least this share of the unmatched sample items (and at
#: least MIN_ITEMS of them) is flagged.
FREQUENT_SHARE = 0.1
MIN_ITEMS = 3
_IDENTITY = ("actors", "subjects", "parties")


@dataclass(frozen=True, slots=True)
class Finding:
    """A warning about one place of the file: ``where`` is a field path such as
    ``match.actors[0].phrases[2]`` (the CLI adds the line)."""

    where: tuple[str | int, ...]
    message: str


def review(
    storyline: Storyline,
    others: Sequence[Storyline] = (),
    *,
    commonness: Callable[[str], float] | None = None,
    sample: Sequence[Entry] = (),
) -> list[Finding]:
    """Warnings about ``storyline``'s match phrases; see the module docstring.
    ``others`` are the storylines already live (one with the same id is the
    previous version of this one and is ignored)."""
    findings: list[Finding] = []
    others = [o for o in others if o.id != storyline.id]
    rules = storyline.match
    groups: list[tuple[str, int, TermGroup]] = [
        (role, i, g)
        for role in ("actors", "subjects", "parties", "topics", "boosters", "exclude")
        for i, g in enumerate(getattr(rules, role))
    ]
    groups += [("siblings", i, TermGroup(s.name, s.phrases)) for i, s in enumerate(rules.siblings)]
    theirs: dict[str, str] = {}
    for other in others:
        for role in _IDENTITY:
            for g in getattr(other.match, role):
                for phrase in g.phrases:
                    theirs.setdefault(normalise_text(phrase), other.id)
    unmatched = _unmatched(storyline, sample)
    phrases = [p for _r, _i, g in groups for p in g.phrases]
    counts = _phrase_counts(phrases, unmatched)
    own = {
        normalise_text(p)
        for role in (*_IDENTITY, "topics")
        for g in getattr(rules, role)
        for p in g.phrases
    }
    for role, gi, group in groups:
        shared: dict[str, list[str]] = {}
        for pi, phrase in enumerate(group.phrases):
            where: tuple[str | int, ...] = ("match", role, gi, "phrases", pi)
            key = normalise_text(phrase)
            one_word = " " not in key and key.isascii()
            if commonness is not None and one_word and role not in ("siblings", "exclude"):
                zipf = commonness(key)
                identity = role in _IDENTITY
                # A capitalised name ("Italy") is rarer as a name than its
                # frequency says; only the commonest words are flagged then.
                named = phrase[:1].isupper()
                bar = COMMON_TOPIC_ZIPF if named or not identity else COMMON_IDENTITY_ZIPF
                if zipf >= bar:
                    findings.append(
                        Finding(
                            where,
                            f"{phrase!r} is a very common word (Zipf {zipf:.1f}): "
                            + (
                                "as a name it will match unrelated items; use a longer phrase"
                                if identity
                                else "it says little on its own"
                            ),
                        )
                    )
            if role in _IDENTITY and key in theirs:
                shared.setdefault(theirs[key], []).append(phrase)
            if role == "siblings" and key in own:
                findings.append(
                    Finding(where, f"sibling phrase {phrase!r} is also one of this storyline's own")
                )
            if unmatched and one_word and role not in ("siblings", "exclude"):
                hits = counts.get(key, 0)
                if hits >= MIN_ITEMS and hits >= FREQUENT_SHARE * len(unmatched):
                    findings.append(
                        Finding(
                            where,
                            f"{phrase!r} appears in {hits} of {len(unmatched)} sample items "
                            "this storyline does not match: too generic to tell its items apart",
                        )
                    )
        for other_id, phrases in shared.items():
            listed = ", ".join(repr(p) for p in phrases[:4]) + (" …" if len(phrases) > 4 else "")
            findings.append(
                Finding(
                    ("match", role, gi),
                    f"{len(phrases)} phrase(s) ({listed}) also name storyline {other_id!r}: "
                    "items naming only these will be decided by the storylines' subjects "
                    "(add `subjects`, or `siblings` with that storyline)",
                )
            )
    known = {o.id for o in others}
    for i, sibling in enumerate(rules.siblings):
        if sibling.storyline is not None and sibling.storyline not in known:
            findings.append(
                Finding(
                    ("match", "siblings", i, "storyline"),
                    f"sibling storyline {sibling.storyline!r} is not defined "
                    f"(known: {', '.join(sorted(known)) or 'none'})",
                )
            )
        if sibling.instead_of is not None and not getattr(rules, sibling.instead_of):
            findings.append(
                Finding(
                    ("match", "siblings", i, "instead_of"),
                    f"the storyline has no {sibling.instead_of}: this sibling wins every item "
                    "that names it",
                )
            )
        if sibling.storyline == storyline.id:
            findings.append(
                Finding(("match", "siblings", i, "storyline"), "a storyline is not its own sibling")
            )
    if not rules.subjects:
        findings.append(
            Finding(
                ("match",),
                "no `subjects`: items that name only a court, an official or the other "
                "party, and commentary without the storyline's verbs, will not match",
            )
        )
    return findings


def _unmatched(storyline: Storyline, sample: Sequence[Entry]) -> list[Entry]:
    if not sample:
        return []
    matcher = Matcher([storyline])
    return [e for e in sample if not matcher.match(e)[0].matched]


def _phrase_counts(phrases: Sequence[str], entries: Sequence[Entry]) -> dict[str, int]:
    """In how many ``entries`` each phrase occurs, found exactly as the matcher
    finds phrases (word boundaries where the script has them): each phrase is a
    subject group of a probe storyline."""
    if not entries or not phrases:
        return {}
    keys = sorted({normalise_text(p) for p in phrases} - {""})
    probe = Storyline(
        id="probe",
        title="probe",
        description="",
        status="open",
        match=MatchRules(
            actors=(),
            topics=(),
            subjects=tuple(TermGroup(f"p{i}", (k,), fuzzy=False) for i, k in enumerate(keys)),
        ),
        facts=(),
    )
    matcher = Matcher([probe])
    counts: dict[str, int] = {}
    for e in entries:
        for key in {r.found for r in matcher.match(e)[0].reasons}:
            counts[key] = counts.get(key, 0) + 1
    return counts


# --- trial ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrialItem:
    entry: Entry
    result: MatchResult
    claims: tuple[Claim, ...]
    #: Other storylines that also matched, and ones that took the item from it.
    also: tuple[str, ...] = ()
    #: Every value the item reads, with its factuality (claims or not, and why).
    readings: tuple[Reading, ...] = ()


@dataclass(slots=True)
class Trial:
    storyline: Storyline
    items: list[TrialItem] = field(default_factory=list)
    #: Near misses: items that named the storyline but scored too low or lost a rule.
    near: list[TrialItem] = field(default_factory=list)
    #: Per fact id, each state the timeline went through, oldest first, with
    #: the claim that moved it there.
    timelines: dict[str, list[tuple[FactView, Claim]]] = field(default_factory=dict)
    scanned: int = 0


def trial(
    storyline: Storyline, entries: Sequence[Entry], others: Sequence[Storyline] = ()
) -> Trial:
    """Run ``storyline`` (beside the live ``others``, so closer storylines and
    siblings act as they will) over ``entries`` in publication order: the items
    it matches with their score and reasons, its near misses, and the fact
    timeline its matches produce (``extract_claims`` then ``resolve`` after each
    claim, as the poll cycle does, without seeded history)."""
    live = [o for o in others if o.id != storyline.id]
    matcher = Matcher([storyline, *live])
    report = Trial(storyline)
    claims: dict[str, list[Claim]] = {f.id: [] for f in storyline.facts}
    timelines: dict[str, list[tuple[FactView, Claim]]] = {f.id: [] for f in storyline.facts}
    for entry in sorted(entries, key=lambda e: (e.published, e.key)):
        report.scanned += 1
        results = matcher.match(entry)
        mine = next((r for r in results if r.storyline == storyline.id), None)
        if mine is None:  # a closed storyline matches nothing
            continue
        also = tuple(r.storyline for r in results if r.matched and r.storyline != storyline.id)
        if not mine.matched:
            # Near: what the rules took away (a sibling's penalty, a closer
            # storyline, since) or a score not far below the threshold.
            before_rules = mine.score - sum(
                x.weight for x in mine.reasons if x.group.startswith("sibling:")
            )
            ruled = any(x.note and not x.group.startswith("sibling:") for x in mine.reasons)
            if ruled or before_rules >= storyline.match.threshold * 0.75:
                report.near.append(TrialItem(entry, mine, (), also))
            continue
        read = read_item(storyline, entry)
        found = read.claims
        report.items.append(TrialItem(entry, mine, found, also, read.readings))
        for claim in found:
            claims[claim.fact].append(claim)
            view = resolve(storyline.fact(claim.fact), claims[claim.fact], storyline=storyline)
            states = timelines[claim.fact]
            last = states[-1][0] if states else None
            if view.value is not None and (
                last is None or (last.value, last.disputed) != (view.value, view.disputed)
            ):
                states.append((view, claim))
    report.timelines = timelines
    return report


def format_trial(report: Trial, *, reasons: bool = True) -> str:
    """The trial as text: matched items (date, score, title, source, reasons,
    claims), near misses, then each fact's timeline: every change of state (or
    of its disputed flag) with the claim that caused it."""
    s = report.storyline
    lines = [
        f"{s.id}: {len(report.items)} of {report.scanned} items would match "
        f"(threshold {s.match.threshold:g})"
    ]
    for item in report.items:
        lines.append("")
        lines.append(_item_line(item))
        if reasons:
            lines.extend(f"    {r.describe()}" for r in item.result.reasons if r.weight or r.note)
        for c in item.claims:
            who = f" ({c.attribution})" if c.attribution else ""
            lines.append(f"    claims {c.fact} = {c.value}{who}")
        claimed = {(c.fact, c.value) for c in item.claims}
        for r in item.readings:
            if (r.fact, r.value) not in claimed and reasons:
                lines.append(f"    reads {r.fact} = {r.value}, no claim: {r.why()}")
        if item.also:
            lines.append(f"    also matches: {', '.join(item.also)}")
    if report.near:
        lines.append("")
        lines.append(f"Near misses ({len(report.near)}):")
        for item in report.near:
            lines.append(_item_line(item))
            if reasons:
                lines.extend(f"    {r.describe()}" for r in item.result.reasons if r.note)
    lines.append("")
    lines.append("Fact timelines (without seeded history):")
    if not s.facts:
        lines.append("  (no facts defined)")
    for spec in s.facts:
        states = report.timelines.get(spec.id, [])
        lines.append(f"  {spec.label} ({spec.id}):")
        if not states:
            lines.append("    no reports")
        for view, cause in states:
            said = f"{spec.value_label(cause.value)} — {cause.who}"
            if not view.disputed:
                state = f"{spec.value_label(view.value)} — {view.source}"
            elif cause.value == view.value:
                state = f"{spec.value_label(view.value)}, disputed ({said})"
            else:
                state = f"{spec.value_label(view.value)}, disputed by: {said}"
            lines.append(f"    {cause.published:%Y-%m-%d}  {state}")
    return "\n".join(lines)


def trial_json(report: Trial) -> dict[str, object]:
    """The trial as plain data (``storylines try --json``): each matched item
    with its score, reasons and every reading (value, polarity, certainty,
    time, whether it claims and why), the near misses, and each fact's timeline."""

    def item(i: TrialItem) -> dict[str, object]:
        e = i.entry
        return {
            "title": e.title,
            "url": e.url,
            "source": e.source,
            "published": e.published.isoformat(),
            "date_was_replaced": e.date_was_replaced,
            "matched": i.result.matched,
            "score": round(i.result.score, 2),
            "reasons": [r.describe() for r in i.result.reasons if r.weight or r.note],
            "also": list(i.also),
            "claims": [
                {
                    "fact": r.fact,
                    "value": r.value,
                    "polarity": r.factuality.polarity,
                    "certainty": r.factuality.certainty,
                    "time": r.factuality.time,
                    "claim": (r.fact, r.value) in {(c.fact, c.value) for c in i.claims},
                    "why": r.why(),
                    "by": r.by,
                    "cues": list(r.factuality.cues),
                    "evidence": r.evidence,
                }
                for r in i.readings
            ],
        }

    return {
        "storyline": report.storyline.id,
        "scanned": report.scanned,
        "items": [item(i) for i in report.items],
        "near_misses": [item(i) for i in report.near],
        "timelines": {
            fact: [
                {
                    "value": view.value,
                    "disputed": view.disputed,
                    "since": cause.published.isoformat(),
                    "source": cause.who,
                }
                for view, cause in states
            ]
            for fact, states in report.timelines.items()
        },
    }


def _item_line(item: TrialItem) -> str:
    e = item.entry
    line = f"  {e.published:%Y-%m-%d} [{item.result.score:5.1f}] {e.title} — {e.source}" + (
        f"  {e.url}" if e.url else ""
    )
    if e.date_was_replaced:
        # Its place in the timeline is when the bot first saw it, not the outlet's date.
        line += f"\n    date: {published_label(e)}"
    return line


def format_findings(
    findings: Sequence[Finding], line_of: Callable[[tuple[str | int, ...]], int | None]
) -> str:
    """One line per warning: ``line N: field.path: message``."""
    out = []
    for f in findings:
        line = line_of(f.where)
        at = f"line {line}: " if line else ""
        out.append(f"  warning: {at}{_path(f.where)}: {f.message}")
    return "\n".join(out)


def _path(where: tuple[str | int, ...]) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
