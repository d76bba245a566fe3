"""The console platform: storyline threads printed to a terminal.

Used when no chat token is set, so the bot is useful with no account anywhere.
Each message names its thread; the root card is reprinted when it changes.
"""

from __future__ import annotations

import itertools
import re
import sys
from typing import TextIO

from pydantic_settings import BaseSettings

from bot.core.channel_ids import ChannelIds
from bot.core.posts import Card, MessageRef, Reply
from bot.core.render import outlets_text
from bot.core.text import strip_controls
from bot.core.titles import MADE_TITLE_MARK, MADE_TITLE_NOTE
from bot.platforms.plugin import Platform
from bot.ports import ChatPlatform, PlatformLimits

#: What ``ConsolePlatform`` declares: titles and whole messages are cut to it.
LIMITS = PlatformLimits(max_text=100_000, max_title=1000, per_channel_interval=0.0)


def _clean(text: str) -> str:
    # Terminal escape sequences and other control characters from feed text must
    # never reach the terminal (they could rewrite the screen).
    return strip_controls(text)


def _title(text: str) -> str:
    return _clean(text)[: LIMITS.max_title]


def format_card(card: Card, *, edited: bool = False) -> str:
    head = "root card updated" if edited else "new thread"
    lines = [f"┏━ [{card.storyline}] {_title(card.title)}  ({head})"]
    for fact in card.facts:
        since = f" — since {fact.since}" if fact.since else ""
        source = f" ({_clean(fact.source)})" if fact.source else ""
        flag = " [DISPUTED]" if fact.disputed else ""
        lines.append(f"┃  {fact.label}: {_clean(fact.value)}{flag}{since}{source}")
        lines.extend(f"┃     · {_clean(c)}" for c in fact.contenders)
    lines.append("┗━")
    return "\n".join(lines)


def format_reply(reply: Reply) -> str:
    if reply.kind == "summary":
        body = f"… {_title(reply.title)}: `{_clean(reply.text)}`"
    elif reply.kind == "digest":
        lines = [f"☰ {_title(reply.title)}", f"      {_clean(reply.text)}"]
        for item in reply.items:
            also = f" and {item.also} other outlets" if item.also else ""
            lines.append(
                f"      {item.score:>3.0f}  {_title(item.title)} — {_clean(item.source)}{also}"
            )
            if item.url:
                lines.append(f"           {_clean(item.url)}")
        body = "\n".join(lines)
    elif reply.kind == "fact_change":
        body = f"⚑ {_clean(reply.text)}"
        if reply.url:
            body += f"\n      {_clean(reply.url)}"
    else:
        title = _title(reply.title)
        if reply.title_made:
            title = f"{MADE_TITLE_MARK} {title} [{MADE_TITLE_NOTE}]"
        body = f"• {title} — {_clean(reply.source or '')}, {reply.published}"
        if reply.url:
            body += f"\n      {_clean(reply.url)}"
        if reply.also:
            body += f"\n      also reported by {_clean(outlets_text(reply.also))}"
        if reply.why:
            body += f"\n      matched: {_clean(reply.why)}"
    return f"  ↳ [{reply.storyline}] {body}"


class ConsolePlatform:
    name = "console"
    limits = LIMITS

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._ids = itertools.count(1)

    def _print(self, text: str) -> None:
        out = self._out or sys.stdout
        out.write(text[: LIMITS.max_text] + "\n")
        out.flush()

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        ref = str(next(self._ids))
        self._print(format_card(card))
        return MessageRef(ref, ref)

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        self._print(format_reply(reply))
        return MessageRef(str(next(self._ids)), thread.thread_id)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        self._print(f"⚠ {_title(notice.title)}: {_clean(notice.text)}")
        ref = str(next(self._ids))
        return MessageRef(ref, ref)

    async def close(self) -> None:
        """Nothing to release: the console is the process's own output."""

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        self._print(format_card(card, edited=True))

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        # A terminal cannot change what it printed: the reply is printed again, marked.
        self._print(format_reply(reply).replace("  ↳ ", "  ↳ (updated) ", 1))

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        # A terminal keeps no history we can read back.
        return None


class ConsoleSettings(BaseSettings):
    """The console needs no token: nothing to read from the environment."""


async def _connect(settings: ConsoleSettings) -> ChatPlatform:
    return ConsolePlatform()


#: The console as the registry knows it: the fallback when no chat platform is
#: configured; its one channel follows every open storyline, and commands come
#: from the CLI.
CONSOLE = Platform(
    name="console",
    channel_ids=ChannelIds(
        re.compile(r"[\w.-]{1,80}"), "expected a short name of letters and digits", form="NAME"
    ),
    settings=ConsoleSettings,
    configured=lambda settings: False,
    connect=_connect,
    fallback=True,
    home_channel="terminal",
)
