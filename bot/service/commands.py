"""The commands people use, implemented once for Slack, Discord and the CLI.

``CommandService.execute`` parses a ``/threadline`` line and dispatches; the
methods below it are what the CLI calls directly. Admin-only commands check
``Invoker.is_admin`` before touching the database or the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.audit_events import CommandRun
from bot.core.command_text import CommandTextError, UnknownCommand, read_command, usage
from bot.core.commands import AUDITED, CommandReply, CommandRequest, Invoker
from bot.core.digest import DigestOptionError, parse_options
from bot.core.feed_input import clean_name, feed_ref, unwrap_chat_link, unwrap_chat_links
from bot.core.items import Feed, FeedSeed
from bot.core.render import day, fact_line
from bot.core.status import format_status
from bot.core.storyline import Storyline
from bot.core.subscriptions import ChannelAddress, DigestSchedule, Subscription
from bot.core.urls import feed_url, redact_url
from bot.errors import CommandError, FeedError, PermissionDenied
from bot.ports import AuditSink, Clock, FeedParser, Fetcher, FetchRequest
from bot.service.ledger import FactLedger
from bot.service.pictures import TimelinePictures
from bot.service.status import StatusService

_HELP = """Threadline commands:
  follow <storyline>      start this channel's thread for a storyline
  follow <storyline> digest:daily [at:HH:MM] [tz:ZONE]
                          coverage as one reply a day (fact changes at once);
                          digest:off posts every item again
  unfollow <storyline>    stop it
  storylines              list storylines with their current facts
  show <storyline>        each fact's timeline (value, since, source) and its picture
  status                  storyline states (admins also see feed health and the outbox)
