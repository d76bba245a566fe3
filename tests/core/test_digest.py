"""Digests and absorbed outlets in the pure core: when a digest is due, what it
says, and what the decider queues for a digest channel and for a later outlet."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.decide import decide
from bot.core.digest import (
    DigestOptionError,
    Gathered,
    digest_reply,
    due,
    parse_options,
)
from bot.core.match import Matcher
from bot.core.posts import PostKind, Reply
from bot.core.render import outlets_text, with_outlets
from bot.core.subscriptions import ChannelAddress, DigestSchedule, Subscription
from tests.core.builders import entry, storyline

NINE_UTC = DigestSchedule("09:00", "UTC")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def test_a_digest_is_due_once_its_time_passes_and_not_again_that_day() -> None:
    since = at(12, 8)  # turned on at 08:00
    assert due(NINE_UTC, since, at(12, 8, 59)) is None
    assert due(NINE_UTC, since, at(12, 9)) == (date(2026, 6, 12), at(12, 9))
    # recorded: the next gathering starts at 09:00, nothing more is due that day
    assert due(NINE_UTC, at(12, 9), at(12, 23, 59)) is None
    assert due(NINE_UTC, at(12, 9), at(13, 9, 1)) == (date(2026, 6, 13), at(13, 9))


def test_a_digest_turned_on_after_its_time_waits_for_the_next_day() -> None:
    assert due(NINE_UTC, at(12, 10), at(12, 11)) is None
    assert due(NINE_UTC, at(12, 10), at(13, 9)) == (date(2026, 6, 13), at(13, 9))


def test_a_digest_time_is_local_to_its_zone() -> None:
    berlin = DigestSchedule("09:00", "Europe/Berlin")  # UTC+2 in June
    assert due(berlin, at(12, 0), at(12, 6, 59)) is None
    assert due(berlin, at(12, 0), at(12, 7)) == (date(2026, 6, 12), at(12, 7))
    # 23:30 in Los Angeles is the next UTC day: the digest is named by the local day
    la = DigestSchedule("23:30", "America/Los_Angeles")
    assert due(la, at(12, 0), at(13, 6, 30)) == (date(2026, 6, 12), at(13, 6, 30))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["digest:daily"], DigestSchedule("09:00", "UTC")),
        (["digest:daily", "at:7:30"], DigestSchedule("07:30", "UTC")),
        (
            ["tz:Europe/Berlin", "digest:DAILY", "at:18:05"],
            DigestSchedule("18:05", "Europe/Berlin"),
        ),
        (["digest:off"], None),
        ([], False),
    ],
)
def test_digest_options_are_read_in_any_order(
    words: list[str], expected: DigestSchedule | bool | None
) -> None:
    assert parse_options(words) == expected


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["digest:weekly"], "daily or off"),
        (["digest:daily", "at:25:00"], "HH:MM"),
        (["digest:daily", "tz:Mars/Olympus"], "unknown time zone"),
        (["digest:off", "at:09:00"], "takes no time"),
        (["at:09:00"], "go with digest:daily"),
        (["digest:daily", "digest:off"], "twice"),
        (["daily"], "unknown option"),
    ],
)
def test_bad_digest_options_say_what_is_wrong(words: list[str], says: str) -> None:
    with pytest.raises(DigestOptionError, match=says):
        parse_options(words)


def gathered(title: str, source: str, score: float, hours: int, *outlets: str) -> Gathered:
    return Gathered(title, f"https://{source}/{hours}", source, score, at(12, hours), outlets)


def test_a_digest_lists_the_top_items_by_score_with_counts_and_outlets() -> None:
    items = [gathered(f"Minor item {n}", "Wire", 61, 1 + n % 5) for n in range(11)] + [
        gathered("Court blocks the ban", "Court desk", 95, 8, "Wire", "Daily"),
        gathered("Ban explained", "Daily", 70, 3),
    ]
    reply = digest_reply(storyline(), date(2026, 6, 12), items)
    assert reply is not None and reply.kind == "digest"
    assert reply.title == "Daily digest, 2026-06-12: Widget 5 export ban"
    assert [i.title for i in reply.items[:2]] == ["Court blocks the ban", "Ban explained"]
    assert len(reply.items) == 10  # the top 10 of 13
    assert reply.items[0].also == 2 and reply.items[0].source == "Court desk"
    assert reply.text.startswith(
        "13 matched items from 3 outlets: Wire (12), Daily (2), Court desk (1)"
    )
    assert "top 10 by match score" in reply.text


def test_a_quiet_day_has_no_digest() -> None:
    assert digest_reply(storyline(), date(2026, 6, 12), []) is None


def test_also_reported_by_names_five_outlets_newest_first_then_counts() -> None:
    assert outlets_text(["G", "F", "E", "D", "C", "B", "A"]) == "G, F, E, D, C and 2 more"
    assert outlets_text(["B", "A", "B"]) == "B, A"
    reply = Reply("coverage", "s", "t", source="A", also=("B",))
    assert with_outlets(reply, ["C", "A", "B", "C"]).also == ("C", "B")


BAN = "Acme Widget 5 suspended under Commerce Department export controls"


def subs(*digest: DigestSchedule | None) -> list[Subscription]:
    return [
        Subscription(n + 1, ChannelAddress("slack", f"C{n}"), "widget-ban", True, digest=d)
        for n, d in enumerate(digest)
    ]


def test_a_digest_channel_has_coverage_held_and_fact_changes_posted() -> None:
    s = storyline()
    decision = decide(
        [entry(BAN, "Acme said Widget 5 was suspended.", source="wire.example")],
        storylines=[s],
        matcher=Matcher([s]),
        claims={},
        states={},
        subscriptions=subs(None, NINE_UTC),
        recent=[],
        backlog_feeds=frozenset(),
    )
    kinds = {(p.subscription_id, p.kind, p.reply.kind if p.reply else None) for p in decision.posts}
    assert (1, PostKind.REPLY, "coverage") in kinds
    assert (2, PostKind.DIGEST_ITEM, None) in kinds
    assert (2, PostKind.REPLY, "coverage") not in kinds
    assert (1, PostKind.REPLY, "fact_change") in kinds and (
        2,
        PostKind.REPLY,
        "fact_change",
    ) in kinds


def test_a_later_outlet_edits_the_reply_of_an_earlier_cycle_once() -> None:
    s = storyline()
    first = entry(BAN, source="wire.example", feed_id=1)
    repeats = [
        entry(BAN, source="daily.example", hours=1, feed_id=2),
        entry(BAN, source="post.example", hours=2, feed_id=3),
    ]
    decision = decide(
        repeats,
        storylines=[s],
        matcher=Matcher([s]),
        claims={},
        states={},
        subscriptions=subs(None, NINE_UTC),
        recent=[first],
        backlog_feeds=frozenset(),
    )
    edits = [p for p in decision.posts if p.kind is PostKind.EDIT_REPLY]
    # one edit per story and cycle, for the channel that got the reply; never a new post
    assert [(p.subscription_id, p.entry) for p in edits] == [(1, repeats[0])]
    assert not [
        p
        for p in decision.posts
        if p.kind is PostKind.REPLY and p.reply and p.reply.kind == "coverage"
    ]
    assert all(n.duplicate_of == first for n in decision.items)
