"""What a news item says about a storyline's facts.

Pure. :func:`read_item` reads only the headline and the first
:data:`LEDE_SENTENCES` sentences of the summary, clause by clause:

1. each clause's phrases are found through the lexicon
   (:mod:`bot.core.reader.phrases`), its events read through the restriction
   model (:mod:`bot.core.reader.events`) and each given a factuality
   (:mod:`bot.core.reader.context`);
2. a fact value is *read* where one of its event rules meets an event, or one of
   its cues is found, with one of the fact's (or value's) subjects in the same
   clause beside it; a restrictive qualifier makes a value its partial form;
3. every reading is kept (:class:`Reading`) with its factuality, but only a
   certain, positive, current one is a :class:`Claim`; a genre marker in the
   headline ("explainer", "a year after", "re-post") makes the whole item
   background, one in the summary the clauses after it, a date more than a week
   old the clause it stands in;
4. when several values are read, the one furthest along the fact's values wins
   (news recaps the past far more than it foretells the future), and a party's
   own stance ("insists", "stands by") is a position, never a claim.

The storyline file knows the story (subjects, values, cues); the lexicon knows
how news is written; this module names no word of either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache

import regex

from bot.core import patterns
from bot.core.fact_kinds import fact_kind
from bot.core.facts import Claim
from bot.core.items import Entry
from bot.core.reader.context import CURRENT, Factuality, Scene, triggers_of
from bot.core.reader.cues import Phrases, cues_of, find_cue, names_pattern, subjects_pattern
from bot.core.reader.events import Event, find_events
from bot.core.reader.language import guess
from bot.core.reader.lexicon import Language, Lexicon, default_lexicon
from bot.core.reader.numbers import with_digits
from bot.core.reader.phrases import (
    Hit,
    Mode,
    PhraseIndex,
    Text,
    build_indexes,
    release_dictionaries,
    token_texts,
)
from bot.core.storyline import FactSpec, FactValueSpec, Storyline
from bot.core.text import normalise_text

STALE_DATE = timedelta(days=7)
_LEAD_WORDS = 4  # a headline fragment that only names the subject
LEDE_SENTENCES = 2

_ABBREVIATIONS = re.compile(
    r"(?:\b(?:[A-Z]|[ap]\.m|U\.S|D\.C|Mr|Mrs|Ms|Dr|Sen|Rep|Gen|Gov|St|Jr|Inc|Corp|Co|No|vs"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*(?=[\"'‘“(\[]?[A-Z0-9•]|[^\x00-\x7f])|\s*•\s*")
_CLAUSE_SPLIT = re.compile(r"\s*(?:[;:、；：]|(?<!\d),|,(?!\d)|\s[—–]\s|\s-\s|\(|\)|[【】])\s*")
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"^\d[\d.,]*$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_ATTRIBUTION = (
    re.compile(
        r"\b(?:according to|per|quoting|as reported by)\s+(?P<who>(?:the\s+)?[A-Z][\w.&'-]*"
        r"(?:\s+(?:[A-Z][\w.&'-]*|of|for|and))*)"
    ),
    re.compile(
        r"(?P<who>(?:the\s+)?[A-Z][\w.&'-]*(?:\s+(?:[A-Z][\w.&'-]*|of|for))*"
        r"(?:\s+(?:officials?|spokes(?:person|man|woman)|lawyers?|attorneys?|executives?))?)\s+"
        r"(?:says|said|confirms|confirmed|reports|reported|announced|announces|told|adds|writes"
        r"|insists|insisted|maintains|maintained|argues|argued|contends|vows|vowed)\b"
    ),
)
_NOT_WHO = {"The", "It", "This", "That", "He", "She", "They", "We", "I", "A", "An", "Sources"}


@dataclass(frozen=True, slots=True)
class Reading:
    """One value an item's clause reads for a fact, and how it is presented:
    ``factuality`` (only certain, positive, current readings are claims),
    ``by`` (the event kind, ``cue:…`` or ``pattern``), ``background`` (a genre
    marker or a stale date makes the clause a retelling) and ``stance`` (a
    party's own position)."""

    fact: str
    value: str
    factuality: Factuality
    evidence: str
    by: str
    background: bool = False
    stance: bool = False

    @property
    def claims(self) -> bool:
        return self.factuality.moves and not self.background and not self.stance

    def why(self) -> str:
        """Why the reading is or is not a claim, for people."""
        if self.background:
            return "background (a retelling: genre marker or an old date)"
        if self.stance:
            return "a party's stance"
        f = self.factuality
        if f.moves:
            return "current"
        cues = f" ({', '.join(f.cues)})" if f.cues else ""
        return f"{f.describe()}{cues}"


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What one item says about a storyline's facts: ``claims`` of the current
    state, ``positions`` (a party's own stance, kept with who said it but never a
    change of state by itself) and every ``reading`` with its factuality."""

    claims: tuple[Claim, ...]
    positions: tuple[Claim, ...]
    readings: tuple[Reading, ...] = ()
    #: The headline marks an explainer or a guide: it tells the state as it
    #: stands when written, so its claims may confirm or advance a fact but never
    #: take it back to an earlier state (a guide read after the story moved on).
    explainer: bool = False


@dataclass(frozen=True, slots=True)
class _Clause:
    text: Text
    hits: tuple[Hit, ...]
    scene: Scene
    events: tuple[Event, ...]
    sentence: str  # the original sentence, for evidence and attribution
    background: bool  # a genre marker came earlier, or the item is a retelling
    stale: bool  # a date more than a week old stands in it
    lang: str | None  # the item's language, when it is clear
    sentence_no: int  # which sentence of the headline and lede
    lead: str = ""  # the clause before it in its sentence, when that one tells no act
    categories: frozenset[str] = frozenset()  # of its hits
    # Where each subjects pattern is found in the clause: many values (and facts)
    # of a storyline share their subjects, so each is searched once per clause.
    _spans: dict[Phrases, tuple[tuple[int, int], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def spans(self, subjects: Phrases) -> tuple[tuple[int, int], ...]:
        """Where ``subjects`` is found in the clause (each match's span)."""
        found = self._spans.get(subjects)
        if found is None:
            found = self._spans[subjects] = subjects.spans(self.text.plain)
        return found


class _Reader:
    """The lexicon compiled for reading (one per lexicon)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.indexes: Mapping[str, PhraseIndex] = build_indexes(lexicon)
        self.months: dict[str, int] = {}
        for lang in lexicon.languages:
            self.months.update({normalise_text(k): v for k, v in lang.months.items()})
        self._found: dict[tuple[str, tuple[str, ...]], tuple[Text, tuple[Hit, ...]]] = {}

    def find(self, clause: str, langs: tuple[str, ...] = ()) -> tuple[Text, tuple[Hit, ...]]:
        """The clause's tokens and phrases, read as written in one of ``langs``
        (English and the scripts written without spaces apply everywhere)."""
        found = self._found.get((clause, langs))
        if found is None:
            if len(self._found) > 16384:
                self._found.clear()
            text = Text(clause)
            # The item's languages first: where two languages write an act alike
            # ("解除" in Chinese and Japanese), the item's own grammar reads it.
            order = sorted(self.indexes, key=lambda code: (code not in langs, code))
            hits = tuple(
                h
                for code in order
                for h in self.indexes[code].find(
                    text, reading=_reading(self.indexes[code].language, langs)
                )
            )
            found = self._found[(clause, langs)] = (text, hits)
        return found

    def language_of(self, sentences: Sequence[str]) -> tuple[str, ...]:
        return guess((w for s in sentences for w in token_texts(s)), self.lexicon)


def _reading(language: Language, langs: tuple[str, ...]) -> Mode:
    """How a language's phrases are read in an item of ``langs`` (none: unknown).
    A script of its own (Chinese, Japanese, Korean) says the language itself."""
    if language.code == "en" or language.code in langs or language.script != "spaced":
        return "active"
    return "uncertain" if not langs else "foreign"


@lru_cache(maxsize=4)
def _reader(lexicon: Lexicon) -> _Reader:
    reader = _Reader(lexicon)
    # Compiling loaded every lexicon language's dictionary; items bring back
    # only their own languages' (a bot reading English news holds 1 MB, not 19).
    release_dictionaries()
    return reader


def prepare_reader(lexicon: Lexicon | None = None) -> None:
    """Load, check and compile the lexicon for reading now, not at the first
    item read: it takes seconds (every lexicon language's lemmatiser
    dictionary), which a running bot pays once at start rather than in its
    first poll."""
    _reader(lexicon or default_lexicon())


def lede_text(entry: Entry) -> list[str]:
    """The headline and the first :data:`LEDE_SENTENCES` sentences of the summary."""
    sentences = [entry.title.strip()] if entry.title.strip() else []
    summary = _SPACES.sub(" ", _TAGS.sub(" ", entry.summary)).strip()
    sentences.extend(_sentences(summary)[:LEDE_SENTENCES])
    return sentences


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    buffer = ""
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[pos : m.start()]
        pos = m.end()
        buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
        if _ABBREVIATIONS.search(buffer):
            continue
        if buffer:
            out.append(buffer)
        buffer = ""
    rest = text[pos:].strip()
    if rest or buffer:
        out.append(f"{buffer} {rest}".strip())
    return [s for s in out if s]


def _clauses(
    reader: _Reader, sentences: Sequence[str], published: datetime, langs: tuple[str, ...]
) -> list[_Clause]:
    lexicon = reader.lexicon
    clauses: list[_Clause] = []
    background = False
    for number, sentence in enumerate(sentences):
        earlier: list[Hit] = []
        parts = [p.strip(" .!?\"'。！？") for p in _CLAUSE_SPLIT.split(sentence)]
        found = [reader.find(part, langs) for part in parts if part]
        if number == 0 and any(h.category == "genres" for _, hits in found for h in hits):
            background = True  # a headline that retells: the whole item
        lead = ""
        for text, hits in found:
            triggers = triggers_of(hits)
            scene = Scene(triggers, tuple(earlier))
            events = find_events(text, hits, scene, lexicon, reader.indexes)
            genre = any(h.category == "genres" for h in hits)
            background = background or genre  # "Recap: …", "The timeline runs from …"
            clauses.append(
                _Clause(
                    text,
                    hits,
                    scene,
                    events,
                    sentence,
                    background,
                    _stale(reader, text, hits, published),
                    langs[0] if len(langs) == 1 else None,
                    number,
                    lead,
                    frozenset(h.category for h in hits),
                )
            )
            # "Pellora, bloqueada", "Aus für Pellora:": a short clause naming the
            # subject without an act lends it to the next one.
            short = sum(1 for t in text.tokens if t.text.isalnum()) <= _LEAD_WORDS
            lead = text.plain if not events and short else ""
            earlier.extend(triggers)
            if genre:
                background = True
    return clauses


def _stale(reader: _Reader, text: Text, hits: Sequence[Hit], published: datetime) -> bool:
    """A date more than a week before ``published`` stands in the clause (not one
    that dates a start: "the case opened on 31 March")."""
    tokens = text.tokens
    started = [h for h in hits if h.category == "started"]
    leads = [h for h in hits if h.category == "month_lead"]

    def dates_a_start(index: int) -> bool:
        return any(0 < index - h.last <= 4 for h in started)

    for i, token in enumerate(tokens):
        month = reader.months.get(token.text)
        if month is not None:
            day = _day(tokens, i)
            if day is not None and not dates_a_start(i):
                try:
                    when = published.replace(month=month, day=day)
                except ValueError:
                    continue
                if when > published + timedelta(days=31):
                    when = when.replace(year=when.year - 1)
                if published - when > STALE_DATE:
                    return True
            elif (
                day is None
                and i + 1 < len(tokens)
                and _YEAR.match(tokens[i + 1].text)
                and not dates_a_start(i)
            ):
                year = int(tokens[i + 1].text)
                end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=published.tzinfo)
                if published - end > STALE_DATE:
                    return True  # "in May 2026", said in July
            elif day is None and any(h.last == i - 1 for h in leads) and len(token.text) > 3:
                year = published.year - (1 if month > published.month else 0)
                end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=published.tzinfo)
                if published - end > STALE_DATE:
                    return True  # "in March", said in May
        elif _YEAR.match(token.text) and int(token.text) < published.year:
            after = tokens[i + 1].text if i + 1 < len(tokens) else ""
            if after in ("%", ".", ",") and i + 2 < len(tokens) and tokens[i + 2].text.isdigit():
                continue
            if after == "%":
                continue
            if not dates_a_start(i):
                return True  # "the March 2023 block", told in 2025
    return False


def _day(tokens: Sequence[object], i: int) -> int | None:
    for j in (i + 1, i - 1):
        if 0 <= j < len(tokens):
            word = tokens[j].text  # type: ignore[attr-defined]
            m = re.match(r"^(\d{1,2})(?:st|nd|rd|th)?$", word)
            if m and 1 <= int(m.group(1)) <= 31:
                return int(m.group(1))
    return None


def _attribution(sentence: str, lede: Sequence[str]) -> str | None:
    """Who the text says makes the claim: the evidence sentence first, then the
    rest of the headline and lede."""
    for text in (sentence, *lede):
        for pattern in _ATTRIBUTION:
            for m in pattern.finditer(text):
                who = m.group("who").strip()
                who = re.sub(r"^(?:the)\s+", "the ", who, flags=re.IGNORECASE)
                if who.split(" ")[0] in _NOT_WHO and len(who.split(" ")) == 1:
                    continue
                return who.rstrip(".,")
    return None


# --- reading an item -----------------------------------------------------------------------


def extract_claims(storyline: Storyline, entry: Entry) -> list[Claim]:
    """What the entry's headline and lede assert as the *current* value of each of
    the storyline's facts: at most one claim per fact, with ``evidence`` (the
    sentence) and ``attribution`` (who the text says claims it) when stated."""
    return list(read_item(storyline, entry).claims)


def read_item(storyline: Storyline, entry: Entry, lexicon: Lexicon | None = None) -> ItemFacts:
    """The entry's claims, positions and readings for each of the storyline's facts."""
    reader = _reader(lexicon or default_lexicon())
    sentences = lede_text(entry)
    langs = reader.language_of(sentences)
    clauses = _clauses(reader, sentences, entry.published, langs)
    others, own = _others_and_own(storyline)
    if others is not None:
        title = normalise_text(entry.title, keep_dashes=True)
        if others.search(title) and not (own and own.search(title)):
            # The whole item is the sibling's story, its later clauses included.
            return ItemFacts((), ())
        clauses = [
            c
            for c in clauses
            if not others.search(c.text.plain) or (own and own.search(c.text.plain))
        ]
    claims: list[Claim] = []
    positions: list[Claim] = []
    readings: list[Reading] = []
    names = _storyline_names(storyline)
    for spec in storyline.facts:
        found = _read_fact(reader, spec, clauses, names)
        readings.extend(found)
        best = _best(spec, found)
        if best is None:
            continue
        claim = Claim(
            storyline=storyline.id,
            fact=spec.id,
            value=best.value,
            published=entry.published,
            source=entry.source,
            item_key=entry.key,
            url=entry.url,
            attribution=_attribution(best.evidence, sentences),
            evidence=best.evidence,
        )
        (positions if best.stance else claims).append(claim)
    explainer = any(
        h.category == "explainers" for c in clauses if c.sentence_no == 0 for h in c.hits
    )
    return ItemFacts(tuple(claims), tuple(positions), tuple(readings), explainer)


def _best(spec: FactSpec, readings: Sequence[Reading]) -> Reading | None:
    """The reading that speaks for the item: of the current ones (a party's
    stance only when nothing else), the one furthest along (by the kind's rank) or the first."""
    usable = [r for r in readings if r.factuality.moves and not r.background]
    if not usable:
        return None
    reports = [r for r in usable if not r.stance] or usable
    rank = fact_kind(spec.kind).rank(spec)
    if not rank:
        return reports[0]
    return max(enumerate(reports), key=lambda p: (rank.get(p[1].value, -1), -p[0]))[1]


_OTHERS: dict[str, tuple[object, Phrases | None, Phrases | None]] = {}


def _others_and_own(storyline: Storyline) -> tuple[Phrases | None, Phrases | None]:
    """A clause naming a sibling story or an excluded name is about that other
    story, unless it names this storyline's own subject too."""
    cached = _OTHERS.get(storyline.id)
    if cached is not None and cached[0] is storyline.match:
        return cached[1], cached[2]
    rules = storyline.match
    others = names_pattern(
        [p for g in rules.exclude for p in g.phrases]
        + [p for s in rules.siblings for p in s.phrases]
    )
    own = names_pattern([p for g in rules.subjects for p in g.phrases])
    _OTHERS[storyline.id] = (rules, others, own)
    return others, own


def _storyline_names(storyline: Storyline) -> tuple[str, ...]:
    """What the storyline is about: its match subjects, else its actors."""
    groups = storyline.match.subjects or storyline.match.actors
    return tuple(p for g in groups for p in g.phrases)


# --- value rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    kinds: frozenset[str]
    negated: bool  # "not pause": a refusal or a negation of the act
    hedged: bool  # "may designate": a threat, a plan, a hedge of the act


@lru_cache(maxsize=1024)
def _rules(value: FactValueSpec, lexicon: Lexicon) -> tuple[_Rule, ...]:
    """The value's event rules: its ``events``, else inferred from its name (a
    value named "blocked" stands for the whole ``stop`` class)."""
    if value.events is not None:
        names = value.events
    else:
        name = normalise_text(value.value)
        if name.startswith(("partially ", "partial ")):
            return ()
        names = tuple(sorted({_inferred(k, lexicon) for k in _kinds_named(name, lexicon)}))
    rules = []
    for raw in names:
        words = normalise_text(raw).split(" ")
        negated = hedged = False
        if words[0] == "not":
            negated, words = True, words[1:]
        elif words[0] == "may":
            hedged, words = True, words[1:]
        rules.append(_Rule(lexicon.expand(" ".join(words)), negated, hedged))
    return tuple(rules)


_BROAD = {"stop", "resume", "designate", "warn", "launch"}


def _inferred(kind: str, lexicon: Lexicon) -> str:
    """The event name a value named after ``kind`` stands for ("blocked" -> the
    whole ``stop`` class; "appealed" -> just ``appeal``)."""
    cls = lexicon.class_of(kind)
    return cls if cls in _BROAD else kind


def _kinds_named(name: str, lexicon: Lexicon) -> set[str]:
    reader = _reader(lexicon)
    _, hits = reader.find(name)
    return {str(h.value) for h in hits if h.category == "event"}


def first_state(spec: FactSpec, lexicon: Lexicon | None = None) -> str | None:
    """The fact's launch value: its first value when that value's events are a
    launch ("available"); reports that the thing is in use claim it."""
    lexicon = lexicon or default_lexicon()
    if not fact_kind(spec.kind).states or not spec.values:
        return None
    first = spec.values[0]
    launch = lexicon.expand("launch")
    rules = [r for r in _rules(first, lexicon) if not r.negated and not r.hedged]
    if rules and all(r.kinds <= launch for r in rules):
        return first.value
    return None


def partial_of(spec: FactSpec, value: FactValueSpec) -> str | None:
    """The value that ``value`` is the restricted form of, if any: its
    ``partial_of``, else ``X`` for a value named ``partially-X``."""
    if value.partial_of:
        return value.partial_of
    m = re.match(r"^partial(?:ly)?[- _](.+)$", value.value)
    if m and any(v.value == m.group(1) for v in spec.values):
        return m.group(1)
    return None


def _subjects(spec: FactSpec, value: FactValueSpec, names: tuple[str, ...]) -> tuple[str, ...]:
    # Values that learn their events from their own name (files without
    # ``events``) need the storyline's own names beside the event instead.
    return value.subject or spec.subject or (names if value.events is None else ())


def _beside(span: tuple[int, int], event: Event) -> bool:
    """The subject at ``span`` is named beside the event: outside it, or inside a
    split phrasal verb ("shut Widget 5 down"), never by the event's own words."""
    start, end = span
    return end <= event.start or start >= event.end or (start > event.start and end < event.end)


def _matches(rule: _Rule, event: Event, lexicon: Lexicon) -> bool:
    if not rule.kinds.intersection(event.readings(lexicon)):
        return False
    f = event.factuality
    if f.time == "past":
        return False
    if rule.negated:
        return f.polarity == "negative" and f.time != "future"
    if rule.hedged:
        return f.hedged
    return f.moves


# --- one fact ------------------------------------------------------------------------------


def _read_fact(
    reader: _Reader, spec: FactSpec, clauses: Sequence[_Clause], names: tuple[str, ...]
) -> list[Reading]:
    lexicon = reader.lexicon
    states = fact_kind(spec.kind).states
    partials = {p: v.value for v in spec.values if (p := partial_of(spec, v))}
    out: list[Reading] = []
    values = [
        (
            value,
            _rules(value, lexicon) if states else (),
            subjects_pattern(_subjects(spec, value, names)),
            cues_of(value.cues),
        )
        for value in spec.values
    ]
    for clause in clauses:
        stance = "stances" in clause.categories
        background = clause.background or (states and clause.stale)
        here: list[Reading] = []
        for value, rules, subjects, cues in values:
            reading = None
            if clause.events:
                spans = clause.spans(subjects) if subjects else ()
                if subjects and not spans and clause.lead and subjects.search(clause.lead):
                    spans = ((-1, -1),)  # named in the act-less clause before it
                reading = _event_reading(rules, clause.events, spans, subjects is not None, lexicon)
            if reading is None or not reading[0].moves:
                places = cues.found(clause.text.plain)
                cue = _cue_reading(reader, places, clause, states) if places else None
                if cue is not None and (reading is None or cue[0].moves):
                    reading = cue
            if reading is None:
                continue
            factuality, by = reading
            name = value.value
            if name in partials and (
                _qualified(spec, clause)
                or (
                    "unrestricted" not in clause.categories
                    and any(
                        _qualified(spec, c)
                        for c in clauses
                        if c.sentence_no == clause.sentence_no and not c.events and c is not clause
                    )
                )
            ):
                name = partials[name]  # "access returns for vetted organisations"
            here.append(Reading(spec.id, name, factuality, clause.sentence, by, background, stance))
        if not states:
            found = _pattern_reading(reader, spec, clause)
            if found is not None:
                here.append(replace(found, background=clause.background, stance=stance))
        moving = {r.value for r in here if r.factuality.moves}
        # "returns for members only": the qualified value wins in its clause
        here = [
            r
            for r in here
            if not any(v != r.value and partials.get(r.value) == v for v in moving)
            and not any(v != r.value and v.endswith("-" + r.value) for v in moving)
        ]
        out.extend(here)
    if states and not any(r.claims for r in out):
        first = first_state(spec, lexicon)
        if first is not None:
            use = _in_use(reader, spec, clauses, names, first)
            if use is not None:
                out.append(use)
    if states:
        # One act told twice ("back … for about 100 organisations"): where any
        # clause qualifies it, the item claims the partial value.
        qualified = {r.value for r in out if r.factuality.moves}
        out = [
            replace(r, value=p) if (p := partials.get(r.value)) in qualified and p else r
            for r in out
        ]
    return out


def _event_reading(
    rules: Sequence[_Rule],
    events: Sequence[Event],
    spans: Sequence[tuple[int, int]],
    need_subject: bool,
    lexicon: Lexicon,
) -> tuple[Factuality, str] | None:
    """The value read from the clause's events: a rule met (a current reading: a
    refusal or a threat the value asks for is a current fact too), else the act
    of the value told as no current fact (a reading that claims nothing)."""
    told: tuple[Factuality, str] | None = None
    for event in events:
        if need_subject and not any(_beside(s, event) for s in spans):
            continue  # the subject must be named beside the event, not by it
        by = event.effect or event.kind
        if any(_matches(r, event, lexicon) for r in rules):
            return replace(CURRENT, cues=event.factuality.cues), by
        if told is None and any(
            r.kinds.intersection(event.readings(lexicon)) and not r.negated and not r.hedged
            for r in rules
        ):
            told = event.factuality, by
    return told


def _cue_reading(
    reader: _Reader, found: Sequence[tuple[str, re.Match[str]]], clause: _Clause, states: bool
) -> tuple[Factuality, str] | None:
    """A cue of the value found in the clause (``found``: each cue found, in the
    value's order), with the factuality of its place. Cues pass the same
    factuality rules as events; a cue that is the object of an act on a
    restriction is read through that act instead."""
    for cue, m in found:
        if _false_friend(reader, m.group(), clause):
            continue
        if any(
            e.effect
            and e.object
            and e.start < m.start() < e.end + 64
            and m.start() >= e.end
            and m.end() <= e.end + len(e.object) + 1
            for e in clause.events
        ):
            continue
        first = clause.text.token_at(m.start())
        last = max(first, clause.text.token_at(max(m.start(), m.end() - 1)))
        factuality = clause.scene.factuality(first, last, own_phrase=m.span())
        if not _penalty_free(reader, clause, first, near=states):
            factuality = replace(
                factuality, certainty="possible", cues=(*factuality.cues, "ceiling")
            )
        return factuality, f"cue:{cue}"
    return None


def _penalty_free(reader: _Reader, clause: _Clause, first: int, *, near: bool) -> bool:
    """A ceiling or a threat ("fines of up to", "on pain of") or an avoided act
    before it make a cue or a captured value no report: near it for a cue, across
    the clause before it for a captured amount (``near``: a cue of a state)."""
    reach = 5 if near else 10_000
    for hit in clause.hits:
        if (
            hit.category in ("ceilings", "avoided")
            and hit.last < first
            and first - hit.last <= reach
        ):
            return False
    return True


def _false_friend(reader: _Reader, word: str, clause: _Clause) -> bool:
    """An English cue that is another common word in the item's language ("con
    fines de", "alla fine", "die Probe") is not the cue there."""
    language = reader.lexicon.language(clause.lang) if clause.lang else None
    return language is not None and word in language.words("false_friends")


def _qualified(spec: FactSpec, clause: _Clause) -> bool:
    """A restrictive qualifier ("only", "for vetted partners", "100 organisations")
    in the clause, and nothing saying the act reaches everyone."""
    hits = clause.hits
    if any(h.category == "unrestricted" for h in hits):
        return False
    if any(h.category == "qualifiers" for h in hits):
        return True
    tokens = clause.text.tokens
    groups = [h for h in hits if h.category == "group_nouns"]
    universal = {h.first for h in hits if h.category == "universal"}
    for group in groups:
        before = range(max(0, group.first - 4), group.first)
        for i in before:
            word = tokens[i].text
            if _NUMBER.match(word) and group.first - i <= 2 and i - 1 not in universal:
                return True  # "100 organisations", "100 vetted partners"
            if word in ("for", "to", "per", "pour", "para", "per", "für", "untuk") and not any(
                j in universal for j in range(i + 1, group.first)
            ):
                return True  # "for vetted partners", not "for all its users"
    if any(
        h.category == "approximators"
        and h.last + 1 < len(tokens)
        and _NUMBER.match(tokens[h.last + 1].text)
        and (h.last + 2 >= len(tokens) or tokens[h.last + 2].text != "%")  # "up to 50%"
        for h in hits
    ):
        return True
    return any(find_cue(q, clause.text.plain) for q in spec.qualifiers)


def _pattern_reading(reader: _Reader, spec: FactSpec, clause: _Clause) -> Reading | None:
    found = _pattern_in(spec, clause.text)
    text = clause.text
    if found is None:
        return None
    pm = found
    captured = _canonical(spec, pm.group("value"), reader.lexicon)
    if not captured:
        return None
    first = text.token_at(pm.start())
    factuality = clause.scene.factuality(first, first, own_phrase=pm.span())
    # Durations are told with "after" ("after an 18-day pause"): only a negation
    # or a hedge keeps a captured value from being a report.
    factuality = replace(factuality, time="current")
    if not _penalty_free(reader, clause, clause.text.token_at(pm.start()), near=False):
        factuality = replace(factuality, certainty="possible", cues=(*factuality.cues, "ceiling"))
    return Reading(spec.id, captured, factuality, clause.sentence, "pattern")


def _pattern_in(spec: FactSpec, text: Text) -> regex.Match[str] | None:
    for pattern in spec.patterns:
        found = patterns.search(pattern, text.plain)  # may raise PatternTimeout
        if found is not None:
            return found
    return None


def _canonical(spec: FactSpec, raw: str, lexicon: Lexicon) -> str | None:
    said = normalise_text(with_digits(normalise_text(raw), lexicon))
    return fact_kind(spec.kind).canonical(said, raw, spec)


def _in_use(
    reader: _Reader,
    spec: FactSpec,
    clauses: Sequence[_Clause],
    names: tuple[str, ...],
    first: str,
) -> Reading | None:
    """Before any event, a report that many use the thing ("1.4 million users",
    "more popular than Wikipedia") is its launch state."""
    value = spec.values[0]
    subjects = subjects_pattern(_subjects(spec, value, names))
    if subjects is not None and not any(c.spans(subjects) for c in clauses):
        return None
    for clause in clauses:
        if clause.background:
            continue  # ("1.4 million users in January" is use, however old)
        tokens = clause.text.tokens
        for hit in clause.hits:
            if hit.category == "popularity" or (
                hit.category == "in_use"
                and any(
                    _NUMBER.match(tokens[i].text) for i in range(max(0, hit.first - 4), hit.first)
                )
            ):
                place = hit.first
            else:
                continue
            factuality = clause.scene.factuality(place, place)
            if factuality.moves:
                return Reading(spec.id, first, factuality, clause.sentence, "in use")
    return None


__all__ = [
    "CURRENT",
    "ItemFacts",
    "Reading",
    "extract_claims",
    "first_state",
    "lede_text",
    "partial_of",
    "read_item",
]
