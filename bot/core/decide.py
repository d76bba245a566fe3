"""The decider: what a poll cycle's new items mean, as intents.

Pure: given the new entries of a cycle, the storylines and what is already
known (claims, fact states, subscriptions, recent items), it returns what to
store, what changed, what to post and what to audit. ``bot.service.poll_cycle``
performs it in one transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

from bot.core.dedupe import StoryIndex
from bot.core.fact_tracker import FactTracker
from bot.core.facts import Claim, FactChange, FactKey, FactView
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.match_result import MatchResult
from bot.core.patterns import PatternTimeout
from bot.core.posts import PostKind, Reply
from bot.core.reader import ItemFacts, Reading, read_item
from bot.core.render import change_reply, coverage_reply, summary_reply
from bot.core.storyline import Storyline
from bot.core.subscriptions import Subscription
from bot.core.titles import as_published

#: Replies of each kind (coverage, fact change) per thread (channel, storyline) in
#: one cycle, unless told otherwise.
DEFAULT_MAX_REPLIES_PER_THREAD = 10
#: A storyline pattern that runs past its time limit on this many items in one
#: decision is skipped for the rest of it (each time-out costs its time limit).
MAX_PATTERN_TIMEOUTS = 3
_SCORE = attrgetter("score")


@dataclass(slots=True)
class NewItem:
    entry: Entry
    matches: tuple[MatchResult, ...]
    claims: tuple[Claim, ...]
    duplicate_of: Entry | None


@dataclass(slots=True)
class Post:
    """An outbox row to write: a ``reply`` (with its ``reply``), an
    ``edit_root`` of ``storyline``'s card, an ``edit`` of the coverage reply of
    the story ``entry`` repeats (another outlet), or a ``digest_item`` holding
    ``entry`` for a digest channel. ``topic`` tells apart the posts one
    entry causes in one thread ('' for its coverage, the fact and its new value
    for a change): the outbox holds each once."""

    subscription_id: int
    kind: PostKind
    storyline: str
    reply: Reply | None = None
    entry: Entry | None = None
    topic: str = ""


@dataclass(slots=True)
class Decision:
    """``replies`` and ``capped`` count the replies this decision posts, and those
    it folded into a summary, per (storyline, reply kind): add them to the
    ``replies_so_far`` and ``capped_so_far`` of the cycle's next batch."""

    items: list[NewItem] = field(default_factory=list)
    changes: list[FactChange] = field(default_factory=list)
    states: dict[FactKey, FactView] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    replies: Counter[tuple[str, str]] = field(default_factory=Counter)
    capped: Counter[tuple[str, str]] = field(default_factory=Counter)


def _takes_back(storyline: Storyline, claim: Claim, states: Mapping[FactKey, FactView]) -> bool:
    """Whether ``claim`` names a value earlier in the fact's order than its
    current value."""
    spec = storyline.fact(claim.fact)
    current = states.get((storyline.id, claim.fact))
    if spec.kind != "enum" or current is None or current.value is None:
        return False
    order = [v.value for v in spec.values]
    if claim.value not in order or current.value not in order:
        return False
    return order.index(claim.value) < order.index(current.value)


def claimed_event(storyline: str, reading: Reading, entry: Entry, copied: bool) -> dict[str, Any]:
    """The ``fact.claimed`` audit event: a value an item reads for a fact, its
    factuality, and whether it counts as a claim (and why not)."""
    f = reading.factuality
    counts = reading.claims and not copied
    return {
        "event": "fact.claimed",
        "storyline": storyline,
        "fact": reading.fact,
        "value": reading.value,
        "polarity": f.polarity,
        "certainty": f.certainty,
        "time": f.time,
        "cues": list(f.cues),
        "by": reading.by,
        "claim": counts,
        "why": "a copy of a story already counted" if copied and reading.claims else reading.why(),
        "evidence": reading.evidence[:300],
        "item": audit_item(entry),
    }


