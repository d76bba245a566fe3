"""Embeds within Discord's limits, feed text inert, and both checked at the wire."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.commands import CommandReply
from bot.core.render import summary_reply
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.discord.render import (
    ELLIPSIS,
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_EMBED_TOTAL,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_TITLE,
    embed_size,
    escape,
    fit,
    render_card,
    render_command_reply,
    render_reply,
)
from tests.core.builders import storyline
from tests.platforms.discord.samples import CHANNEL, card, coverage, fact, fact_change
from tests.support.fake_discord import FakeDiscord

# What Discord turns into a ping or a mention chip.
MENTION = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>|</[^>]+:\d+>")
URL = re.compile(r"https?://\S+")
MARKDOWN = set("*_~|`\\")


def unescaped_markdown(text: str) -> list[str]:
    """Markdown characters not preceded by an escaping backslash (URLs aside,
    which Discord does not format), plus line-start ``#``, ``-`` and quote
    markers (``> `` / ``>>> ``)."""
    text = URL.sub("", text)
    found: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        at_line_start = i == 0 or text[i - 1] == "\n"
        quote = c == ">" and re.match(r">(>>)?[ \t]", text[i:])
        if c in MARKDOWN or (at_line_start and (c in "#-" or quote)):
            found.append(c)
        i += 1
    return found


def embed_texts(embed: dict[str, object]) -> list[str]:
    fields = embed.get("fields") or []
    texts = [str(embed.get("title") or ""), str(embed.get("description") or "")]
    for f in fields:  # type: ignore[attr-defined]
        texts += [f["name"], f["value"]]
    return texts


# --- escaping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@everyone breaking", "@\u200beveryone breaking"),
        ("<@123456789012345678> said", "<\u200b@\u200b123456789012345678> said"),
        ("**bold** _it_ `code` ||spoiler||", r"\*\*bold\*\* \_it\_ \`code\` \|\|spoiler\|\|"),
        ("# Huge\n> quote", "\\# Huge\n\\> quote"),
        ("intro\n- listed", "intro\n\\- listed"),
        ("[click](https://evil.test)", r"\[click](https://evil.test)"),
        ("bell\x07 and \x1b[31m", "bell and [31m"),
    ],
)
def test_feed_text_is_shown_not_interpreted(raw: str, shown: str) -> None:
    assert escape(raw) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@everyonhr<>#&!/:.*_~|`\\-[]() \n0123456789tps"))))
@example("<*:/0>")  # escape_markdown leaves an autolink's inside alone; we break the link
def test_escaped_text_never_mentions_and_never_formats(raw: str) -> None:
    out = escape(raw)
    assert not MENTION.search(out)
    assert not unescaped_markdown(out)


# --- limits at N and N+1 --------------------------------------------------------------------


@pytest.mark.parametrize(("length", "cut"), [(MAX_TITLE, False), (MAX_TITLE + 1, True)])
def test_title_limit(length: int, cut: bool) -> None:
    title = render_card(card("t" * length))["title"]
    assert len(title) <= MAX_TITLE
    assert title.endswith(ELLIPSIS) is cut


@pytest.mark.parametrize(("length", "cut"), [(MAX_DESCRIPTION, False), (MAX_DESCRIPTION + 1, True)])
def test_description_limit(length: int, cut: bool) -> None:
    embed = render_reply(fact_change("d" * length))
    assert len(embed["description"]) <= MAX_DESCRIPTION
    assert embed["description"].endswith(ELLIPSIS) is cut


@pytest.mark.parametrize(("length", "cut"), [(MAX_FIELD_NAME, False), (MAX_FIELD_NAME + 1, True)])
def test_field_name_limit(length: int, cut: bool) -> None:
    [field] = render_card(card(facts=(fact(label="n" * length),)))["fields"]
    assert len(field["name"]) <= MAX_FIELD_NAME
    assert field["name"].endswith(ELLIPSIS) is cut


@pytest.mark.parametrize(("length", "cut"), [(MAX_FIELD_VALUE, False), (MAX_FIELD_VALUE + 1, True)])
def test_field_value_limit(length: int, cut: bool) -> None:
    bare = fact(value="v" * length, since=None, source=None)
    [field] = render_card(card(facts=(bare,)))["fields"]
    assert len(field["value"]) <= MAX_FIELD_VALUE
    assert field["value"].endswith(ELLIPSIS) is cut


@pytest.mark.parametrize(("count", "shown"), [(MAX_FIELDS, MAX_FIELDS), (MAX_FIELDS + 1, 24)])
def test_field_count_limit(count: int, shown: int) -> None:
    facts = tuple(fact(label=f"Fact {i}", value="x") for i in range(count))
    fields = render_card(card(facts=facts))["fields"]
    assert len(fields) == MAX_FIELDS
    assert [f["name"] for f in fields[:shown]] == [f"Fact {i}" for i in range(shown)]
    if shown < count:
        assert fields[-1]["value"] == f"{count - shown} more facts not shown"


def test_the_whole_embed_stays_within_6000_and_says_what_it_left_out() -> None:
    facts = tuple(fact(label=f"Fact {i}", value="v" * 1000) for i in range(20))
    embed = render_card(card(facts=facts, description="d" * 4000))
    assert embed_size(embed) <= MAX_EMBED_TOTAL
    assert embed["fields"][-1]["value"].endswith("more facts not shown")


@pytest.mark.parametrize(("length", "cut"), [(MAX_CONTENT, False), (MAX_CONTENT + 1, True)])
def test_command_reply_content_limit(length: int, cut: bool) -> None:
    content = render_command_reply(CommandReply("c" * length))
    assert len(content) <= MAX_CONTENT
    assert content.endswith(ELLIPSIS) is cut


def test_truncation_never_cuts_an_escape_in_half() -> None:
    content = render_command_reply(CommandReply("*" * 5000))
    assert content.endswith(ELLIPSIS)
    assert not unescaped_markdown(content[: -len(ELLIPSIS)])


# --- what the cards and replies say ---------------------------------------------------------


def test_card_shows_each_fact_with_since_and_source_and_who_disputes_it() -> None:
    disputed = fact(
        label="Access",
        value="suspended",
        disputed=True,
        contenders=("Anthropic says restored (2026-03-04)", "Reuters says suspended (2026-03-02)"),
    )
    embed = render_card(card(facts=(disputed, fact(label="Reason", value="export control"))))
    access, reason = embed["fields"]
    assert access["name"] == "⚠ Access"
    assert access["value"].startswith("disputed: suspended — since 2026-03-02 · Reuters")
    assert "Anthropic says restored (2026-03-04)" in access["value"]
    assert reason["value"] == "export control — since 2026-03-02 · Reuters"
    assert embed["footer"]["text"] == "Threadline · fable-suspension · updated 2026-03-03"


def test_coverage_links_its_title_and_says_who_else_and_why() -> None:
    embed = render_reply(coverage())
    assert embed["url"] == "https://news.test/a?x=1&y=2"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {
        "Source": "Reuters, 2026-03-02",
        "Also reported by": "AP, BBC",
        "Why it matched": "score 87: Anthropic, export control",
    }


def test_a_url_that_is_not_plain_http_is_not_linked() -> None:
    assert "url" not in render_reply(coverage(url="javascript:alert(1)"))
    assert "url" not in render_reply(coverage(url="https://a.test/x y"))


# --- at the wire ---------------------------------------------------------------------------

hostile = st.text(
    alphabet=st.sampled_from(list("@everyonhr<>#&!*_~|`\\-[]() \n0123456789")), max_size=300
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=hostile, summary=hostile, source=hostile)
async def test_hostile_feed_text_reaches_discord_inert(
    discord_api: FakeDiscord, platform: DiscordPlatform, title: str, summary: str, source: str
) -> None:
    root = await platform.post_root(CHANNEL, card(title or "t"), idempotency_key=f"r{title}")
    reply = coverage(title or "t", text=summary, source=source or "s", also=(source,))
    await platform.post_reply(CHANNEL, root, reply, idempotency_key=f"c{title}{summary}{source}")

    for call in discord_api.calls_to("send_message")[-2:]:
        assert call.body["allowed_mentions"] == {"parse": []}
        for text in embed_texts(call.body["embeds"][0]):
            assert not MENTION.search(text)
            assert not unescaped_markdown(text)


@settings(max_examples=300, deadline=None)
@given(raw=st.text(), limit=st.integers(min_value=1, max_value=120))
def test_fitted_text_respects_any_limit(raw: str, limit: int) -> None:
    out = fit(raw, limit)
    assert len(out) <= limit
    assert out == escape(raw) or out.endswith(ELLIPSIS)


def test_the_flood_summary_shows_the_command_as_code() -> None:
    embed = render_reply(summary_reply(storyline(), 1))
    assert embed["title"] == "and 1 more matched item"
    assert embed["description"] == "`threadline storylines show widget-ban`"
    assert embed_size(embed) <= MAX_EMBED_TOTAL
