"""The decider's bounds: incremental fact resolution and indexed dedupe give the
same answers as the plain replay and scan, a flood becomes ten replies and a
summary, and a runaway storyline pattern is skipped instead of hanging."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.decide import Decision, decide
from bot.core.dedupe import StoryIndex, find_duplicate
from bot.core.fact_tracker import FactTracker
from bot.core.facts import Claim, FactView
from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.resolve import resolve
from bot.core.storyline import FactSpec, Storyline
from bot.core.subscriptions import ChannelAddress, Subscription
from bot.core.timeline import timeline
from tests.core.builders import ACCESS, claim, entry, storyline

_VALUES = [v.value for v in ACCESS.values]
_OUTLETS = ["a.com", "b.com", "c.com", "d.com", "acme.com"]

claims_strategy = st.lists(
    st.builds(
        lambda value, hours, source, seeded: claim(
            value, hours=hours, source=source, seeded=seeded
        ),
        st.sampled_from(_VALUES),
        st.integers(0, 60).map(lambda h: h * 6.0),  # ties on the hour happen
        st.sampled_from(_OUTLETS),
        st.sampled_from([False, False, False, True]),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(known=claims_strategy, new=claims_strategy, in_order=st.booleans())
def test_incremental_resolution_equals_resolving_everything_each_time(
    known: list[Claim], new: list[Claim], in_order: bool
) -> None:
    if in_order:  # the decider's usual case: a cycle's items in publication order
        new = sorted(new, key=lambda c: c.published)
    s = storyline()
    tracker = FactTracker(ACCESS, known, storyline=s)
    for i, c in enumerate(new):
        assert tracker.add(c) == resolve(ACCESS, [*known, *new[: i + 1]], storyline=s)


_WORDS = ["judge", "blocks", "pentagon", "anthropic", "blacklist", "ruling", "appeal", "widget"]


@st.composite
def entries_strategy(draw: st.DrawFn) -> list[Entry]:
    out = []
    for i in range(draw(st.integers(0, 15))):
        words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=7))
        if draw(st.booleans()):
            words.append(draw(st.sampled_from(["5", "18", "100"])))
        e = entry(
            " ".join(words),
            hours=draw(st.integers(0, 80)),
            source=draw(st.sampled_from(["a.com", "b.com"])),
            url=draw(st.sampled_from([None, "https://x.com/1", "https://x.com/2"])),
            key=f"k{draw(st.integers(0, 40))}",
            feed_id=draw(st.integers(1, 2)),
        )
        out.append(e if e.url else dataclasses.replace(e, url=f"https://y.com/{i}"))
    return out


@pytest.mark.slow  # several CLI processes (or many examples): make test-all
@settings(max_examples=150, deadline=None)
@given(recent=entries_strategy(), new=entries_strategy())
def test_indexed_dedupe_finds_what_scanning_everything_finds(
    recent: list[Entry], new: list[Entry]
) -> None:
    index = StoryIndex(recent)
    seen = list(recent)
    for e in new:
        assert index.find(e) == find_duplicate(e, seen)
        index.add(e)
        seen.append(e)


def _follower(sub_id: int = 1) -> Subscription:
    return Subscription(
        id=sub_id,
        address=ChannelAddress("slack", f"C{sub_id}"),
        storyline="widget-ban",
        enabled=True,
    )


def _decide(entries: list[Entry], story: Storyline | None = None, **kwargs: Any) -> Decision:
    s = story or storyline()
    return decide(
        entries,
        storylines=[s],
        matcher=Matcher([s]),
        claims={},
        states={},
        subscriptions=[_follower(1), _follower(2)],
        recent=[],
        backlog_feeds=frozenset(),
        **kwargs,
    )


def _flood(n: int) -> list[Entry]:
    topics = ["directive", "export controls", "Commerce Department"]
    return [
        entry(
            f"Acme Widget 5 {topics[i % 3]} story number {i} of the day",
            hours=i / 10,
            source="flood.example",
            url=f"https://flood.example/{i}",
        )
        for i in range(n)
    ]


def test_a_flood_gives_each_thread_ten_replies_and_one_summary() -> None:
    decision = _decide(_flood(30))
    for sub in (1, 2):
        replies = [
            asdict(p.reply)
            for p in decision.posts
            if p.subscription_id == sub and p.kind == "reply"
        ]
        assert [r["kind"] for r in replies] == ["coverage"] * 10 + ["summary"]
        assert replies[-1]["title"] == "and 20 more matched items"
        assert replies[-1]["text"] == "threadline storylines show widget-ban"
    matched = [a for a in decision.audit if a["event"] == "item.matched"]
    assert len(matched) == 30
    assert [a["posted"] for a in matched] == [True] * 10 + [False] * 20
    assert all(a.get("capped") for a in matched[10:])
    assert len(decision.items) == 30


def test_the_cap_holds_across_a_cycles_batches_and_is_configurable() -> None:
    first = _decide(_flood(3), max_replies_per_thread=4)
    second = _decide(_flood(30)[3:], max_replies_per_thread=4, replies_so_far=first.replies)
    kinds = [p.reply.kind for p in second.posts if p.subscription_id == 1 and p.kind == "reply"]
    assert kinds == ["coverage", "summary"]
    summary = [asdict(p.reply) for p in second.posts if p.reply and p.reply.kind == "summary"]
    assert summary[0]["title"] == "and 26 more matched items"


def test_a_fact_change_amid_a_flood_of_coverage_is_still_posted() -> None:
    flood = _flood(12)
    late = [
        entry("Acme Widget 5 restored, says Acme", hours=5, source="acme.com"),
        entry("Acme Widget 5 access restored after directive", hours=6, source="b.com"),
    ]
    decision = _decide(flood + late)
    replies = [
        asdict(p.reply) for p in decision.posts if p.subscription_id == 1 and p.kind == "reply"
    ]
    assert [r["kind"] for r in replies].count("coverage") == 10
    assert [r["kind"] for r in replies].count("summary") == 1
    assert any(r["kind"] == "fact_change" and "Restored" in r["text"] for r in replies)


def test_a_flood_of_fact_changes_is_capped_and_counted_in_the_summary() -> None:
    steps = [
        entry("Acme suspends Widget 5 under export directive", hours=1, source="acme.com"),
        entry("Acme restores Widget 5 only to vetted partners", hours=2, source="acme.com"),
        entry("Acme restores Widget 5 for every customer", hours=3, source="acme.com"),
    ]
    decision = _decide(steps, max_replies_per_thread=1)
    assert [c.new.value for c in decision.changes] == [
        "suspended",
        "partially-restored",
        "restored",
    ]
    replies = [
        asdict(p.reply) for p in decision.posts if p.subscription_id == 1 and p.kind == "reply"
    ]
    assert [r["kind"] for r in replies] == ["coverage", "fact_change", "summary"]
    assert replies[-1]["title"] == "and 2 more matched items and 2 more fact changes"
    changed = [a for a in decision.audit if a["event"] == "fact.changed"]
    assert [bool(a.get("capped")) for a in changed] == [False, True, True]
    # The root card is still edited to the current state.
    assert [p.storyline for p in decision.posts if p.kind == "edit_root"] == ["widget-ban"] * 2


HOSTILE = r"(?P<value>(a|aa)+)b"


def test_a_runaway_pattern_is_skipped_for_the_item_and_the_rest_still_counts() -> None:
    days = FactSpec(id="codename", label="Codename", kind="text", values=(), patterns=(HOSTILE,))
    s = storyline(facts=(ACCESS, days))
    item = entry("Acme Widget 5 suspended by directive; " + "a" * 40, source="acme.com")
    decision = _decide([item], story=s)
    timeouts = [a for a in decision.audit if a["event"] == "pattern.timeout"]
    assert [(t["pattern"], t["item"]["title"]) for t in timeouts] == [(HOSTILE, item.title)]
    stored = decision.items[0]
    assert stored.matches and [c.value for c in stored.claims] == ["suspended"]


def test_a_pattern_that_keeps_running_away_is_skipped_for_the_rest_of_the_cycle() -> None:
    days = FactSpec(id="codename", label="Codename", kind="text", values=(), patterns=(HOSTILE,))
    s = storyline(facts=(ACCESS, days))
    items = [
        entry(f"Acme Widget 5 directive {i}; " + "a" * 40, hours=i, source="acme.com")
        for i in range(6)
    ]
    decision = _decide(items, story=s)
    timeouts = [a for a in decision.audit if a["event"] == "pattern.timeout"]
    assert [t["skipped_for_cycle"] for t in timeouts] == [False, False, True]
    assert len(decision.items) == 6


@settings(max_examples=100, deadline=None)
@given(claims=claims_strategy)
def test_the_timeline_is_the_state_after_each_claim(claims: list[Claim]) -> None:
    s = storyline()
    ordered = sorted(claims, key=lambda c: c.published)
    expected: list[FactView] = []
    for i in range(len(ordered)):
        view = resolve(ACCESS, ordered[: i + 1], storyline=s)
        last = (expected[-1].value, expected[-1].disputed) if expected else None
        if view.value is not None and last != (view.value, view.disputed):
            expected.append(view)
    assert timeline(s, ACCESS, claims) == expected
