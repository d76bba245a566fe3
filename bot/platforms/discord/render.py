"""Core cards and replies as Discord embeds (plain dicts, the API's JSON shape).

Pure functions. Every string that comes from a feed (titles, summaries, sources,
fact values) is escaped: Discord markdown is backslash-escaped
(``discord.utils.escape_markdown``), ``@everyone``/``@here``/``@123…`` get a
zero-width space after the ``@`` (``discord.utils.escape_mentions``) and every
``<`` gets one too, so ``<@id>``, ``<@&id>``, ``<#id>``, ``</cmd:id>`` and
``<t:…>`` cannot form. Besides, every message we send carries
``allowed_mentions`` of ``AllowedMentions.none()``: even text we missed
could not ping anyone. Footers are not markdown in Discord, so they are only
cleaned of control characters.

Limits (Discord's): title ≤ 256, description ≤ 4096, ≤ 25 fields, field name
≤ 256, field value ≤ 1024, footer ≤ 2048, all of them together ≤ 6000, content
≤ 2000. Longer text is truncated with "…" (never split: one outbox row is one
message); when fields do not fit, the last one says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from discord.utils import escape_markdown, escape_mentions

from bot.core.commands import CommandReply
from bot.core.posts import Card, DigestItem, FactLine, Reply
from bot.core.render import outlets_text
from bot.core.text import CONTROL, strip_controls
from bot.core.titles import MADE_TITLE_MARK, MADE_TITLE_NOTE
from bot.ports import PlatformLimits

#: What ``DiscordPlatform`` declares; the renderer cuts message content and titles to it.
LIMITS = PlatformLimits(max_text=2000, max_title=256, per_channel_interval=1.0)
MAX_CONTENT = LIMITS.max_text
MAX_TITLE = LIMITS.max_title
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000
MAX_URL = 2000
ELLIPSIS = "…"
ZWSP = "\u200b"
COLOUR = 0x3B82F6

EmbedDict = dict[str, Any]

# C0/C1 control characters (tab and newline kept) have no business in a message.
_REF = re.compile(r"\bref ([0-9a-f]{8,25})$")


# --- escaping ------------------------------------------------------------------------------


def clean(text: str) -> str:
    """``text`` without control characters (for places Discord shows verbatim)."""
    return strip_controls(text)


def escape(text: str) -> str:
    """Feed text made inert for Discord: markdown escaped, mentions broken."""
    # Line by line: on a whole text, escape_markdown's ``^\s*-`` lets ``\s``
    # swallow a newline, putting the backslash before it and leaving the next
    # line's list marker ("\n- item") live.
    lines = (_escape_line(line) for line in clean(text).split("\n"))
    return escape_mentions("\n".join(lines)).replace("<", "<" + ZWSP)


# escape_markdown leaves ``<scheme:/…>`` autolinks as they are; every "<" is then
# broken, so what was inside one is plain text again and is escaped like the rest.
_AUTOLINK = re.compile(r"<([^: >]+:/[^ >]+)>")


def _escape_line(line: str) -> str:
    parts = _AUTOLINK.split(line)
    parts[1::2] = ["<" + escape_markdown(inside) + ">" for inside in parts[1::2]]
    parts[::2] = [escape_markdown(text) for text in parts[::2]]
    return "".join(parts)


def fit(raw: str, limit: int, *, escaper: Callable[[str], str] = escape) -> str:
    """``raw`` escaped, at most ``limit`` characters. When it does not fit, the
    longest prefix of ``raw`` whose escaped form fits with "…" is used, so an
    escape sequence is never cut in half."""
    escaped = escaper(raw)
    if len(escaped) <= limit:
        return escaped
    if limit < len(ELLIPSIS):
        return ""
    lo, hi = 0, len(raw)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(escaper(raw[:mid].rstrip())) + len(ELLIPSIS) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return escaper(raw[:lo].rstrip()) + ELLIPSIS


def fit_plain(raw: str, limit: int) -> str:
    """``raw`` cleaned (not escaped) and fitted: for footers and thread names."""
    return fit(raw, limit, escaper=clean)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) URL with a host that Discord accepts
    as an embed link, else None."""
    if not url:
        return None
    url = url.strip()
    if len(url) > MAX_URL or CONTROL.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# --- refs: the outbox key in the footer ----------------------------------------------------


def footer_with_ref(text: str, ref: str | None) -> str:
    """Footer text ending in ``ref <ref>`` (how ``find_sent`` recognises a post)."""
    suffix = f" · ref {ref}" if ref else ""
    return fit_plain(text, MAX_FOOTER - len(suffix)) + suffix


def ref_of(embed: dict[str, Any]) -> str | None:
    """The ref a footer made by ``footer_with_ref`` carries, if any."""
    footer = embed.get("footer") or {}
    match = _REF.search(str(footer.get("text") or ""))
    return match.group(1) if match else None


# --- sizes ---------------------------------------------------------------------------------