def audit_item(entry: Entry) -> dict[str, Any]:
    return {
        "guid": entry.guid or entry.key,
        "url": entry.url,
        "title": entry.title,
        "published": entry.published.isoformat(),
        "feed": entry.source,
    }


def decide(
    entries: Sequence[Entry],
    *,
    storylines: Sequence[Storyline],
    matcher: Matcher,
    claims: Mapping[FactKey, Sequence[Claim]],
    states: Mapping[FactKey, FactView],
    subscriptions: Sequence[Subscription],
    recent: Sequence[Entry],
    backlog_feeds: frozenset[int],
    max_replies_per_thread: int = DEFAULT_MAX_REPLIES_PER_THREAD,
    replies_so_far: Mapping[tuple[str, str], int] | None = None,
    capped_so_far: Mapping[tuple[str, str], int] | None = None,
    summarise: bool = True,
) -> Decision:
    """Decide a cycle. ``entries`` are the cycle's new items (any order: they are
    processed in publication order); entries of ``backlog_feeds`` (a feed's first
    successful poll) are matched, fact-tracked and audited but not posted.
    ``claims`` holds every known claim per fact (seeded ones included, or not).

    Each thread (channel, storyline) gets at most ``max_replies_per_thread``
    coverage replies in a cycle (``replies_so_far`` counts those decided by the
    cycle's earlier batches); the rest of its coverage becomes one summary reply
    ("and N more matched items"). Such items are still stored, matched and
    audited (``posted`` false, ``capped`` true). Fact changes do not count
    against that cap: a fact change amid a flood of coverage is still posted.
    They have a cap of their own, of the same size, for a flood of changes (a
    fact going back and forth); any beyond it are never dropped silently: the
    summary reply counts them too, the root card shows the current state, and
    their ``fact.changed`` audit events say ``capped``. A cycle decided in
    batches passes each batch what the earlier ones counted, and ``summarise``
    only to the last (which may have no entries), so a thread gets one summary.

    Near-linear in the number of entries: duplicates are looked up in an index
    (:class:`StoryIndex`) and facts are resolved incrementally
    (:class:`FactTracker`) rather than by replaying every claim for every new one.
    """
    by_id = {s.id: s for s in storylines}
    trackers: dict[FactKey, FactTracker] = {}
    decision = Decision(states=dict(states))
    so_far = replies_so_far or {}
    followers: dict[str, list[Subscription]] = defaultdict(list)
    # Coverage goes out at once to channels without a digest; a digest channel
    # has it held for its daily digest instead (fact changes go to both).
    instant: dict[str, list[Subscription]] = defaultdict(list)
    gather: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        if sub.enabled:
            followers[sub.storyline].append(sub)
            (gather if sub.digest is not None else instant)[sub.storyline].append(sub)
    in_cycle = {(e.feed_id, e.key) for e in entries}
    edited: set[tuple[str, int, str]] = set()
    seen = StoryIndex(recent)
    first_post: dict[tuple[str, str], list[Post]] = {}
    changed: list[str] = []
    capped = decision.capped

    def over_cap(storyline_id: str, kind: str) -> bool:
        """Whether the thread already has its replies of this kind this cycle;
        counts the reply otherwise (or the capped one when it has)."""
        key = (storyline_id, kind)
        if so_far.get(key, 0) + decision.replies[key] >= max_replies_per_thread:
            capped[key] += 1
            return True
        decision.replies[key] += 1
        return False

    guard = _PatternGuard()

    for entry in sorted(entries, key=lambda e: (e.published, e.first_seen, e.key)):
        # A headline Threadline made (the feed gave none) is not matched on.
        results = matcher.match(as_published(entry))
        matched = tuple(r for r in results if r.matched)
        backlog = entry.feed_id in backlog_feeds
        duplicate = None
        if matched:
            # Only matched items can be posted, so only they can be duplicates.
            duplicate = seen.find(entry)
            seen.add(entry)
        item_claims: list[Claim] = []
        if not matched:
            best = max(results, key=_SCORE, default=None)
            decision.audit.append(
                {
                    "event": "item.unmatched",
                    "best": best.storyline if best else None,
                    "score": round(best.score, 2) if best else 0.0,
                    "item": audit_item(entry),
                }
            )
        # Facts move only for the storyline the item belongs to most: a court story
        # that also matches another storyline through generic words must not move
        # that storyline's facts.
        best_score = max((r.score for r in matched), default=0.0)
        for result in matched:
            storyline = by_id[result.storyline]
            posted = not backlog and duplicate is None
            over = posted and over_cap(storyline.id, "coverage")
            audited: dict[str, Any] = {
                "event": "item.matched",
                "storyline": storyline.id,
                "score": round(result.score, 2),
                "reasons": [r.describe() for r in result.reasons],
                "posted": posted and not over,
                "item": audit_item(entry),
            }
            if over:
                audited["capped"] = True
            decision.audit.append(audited)
            if posted and not over:
                reply = coverage_reply(storyline, entry, result)
                posts = [
                    Post(sub.id, PostKind.REPLY, storyline.id, reply, entry)
                    for sub in instant[storyline.id]
                ]
                decision.posts.extend(posts)
                first_post[(storyline.id, entry.key)] = posts
            elif duplicate is not None and not backlog:
                if (duplicate.feed_id, duplicate.key) in in_cycle:
                    # Its reply is not sent yet: it names this outlet from the start.
                    _add_also(first_post.get((storyline.id, duplicate.key), ()), entry.source)
                elif (storyline.id, duplicate.feed_id, duplicate.key) not in edited:
                    # Its reply may be sent: edit it (one edit per story and cycle;
                    # it is rendered at send time from every outlet stored by then).
                    edited.add((storyline.id, duplicate.feed_id, duplicate.key))
                    decision.posts.extend(
                        Post(sub.id, PostKind.EDIT_REPLY, storyline.id, None, entry)
                        for sub in instant[storyline.id]
                    )
            if posted:
                # A digest has no flood to cap: every item is held for it.
                decision.posts.extend(
                    Post(sub.id, PostKind.DIGEST_ITEM, storyline.id, None, entry)
                    for sub in gather[storyline.id]
                )
            read = None
            if result.score >= best_score:
                read = guard.read(storyline, entry, decision.audit)
            for position in read.positions if read else ():
                # A party's stance is shown with who holds it; it moves nothing.
                decision.audit.append(
                    {
                        "event": "fact.position",
                        "storyline": storyline.id,
                        "fact": position.fact,
                        "value": position.value,
                        "who": position.who,
                        "item": audit_item(entry),
                    }
                )
            copied = duplicate is not None and duplicate.source != entry.source
            for reading in read.readings if read else ():
                # Why each value this item reads did or did not become a claim.
                decision.audit.append(claimed_event(storyline.id, reading, entry, copied))
            # A copy of a story another outlet already reported is no second outlet.
            for claim in read.claims if read and not copied else ():
                if (
                    read is not None
                    and read.explainer
                    and _takes_back(storyline, claim, decision.states)
                ):
                    continue  # an explainer read after the story moved on
                item_claims.append(claim)
                key = (storyline.id, claim.fact)
                if key not in trackers:
                    trackers[key] = FactTracker(
                        storyline.fact(claim.fact), claims.get(key, ()), storyline=storyline
                    )
                new = trackers[key].add(claim)
                old = decision.states.get(key) or FactView(storyline.id, claim.fact, None)
                if (new.value, new.disputed) == (old.value, old.disputed):
                    decision.states[key] = new
                    continue
                change = FactChange(storyline.id, claim.fact, old, new, claim)
                decision.states[key] = new
                decision.changes.append(change)
                decision.audit.append(
                    {
                        "event": "fact.changed",
                        "storyline": storyline.id,
                        "fact": claim.fact,
                        "old": old.value,
                        "new": new.value,
                        "disputed": new.disputed,
                        "item": audit_item(entry),
                        # beyond the contract: what this item claimed, and who says so
                        "claimed": claim.value,
                        "source": claim.who,
                    }
                )
                if storyline.id not in changed:
                    changed.append(storyline.id)
                if not backlog and over_cap(storyline.id, "fact_change"):
                    decision.audit[-1]["capped"] = True
                elif not backlog:
                    reply = change_reply(storyline, change)
                    topic = f"{claim.fact}={new.value}{' (disputed)' if new.disputed else ''}"
                    decision.posts.extend(
                        Post(sub.id, PostKind.REPLY, storyline.id, reply, entry, topic[:200])
                        for sub in followers[storyline.id]
                    )
        decision.items.append(NewItem(entry, matched, tuple(item_claims), duplicate))

    folded = Counter(capped_so_far or {}) + capped
    for storyline_id in dict.fromkeys(s for s, _ in folded) if summarise else ():
        if storyline_id not in by_id:
            continue  # closed since the cycle's first batch
        more = folded[(storyline_id, "coverage")]
        reply = summary_reply(by_id[storyline_id], more, folded[(storyline_id, "fact_change")])
        decision.posts.extend(
            Post(sub.id, PostKind.REPLY, storyline_id, reply) for sub in instant[storyline_id]
        )
        changes_only = folded[(storyline_id, "fact_change")]
        if changes_only:
            # A digest channel's coverage is all in its digest: only changes are summed up.
            reply = summary_reply(by_id[storyline_id], 0, changes_only)
            decision.posts.extend(
                Post(sub.id, PostKind.REPLY, storyline_id, reply) for sub in gather[storyline_id]
            )
    for storyline_id in changed:
        decision.posts.extend(
            Post(sub.id, PostKind.EDIT_ROOT, storyline_id) for sub in followers[storyline_id]
        )
    return decision


