"""The decider: what a poll cycle's new items mean, as intents.

Pure: given the new entries of a cycle and what is already known (``Known``:
the storylines, claims, fact states, subscriptions, recent items), it returns
what to store, what changed, what to post and what to audit.
``bot.service.poll_cycle`` performs it in one transaction.

Each entry goes through the same steps, in publication order: match it, find
whether it repeats a story already seen, post its coverage (or name it on the
story's reply), read its facts, track the claims and post the changes they make.
After the last entry: one summary per capped thread, one card edit per storyline
whose facts changed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from operator import attrgetter

from bot.core.audit_events import (
    AuditEvent,
    FactChanged,
    FactClaimed,
    FactPosition,
    ItemMatched,
    ItemUnmatched,
    PatternTimedOut,
)
from bot.core.dedupe import StoryIndex
from bot.core.fact_kinds import fact_kind
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
_MATCHED = attrgetter("matched")
#: Publication order; items published at the same time in key order.
_ORDER = attrgetter("published", "key", "first_seen")


@dataclass(frozen=True, slots=True)
class Known:
    """What is known before a batch is decided: the open ``storylines`` and their
    ``matcher``; every known claim per fact (seeded ones included, or not) and the
    facts' ``states``; the ``subscriptions``; the ``recent`` stored items a new
    one may repeat; and the ``backlog_feeds``, polled for the first time, whose
    entries are matched, fact-tracked and audited but not posted."""

    storylines: Sequence[Storyline]
    matcher: Matcher
    claims: Mapping[FactKey, Sequence[Claim]]
    states: Mapping[FactKey, FactView]
    subscriptions: Sequence[Subscription]
    recent: Sequence[Entry] = ()
    backlog_feeds: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ReplyCap:
    """The per-thread reply cap of a cycle decided in batches: at most
    ``per_thread`` replies of each kind per thread; ``replies_so_far`` and
    ``capped_so_far`` are what the cycle's earlier batches counted (their
    ``Decision.replies`` and ``Decision.capped`` summed); only the last batch
    ``summarise``s, so a thread gets one summary."""

    per_thread: int = DEFAULT_MAX_REPLIES_PER_THREAD
    replies_so_far: Mapping[tuple[str, str], int] = field(default_factory=dict)
    capped_so_far: Mapping[tuple[str, str], int] = field(default_factory=dict)
    summarise: bool = True


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
    audit: list[AuditEvent] = field(default_factory=list)
    replies: Counter[tuple[str, str]] = field(default_factory=Counter)
    capped: Counter[tuple[str, str]] = field(default_factory=Counter)


def decide(entries: Sequence[Entry], known: Known, cap: ReplyCap | None = None) -> Decision:
    """Decide a batch of a cycle. ``entries`` are its new items (any order: they
    are processed in publication order).

    Each thread (channel, storyline) gets at most ``cap.per_thread`` coverage
    replies in a cycle; the rest of its coverage becomes one summary reply ("and
    N more matched items"). Such items are still stored, matched and audited
    (``posted`` false, ``capped`` true). Fact changes do not count against that
    cap: a fact change amid a flood of coverage is still posted. They have a cap
    of their own, of the same size, for a flood of changes (a fact going back and
    forth); any beyond it are never dropped silently: the summary reply counts
    them too, the root card shows the current state, and their ``fact.changed``
    audit events say ``capped``.

    Near-linear in the number of entries: duplicates are looked up in an index
    (:class:`StoryIndex`) and facts are resolved incrementally
    (:class:`FactTracker`) rather than by replaying every claim for every new one.
    """
    deciding = _Deciding(entries, known, cap or ReplyCap())
    # Items published at the same time are taken in key order, not in the order
    # their fetches ended: the same batch is decided the same way on every run.
    for entry in sorted(entries, key=_ORDER):
        deciding.entry(entry)
    deciding.summarise()
    deciding.edit_roots()
    return deciding.decision


class _Deciding:
    """One decision under way: what the entries decided so far have done."""

    def __init__(self, entries: Sequence[Entry], known: Known, cap: ReplyCap) -> None:
        self.known = known
        self.cap = cap
        self.by_id = {s.id: s for s in known.storylines}
        self.decision = Decision(states=dict(known.states))
        self.followers: dict[str, list[Subscription]] = defaultdict(list)
        # Coverage goes out at once to channels without a digest; a digest channel
        # has it held for its daily digest instead (fact changes go to both).
        self.instant: dict[str, list[Subscription]] = defaultdict(list)
        self.gather: dict[str, list[Subscription]] = defaultdict(list)
        for sub in known.subscriptions:
            if sub.enabled:
                self.followers[sub.storyline].append(sub)
                (self.gather if sub.digest is not None else self.instant)[sub.storyline].append(sub)
        self.in_cycle = {(e.feed_id, e.key) for e in entries}
        self.seen = StoryIndex(known.recent)
        # The coverage posts of each (storyline, entry key), to name later outlets on.
        self.first_post: dict[tuple[str, str], list[Post]] = {}
        # Sent replies already edited to name another outlet: (storyline, feed, key).
        self.edited: set[tuple[str, int, str]] = set()
        self.trackers: dict[FactKey, FactTracker] = {}
        self.changed: list[str] = []  # storylines whose root card is edited
        self.guard = _PatternGuard()
        self.results = _Results()

    # --- one entry ---------------------------------------------------------------------------

    def entry(self, entry: Entry) -> None:
        # A headline Threadline made (the feed gave none) is not matched on.
        matched, best = self.results.split(self.known.matcher.match(as_published(entry)))
        if not matched:
            self.decision.audit.append(
                ItemUnmatched(best.storyline if best else None, best.score if best else 0.0, entry)
            )
            self.decision.items.append(NewItem(entry, (), (), None))
            return
        # Only matched items can be posted, so only they can be duplicates.
        duplicate = self.seen.find(entry)
        self.seen.add(entry)
        backlog = entry.feed_id in self.known.backlog_feeds
        claims: list[Claim] = []
        # Facts move only for the storyline the item belongs to most: a court story
        # that also matches another storyline through generic words must not move
        # that storyline's facts.
        best_score = max(map(_SCORE, matched))
        for result in matched:
            storyline = self.by_id[result.storyline]
            self.coverage(storyline, result, entry, duplicate, backlog)
            if result.score < best_score:
                continue
            copied = duplicate is not None and duplicate.source != entry.source
            read = self.read(storyline, entry, copied)
            # A copy of a story another outlet already reported is no second outlet.
            for claim in () if copied else read.claims:
                if read.explainer and _takes_back(storyline, claim, self.decision.states):
                    continue  # an explainer read after the story moved on
                claims.append(claim)
                self.track(storyline, claim, entry, backlog)
        self.decision.items.append(NewItem(entry, matched, tuple(claims), duplicate))

    def coverage(
        self,
        storyline: Storyline,
        result: MatchResult,
        entry: Entry,
        duplicate: Entry | None,
        backlog: bool,
    ) -> None:
        """Audit the match and post it: a coverage reply (unless capped), a digest
        item; or, for a repeat of a story, its other outlet named on the story's
        reply."""
        posted = not backlog and duplicate is None
        over = posted and self.over_cap(storyline.id, "coverage")
        self.decision.audit.append(
            ItemMatched(
                storyline.id,
                result.score,
                tuple(r.describe() for r in result.reasons),
                posted and not over,
                entry,
                capped=over,
            )
        )
        if posted and not over:
            reply = coverage_reply(storyline, entry, result)
            posts = [
                Post(sub.id, PostKind.REPLY, storyline.id, reply, entry)
                for sub in self.instant[storyline.id]
            ]
            self.decision.posts.extend(posts)
            self.first_post[(storyline.id, entry.key)] = posts
        elif duplicate is not None and not backlog:
            self.name_outlet(storyline, entry, duplicate)
        if posted:
            # A digest has no flood to cap: every item is held for it.
            self.decision.posts.extend(
                Post(sub.id, PostKind.DIGEST_ITEM, storyline.id, None, entry)
                for sub in self.gather[storyline.id]
            )

    def name_outlet(self, storyline: Storyline, entry: Entry, duplicate: Entry) -> None:
        """Name ``entry``'s outlet on the reply of the story it repeats."""
        if (duplicate.feed_id, duplicate.key) in self.in_cycle:
            # Its reply is not sent yet: it names this outlet from the start.
            _add_also(self.first_post.get((storyline.id, duplicate.key), ()), entry.source)
        elif (storyline.id, duplicate.feed_id, duplicate.key) not in self.edited:
            # Its reply may be sent: edit it (one edit per story and cycle;
            # it is rendered at send time from every outlet stored by then).
            self.edited.add((storyline.id, duplicate.feed_id, duplicate.key))
            self.decision.posts.extend(
                Post(sub.id, PostKind.EDIT_REPLY, storyline.id, None, entry)
                for sub in self.instant[storyline.id]
            )

    def read(self, storyline: Storyline, entry: Entry, copied: bool) -> ItemFacts:
        """Read ``entry`` for ``storyline``'s facts; audit every position and
        every reading (saying why it does or does not count, ``copied`` or not)."""
        audit = self.decision.audit
        read = self.guard.read(storyline, entry, audit)
        for position in read.positions:
            # A party's stance is shown with who holds it; it moves nothing.
            audit.append(
                FactPosition(storyline.id, position.fact, position.value, position.who, entry)
            )
        for reading in read.readings:
            audit.append(claimed_event(storyline.id, reading, entry, copied))
        return read

    def track(self, storyline: Storyline, claim: Claim, entry: Entry, backlog: bool) -> None:
        """Add ``claim`` to its fact; a change of value (or of its being disputed)
        is audited and posted to every follower, unless capped or backlog."""
        decision = self.decision
        key = (storyline.id, claim.fact)
        if key not in self.trackers:
            self.trackers[key] = FactTracker(
                storyline.fact(claim.fact), self.known.claims.get(key, ()), storyline=storyline
            )
        new = self.trackers[key].add(claim)
        old = decision.states.get(key) or FactView(storyline.id, claim.fact, None)
        decision.states[key] = new
        if (new.value, new.disputed) == (old.value, old.disputed):
            return
        change = FactChange(storyline.id, claim.fact, old, new, claim)
        decision.changes.append(change)
        if storyline.id not in self.changed:
            self.changed.append(storyline.id)
        over = not backlog and self.over_cap(storyline.id, "fact_change")
        decision.audit.append(
            FactChanged(
                storyline.id,
                claim.fact,
                old.value,
                new.value,
                new.disputed,
                entry,
                # beyond the contract: what this item claimed, and who says so
                claimed=claim.value,
                source=claim.who,
                capped=over,
            )
        )
        if not backlog and not over:
            reply = change_reply(storyline, change)
            topic = f"{claim.fact}={new.value}{' (disputed)' if new.disputed else ''}"
            decision.posts.extend(
                Post(sub.id, PostKind.REPLY, storyline.id, reply, entry, topic[:200])
                for sub in self.followers[storyline.id]
            )

    def over_cap(self, storyline_id: str, kind: str) -> bool:
        """Whether the thread already has its replies of this kind this cycle;
        counts the reply otherwise (or the capped one when it has)."""
        key = (storyline_id, kind)
        if self.cap.replies_so_far.get(key, 0) + self.decision.replies[key] >= self.cap.per_thread:
            self.decision.capped[key] += 1
            return True
        self.decision.replies[key] += 1
        return False

    # --- after the last entry ----------------------------------------------------------------

    def summarise(self) -> None:
        """The last batch of a cycle: one summary reply per thread that was capped
        in any of the cycle's batches."""
        if not self.cap.summarise:
            return
        folded = Counter(self.cap.capped_so_far) + self.decision.capped
        for storyline_id in dict.fromkeys(s for s, _ in folded):
            if storyline_id not in self.by_id:
                continue  # closed since the cycle's first batch
            storyline = self.by_id[storyline_id]
            changes_only = folded[(storyline_id, "fact_change")]
            reply = summary_reply(storyline, folded[(storyline_id, "coverage")], changes_only)
            self.decision.posts.extend(
                Post(sub.id, PostKind.REPLY, storyline_id, reply)
                for sub in self.instant[storyline_id]
            )
            if changes_only:
                # A digest channel's coverage is all in its digest: only changes are summed up.
                reply = summary_reply(storyline, 0, changes_only)
                self.decision.posts.extend(
                    Post(sub.id, PostKind.REPLY, storyline_id, reply)
                    for sub in self.gather[storyline_id]
                )

    def edit_roots(self) -> None:
        """Every follower's root card of a storyline whose facts changed is edited."""
        for storyline_id in self.changed:
            self.decision.posts.extend(
                Post(sub.id, PostKind.EDIT_ROOT, storyline_id)
                for sub in self.followers[storyline_id]
            )


def _takes_back(storyline: Storyline, claim: Claim, states: Mapping[FactKey, FactView]) -> bool:
    """Whether ``claim`` names a value earlier in the fact's order than its
    current value."""
    spec = storyline.fact(claim.fact)
    current = states.get((storyline.id, claim.fact))
    rank = fact_kind(spec.kind).rank(spec)
    if current is None or current.value is None:
        return False
    if claim.value not in rank or current.value not in rank:
        return False
    return rank[claim.value] < rank[current.value]


def claimed_event(storyline: str, reading: Reading, entry: Entry, copied: bool) -> FactClaimed:
    """The ``fact.claimed`` audit event: a value an item reads for a fact, its
    factuality, and whether it counts as a claim (and why not)."""
    f = reading.factuality
    return FactClaimed(
        storyline=storyline,
        fact=reading.fact,
        value=reading.value,
        polarity=f.polarity,
        certainty=f.certainty,
        time=f.time,
        cues=f.cues,
        by=reading.by,
        claim=reading.claims and not copied,
        why="a copy of a story already counted" if copied and reading.claims else reading.why(),
        evidence=reading.evidence[:300],
        item=entry,
    )


class _Results:
    """What deciding needs of an item's match results: those that matched and,
    when none did, the best of them (for the audit; None without storylines).

    Most items match nothing, and the matcher gives each of them the same
    results (every storyline at score 0, no reasons; the same objects): results
    equal to the last ones that matched nothing are not gone through again.
    Comparing the two lists costs a pointer comparison per storyline; going
    through them costs two attribute look-ups per storyline. Equal results have
    the same storylines and scores, so the same best."""

    def __init__(self) -> None:
        self._unmatched: list[MatchResult] = []
        self._best: MatchResult | None = None

    def split(
        self, results: list[MatchResult]
    ) -> tuple[tuple[MatchResult, ...], MatchResult | None]:
        if results == self._unmatched:
            return (), self._best
        matched = tuple(compress(results, map(_MATCHED, results)))
        if matched:
            return matched, None
        self._unmatched = list(results)
        self._best = max(results, key=_SCORE, default=None)
        return (), self._best


class _PatternGuard:
    """Claim extraction that survives a storyline pattern running past its time
    limit (:class:`PatternTimeout`): the pattern is skipped for that item (an
    audit ``pattern.timeout`` event says so) and, after
    :data:`MAX_PATTERN_TIMEOUTS` items, for the rest of the decision."""

    def __init__(self) -> None:
        self._strikes: Counter[tuple[str, str]] = Counter()
        self._variants: dict[tuple[str, frozenset[str]], Storyline] = {}

    def read(self, storyline: Storyline, entry: Entry, audit: list[AuditEvent]) -> ItemFacts:
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
                    PatternTimedOut(
                        storyline.id,
                        exc.pattern,
                        exc.timeout,
                        self._strikes[(storyline.id, exc.pattern)] >= MAX_PATTERN_TIMEOUTS,
                        entry,
                    )
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
