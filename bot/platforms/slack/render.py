"""Core cards and replies as Slack Block Kit messages.

Pure functions. Every string that comes from a feed (titles, summaries, sources,
URLs, fact values) is escaped for mrkdwn, so it can never become a mention
(``<!channel>``, ``<@U…>``), a channel link (``<#C…>``) or a disguised link
(``<http://evil|nice>``); mrkdwn objects are also ``verbatim`` so Slack does not
auto-link bare ``@here`` or ``#channel`` words. The only ``<…>`` markup in our
output is links we build from a validated http(s) URL.

Limits (Slack's): header ≤ 150 characters, section text ≤ 3000, ≤ 50 blocks,
message text ≤ 40,000. Longer content is **truncated** with "…" (never split
into several messages, which would break the one-outbox-row-one-message rule);
a card with more facts than fit ends with a "… and N more facts" section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bot.core.commands import CommandReply
from bot.core.posts import Card, FactLine, Reply
from bot.core.render import outlets_text
from bot.core.text import strip_controls
from bot.core.titles import MADE_TITLE_NOTE
from bot.ports import PlatformLimits

#: What ``SlackPlatform`` declares; the renderer cuts headers and message text to it.
LIMITS = PlatformLimits(max_text=40_000, max_title=150, per_channel_interval=1.0)
MAX_HEADER = LIMITS.max_title
MAX_SECTION = 3000
MAX_CONTEXT = 2000
MAX_BLOCKS = 50
MAX_TEXT = LIMITS.max_text
MAX_URL = 2000
MAX_LINK_LABEL = 500
MAX_SUMMARY = 600
MAX_NAME = 200
MAX_ALSO = 600
MAX_ALT_TEXT = 2000
ELLIPSIS = "…"
UNTITLED = "(untitled)"

Block = dict[str, Any]

# C0/C1 control characters (tab and newline kept) have no business in a message.
# Characters that would end or split ``<url|label>`` markup, or let a URL carry spaces.
_URL_UNSAFE = re.compile(r"[\s<>|\"'`\\^{}]")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What ``chat.postMessage``/``chat.update`` get: fallback ``text`` (for
    notifications and clients without Block Kit) and ``blocks``."""

    text: str
    blocks: tuple[Block, ...]

    def block_list(self) -> list[Block]:
        return [dict(b) for b in self.blocks]


# --- escaping ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Feed text made inert for mrkdwn: ``&``, ``<`` and ``>`` as entities,
    control characters dropped."""
    text = strip_controls(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(escaped: str, limit: int) -> str:
    """``escaped`` cut to at most ``limit`` characters, ending in "…" when cut,
    never in the middle of an ``&amp;``-style entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - len(ELLIPSIS), 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def text_piece(raw: str, limit: int) -> str:
    """Feed text escaped, then fitted to ``limit``."""
    return fit(escape(raw), limit)


def title_piece(raw: str, limit: int) -> str:
    """Like ``text_piece``, but never blank: Slack refuses empty headers and
    sections, and a title of only spaces or control characters is one."""
    return text_piece(raw.strip(), limit).strip() or UNTITLED


def safe_url(url: str | None) -> str | None:
    """``url`` ready to go inside ``<…|…>``, or None when it is not a plain
    http(s) URL with a host (or is absurdly long). Characters that could close
    or split the markup are percent-encoded; ``&`` becomes ``&amp;`` as Slack
    expects inside links."""
    if not url:
        return None
    url = strip_controls(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    url = _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), url)
    url = url.replace("&", "&amp;")
    return url if len(url) <= MAX_URL else None


def link(url: str | None, label: str, *, limit: int = MAX_LINK_LABEL) -> str:
    """``<url|label>`` for a safe URL (the label escaped and stripped of ``|``
    and ``>``), or just the escaped label when the URL is not safe."""
    shown = text_piece(label.replace("|", " ").replace(">", " "), limit).strip() or UNTITLED
    target = safe_url(url)
    return f"<{target}|{shown}>" if target else shown


# --- blocks ----------------------------------------------------------------------------------


def header(raw_title: str) -> Block:
    # plain_text is never parsed for mentions, but Slack's docs ask for the
    # three entities in every text object, and it keeps raw "<" out of all output.
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": title_piece(raw_title, MAX_HEADER), "emoji": False},
    }


