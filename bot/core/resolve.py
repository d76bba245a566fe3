"""The resolved state of each fact, from all its claims.

Pure. :func:`resolve` replays all claims of a fact in publication order (never
arrival order). The first claim sets the value. After that, a different value
becomes current when it is corroborated: asserted by an authoritative source
(the storyline's ``authoritative_sources``, or the storyline file's seeded
history) or by at least two independent outlets whose latest word on the fact it
is, all published after the current value was established and within
:data:`CORROBORATION_WINDOW`. Going *back* to an earlier value of an enum needs
the same two outlets, published after the last change, presenting the earlier
state as current: recaps never reach this far (the reader never makes a claim
of a retelling, see :mod:`bot.core.reader`), and an official source is enough
only for a step forward (the act it performs). A value that only a single
outlet currently asserts leaves the value as it was and marks the fact
``disputed``, with ``contenders`` holding the latest claim for each value in
play, as long as that claim is within :data:`DISPUTE_WINDOW` of the newest
claim and newer than the establishment of the current value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from bot.core import amounts
from bot.core.facts import Claim, FactKey, FactView
from bot.core.reader.claims import partial_of
from bot.core.storyline import FactSpec, Storyline

CORROBORATION_WINDOW = timedelta(days=14)
DISPUTE_WINDOW = timedelta(days=14)
#: Independent outlets that must present a new value as current, forwards or back.
CORROBORATING_OUTLETS = 2
# Second-level labels under which a country's outlets register (yna.co.kr, bbc.co.uk).
_SECOND_LEVEL = frozenset(
    {"co", "com", "net", "org", "gov", "ac", "or", "ne", "go", "edu", "gob", "gouv"}
)


def outlet(claim: Claim) -> str:
    """The independent outlet behind a claim: the registrable domain of its URL
    (``m.yna.co.kr`` and ``www.yna.co.kr`` are one outlet), else the source name
    (lower case)."""
    host = _host(claim.url) if claim.url else ""
    return _registrable(host) if host else claim.source.strip().lower()


@lru_cache(maxsize=16384)
def _host(url: str) -> str:
    # Cached: resolving replays every claim, and urlsplit dominated its profile.
    return (urlsplit(url).hostname or "").lower()


@lru_cache(maxsize=16384)
def _registrable(host: str) -> str:
    labels = host.removeprefix("www.").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def is_authoritative(claim: Claim, storyline: Storyline) -> bool:
    """Seeded claims, and claims from a host (or source name) that is, or is a
    subdomain of, one of the storyline's ``authoritative_sources``."""
    if claim.seeded:
        return True
    host = _host(claim.url).removeprefix("www.") if claim.url else ""
    names = {host or outlet(claim), claim.source.strip().lower()}
    for domain in storyline.authoritative_sources:
        d = domain.lower()
        if any(n == d or n.endswith("." + d) for n in names):
            return True
    return False


def _order(claim: Claim) -> tuple[datetime, int, str, str]:
    # Seeded history first at equal times: it is what was known before the feeds.
    return (claim.published, 0 if claim.seeded else 1, claim.item_key, claim.value)


def resolve(fact: FactSpec, claims: Sequence[Claim], *, storyline: Storyline) -> FactView:
    """The fact's state from all its claims (any order; replayed by ``published``).

    See the module docstring for the rules. ``since``/``source``/``url`` of the
    view are those of the claim that made the value current. ``contenders``, when
    ``disputed``, holds the latest recent claim for each value in play (the
    current one included), newest first.
    """
    replay = FactReplay(fact, storyline=storyline)
    for claim in sorted((c for c in claims if c.fact == fact.id), key=replay_order):
        replay.add(claim)
    return replay.view()


def replay_order(claim: Claim) -> tuple[datetime, int, str, str]:
    """The order :func:`resolve` replays claims in."""
    return _order(claim)


