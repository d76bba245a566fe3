"""A storyline as its file defines it: the terms that match it and the facts it tracks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class TermGroup:
    """Named set of phrases; any phrase (or a close misspelling) is a hit for the group."""

    name: str
    phrases: tuple[str, ...]
    fuzzy: bool = True


@dataclass(frozen=True, slots=True)
class Sibling:
    """A neighbouring story whose items this storyline must not take: the same
    kind of event about another country, another product, another case.

    ``phrases`` name what tells the sibling apart ("South Korea", "GPT-5.6");
    ``storyline`` names another storyline file that covers it, whose matches win
    over this one's when both match and it scores higher.
    """

    name: str
    phrases: tuple[str, ...] = ()
    storyline: str | None = None
    description: str = ""
    #: What the sibling names in place of this storyline's own: ``actors``
    #: (another company), ``parties`` (another country or regulator) or
    #: ``subjects`` (another product). The sibling then wins unless that kind
    #: of own evidence is named at least as prominently; unset, two kinds of own
    #: evidence must be.
    instead_of: Literal["actors", "parties", "subjects"] | None = None


@dataclass(frozen=True, slots=True)
class MatchRules:
    """What an item must mention to belong to a storyline.

    An item matches when its score reaches ``threshold`` (0–100) and it names
    either an actor and a topic (the classic rule), or the storyline's subject
    with an actor, a party, an authority (court, judge, ministry …) or a topic.
    ``subjects`` are what is disputed (a product, a designation, a case);
    ``parties`` are the other side, named courts and officials: they count as
    actors only when the subject is there. ``boosters`` add to the score;
    ``exclude`` phrases mark near-misses and subtract; ``siblings`` name
    neighbouring stories that win the item unless it names this storyline's own
    actor and subject at least as prominently. Items published before
    ``since`` or after ``until`` (when set) are background to the story, not
    coverage of it.
    """

    actors: tuple[TermGroup, ...]
    topics: tuple[TermGroup, ...]
    boosters: tuple[TermGroup, ...] = ()
    exclude: tuple[TermGroup, ...] = ()
    threshold: float = 60.0
    subjects: tuple[TermGroup, ...] = ()
    parties: tuple[TermGroup, ...] = ()
    siblings: tuple[Sibling, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeededClaim:
    """A value known before the feeds start (from the storyline file)."""

    value: str
    date: datetime
    source: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FactValueSpec:
    """One value of a fact and how news says it became current.

    ``events`` names event kinds or classes of the reader's lexicon
    (``bot/core/reader/lexicon/kinds.yaml``: "block", "stop"; "not pause" for a
    refusal, "may designate" for a threat); ``None``
    means "infer them from the value's own name" (``blocked`` -> the ``stop``
    class), so files without the key keep working. ``subject`` phrases (else the
    fact's) must be in the same clause as the event. ``partial_of`` names the
    value this one is the restricted form of: that value's events together with
    a restrictive qualifier ("for vetted organisations") claim this one.
    ``cues`` are extra phrases of the storyline's own, matched as written.
    """

    value: str
    label: str
    cues: tuple[str, ...]
    events: tuple[str, ...] | None = None
    subject: tuple[str, ...] = ()
    partial_of: str | None = None


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A disputed fact of a storyline.

    ``kind`` is ``enum`` (one of ``values``), ``integer`` or ``text`` (the value is
    captured from the text by the cue patterns). ``subject`` phrases name what
    the fact is about ("designation", "label"): a value is claimed only from a
    clause that names one of them beside the event (values may narrow it).
    ``qualifiers`` add to the general restrictive qualifiers ("only", "for
    vetted organisations") that make a value partial.
    """

    id: str
    label: str
    kind: Literal["enum", "integer", "text"]
    values: tuple[FactValueSpec, ...]
    history: tuple[SeededClaim, ...] = ()
    required: bool = False
    description: str = ""
    patterns: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()

    def value_label(self, value: str | None) -> str:
        if value is None:
            return "unknown"
        for v in self.values:
            if v.value == value:
                return v.label
        return value


@dataclass(frozen=True, slots=True)
class Storyline:
    id: str
    title: str
    description: str
    status: Literal["open", "closed"]
    match: MatchRules
    facts: tuple[FactSpec, ...]
    authoritative_sources: tuple[str, ...] = ()

    def fact(self, fact_id: str) -> FactSpec:
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(fact_id)