admins only{note}:
  feeds list              feeds and their health
  feeds add <url> [name]  add a feed (it is fetched once to check it)
  feeds remove <id|url>   remove a feed"""


def help_text(admin_note: str | None = None) -> str:
    """The commands, with what the platform says beside its admin ones."""
    return _HELP.format(note=f" ({admin_note})" if admin_note else "")


#: The command that lists every feed where no platform names its own.
FEEDS_LIST = "threadline feeds list"

#: Discord shows at most 25 autocomplete choices.
MAX_CHOICES = 25
DIRECT_MESSAGE = (
    "Storyline threads live in channels, not in direct messages: "
    "run `/threadline follow <storyline>` in the channel that should follow it."
)


def _required(request: CommandRequest, option: str) -> str:
    value = (request.get(option) or "").strip()
    if not value:
        raise CommandError(f"`{request.name}` needs <{option}>. Usage: {usage(request.name)}")
    return value


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

    async def set_digest(
        self, subscription_id: int, digest: DigestSchedule | None, now: datetime
    ) -> int: ...


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
        audit: AuditSink | None = None,
        feeds_list_commands: Mapping[str, str] | None = None,
        admin_help: Mapping[str, str] | None = None,
    ) -> None:
        """``feeds_list_commands``: the command that lists every feed, by the
        platform an admin types it on (the status page in chat counts the feeds
        it leaves out and points there); ``admin_help``: what the help says
        beside the admin commands, by platform."""
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
        self.audit = audit
        self.feeds_list_commands = dict(feeds_list_commands or {})
        self.admin_help = dict(admin_help or {})

    async def execute(self, invoker: Invoker, text: str) -> CommandReply:
        """Run a command typed as one line (Slack, the CLI): read by
        ``bot.core.command_text`` (apostrophes and quotes as a person means
        them), then ``run``."""
        try:
            request = read_command(unwrap_chat_links(text))
        except UnknownCommand as exc:
            return CommandReply(f"{exc}\n\n{self.help(invoker)}", ok=False)
        except CommandTextError as exc:
            return CommandReply(str(exc), ok=False)  # its usage line says what fits
        return await self.run(invoker, request)

    async def run(self, invoker: Invoker, request: CommandRequest) -> CommandReply:
        """Run one command whose values are already known (Discord's typed
        options). Never raises for a refused command: ``ok=False``. A command
        that changes what is watched or followed (``AUDITED``) is audit-logged,
        whoever ran it and whether or not it was refused."""
        return await self.answer(invoker, request, self._dispatch(invoker, request))

    async def answer(
        self,
        invoker: Invoker,
        request: CommandRequest,
        work: Awaitable[str | CommandReply],
    ) -> CommandReply:
        """``work``'s answer to ``request``, or its refusal (``ok=False``),
        audit-logged as ``run`` says: the command line's ``follow`` and
        ``feeds add`` (which name a channel, or a feed's origin, of their own)
        are logged here like a chat's."""
        try:
            answer = await work
            reply = answer if isinstance(answer, CommandReply) else CommandReply(answer)
        except CommandError as exc:
            reply = CommandReply(exc.message, ok=False)
        if request.name in AUDITED and self.audit is not None:
            self.audit.write([CommandRun(invoker, request, reply)])
        return reply

    def help(self, invoker: Invoker) -> str:
        """The commands as the invoker's platform has them typed."""
        return help_text(self.admin_help.get(invoker.channel.platform))

    def storyline_choices(self, typed: str, *, open_only: bool) -> list[tuple[str, str]]:
        """Storylines (id, title) for autocomplete: those whose id or title
        contains ``typed`` (case-insensitive), ids starting with it first, at
        most ``MAX_CHOICES``; only open ones when ``open_only``."""
        needle = typed.strip().casefold()
        found = [
            s
            for s in self.storylines.values()
            if (s.status == "open" or not open_only)
            and (needle in s.id.casefold() or needle in s.title.casefold())
        ]
        found.sort(key=lambda s: (not s.id.casefold().startswith(needle), s.status != "open", s.id))
        return [(s.id, s.title) for s in found[:MAX_CHOICES]]

    async def _dispatch(self, invoker: Invoker, request: CommandRequest) -> str | CommandReply:
        name = request.name
        if name.startswith("feeds") and not invoker.is_admin:
            raise PermissionDenied(
                "Only workspace admins (or users listed in THREADLINE_ADMINS) can manage feeds."
            )
        match name:
            case "help":
                return self.help(invoker)
            case "follow":
                if invoker.direct_message:
                    raise CommandError(DIRECT_MESSAGE)
                storyline = _required(request, "storyline")
                options = [
                    f"{k}:{v.strip()}" for k in ("digest", "at", "tz") if (v := request.get(k))
                ]
                try:
                    digest = parse_options(options)
                except DigestOptionError as exc:
                    raise CommandError(f"{exc}.") from None
                return await self.follow(invoker.channel, storyline, digest=digest)
            case "unfollow":
                return await self.unfollow(invoker.channel, _required(request, "storyline"))
            case "storylines":
                return await self.list_storylines(invoker.channel)
            case "show":
                return await self.show_with_picture(
                    _required(request, "storyline"), invoker.channel
                )
            case "status":
                return await self.status(admin=invoker.is_admin, platform=invoker.channel.platform)
            case "feeds list":
                return format_feeds(await self.store.feeds())
            case "feeds add":
                return await self._feeds_add(request)
            case "feeds remove":
                return await self._feeds_remove(request)
        raise CommandError(f"Unknown command {name!r}.\n\n{self.help(invoker)}")

    async def _feeds_add(self, request: CommandRequest) -> str:
        feed = await self.add_feed(_required(request, "url"), request.get("name"), origin="chat")
        return f"Added feed #{feed.id} {feed.name} ({feed.url})."

    async def _feeds_remove(self, request: CommandRequest) -> str:
        ref = _required(request, "feed")
        removed = await self.store.remove_feed(feed_ref(ref))
        if removed is None:
            raise CommandError(f"No feed {redact_url(ref)!r}. `feeds list` shows ids and URLs.")
        return f"Removed feed #{removed.id} {removed.name}."

    def storyline(self, storyline_id: str) -> Storyline:
        storyline = self.storylines.get(storyline_id)
        if storyline is None:
            known = ", ".join(sorted(self.storylines))
            raise CommandError(f"No storyline {storyline_id!r}. Known: {known}.")
        return storyline

    async def follow(
        self,
        address: ChannelAddress,
        storyline_id: str,
        *,
        digest: DigestSchedule | bool | None = False,
    ) -> str:
        """Follow a storyline in a channel. ``digest``: a schedule for a daily
        digest of its coverage, None to post every item (``digest:off``), False
        to leave the channel's choice as it is."""
        storyline = self.storyline(storyline_id)
        if storyline.status != "open":
            raise CommandError(f"{storyline.id} is closed; it gets no new coverage.")
        now = self.clock.now()
        sub, created = await self.store.follow(address, storyline.id, now)
        if created and self.on_follow is not None:
            self.on_follow()
        if digest is False:
            if not created:
                return f"This channel already follows {storyline.id}."
            return f"Following {storyline.id} here: its thread starts with the current facts."
        schedule = digest if isinstance(digest, DigestSchedule) else None
        dropped = await self.store.set_digest(sub.id, schedule, now)
        start = f"Following {storyline.id} here" if created else storyline.id
        if schedule is None:
            text = f"{start}: every matched item is posted as it comes (no digest)."
            if dropped:
                text += f" {dropped} item{'s' if dropped > 1 else ''} gathered for the digest "
                text += "will not be posted."
            return text
        return f"{start}: coverage as a digest {schedule}; fact changes are still posted at once."

    async def unfollow(self, address: ChannelAddress, storyline_id: str) -> str:
        storyline = self.storyline(storyline_id)
        if not await self.store.unfollow(address, storyline.id):
            return f"This channel does not follow {storyline.id}."
        return f"Unfollowed {storyline.id}. The thread stays; nothing more is posted to it."

    async def list_storylines(self, channel: ChannelAddress | None = None) -> str:
        """Every storyline with its current facts; asked from a ``channel``,
        also whether it follows each one, and how (every item, or a digest)."""
        # Commands only read: a state resolved for the first time is recorded by
        # the poll cycle or delivery, not by someone looking.
        states = (await self.ledger.load(record=False)).states
        here: dict[str, Subscription] = {}
        if channel is not None:
            here = {
                sub.storyline: sub
                for sub in await self.store.subscriptions()
                if (sub.address.platform, sub.address.channel)
                == (channel.platform, channel.channel)
            }
        blocks = []
        for s in self.storylines.values():
            lines = [f"{s.id} ({s.status}) — {s.title}"]
            if s.id in here:
                lines.append(f"  this channel: follows, {delivery_mode(here[s.id])}")
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

    async def status(self, *, admin: bool, platform: str = "console") -> str:
        """The status page as chat text: the feeds needing an admin and the
        outbox for admins, the storyline states for everyone."""
        if self.status_page is None:
            raise CommandError("Status is not available here.")
        report = await self.status_page.report(admin=admin)
        return format_status(
            report, compact=True, feeds_list=self.feeds_list_commands.get(platform, FEEDS_LIST)
        )

    async def add_feed(self, url: str, name: str | None, *, origin: str) -> Feed:
        """Fetch the URL once through the SSRF guard and parse it; store it only if
        it is a safe, working feed. Raises ``CommandError`` saying why not."""
        try:
            url = feed_url(unwrap_chat_link(url))
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


def delivery_mode(sub: Subscription) -> str:
    """How a subscription gets coverage: ``every item`` or ``digest daily at …``."""
    return f"digest {sub.digest}" if sub.digest is not None else "every item"


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
