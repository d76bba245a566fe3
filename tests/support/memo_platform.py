"""A chat platform that is not Threadline's: "memo", written the way a newcomer
writes one (its settings, its channel ids, its adapter, its command front end and
one ``Platform`` object) and registered from outside with
``bot.platforms.registry.register``.

Its "chat" lives in memory: people type lines into ``MemoPlatform.typed``; the
front end runs them as commands and keeps the answers; posts are recorded per
room, and ``posted`` is set each time one arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.channel_ids import ChannelIds, Refusal
from bot.core.commands import Invoker
from bot.core.posts import Card, MessageRef, Reply
from bot.core.subscriptions import ChannelAddress
from bot.platforms.plugin import FrontEndServices, Platform
from bot.ports import ChatPlatform, PlatformLimits


class MemoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEMO_", extra="ignore")

    token: SecretStr | None = None  # MEMO_TOKEN
    max_text: int = Field(4000, ge=100)  # MEMO_MAX_TEXT


@dataclass(frozen=True, slots=True)
class Post:
    room: str
    kind: str  # root, reply, edit, notice
    text: str


class MemoPlatform:
    name = "memo"

    def __init__(self, max_text: int) -> None:
        self.limits = PlatformLimits(max_text=max_text, max_title=200, per_channel_interval=0.0)
        self.posts: list[Post] = []
        self.posted = asyncio.Event()
        self.typed: asyncio.Queue[tuple[str, str]] = asyncio.Queue()  # (room, line)
        self.answers: list[str] = []
        self.closed = False
        self._ids = itertools.count(1)

    def _record(self, room: str, kind: str, text: str) -> MessageRef:
        self.posts.append(Post(room, kind, text))
        self.posted.set()
        ref = str(next(self._ids))
        return MessageRef(ref, ref)

    def in_room(self, room: str) -> list[Post]:
        return [p for p in self.posts if p.room == room]

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        return self._record(channel, "root", f"{card.title}: {len(card.facts)} facts")

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        return self._record(channel, "reply", reply.text or reply.title)

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        self._record(channel, "edit", card.title)

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        self._record(channel, "edit", reply.text)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        return self._record(channel, "notice", f"{notice.title}: {notice.text}")

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        return None

    async def close(self) -> None:
        self.closed = True


async def _connect(settings: MemoSettings) -> ChatPlatform:
    return MemoPlatform(settings.max_text)


async def _serve(memo: MemoPlatform, services: FrontEndServices) -> None:
    while True:
        room, line = await memo.typed.get()
        invoker = Invoker(user_id="ada", channel=ChannelAddress("memo", room), is_admin=False)
        reply = await services.commands.execute(invoker, line)
        memo.answers.append(reply.text)


def _front_end(
    settings: MemoSettings, platform: ChatPlatform, services: FrontEndServices
) -> Coroutine[Any, Any, None] | None:
    assert isinstance(platform, MemoPlatform)
    return _serve(platform, services)


MEMO = Platform(
    name="memo",
    channel_ids=ChannelIds(
        re.compile(r"[a-z][a-z0-9-]{0,39}"),
        "expected a room name in lower case, like newsroom",
        form="ROOM",
        refused=(Refusal(re.compile(r"inbox"), "memo room {channel!r} is private"),),
    ),
    settings=MemoSettings,
    configured=lambda settings: settings.token is not None,
    connect=_connect,
    front_end=_front_end,
    feeds_list_command="!feeds",
)