class FactReplay:
    """:func:`resolve` one claim at a time, for callers that learn claims in
    replay order (the decider): ``add`` claims of one fact in
    :func:`replay_order`, ``view()`` is ``resolve`` of the claims added so far.
    ``copy()`` forks the replay (to look ahead without losing the state)."""

    __slots__ = (
        "_current",
        "_fact",
        "_latest",
        "_newest",
        "_rank",
        "_still",
        "_storyline",
        "last",
    )

    def __init__(self, fact: FactSpec, *, storyline: Storyline) -> None:
        self._fact = fact
        self._storyline = storyline
        self._rank = {v.value: i for i, v in enumerate(fact.values)} if fact.kind == "enum" else {}
        self._still = _still_partly(fact)
        self._current: Claim | None = None
        self._latest: dict[str, Claim] = {}
        self._newest: datetime | None = None
        #: ``replay_order`` of the last claim added (None before the first).
        self.last: tuple[datetime, int, str, str] | None = None

    def copy(self) -> FactReplay:
        other = FactReplay(self._fact, storyline=self._storyline)
        other._current, other._latest = self._current, dict(self._latest)
        other._newest, other.last = self._newest, self.last
        return other

    def add(self, claim: Claim) -> None:
        self.last = _order(claim)
        self._newest = claim.published
        current = self._current
        self._latest[outlet(claim)] = claim
        if current is None:
            self._current = claim
            return
        if self._same(claim.value, current.value) or claim.value == self._still.get(current.value):
            return  # a partial state agrees that part is still as it was
        established = current.published
        supporters = {
            name
            for name, c in self._latest.items()
            if self._same(c.value, claim.value)
            and c.published >= established
            and claim.published - c.published <= CORROBORATION_WINDOW
        }
        rank = self._rank
        backwards = claim.value in rank and rank[claim.value] < rank.get(current.value, -1)
        # An official source outranks others for the act it performs (an order, a
        # ruling: a step forward), not for restating an earlier state over a court.
        official = is_authoritative(claim, self._storyline) and (claim.seeded or not backwards)
        if official or len(supporters) >= CORROBORATING_OUTLETS:
            self._current = claim

    def _same(self, a: str, b: str) -> bool:
        # "15 million" and "€15 million" are one fine, told with and without its currency.
        return a == b or (self._fact.kind == "text" and amounts.same_amount(a, b))

    def view(self) -> FactView:
        storyline, fact, current, latest = self._storyline, self._fact, self._current, self._latest
        if current is None or self._newest is None:
            return FactView(storyline.id, fact.id, None)
        newest = self._newest
        rivals = [
            c
            for c in latest.values()
            if not self._same(c.value, current.value)
            and c.value != self._still.get(current.value)
            and c.published > current.published
            and newest - c.published <= DISPUTE_WINDOW
        ]
        contenders: tuple[Claim, ...] = ()
        if rivals:
            by_value: dict[str, Claim] = {}
            for c in [*rivals, *(c for c in latest.values() if c.value == current.value)]:
                if c.value not in by_value or c.published > by_value[c.value].published:
                    by_value[c.value] = c
            if current.value not in by_value:
                by_value[current.value] = current
            contenders = tuple(sorted(by_value.values(), key=lambda c: c.published, reverse=True))
        return FactView(
            storyline=storyline.id,
            fact=fact.id,
            value=current.value,
            since=current.published,
            source=current.who,
            url=current.url,
            disputed=bool(rivals),
            contenders=contenders,
        )


def _still_partly(fact: FactSpec) -> dict[str, str]:
    """partial value -> the earlier state it partly still is: after a partial
    restoration, "Widget 5 stays suspended" agrees with it rather than disputing."""
    out: dict[str, str] = {}
    for i, value in enumerate(fact.values):
        full = partial_of(fact, value)
        prior = [v.value for v in fact.values[:i] if v.value != full]
        if full and prior:
            out[value.value] = prior[-1]
    return out


def seeded_claims(storylines: Sequence[Storyline]) -> dict[FactKey, list[Claim]]:
    """The storyline files' ``history`` of each fact as seeded claims, by
    (storyline, fact)."""
    out: dict[FactKey, list[Claim]] = {}
    for storyline in storylines:
        for spec in storyline.facts:
            out[(storyline.id, spec.id)] = [
                Claim(
                    storyline=storyline.id,
                    fact=spec.id,
                    value=h.value,
                    published=h.date,
                    source=h.source,
                    item_key=f"seed:{storyline.id}:{spec.id}:{i}",
                    url=h.url,
                    seeded=True,
                )
                for i, h in enumerate(spec.history)
            ]
    return out
