"""The decider: what a poll cycle's new items mean, as intents.

Pure: given the new entries of a cycle, the storylines and what is already
known (claims, fact states, subscriptions, recent items), it returns what to
store, what changed, what to post and what to audit. ``bot.service.poll_cycle``
performs it in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.dedupe import find_duplicate
from bot.core.facts import read_item, resolve
from bot.core.match import Matcher
from bot.core.models import (
    Claim,
    Entry,
    FactChange,
    FactKey,
    FactView,
    MatchResult,
    Storyline,
    Subscription,
)
from bot.core.render import change_reply, coverage_reply


@dataclass(slots=True)
class NewItem:
    entry: Entry
    matches: tuple[MatchResult, ...]
    claims: tuple[Claim, ...]
    duplicate_of: Entry | None
    posted: bool


@dataclass(slots=True)
class Post:
    """An outbox row to write: ``kind`` is ``reply`` or ``edit_root``. ``topic``
    tells apart the posts one entry causes in one thread ('' for its coverage,
    the fact and its new value for a change): the outbox holds each once."""

    subscription_id: int
    kind: str
    payload: dict[str, Any]
    entry: Entry | None = None
    topic: str = ""


@dataclass(slots=True)
class Decision:
    items: list[NewItem] = field(default_factory=list)
    changes: list[FactChange] = field(default_factory=list)
    states: dict[FactKey, FactView] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def audit_item(entry: Entry) -> dict[str, Any]:
    return {
        "guid": entry.guid or entry.key,
        "url": entry.url,
        "title": entry.title,
        "published": entry.published.isoformat(),
        "feed": entry.source,
    }


def initial_states(
    storylines: Iterable[Storyline],
    claims: Mapping[FactKey, Sequence[Claim]],
    stored: Mapping[FactKey, FactView],
) -> dict[FactKey, FactView]:
    """Every fact's state: as last recorded, else resolved from what is known."""
    states: dict[FactKey, FactView] = {}
    for storyline in storylines:
        for spec in storyline.facts:
            key = (storyline.id, spec.id)
            states[key] = stored.get(key) or resolve(spec, claims.get(key, ()), storyline=storyline)
    return states


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
) -> Decision:
    """Decide a cycle. ``entries`` are the cycle's new items (any order: they are
    processed in publication order); entries of ``backlog_feeds`` (a feed's first
    successful poll) are matched, fact-tracked and audited but not posted.
    ``claims`` holds every known claim per fact (seeded ones included, or not).
    """
    by_id = {s.id: s for s in storylines}
    known: dict[FactKey, list[Claim]] = defaultdict(list, {k: list(v) for k, v in claims.items()})
    decision = Decision(states=dict(states))
    followers: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        if sub.enabled:
            followers[sub.storyline].append(sub)
    seen: list[Entry] = list(recent)
    first_post: dict[tuple[str, str], list[Post]] = {}
    changed: list[str] = []

    for entry in sorted(entries, key=lambda e: (e.published, e.first_seen, e.key)):
        results = matcher.match(entry)
        matched = tuple(r for r in results if r.matched)
        backlog = entry.feed_id in backlog_feeds
        duplicate = None
        if matched:
            # Only matched items can be posted, so only they can be duplicates.
            duplicate = find_duplicate(entry, seen)
            seen.append(entry)
        item_claims: list[Claim] = []
        if not matched:
            best = max(results, key=lambda r: r.score, default=None)
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
            decision.audit.append(
                {
                    "event": "item.matched",
                    "storyline": storyline.id,
                    "score": round(result.score, 2),
                    "reasons": [r.describe() for r in result.reasons],
                    "posted": posted,
                    "item": audit_item(entry),
                }
            )
            if posted:
                reply = coverage_reply(storyline, entry, result)
                posts = [
                    Post(sub.id, "reply", asdict(reply), entry) for sub in followers[storyline.id]
                ]
                decision.posts.extend(posts)
                first_post[(storyline.id, entry.key)] = posts
            elif duplicate is not None and not backlog:
                _add_also(first_post.get((storyline.id, duplicate.key), ()), entry.source)
            read = read_item(storyline, entry) if result.score >= best_score else None
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
            for claim in read.claims if read else ():
                item_claims.append(claim)
                key = (storyline.id, claim.fact)
                known[key].append(claim)
                new = resolve(storyline.fact(claim.fact), known[key], storyline=storyline)
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
                if not backlog:
                    reply = change_reply(storyline, change)
                    topic = f"{claim.fact}={new.value}{' (disputed)' if new.disputed else ''}"
                    decision.posts.extend(
                        Post(sub.id, "reply", asdict(reply), entry, topic[:200])
                        for sub in followers[storyline.id]
                    )
        decision.items.append(NewItem(entry, matched, tuple(item_claims), duplicate, bool(matched)))

    for storyline_id in changed:
        decision.posts.extend(
            Post(sub.id, "edit_root", {"storyline": storyline_id})
            for sub in followers[storyline_id]
        )
    return decision


def _add_also(posts: Iterable[Post], source: str) -> None:
    for post in posts:
        also = post.payload.setdefault("also", [])
        if isinstance(also, tuple):
            also = list(also)
            post.payload["also"] = also
        if source not in also and source != post.payload.get("source"):
            also.append(source)
