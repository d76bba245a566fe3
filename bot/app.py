"""The composition root: settings in, a wired Threadline out.

Everything is built here and nowhere else; tests build the same graph with
replacements (a fake clock, a fetcher that allows loopback, a platform double).
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_settings import BaseSettings

from bot.config.feeds_file import load_feeds_file
from bot.config.settings import Settings, load_section
from bot.config.storylines import load_storylines
from bot.core.items import FeedSeed
from bot.core.reader import prepare_reader
from bot.core.storyline import Storyline
from bot.core.subscriptions import ChannelAddress
from bot.errors import ConfigError
from bot.feeds.fetch import HttpFetcher
from bot.feeds.formats import FastFeedParser
from bot.feeds.parse_pool import ParsePool, ThreadParse, default_processes
from bot.platforms import registry
from bot.platforms.plugin import Connection, Platform
from bot.ports import ChatPlatform, Clock, FeedParser, Fetcher
from bot.render_png.timeline import MatplotlibTimelinePainter
from bot.service.commands import CommandService
from bot.service.deliver import Deliverer, DeliveryReport
from bot.service.digest import Digests
from bot.service.drafts import StorylineDrafts
from bot.service.ledger import FactLedger
from bot.service.notify import AdminNotifier
from bot.service.pictures import PicturedCards, TimelinePictures
from bot.service.poll_cycle import Poller
from bot.service.status import StatusService
from bot.service.storyline_review import WORDFREQ, optional_commonness
from bot.storage import migrate
from bot.storage.audit_log import AuditLog
from bot.storage.engine import make_engine
from bot.storage.problems import check_sqlite_path, describe, is_database_error
from bot.storage.process_lock import ProcessLock, database_file
from bot.storage.read_only import read_only_url
from bot.storage.store import Store

log = logging.getLogger(__name__)


class SystemClock:
    """The real clock (the ``Clock`` port)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Wakeup:
    """A wake-up call from the commands to whatever loop listens (none outside
    ``threadline run``): calling it calls every listener."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def __call__(self) -> None:
        for listener in self._listeners:
            listener()


@dataclass
class Threadline:
    settings: Settings
    store: Store
    storylines: list[Storyline]
    fetcher: Fetcher
    parser: FeedParser
    clock: Clock
    audit: AuditLog
    poller: Poller
    deliverer: Deliverer
    commands: CommandService
    notify: AdminNotifier
    ledger: FactLedger
    status: StatusService
    pictures: TimelinePictures
    drafts: StorylineDrafts
    digests: Digests
    parse_pool: ParsePool | None = None
    platforms: dict[str, ChatPlatform] = field(default_factory=dict)
    # The platforms ``build`` connected itself, with their settings: what
    # ``threadline run`` starts front ends for (none when handed platforms).
    connections: list[Connection] = field(default_factory=list)
    owner: str = ""
    feed_seeds: list[FeedSeed] = field(default_factory=list)
    # What the commands wake in a running bot: delivery (a channel followed a
    # storyline) and polling (a feed was added). The scheduler listens.
    wake_delivery: Wakeup = field(default_factory=lambda: Wakeup())
    wake_polling: Wakeup = field(default_factory=lambda: Wakeup())
    process_lock: ProcessLock | None = None
    started: bool = False

    async def start(self) -> None:
        """Become the polling and delivering process (``threadline run`` only;
        ``build`` only constructs, so every other command starts nothing):
        on SQLite take the database's process lock (waiting up to
        THREADLINE_LOCK_WAIT for another process) and recover the leases a
        dead process left; sync the feeds file; follow every open storyline in
        each platform's home channel (the console's terminal)."""
        path = database_file(self.settings.database_url)
        if path is not None:
            # Kept before it is taken: ``close`` lets go of it after the database closes.
            self.process_lock = ProcessLock(path)
            await self.process_lock.acquire(wait=self.settings.lock_wait)
            # The only polling process of this file: any lease left is a dead one's.
            await self.store.recover_leases(None)
        elif self.settings.instance_id:
            # A restarted instance takes back its own claims at once; other
            # instances' claims run out by themselves and are taken over then.
            await self.store.recover_leases(self.owner)
        self.started = True
        if self.drafts.commonness is None:
            log.warning("storyline drafts keep very common words as topics without %s", WORDFREQ)
        # The fact reader's lexicon compiled and a parse worker started now:
        # the first poll would pay for them.
        workers = self.parse_pool.start() if self.parse_pool is not None else asyncio.sleep(0)
        await asyncio.gather(asyncio.to_thread(prepare_reader), workers)
        now = self.clock.now()
        await self.store.sync_feeds(self.feed_seeds, now)
        for home in home_channels(self.platforms):
            for s in self.storylines:
                if s.status == "open":
                    await self.store.follow(home, s.id, now)

    async def deliver(self) -> DeliveryReport:
        """Queue the digests that are due, then send what the outbox holds."""
        await self.digests.produce_due()
        return await self.deliverer.drain()

    async def notify_disabled(self, messages: list[str]) -> None:
        for message in messages:
            await self.notify(message, title="Feed disabled")

    async def close(self) -> None:
        """Stop using everything ``build`` opened. A process that polled or
        delivered first gives back its claims of feeds and outbox rows, so the
        next process (a cron run, another instance) takes them at once rather
        than after the lease; a row caught mid-send stays ``sending`` and is
        looked for on the platform before it is sent again."""
        if self.started:
            try:
                await self.store.recover_leases(self.owner)
            except Exception:  # a database gone away: the leases run out by themselves
                log.warning("could not release this process's claims", exc_info=True)
        if self.parse_pool is not None:
            await self.parse_pool.close()
        self.poller.close()
        await self.fetcher.close()
        for platform in self.platforms.values():
            await platform.close()
        await self.store.close()
        if self.process_lock is not None:
            self.process_lock.release()


async def open_store(settings: Settings, *, auto_upgrade: bool, read_only: bool = False) -> Store:
    """Open the database and bring its schema up to date (under an advisory lock
    on PostgreSQL, so instances starting together upgrade once). ``read_only``
    (commands that only read): an SQLite file this process cannot write is
    opened read-only, as it is, instead of being refused."""
    url = read_only_url(settings.database_url) if read_only else None
    if url is None:
        check_sqlite_path(settings.database_url)
    engine = make_engine(url or settings.database_url, read_only=url is not None)
    try:
        if auto_upgrade and url is None:
            await migrate.upgrade(engine)
        else:
            current = await migrate.current_revision(engine)
            head = migrate.head_revision()
            if current != head:
                fix = (
                    "make it writable and run `threadline db upgrade`"
                    if url is not None
                    else "run `threadline db upgrade` first"
                )
                what = "the read-only database" if url is not None else "the database"
                raise ConfigError(
                    f"{what} is at schema {current or 'none'}, this version needs {head}: {fix}"
                )
    except BaseException as exc:
        await engine.dispose()
        if isinstance(exc, OSError) or is_database_error(exc):
            raise ConfigError(describe(settings.database_url, exc)) from None
        raise
    return Store(engine)


def home_channels(platforms: Mapping[str, ChatPlatform]) -> list[ChannelAddress]:
    """The home channels (``Platform.home_channel``) of ``platforms``."""
    homes = []
    for name in platforms:
        platform = registry.find(name)
        if platform is not None and platform.home_channel is not None:
            homes.append(ChannelAddress(name, platform.home_channel))
    return homes


def configured_admin_channel(settings: Settings) -> ChannelAddress | None:
    """THREADLINE_ADMIN_CHANNEL read with the registered platforms' id rules.
    Raises ``ConfigError`` naming the variable when it is not one of their
    channels."""
    if not settings.admin_channel:
        return None
    try:
        return registry.parse_channel(settings.admin_channel)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: THREADLINE_ADMIN_CHANNEL: {exc}") from None


def check_settings(settings: Settings) -> None:
    """What ``load_settings`` cannot check alone, checked at start: the admin
    channel against the registered platforms, and every platform's own
    variables. Raises ``ConfigError`` naming the variable."""
    configured_admin_channel(settings)
    for platform in registry.platforms():
        load_section(platform.settings)


async def chat_platforms() -> list[Connection]:
    """The chat platforms the environment configures (its tokens), connected;
    none configured: the fallback (the console)."""
    sections: list[tuple[Platform[Any], BaseSettings]] = [
        (p, load_section(p.settings)) for p in registry.platforms()
    ]
    chosen = [(p, s) for p, s in sections if p.configured(s)] or [
        (p, s) for p, s in sections if p.fallback
    ]
    connections: list[Connection] = []
    try:
        for platform, section in chosen:
            connections.append(Connection(platform, section, await platform.connect(section)))
    except BaseException:
        for connection in connections:
            await connection.adapter.close()
        raise
    return connections


#: glibc's mallopt parameter for the most malloc arenas (M_ARENA_MAX).
_M_ARENA_MAX = -8


@functools.cache  # once a process
def _one_malloc_arena() -> None:
    """glibc gives each thread that allocates an arena of its own (up to eight
    per CPU) and keeps what each one freed for that arena: the bot's threads
    (deciding and reading, the database's, the event loop's pool) held
    megabytes apart. One arena for all: 3.3 MB less at a first poll's peak,
    and no slower (the GIL already takes the threads' allocations in turn).
    Set before the threads start; nothing where the C library is not glibc."""
    try:
        # The process's own symbols, the C library's among them (no search for
        # the library's file: ctypes.util.find_library runs ldconfig).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no mallopt here (or no dlopen)
        return
    mallopt(_M_ARENA_MAX, 1)


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fetcher: Fetcher | None = None,
    parser: FeedParser | None = None,
    platforms: Mapping[str, ChatPlatform] | None = None,
    use_seeded_history: bool = True,
    sync_feeds: bool = True,
    auto_upgrade: bool = True,
    read_only: bool = False,
) -> Threadline:
    _one_malloc_arena()
    clock = clock or SystemClock()
    admin_channel = configured_admin_channel(settings)
    storylines = load_storylines(settings.storylines_dir)
    # Read before the database opens: a bad file must not leave a database behind.
    # Only checked here; ``start`` writes it to the database.
    seeds = load_feeds_file(settings.feeds_file, settings.default_interval) if sync_feeds else []
    store = await open_store(settings, auto_upgrade=auto_upgrade, read_only=read_only)
    formats = FastFeedParser(max_bytes=settings.max_feed_bytes)
    fetcher = fetcher or HttpFetcher(
        allow_private=settings.allow_private_feeds,
        timeout=settings.fetch_timeout,
        max_bytes=settings.max_feed_bytes,
        accept=formats.accept,
    )
    parser = parser or formats
    connections: list[Connection] = []
    if platforms is None:
        try:
            connections = await chat_platforms()
        except BaseException:
            await store.close()
            raise
        platforms = {c.platform.name: c.adapter for c in connections}
    owner = settings.instance_id or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    audit = AuditLog(settings.audit_log)
    ledger = FactLedger(store, storylines, clock, use_seeded_history=use_seeded_history)
    wake_delivery, wake_polling = Wakeup(), Wakeup()
    # Unset: the first home channel (the console's), else notices go to the log only.
    notify = AdminNotifier(platforms, admin_channel or next(iter(home_channels(platforms)), None))
    processes = settings.parse_processes
    processes = default_processes() if processes is None else processes
    parse_pool = ParsePool(processes) if processes else None
    status = StatusService(store, ledger, storylines, clock, owner)
    pictures = TimelinePictures(ledger, MatplotlibTimelinePainter(), clock)
    deliverer = Deliverer(
        store=store,
        # Root cards carry the timeline picture where the platform can show it.
        platforms={
            name: PicturedCards(p, pictures, storylines, clock)
            if getattr(p, "shows_pictures", False)
            else p
            for name, p in platforms.items()
        },
        storylines=storylines,
        clock=clock,
        audit=audit,
        owner=owner,
        ledger=ledger,
        lease=timedelta(seconds=settings.delivery_lease),
        notify_admins=notify,
    )
    return Threadline(
        settings=settings,
        store=store,
        storylines=storylines,
        fetcher=fetcher,
        parser=parser,
        clock=clock,
        audit=audit,
        poller=Poller(
            store=store,
            fetcher=fetcher,
            parser=parser,
            parsing=parse_pool or ThreadParse(),
            storylines=storylines,
            clock=clock,
            audit=audit,
            owner=owner,
            ledger=ledger,
            concurrency=settings.fetch_concurrency,
            lease=timedelta(seconds=settings.feed_lease),
            max_replies_per_thread=settings.max_replies_per_thread,
        ),
        deliverer=deliverer,
        commands=CommandService(
            store=store,
            storylines=storylines,
            fetcher=fetcher,
            parser=parser,
            clock=clock,
            ledger=ledger,
            default_interval=settings.default_interval,
            on_follow=wake_delivery,
            on_feed_added=wake_polling,
            status=status,
            pictures=pictures,
            audit=audit,
            feeds_list_commands={
                p.name: p.feeds_list_command
                for p in registry.platforms()
                if p.feeds_list_command is not None
            },
            admin_help={p.name: p.admin_help for p in registry.platforms() if p.admin_help},
        ),
        notify=notify,
        ledger=ledger,
        status=status,
        pictures=pictures,
        drafts=StorylineDrafts(store, storylines, clock, commonness=optional_commonness()),
        digests=Digests(store=store, storylines=storylines, clock=clock, audit=audit),
        parse_pool=parse_pool,
        platforms=dict(platforms),
        connections=connections,
        owner=owner,
        feed_seeds=seeds,
        wake_delivery=wake_delivery,
        wake_polling=wake_polling,
    )