class _PatternGuard:
    """Claim extraction that survives a storyline pattern running past its time
    limit (:class:`PatternTimeout`): the pattern is skipped for that item (an
    audit ``pattern.timeout`` event says so) and, after
    :data:`MAX_PATTERN_TIMEOUTS` items, for the rest of the decision."""

    def __init__(self) -> None:
        self._strikes: Counter[tuple[str, str]] = Counter()
        self._variants: dict[tuple[str, frozenset[str]], Storyline] = {}

    def read(self, storyline: Storyline, entry: Entry, audit: list[dict[str, Any]]) -> ItemFacts:
        skipped = {
            p
            for (s, p), n in self._strikes.items()
            if s == storyline.id and n >= MAX_PATTERN_TIMEOUTS
        }
        while True:
            try:
                # Nor read for facts: a made headline is the summary's words, cut.
                return read_item(self._without(storyline, frozenset(skipped)), as_published(entry))
            except PatternTimeout as exc:
                if exc.pattern in skipped:  # cannot happen: a skipped pattern is not run
                    raise
                skipped.add(exc.pattern)
                self._strikes[(storyline.id, exc.pattern)] += 1
                audit.append(
                    {
                        "event": "pattern.timeout",
                        "storyline": storyline.id,
                        "pattern": exc.pattern,
                        "timeout": exc.timeout,
                        "skipped_for_cycle": self._strikes[(storyline.id, exc.pattern)]
                        >= MAX_PATTERN_TIMEOUTS,
                        "item": audit_item(entry),
                    }
                )

    def _without(self, storyline: Storyline, skipped: frozenset[str]) -> Storyline:
        if not skipped:
            return storyline
        key = (storyline.id, skipped)
        if key not in self._variants:
            facts = tuple(
                replace(spec, patterns=tuple(p for p in spec.patterns if p not in skipped))
                for spec in storyline.facts
            )
            self._variants[key] = replace(storyline, facts=facts)
        return self._variants[key]


def _add_also(posts: Iterable[Post], source: str) -> None:
    """Name ``source`` on the unsent coverage ``posts`` (newest outlet first:
    entries are decided in publication order)."""
    for post in posts:
        reply = post.reply
        if reply is not None and source not in reply.also and source != reply.source:
            post.reply = replace(reply, also=(source, *reply.also))
