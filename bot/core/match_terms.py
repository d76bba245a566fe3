"""What the matcher looks for. Pure.

Roles and their weights, the authorities every storyline shares, and each
storyline phrase compiled into a :class:`Term`, with the ready-made
:class:`Hit` of it in a title and in a summary (an exact hit is always the
same, so it is built once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Literal, NamedTuple

import yaml

from bot.core.match_result import Reason
from bot.core.storyline import Sibling, Storyline, TermGroup

Role = Literal["actor", "topic", "booster", "exclude", "subject", "party", "sibling", "authority"]
Where = Literal["title", "summary"]
ROLES: tuple[Role, ...] = (
    "actor",
    "topic",
    "booster",
    "exclude",
    "subject",
    "party",
    "sibling",
    "authority",
)
# Role indices (positions in ROLES): the scorer sums per role in a list.
ACTOR, TOPIC, BOOSTER, EXCLUDE, SUBJECT, PARTY, SIBLING, AUTHORITY = range(8)
#: The kinds of own evidence a sibling may name as what it replaces.
KIND_ROLE = {"actors": ACTOR, "parties": PARTY, "subjects": SUBJECT}
TITLE, SUMMARY = 0, 1
WHERE: tuple[Where, Where] = ("title", "summary")

#: Contribution of a group's best exact hit in the title; summary hits get SUMMARY_FACTOR of it.
ROLE_WEIGHT: dict[Role, float] = {
    "actor": 30.0,
    "topic": 35.0,
    "booster": 10.0,
    "exclude": -35.0,
    "subject": 40.0,
    "party": 25.0,
    "sibling": -40.0,
    "authority": 25.0,
}
#: Upper bound of what all groups of one role can add together. Actors, parties
#: and authorities share the actor cap: they answer the same question (who).
ROLE_CAP: dict[Role, float] = {
    "actor": 40.0,
    "topic": 70.0,
    "booster": 20.0,
    "exclude": -100.0,
    "subject": 45.0,
}
SUMMARY_FACTOR = 0.6

#: Who acts in any dispute: courts, judges, governments, regulators. They count
#: as a storyline's actor only together with its subject. General vocabulary, kept
#: as data in ``lexicon/authorities.yaml``.
AUTHORITIES: tuple[str, ...] = tuple(
    str(word)
    for word in yaml.safe_load(
        resources.files("bot.core").joinpath("lexicon/authorities.yaml").read_text("utf-8")
    )["authorities"]
)


@dataclass(frozen=True, slots=True)
class Term:
    storyline: int  # -1 for the shared authorities
    role: Role
    group: int
    phrase: str
    key: str  # the normalised phrase the automaton finds
    label: str  # "role:group", as reasons show it
    weight: float  # ROLE_WEIGHT of the role (a title hit)
    role_index: int  # position in ROLES
    # Exact hits always yield the same Reason, so they are built once:
    # reasons[where][0] when another hit carries the group's weight, [1] when this one does.
    reasons: tuple[tuple[Reason, Reason], tuple[Reason, Reason]]


class Hit(NamedTuple):
    """A term found in an item: ``where`` (TITLE or SUMMARY), the text
    ``found``, its ``similarity`` (100 for an exact hit) and the ``weight``
    it would carry for its group."""

    term: Term
    where: int
    found: str
    similarity: float
    weight: float


@dataclass(frozen=True, slots=True)
class Plan:
    """What a storyline defines, precomputed for scoring."""

    #: Kinds of own evidence (actor, party, subject) the storyline defines; a
    #: sibling is beaten by min(2, this many) of them.
    own_kinds: int
    #: Sibling storylines by id: they win the item when they score higher.
    sibling_storylines: frozenset[str]
    #: Per sibling group index, the role index of the own evidence it names
    #: in place of this storyline's (None: any two kinds must beat it).
    sibling_kinds: dict[int, int | None]


def make_term(storyline: int, role: Role, group: int, label: str, phrase: str, key: str) -> Term:
    def reason(where: int, carries: bool) -> Reason:
        factor = 1.0 if where == 0 else SUMMARY_FACTOR
        weight = round(ROLE_WEIGHT[role] * factor, 2) if carries else 0.0
        return Reason(label, phrase, key, 100.0, weight, WHERE[where])

    reasons = (
        (reason(0, False), reason(0, True)),
        (reason(1, False), reason(1, True)),
    )
    return Term(
        storyline, role, group, phrase, key, label, ROLE_WEIGHT[role], ROLES.index(role), reasons
    )


def roles(storyline: Storyline) -> Iterable[tuple[Role, tuple[TermGroup, ...]]]:
    rules = storyline.match
    yield "actor", rules.actors
    yield "topic", rules.topics
    yield "booster", rules.boosters
    yield "exclude", rules.exclude
    yield "subject", rules.subjects
    yield "party", rules.parties
    yield "sibling", tuple(_sibling_group(s) for s in rules.siblings if s.phrases)


def _sibling_group(sibling: Sibling) -> TermGroup:
    return TermGroup(sibling.name, sibling.phrases, fuzzy=False)