def section(mrkdwn: str) -> Block:
    """A section of already-escaped mrkdwn, fitted to the section limit."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": fit(mrkdwn, MAX_SECTION), "verbatim": True},
    }


def context(mrkdwn: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": fit(mrkdwn, MAX_CONTEXT), "verbatim": True}],
    }


def cap_blocks(blocks: Sequence[Block], *, what: str = "items") -> tuple[Block, ...]:
    """At most ``MAX_BLOCKS`` blocks; when some are dropped, the last block
    says how many."""
    if len(blocks) <= MAX_BLOCKS:
        return tuple(blocks)
    kept = list(blocks[: MAX_BLOCKS - 1])
    dropped = len(blocks) - len(kept)
    kept.append(context(f"… and {dropped} more {what} not shown"))
    return tuple(kept)


def fallback(parts: Iterable[str]) -> str:
    """Notification text: escaped pieces joined, fitted to the message limit;
    never blank (slack_sdk warns and clients show nothing)."""
    text = " — ".join(e for e in (escape(p).strip() for p in parts) if e)
    return fit(text, MAX_TEXT) or "Threadline update"


# --- cards -----------------------------------------------------------------------------------


def fact_mrkdwn(fact: FactLine) -> str:
    """``*Label*: value — since DATE (source)``; a disputed fact reads
    ``*Label*: disputed: value …`` followed by who says what."""
    value = escape(fact.value)
    if fact.disputed:
        value = f"disputed: {value}"
    line = f"*{escape(fact.label)}*: {value}"
    if fact.since:
        line += f" — since {escape(fact.since)}"
    if fact.source:
        line += f" ({escape(fact.source)})"
    for contender in fact.contenders:
        line += f"\n• {escape(contender)}"
    return line


def render_card(card: Card, *, picture_file: str | None = None) -> SlackMessage:
    """The root message of a storyline thread; ``picture_file`` is the Slack
    file id of the card's timeline picture, shown as an image block."""
    blocks: list[Block] = [header(card.title)]
    description = text_piece(card.description, MAX_SECTION).strip()
    if description:
        blocks.append(section(description))
    facts = [section(fact_mrkdwn(f)) for f in card.facts]
    if not facts:
        facts = [section("_No tracked facts yet._")]
    footer = f"Threadline · storyline `{escape(card.storyline)}`"
    if card.updated:
        footer += f" · updated {escape(card.updated)}"
    image: list[Block] = []
    if picture_file and card.picture is not None:
        alt = card.picture.title or "Fact timeline"
        image = [
            {
                "type": "image",
                "slack_file": {"id": picture_file},
                "alt_text": alt[:MAX_ALT_TEXT],
            }
        ]
    # The footer (and the picture) must survive the block cap, so facts are capped first.
    room = MAX_BLOCKS - len(blocks) - 1 - len(image)
    if len(facts) > room:
        dropped = len(facts) - (room - 1)
        facts = [*facts[: room - 1], context(f"… and {dropped} more facts not shown")]
    blocks.extend(facts)
    blocks.extend(image)
    blocks.append(context(footer))
    text = fallback([card.title, "; ".join(f"{f.label}: {f.value}" for f in card.facts)])
    return SlackMessage(text=text, blocks=cap_blocks(blocks, what="facts"))


# --- replies ---------------------------------------------------------------------------------


def _coverage(reply: Reply) -> SlackMessage:
    if reply.title_made:
        # Not the outlet's headline: italic, not bold, and said so.
        lines = [f"_{link(reply.url, reply.title)}_ ({MADE_TITLE_NOTE})"]
    else:
        lines = [f"*{link(reply.url, reply.title)}*"]
    byline = " · ".join(text_piece(p, MAX_NAME) for p in (reply.source, reply.published) if p)
    if byline:
        lines.append(byline)
    if reply.also:
        lines.append(f"_also reported by {text_piece(outlets_text(reply.also), MAX_ALSO)}_")
    if reply.text:
        lines.append(text_piece(reply.text, MAX_SUMMARY))
    blocks: list[Block] = [section("\n".join(lines))]
    if reply.why:
        blocks.append(context(f"matched: {escape(reply.why)}"))
    text = fallback([reply.title, reply.source or "", reply.published or ""])
    return SlackMessage(text=text, blocks=tuple(blocks))


def _fact_change(reply: Reply) -> SlackMessage:
    body = f"*{title_piece(reply.title, MAX_SECTION)}*\n{escape(reply.text)}"
    blocks: list[Block] = [section(body)]
    cause = " · ".join(escape(p) for p in (reply.published,) if p)
    if reply.url or reply.source:
        source_link = link(reply.url, reply.source or "source")
        cause = f"{source_link} · {cause}" if cause else source_link
    if cause:
        blocks.append(context(cause))
    return SlackMessage(text=fallback([reply.title, reply.text]), blocks=tuple(blocks))


def _notice(reply: Reply) -> SlackMessage:
    body = f"*{title_piece(reply.title, MAX_SECTION)}*"
    if reply.text:
        body += f"\n{escape(reply.text)}"
    return SlackMessage(text=fallback([reply.title, reply.text]), blocks=(section(body),))


def _summary(reply: Reply) -> SlackMessage:
    # The command is shown as code; a backtick could only end the code span early.
    code = escape(reply.text).replace("`", "'")
    body = f"{escape(reply.title)}: `{code}`"
    return SlackMessage(text=fallback([f"{reply.title}: {reply.text}"]), blocks=(section(body),))


def _digest(reply: Reply) -> SlackMessage:
    """The daily digest: a header, the counts and outlets, then one line per
    top item (a link, its outlet, how many others carried it, its score)."""
    blocks: list[Block] = [header(reply.title), context(escape(reply.text))]
    for item in reply.items:
        line = f"*{link(item.url, item.title)}*\n{text_piece(item.source, MAX_NAME)}"
        if item.also:
            line += f" and {item.also} other outlet{'' if item.also == 1 else 's'}"
        line += f" · score {item.score:.0f}"
        blocks.append(section(line))
    text = fallback([reply.title, reply.text])
    return SlackMessage(text=text, blocks=cap_blocks(blocks))


def render_reply(reply: Reply) -> SlackMessage:
    """A thread reply: new coverage, a fact change, the summary of coverage
    beyond the per-thread cap, a daily digest, or a notice."""
    if reply.kind == "coverage":
        return _coverage(reply)
    if reply.kind == "digest":
        return _digest(reply)
    if reply.kind == "fact_change":
        return _fact_change(reply)
    if reply.kind == "summary":
        return _summary(reply)
    return _notice(reply)


def render_command_reply(reply: CommandReply) -> str:
    """A command's answer as escaped mrkdwn text (sent ephemerally). Wrapped in
    a code block because command output is column-aligned plain text."""
    body = escape(reply.text)
    if "\n" not in reply.text:
        return fit(body, MAX_TEXT)
    fence = "```"
    body = fit(body.replace(fence, "'''"), MAX_TEXT - 2 * len(fence))
    return f"{fence}{body}{fence}"
