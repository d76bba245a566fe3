"""Block Kit rendering: feed text stays inert, Slack's limits hold."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.commands import CommandReply
from bot.core.posts import Card, FactLine, Reply
from bot.core.render import summary_reply
from bot.platforms.slack.platform import SlackPlatform
from bot.platforms.slack.render import (
    SlackMessage,
    render_card,
    render_command_reply,
    render_reply,
)
from tests.core.builders import storyline
from tests.platforms.slack.samples import card, coverage, fact, fact_change
from tests.support.fake_slack import FakeSlack, check_blocks

NASTY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123>",
    "<!date^1392734382^{date}|x>",
    "<@U123>",
    "<#C123>",
    "<#C123|general>",
    "<http://evil.test|nice>",
    "<https://bank.test|Your bank>",
    "<mailto:a@b.test|mail>",
    "&",
    "&lt;!channel&gt;",
    "&amp;",
    "<",
    ">",
    "|",
    "*",
    "`",
    "\x00",
    "\n",
    "@here",
]

feed_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(NASTY)), max_size=6).map(
    "".join
)
urls = st.one_of(
    st.none(),
    feed_text,
    st.sampled_from(
        [
            "https://news.test/a?x=1&y=2",
            "http://evil.test|Trusted bank",
            "http://a.test/<!channel>",
            "https://a.test/x>y<@U1>",
            "javascript:alert(1)",
            "  https://spaces.test/a b  ",
            "http://",
            "http://[::1",
        ]
    ),
    feed_text.map(lambda t: "https://news.test/" + t),
)


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from strings(value)


def all_text(message: SlackMessage) -> list[str]:
    return [message.text, *strings(message.block_list())]


def assert_inert(message: SlackMessage, allowed_urls: set[str]) -> None:
    """No mention, channel link, broadcast or foreign link anywhere: every
    ``<…>`` is a link to one of ``allowed_urls``; every ``&`` is an entity.
    And Slack would take the message (limits, nothing blank)."""
    assert check_blocks(message.block_list()) is None
    assert message.text.strip()
    assert len(message.text) <= 40_000
    for text in all_text(message):
        assert not re.search(r"<[!@#]", text), text
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text
        for match in re.finditer(r"<", text):
            end = text.find(">", match.start())
            assert end != -1, text
            target, sep, label = text[match.start() + 1 : end].partition("|")
            assert sep, text
            assert "<" not in label and "|" not in label
            plain = unquote(html.unescape(target))
            assert urlsplit(plain).scheme in ("http", "https")
            assert plain in allowed_urls, (plain, allowed_urls)


def comparable(url: str | None) -> set[str]:
    if not url:
        return set()
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", url).strip()
    return {unquote(cleaned)}


@settings(max_examples=300, deadline=None)
@given(
    title=feed_text,
    description=feed_text,
    label=feed_text,
    value=feed_text,
    source=feed_text,
    contenders=st.lists(feed_text, max_size=3),
)
def test_no_feed_text_becomes_markup_in_a_card(
    title: str,
    description: str,
    label: str,
    value: str,
    source: str,
    contenders: list[str],
) -> None:
    facts = (
        FactLine(label, value, since=source, source=source),
        FactLine(
            label, value, since=None, source=source, disputed=True, contenders=tuple(contenders)
        ),
    )
    message = render_card(Card("s", title, description, facts, updated=source))
    assert_inert(message, set())


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["coverage", "fact_change", "notice"]),
    title=feed_text,
    text=feed_text,
    url=urls,
    source=st.one_of(st.none(), feed_text),
    published=st.one_of(st.none(), feed_text),
    also=st.lists(feed_text, max_size=3),
    why=feed_text,
)
def test_no_feed_text_becomes_markup_in_a_reply(
    kind: str,
    title: str,
    text: str,
    url: str | None,
    source: str | None,
    published: str | None,
    also: list[str],
    why: str,
) -> None:
    reply = Reply(kind, "s", title, text, url, source, published, tuple(also), why)  # type: ignore[arg-type]
    assert_inert(render_reply(reply), comparable(url))


@settings(max_examples=200, deadline=None)
@given(text=feed_text)
def test_no_text_becomes_markup_in_a_command_answer(text: str) -> None:
    answer = render_command_reply(CommandReply(text))
    assert not re.search(r"<", answer)


def test_mentions_and_disguised_links_are_shown_as_text() -> None:
    reply = coverage(
        "<!channel> wins & <@U123> <http://evil.test|Reuters>",
        url="http://evil.test|Trusted bank",
        source="<#C123>",
    )
    shown = render_reply(reply).blocks[0]["text"]["text"]
    # The URL's "|" is encoded and the label loses its "|" and ">", so neither
    # can end the link early or disguise it.
    assert shown.startswith(
        "*<http://evil.test%7CTrusted%20bank|"
        "&lt;!channel  wins &amp; &lt;@U123  &lt;http://evil.test Reuters>*\n"
    )
    assert "&lt;#C123&gt; · 2026-03-02" in shown


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "http://", None])
def test_only_http_urls_become_links(url: str | None) -> None:
    shown = render_reply(coverage("Title", url=url)).blocks[0]["text"]["text"]
    assert shown.startswith("*Title*")
    assert "<" not in shown


def test_coverage_reads_well() -> None:
    message = render_reply(coverage())
    section = message.blocks[0]["text"]["text"]
    assert section.splitlines()[:3] == [
        "*<https://news.test/a?x=1&amp;y=2|Anthropic disables Fable 5>*",
        "Reuters · 2026-03-02",
        "_also reported by AP, BBC_",
    ]
    assert message.blocks[1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "matched: score 87: Anthropic, export control",
                "verbatim": True,
            }
        ],
    }
    assert message.text == "Anthropic disables Fable 5 — Reuters — 2026-03-02"


def test_fact_change_says_what_it_was_and_what_it_is() -> None:
    message = render_reply(fact_change())
    assert message.blocks[0]["text"]["text"] == (
        "*Access changed*\n"
        "Access: was available — Anthropic, 2026-02-01 → now suspended — Reuters, 2026-03-02"
    )
    assert message.blocks[1]["elements"][0]["text"] == "<https://news.test/b|Reuters> · 2026-03-02"


def test_a_disputed_fact_says_who_says_what() -> None:
    disputed = fact(
        value="partially restored",
        disputed=True,
        contenders=(
            "Anthropic via Reuters says restored (2026-04-02)",
            "Commerce Department via AP says suspended (2026-04-01)",
        ),
    )
    message = render_card(card(facts=(disputed,)))
    assert message.blocks[1]["text"]["text"] == (
        "*Access*: disputed: partially restored — since 2026-03-02 (Reuters)\n"
        "• Anthropic via Reuters says restored (2026-04-02)\n"
        "• Commerce Department via AP says suspended (2026-04-01)"
    )
    assert message.blocks[0]["type"] == "header"
    assert message.blocks[-1]["elements"][0]["text"] == (
        "Threadline · storyline `fable-suspension` · updated 2026-03-03"
    )


# --- limits, at exactly N and N+1 ----------------------------------------------------------


def header_text(message: SlackMessage) -> str:
    text: str = message.blocks[0]["text"]["text"]
    return text


def test_header_of_150_characters_is_kept_whole() -> None:
    assert header_text(render_card(card("x" * 150))) == "x" * 150


def test_header_of_151_characters_is_truncated_to_150() -> None:
    shown = header_text(render_card(card("x" * 151)))
    assert shown == "x" * 149 + "…"


def test_truncation_never_cuts_an_entity() -> None:
    shown = header_text(render_card(card("&" * 151)))
    assert len(shown) <= 150
    assert shown.endswith("&amp;…")
    assert re.fullmatch(r"(&amp;)+…", shown)


def test_section_of_3000_characters_is_kept_whole() -> None:
    message = render_card(card(description="d" * 3000))
    assert message.blocks[1]["text"]["text"] == "d" * 3000


def test_section_of_3001_characters_is_truncated_to_3000() -> None:
    message = render_card(card(description="d" * 3001))
    assert message.blocks[1]["text"]["text"] == "d" * 2999 + "…"


def facts(n: int) -> tuple[FactLine, ...]:
    return tuple(fact(label=f"Fact {i}") for i in range(n))


def test_a_card_of_exactly_50_blocks_is_whole() -> None:
    message = render_card(card(facts=facts(48)))  # header + 48 facts + footer
    assert len(message.blocks) == 50
    assert "more facts" not in str(message.blocks)


def test_a_card_of_51_blocks_is_capped_at_50_and_says_so() -> None:
    message = render_card(card(facts=facts(49)))
    assert len(message.blocks) == 50
    assert message.blocks[-2]["elements"][0]["text"] == "… and 2 more facts not shown"
    assert message.blocks[-1]["elements"][0]["text"].startswith("Threadline")


def test_fallback_text_is_truncated_to_40000() -> None:
    message = render_card(card(facts=(fact(value="v" * 50_000),)))
    assert len(message.text) == 40_000
    assert message.text.endswith("…")
    assert len(message.blocks[1]["text"]["text"]) == 3000


async def test_slack_accepts_cards_at_and_over_every_limit(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    big = card(
        "t" * 151,
        description="d" * 3001,
        facts=tuple(fact(label=f"F{i}", value="v" * 4000) for i in range(60)),
    )
    await platform.post_root("C1", card("t" * 150, facts=facts(48)), idempotency_key="a")
    await platform.post_root("C1", big, idempotency_key="b")
    await platform.post_reply(
        "C1",
        await platform.post_root("C1", card(), idempotency_key="c"),
        coverage("t" * 5000, text="s" * 50_000, also=("a" * 5000,), why="w" * 5000),
        idempotency_key="d",
    )
    assert len(slack.messages("C1")) == 4


async def test_the_fake_refuses_what_slack_refuses(slack: FakeSlack) -> None:
    from slack_sdk.errors import SlackApiError

    from bot.platforms.slack.platform import make_client
    from tests.platforms.slack.samples import TOKEN

    client = make_client(TOKEN, slack.url)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    for blocks, text in (
        ([section] * 51, "x"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "x"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}], "x"),
        ([section], "x" * 40_001),
    ):
        with pytest.raises(SlackApiError):
            await client.chat_postMessage(channel="C1", text=text, blocks=blocks)
    assert [c.error for c in slack.calls] == ["invalid_blocks"] * 3 + ["msg_too_long"]


def test_the_flood_summary_shows_the_command_as_code() -> None:
    message = render_reply(summary_reply(storyline(), 4990))
    assert check_blocks(list(message.blocks)) is None
    assert message.blocks[0]["text"]["text"] == (
        "and 4990 more matched items: `threadline storylines show widget-ban`"
    )
    assert "4990 more matched items" in message.text