def embed_size(embed: EmbedDict) -> int:
    """The characters Discord counts against the 6000 total."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        size += len(f["name"]) + len(f["value"])
    return size


def _field(name: str, value: str, *, inline: bool = False) -> dict[str, Any]:
    return {
        "name": fit(name, MAX_FIELD_NAME) or ZWSP,
        "value": fit(value, MAX_FIELD_VALUE) or ZWSP,
        "inline": inline,
    }


def _assemble(
    *,
    title: str,
    description: str,
    fields: list[dict[str, Any]],
    footer: str,
    url: str | None = None,
    what: str = "items",
) -> EmbedDict:
    """An embed within every limit: fields are capped first (count, then the
    6000 total), the description gets what room is left."""
    embed: EmbedDict = {"type": "rich", "color": COLOUR, "title": fit(title, MAX_TITLE)}
    if link := safe_url(url):
        embed["url"] = link
    embed["footer"] = {"text": footer}
    fixed = embed_size(embed)

    def more(n: int) -> dict[str, Any]:
        return {"name": ELLIPSIS, "value": f"{n} more {what} not shown", "inline": False}

    kept: list[dict[str, Any]] = []
    used = fixed
    reserve = len(ELLIPSIS) + len(more(len(fields))["value"])
    for i, f in enumerate(fields):
        cost = len(f["name"]) + len(f["value"])
        last = i == len(fields) - 1
        room_for_it = len(kept) < MAX_FIELDS - 1 or (last and len(kept) < MAX_FIELDS)
        if room_for_it and used + cost <= MAX_EMBED_TOTAL - (0 if last else reserve):
            kept.append(f)
            used += cost
            continue
        extra = more(len(fields) - i)
        kept.append(extra)
        used += len(extra["name"]) + len(extra["value"])
        break
    if kept:
        embed["fields"] = kept
    room = min(MAX_DESCRIPTION, MAX_EMBED_TOTAL - used)
    if description and room > len(ELLIPSIS):
        embed["description"] = fit(description, room)
    return embed


# --- cards ---------------------------------------------------------------------------------


def fact_value(fact: FactLine) -> str:
    """``value — since DATE · source``; a disputed fact lists who says what."""
    value = f"disputed: {fact.value}" if fact.disputed else fact.value
    line = value
    if fact.since:
        line += f" — since {fact.since}"
    if fact.source:
        line += f" · {fact.source}"
    for contender in fact.contenders:
        line += f"\n• {contender}"
    return line


def render_card(card: Card, *, ref: str | None = None) -> EmbedDict:
    """The root message of a storyline thread: one field per fact."""
    fields = [
        _field(f"⚠ {fact.label}" if fact.disputed else fact.label, fact_value(fact))
        for fact in card.facts
    ]
    if not fields:
        fields = [_field("Facts", "No tracked facts yet.")]
    footer = f"Threadline · {card.storyline}"
    if card.updated:
        footer += f" · updated {card.updated}"
    return _assemble(
        title=card.title,
        description=card.description,
        fields=fields,
        footer=footer_with_ref(footer, ref),
        what="facts",
    )


# --- replies -------------------------------------------------------------------------------


def _source_line(reply: Reply) -> str:
    parts = [p for p in (reply.source, reply.published) if p]
    return ", ".join(parts) or "unknown source"


def render_reply(reply: Reply, *, ref: str | None = None) -> EmbedDict:
    """A thread reply: coverage (linked title, source and date, other outlets,
    why it matched), a fact change ("was X — … → now Y — …"), the summary of
    coverage beyond the per-thread cap (the command as code) or a notice."""
    if reply.kind == "summary":
        embed = _assemble(
            title=reply.title,
            description="",
            fields=[],
            footer=footer_with_ref(f"Threadline · {reply.storyline}", ref),
        )
        # Nothing is markup inside a code span; a backtick could only end it early.
        code = clean(reply.text).replace("`", "'")[: MAX_DESCRIPTION - 2]
        embed["description"] = f"`{code}`"
        return embed
    if reply.kind == "digest":
        return _digest(reply, ref)
    fields: list[dict[str, Any]] = []
    if reply.kind == "coverage":
        fields.append(_field("Source", _source_line(reply), inline=True))
        if reply.also:
            fields.append(_field("Also reported by", outlets_text(reply.also)))
        if reply.why:
            fields.append(_field("Why it matched", reply.why))
    elif reply.kind == "fact_change":
        fields.append(_field("Because of", _source_line(reply), inline=True))
    footer = f"Threadline · {reply.storyline}"
    title = reply.title
    if reply.title_made:
        # Embed titles take no italics: a marker, and the footer says why.
        title = f"{MADE_TITLE_MARK} {title}"
        footer += f" · {MADE_TITLE_NOTE}"
    footer = footer_with_ref(footer, ref)
    return _assemble(
        title=title,
        description=reply.text,
        fields=fields,
        footer=footer,
        url=reply.url,
    )


#: A digest item's link is shown only when it leaves room for the rest of its field.
MAX_DIGEST_LINK = 400


def _digest_item(item: DigestItem) -> dict[str, Any]:
    """One top item of a digest: its headline, then outlet, score and link (a
    bare URL, which Discord links; markdown escaping would break it)."""
    about = item.source
    if item.also:
        about += f" and {item.also} other outlet{'' if item.also == 1 else 's'}"
    about += f" · score {item.score:.0f}"
    url = safe_url(item.url)
    if url is None or len(url) > MAX_DIGEST_LINK:
        return _field(item.title, about)
    value = fit(about, MAX_FIELD_VALUE - len(url) - 1) + "\n" + url
    return {"name": fit(item.title, MAX_FIELD_NAME) or ZWSP, "value": value, "inline": False}


def _digest(reply: Reply, ref: str | None) -> EmbedDict:
    return _assemble(
        title=reply.title,
        description=reply.text,
        fields=[_digest_item(item) for item in reply.items],
        footer=footer_with_ref(f"Threadline · {reply.storyline} · daily digest", ref),
    )


# --- commands ------------------------------------------------------------------------------


def render_command_reply(reply: CommandReply) -> str:
    """Message content for a command's answer: escaped, ≤ 2000 characters."""
    return fit(reply.text, MAX_CONTENT) or ZWSP
