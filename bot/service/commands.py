"""The commands people use, implemented once for Slack, Discord and the CLI.

``CommandService.execute`` parses a ``/threadline`` line and dispatches; the
methods below it are what the CLI calls directly. Admin-only commands check
``Invoker.is_admin`` before touching the database or the network.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.feed_input import clean_name, feed_ref, feed_url, redact_url
from bot.core.models import (
    ChannelAddress,
    CommandReply,
    Feed,
    FeedSeed,
    Invoker,
    Storyline,
    Subscription,
)
from bot.core.render import day, fact_line
from bot.core.status import format_status
from bot.errors import CommandError, FeedError, PermissionDenied
from bot.ports import Clock, FeedParser, Fetcher, FetchRequest
from bot.service.ledger import FactLedger
from bot.service.pictures import TimelinePictures
from bot.service.status import StatusService

HELP = """Threadline commands:
  follow <storyline>      start this channel's thread for a storyline
  unfollow <storyline>    stop it
  storylines              list storylines with their current facts
  show <storyline>        each fact's timeline (value, since, source) and its picture
  status                  storyline states (admins also see feed health and the outbox)
admins only:
  feeds list              feeds and their health
  feeds add <url> [name]  add a feed (it is fetched once to check it)
  feeds remove <id|url>   remove a feed"""


class CommandStore(Protocol):
    """What the commands need of the Store."""

    async def feeds(self, *, enabled_only: bool = False) -> list[Feed]: ...

    async def add_feed(self, seed: FeedSeed, origin: str, now: datetime) -> tuple[Feed, bool]: ...

    async def remove_feed(self, ref: str) -> Feed | None: ...

    async def feed_by_url(self, url: str) -> Feed | None: ...

    async def follow(
        self, address: ChannelAddress, storyline: str, now: datetime
    ) -> tuple[Subscription, bool]: ...

    async def unfollow(self, address: ChannelAddress, storyline: str) -> bool: ...

    async def subscriptions(
        self, *, storyline: str | None = None, enabled_only: bool = True
    ) -> list[Subscription]: ...


class CommandService:
    def __init__(
        self,
        *,
        store: CommandStore,
        ledger: FactLedger,
        storylines: Sequence[Storyline],
        fetcher: Fetcher,
        parser: FeedParser,
        clock: Clock,
        default_interval: int,
        on_follow: Callable[[], Any] | None = None,
        on_feed_added: Callable[[], Any] | None = None,
        status: StatusService | None = None,
        pictures: TimelinePictures | None = None,
    ) -> None:
        self.store = store
        self.storylines = {s.id: s for s in storylines}
        self.fetcher = fetcher
        self.parser = parser
        self.clock = clock
        self.ledger = ledger
        self.default_interval = default_interval
        self.on_follow = on_follow
        self.on_feed_added = on_feed_added
        self.status_page = status
        self.pictures = pictures

    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            return CommandReply(f"Could not read that command: {exc}.", ok=False)
        try:
            answer = await self._dispatch(invoker, words)
        except CommandError as exc:
            return CommandReply(exc.message, ok=False)
        return answer if isinstance(answer, CommandReply) else CommandReply(answer)

    async def _dispatch(self, invoker: Invoker, words: list[str]) -> str | CommandReply:
        match words:
            case [] | ["help"]:
                return HELP
            case ["follow", storyline]:
                return await self.follow(invoker.channel, storyline)
            case ["unfollow", storyline]:
                return await self.unfollow(invoker.channel, storyline)
            case ["storylines"] | ["list"]:
                return await self.list_storylines()
            case ["show", storyline]:
                return await self.show_with_picture(storyline, invoker.channel)
            case ["status"]:
                return await self.status(admin=invoker.is_admin)
            case ["feeds", *rest]:
                if not invoker.is_admin:
                    raise PermissionDenied(
                        "Only workspace admins (or users listed in THREADLINE_ADMINS) "
                        "can manage feeds."
                    )
                return await self._feeds(rest)
        raise CommandError(f"Unknown command {' '.join(words)!r}.\n\n{HELP}")

    async def _feeds(self, words: list[str]) -> str:
        match words:
            case ["list"] | []:
                return format_feeds(await self.store.feeds())
            case ["add", url]:
                feed = await self.add_feed(url, None, origin="chat")
                return f"Added feed #{feed.id} {feed.name} ({feed.url})."
            case ["add", url, *name]:
                feed = await self.add_feed(url, " ".join(name), origin="chat")
                return f"Added feed #{feed.id} {feed.name} ({feed.url})."
            case ["remove", ref]:
                removed = await self.store.remove_feed(feed_ref(ref))
                if removed is None:
                    raise CommandError(
                        f"No feed {redact_url(ref)!r}. `feeds list` shows ids and URLs."
                    )
                return f"Removed feed #{removed.id} {removed.name}."
        raise CommandError("Usage: feeds list | feeds add <url> [name] | feeds remove <id|url>")

    def storyline(self, storyline_id: str) -> Storyline:
        storyline = self.storylines.get(storyline_id)
        if storyline is None:
            known = ", ".join(sorted(self.storylines))
            raise CommandError(f"No storyline {storyline_id!r}. Known: {known}.")
        return storyline

    async def follow(self, address: ChannelAddress, storyline_id: str) -> str:
        storyline = self.storyline(storyline_id)
        if storyline.status != "open":
            raise CommandError(f"{storyline.id} is closed; it gets no new coverage.")
        _sub, created = await self.store.follow(address, storyline.id, self.clock.now())
        if not created:
            return f"This channel already follows {storyline.id}."
        if self.on_follow is not None:
            self.on_follow()
        return f"Following {storyline.id} here: its thread starts with the current facts."

    async def unfollow(self, address: ChannelAddress, storyline_id: str) -> str:
        storyline = self.storyline(storyline_id)
        if not await self.store.unfollow(address, storyline.id):
            return f"This channel does not follow {storyline.id}."
        return f"Unfollowed {storyline.id}. The thread stays; nothing more is posted to it."

    async def list_storylines(self) -> str:
        # Commands only read: a state resolved for the first time is recorded by
        # the poll cycle or delivery, not by someone looking.
        states = (await self.ledger.load(record=False)).states
        blocks = []
        for s in self.storylines.values():
            lines = [f"{s.id} ({s.status}) — {s.title}"]
            for spec in s.facts:
                line = fact_line(spec, states.get((s.id, spec.id)))
                flag = " [disputed]" if line.disputed else ""
                since = f" since {line.since} ({line.source})" if line.since else ""
                lines.append(f"  {line.label}: {line.value}{flag}{since}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) or "No storylines are defined."

    async def show(self, storyline_id: str) -> str:
        storyline = self.storyline(storyline_id)
        facts = await self.ledger.load(record=False)
        claims, states = facts.claims, facts.states
        lines = [f"{storyline.title} ({storyline.id}, {storyline.status})", storyline.description]
        for spec in storyline.facts:
            line = fact_line(spec, states.get((storyline.id, spec.id)))
            flag = " [disputed]" if line.disputed else ""
            lines.append("")
            lines.append(f"{spec.label}: {line.value}{flag}")
            lines.extend(f"    {c}" for c in line.contenders)
            history = self.ledger.history(storyline, spec, claims.get((storyline.id, spec.id), ()))
            for view in history:
                mark = " (disputed)" if view.disputed else ""
                lines.append(
                    f"  {day(view.since)}  {spec.value_label(view.value)}{mark}"
                    f" — {view.source or 'unknown'}" + (f"  {view.url}" if view.url else "")
                )
            if not history:
                lines.append("  no reports yet")
        return "\n".join(lines)

    async def show_with_picture(
        self, storyline_id: str, channel: ChannelAddress | None = None
    ) -> CommandReply:
        """``show``'s text with the storyline's timeline picture attached (when
        this service has a painter). When ``channel`` follows the storyline, the
        picture names its thread there, for platforms that post files in a channel."""
        text = await self.show(storyline_id)
        if self.pictures is None:
            return CommandReply(text)
        storyline = self.storyline(storyline_id)
        picture = await self.pictures.png(storyline)
        if channel is not None:
            for sub in await self.store.subscriptions(storyline=storyline.id):
                if (sub.address.platform, sub.address.channel) == (
                    channel.platform,
                    channel.channel,
                ) and sub.root is not None:
                    picture = replace(picture, thread_id=sub.root.thread_id)
        return CommandReply(text, attachments=(picture,))

    async def status(self, *, admin: bool) -> str:
        """The status page as chat text: the feeds needing an admin and the
        outbox for admins, the storyline states for everyone."""
        if self.status_page is None:
            raise CommandError("Status is not available here.")
        return format_status(await self.status_page.report(admin=admin), compact=True)

    async def add_feed(self, url: str, name: str | None, *, origin: str) -> Feed:
        """Fetch the URL once through the SSRF guard and parse it; store it only if
        it is a safe, working feed. Raises ``CommandError`` saying why not."""
        try:
            url = feed_url(url.strip().strip("<>"))
        except ValueError as exc:
            raise CommandError(f"Not added: {exc}.") from None
        if name is not None and not clean_name(name):
            raise CommandError("Not added: the name has no visible characters.")
        try:
            result = await self.fetcher.fetch(FetchRequest(url))
            if result.status != "ok":
                raise CommandError(f"{url} answered {result.http_status}, not a feed.")
            parsed = await asyncio.to_thread(self.parser.parse, result.body, result.headers)
        except FeedError as exc:
            raise CommandError(f"Not added: {exc.message}") from None
        existing = await self.store.feed_by_url(url)
        if existing is not None:
            raise CommandError(f"Already watching that feed as #{existing.id} {existing.name}.")
        feed, created = await self.store.add_feed(
            FeedSeed(
                url, clean_name(name or parsed.title or "") or url[:200], self.default_interval
            ),
            origin,
            self.clock.now(),
        )
        if not created:
            raise CommandError(f"Already watching that feed as #{feed.id} {feed.name}.")
        if self.on_feed_added is not None:
            self.on_feed_added()
        return feed


def format_feeds(feeds: Sequence[Feed]) -> str:
    if not feeds:
        return "No feeds."
    lines = []
    for f in feeds:
        status = f.status if f.enabled else f"disabled ({f.error_code or 'by admin'})"
        line = (
            f"#{f.id} {f.name} — {status}, every {f.interval_seconds // 60} min — "
            f"{redact_url(f.url)}"
        )
        if f.last_error:
            line += f"\n    last error ({f.failures} in a row): {f.last_error}"
        lines.append(line)
    return "\n".join(lines)
