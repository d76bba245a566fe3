"""Same story from several outlets: merged; different events: kept apart."""

from __future__ import annotations

from bot.core.dedupe import find_duplicate, same_story
from tests.core.builders import entry


def test_same_canonical_url_is_the_same_story() -> None:
    a = entry("Fable 5 suspended", source="a.com", url="https://x.com/story")
    b = entry("Anthropic pulls its models", source="b.com", url="https://x.com/story", hours=3)
    assert same_story(a, b)


def test_near_identical_headlines_from_two_outlets() -> None:
    a = entry("Judge blocks Pentagon's Anthropic blacklist", source="a.com")
    b = entry("Judge blocks the Pentagon's Anthropic blacklist", source="b.com", hours=5)
    assert same_story(a, b)
    assert find_duplicate(b, [a]) == a


def test_outside_the_window_it_is_news_again() -> None:
    a = entry("Judge blocks Pentagon's Anthropic blacklist", source="a.com")
    b = entry("Judge blocks Pentagon's Anthropic blacklist", source="b.com", hours=48)
    assert not same_story(a, b)


def test_different_events_of_one_storyline_are_kept_apart() -> None:
    a = entry("Mythos 5 returns for about 100 organizations", source="a.com")
    b = entry("Fable 5 returns globally July 1 with usage caps", source="b.com", hours=4)
    c = entry("Fable 5 back after 18-day ban", source="c.com")
    d = entry("Fable 5 back after 15-day ban", source="d.com")
    assert not same_story(a, b)
    assert not same_story(c, d)


def test_an_entry_is_not_its_own_duplicate() -> None:
    a = entry("Judge blocks Pentagon's Anthropic blacklist", source="a.com", key="k1")
    assert find_duplicate(a, [a]) is None
