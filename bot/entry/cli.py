"""The ``threadline`` command line (also ``python -m bot``).

Flags override the environment. Expected errors print one clear line and exit
non-zero; they never show a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Threadline, build, check_settings, open_store
from bot.config.settings import Settings, load_settings
from bot.config.storylines import load_storyline
from bot.core.commands import CommandRequest, Invoker
from bot.core.digest import DigestOptionError
from bot.core.digest import schedule as digest_schedule
from bot.core.feed_input import feed_ref
from bot.core.status import format_status, status_json
from bot.core.subscriptions import ChannelAddress, DigestSchedule
from bot.core.urls import redact_url
from bot.errors import CommandError, ConfigError, ThreadlineError
from bot.platforms import registry
from bot.service.commands import delivery_mode, format_feeds
from bot.storage import migrate
from bot.storage.problems import describe, is_database_error

log = logging.getLogger("bot")


def _common(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--database", metavar="URL", default=default, help="database URL (THREADLINE_DATABASE_URL)"
    )
    parser.add_argument(
        "--feeds",
        metavar="FILE",
        default=default,
        type=Path,
        help="feeds file (THREADLINE_FEEDS_FILE, default feeds.yaml)",
    )
    parser.add_argument(
        "--storylines",
        metavar="DIR",
        default=default,
        type=Path,
        help="storylines folder (THREADLINE_STORYLINES_DIR)",
    )
    parser.add_argument(
        "--audit-log",
        metavar="PATH",
        default=default,
        type=Path,
        help="append decisions as JSON lines here (THREADLINE_AUDIT_LOG)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", default=default)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threadline",
        description="Threadline: storyline threads with disputed-fact tracking.",
    )
    _common(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _common(p, argparse.SUPPRESS)
        return p

    run = cmd("run", "run the bot (scheduler + chat platforms, or the console)")
    run.add_argument(
        "--once", action="store_true", help="poll every enabled feed once, deliver, exit"
    )
    run.add_argument(
        "--no-seeded-history",
        action="store_true",
        help="ignore the histories in storyline files (for evaluation)",
    )

    def action(group: argparse._SubParsersAction[Any], name: str, help: str) -> Any:
        p = group.add_parser(name, help=help, description=help)
        _common(p, argparse.SUPPRESS)
        return p

    feeds = cmd("feeds", "list, add or remove feeds")
    fsub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    fl = action(fsub, "list", "feeds and their health")
    fl.add_argument("--json", action="store_true", help="one JSON object per feed")
    fa = action(fsub, "add", "add a feed (fetched once to check it)")
    fa.add_argument("url")
    fa.add_argument("name", nargs="?")
    fr = action(fsub, "remove", "remove a feed by id or URL")
    fr.add_argument("ref")

    storylines = cmd(
        "storylines", "list storylines, show one's fact timeline, check or try a new file"
    )
    ssub = storylines.add_subparsers(dest="action", required=True, metavar="ACTION")
    action(ssub, "list", "storylines with their current facts")
    show = action(ssub, "show", "a storyline's facts and their timelines")
    show.add_argument("storyline")
    show.add_argument(
        "--png", metavar="FILE", type=Path, help="also write its fact-timeline picture here"
    )
    check = action(ssub, "check", "validate a storyline file and warn about weak phrases")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--corpus",
        metavar="JSONL",
        type=Path,
        help="sample items (labelled-corpus JSONL) to find phrases frequent in unrelated news",
    )
    trial = action(
        ssub, "try", "show what a storyline file would match and the fact timeline it gives"
    )
    trial.add_argument("file", type=Path)
    trial.add_argument(
        "--corpus", metavar="JSONL", type=Path, help="run over these items, not the stored ones"
    )
    trial.add_argument(
        "--since",
        metavar="DAYS",
        type=float,
        default=30.0,
        help="stored items published in the last DAYS days (default 30)",
    )
    trial.add_argument("--brief", action="store_true", help="leave out the reasons")
    trial.add_argument(
        "--json",
        action="store_true",
        help="print JSON: each item's score, reasons and readings (polarity, certainty, time)",
    )
    drafts = action(
        ssub,
        "suggest",
        "draft storyline files for the stories among recent items no storyline took",
    )
    drafts.add_argument(
        "--since",
        metavar="DAYS",
        type=float,
        help="items published in the last DAYS days (default 30; with --corpus, all)",
    )
    drafts.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("suggested"),
        help="where the drafts are written (default suggested/)",
    )
    drafts.add_argument(
        "--corpus", metavar="JSONL", type=Path, help="draft from these items, not the stored ones"
    )

    for name, help in (
        ("follow", "start a channel's thread for a storyline"),
        ("unfollow", "stop a channel's thread for a storyline"),
    ):
        p = cmd(name, help)
        p.add_argument("storyline")
        p.add_argument(
            "--channel",
            required=True,
            metavar="PLATFORM:ID",
            help=registry.channel_help(),
        )
        if name == "follow":
            p.add_argument(
                "--digest",
                choices=("daily", "off"),
                help="daily: coverage as one reply a day (fact changes still at once); "
                "off: every item at once",
            )
            p.add_argument(
                "--digest-at", metavar="HH:MM", help="when the daily digest is posted (09:00)"
            )
            p.add_argument("--digest-tz", metavar="ZONE", help="the time zone of --digest-at (UTC)")

    status = cmd("status", "feed health, the outbox and storyline states")
    status.add_argument("--json", action="store_true", help="the same as one JSON object")

    subs = cmd("subscriptions", "channels and the storylines they follow")
    action(
        subs.add_subparsers(dest="action", required=True, metavar="ACTION"),
        "list",
        "every subscription and its state",
    )

    outbox = cmd("outbox", "messages waiting to be sent, and why; re-queue them")
    osub = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    ol = action(osub, "list", "what waits to be sent, why, and when it is tried next")
    ol.add_argument("--json", action="store_true", help="one JSON object per message")
    ol.add_argument(
        "--limit", type=int, default=200, metavar="N", help="show at most N messages (200)"
    )
    orq = action(osub, "retry", "send waiting messages at the next delivery, not after back-off")
    orq.add_argument(
        "--failed",
        action="store_true",
        help="also re-queue messages that failed for good (their channel must be followed)",
    )

    db = cmd("db", "database maintenance")
    dsub = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    action(dsub, "upgrade", "apply migrations")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(
        database_url=getattr(args, "database", None),
        feeds_file=getattr(args, "feeds", None),
        storylines_dir=getattr(args, "storylines", None),
        audit_log=getattr(args, "audit_log", None),
    )
    check_settings(settings)
    return settings


async def _with_app(
    settings: Settings, work: Callable[[Threadline], Awaitable[int]], **kw: Any
) -> int:
    app = await build(settings, **kw)
    try:
        return await work(app)
    finally:
        await app.close()


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.once:
        from bot.entry.serve import serve

        return await serve(settings)

    async def once(app: Threadline) -> int:
        await app.start()
        report = await app.poller.run_all()
        await app.notify_disabled(report.disabled)
        delivered = await app.deliver()
        backlog = await app.deliverer.backlog()
        print(
            f"polled {report.feeds} feeds: {report.new_items} new items, "
            f"{report.fact_changes} fact changes, {delivered.sent} messages sent"
            + (f", {len(report.errors)} feeds failed" if report.errors else ""),
            file=sys.stderr,
        )
        for url, error in report.errors.items():
            print(f"  could not poll {redact_url(url)}: {error}", file=sys.stderr)
        for target in delivered.disabled:
            print(f"  stopped posting to {target}: see the log", file=sys.stderr)
        undelivered = delivered.retried + delivered.failed
        if undelivered:
            print(
                f"  {undelivered} message{'s' if undelivered > 1 else ''} could not be delivered"
                + (f" ({delivered.retried} will be retried)" if delivered.retried else "")
                + ": see the log",
                file=sys.stderr,
            )
        if backlog.waiting or backlog.failed:
            for line in backlog.lines():
                print(f"  {line}", file=sys.stderr)
        # Nothing reached chat although something was due (the platform is down,
        # or other processes hold the messages): say so in the exit code too, so
        # cron and scripts notice.
        stuck = undelivered + backlog.held_elsewhere
        return 1 if stuck and not delivered.sent else 0

    return await _until_sigterm(
        _with_app(settings, once, use_seeded_history=not args.no_seeded_history)
    )


async def _until_sigterm(work: Coroutine[Any, Any, int]) -> int:
    """Run ``work``; SIGTERM cancels it, so its clean-up (claims given back,
    the database closed) runs before the process ends with 143."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
        print("threadline: stopped (SIGTERM); claims given back", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    async def work(app: Threadline) -> int:
        if args.action == "retry":
            requeued, left = await app.store.requeue_outbox(include_failed=args.failed)
            plural = "s" if requeued != 1 else ""
            print(f"re-queued {requeued} message{plural}: sent at the next delivery")
            if left:
                print(
                    f"{left} failed message{'s' if left != 1 else ''} left: "
                    "their subscription is disabled (follow the storyline again first)"
                )
            return 0
        if args.limit < 1:
            print("threadline: error: --limit must be at least 1", file=sys.stderr)
            return 2
        now = app.clock.now()
        backlog = await app.store.outbox_backlog(now)
        entries = await app.store.outbox_entries(limit=args.limit)
        if args.json:
            for e in entries:
                print(
                    json.dumps(
                        {
                            "id": e.id,
                            "channel": e.channel,
                            "storyline": e.storyline,
                            "kind": e.kind,
                            "status": e.status,
                            "attempts": e.attempts,
                            "unreachable": e.unreachable,
                            "created_at": e.created_at.isoformat(),
                            "next_attempt": e.next_attempt.isoformat() if e.next_attempt else None,
                            "last_error": e.last_error,
                        }
                    )
                )
            return 0
        print("\n".join(backlog.lines()))
        for e in entries:
            print(e.line(now))
        shown = backlog.waiting + backlog.failed
        if shown > len(entries):
            print(f"… {shown - len(entries)} more (--limit)")
        return 0

    return await _with_app(settings, work, platforms={})


async def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    async def work(app: Threadline) -> int:
        if args.action == "list":
            feeds = await app.store.feeds()
            if args.json:
                for f in feeds:
                    print(
                        json.dumps(
                            {
                                "id": f.id,
                                "url": redact_url(f.url),
                                "name": f.name,
                                "status": f.status if f.enabled else "disabled",
                                "last_error": f.last_error,
                                "error_code": f.error_code,
                                "failures": f.failures,
                                "interval": f.interval_seconds,
                                "origin": f.origin,
                            }
                        )
                    )
            else:
                print(format_feeds(feeds))
            return 0
        if args.action == "add":

            async def add() -> str:
                feed = await app.commands.add_feed(args.url, args.name, origin="cli")
                return f"added feed #{feed.id} {feed.name} ({feed.url})"

            options = {"url": args.url} | ({"name": args.name} if args.name else {})
            return await _audited(app, CommandRequest("feeds add", options), add())

        async def remove() -> str:
            removed = await app.store.remove_feed(feed_ref(args.ref))
            if removed is None:
                raise CommandError(f"no feed {redact_url(args.ref)!r}")
            return f"removed feed #{removed.id} {removed.name}"

        return await _audited(app, CommandRequest("feeds remove", {"feed": args.ref}), remove())

    return await _with_app(settings, work, platforms={}, read_only=args.action == "list")


async def _storylines(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in ("check", "try"):
        return await _review(args, settings)
    if args.action == "suggest":
        return await _suggest(args, settings)

    async def work(app: Threadline) -> int:
        try:
            if args.action == "list":
                print(await app.commands.list_storylines())
            else:
                print(await app.commands.show(args.storyline))
                if args.png is not None:
                    png = await app.pictures.png(app.commands.storyline(args.storyline))
                    try:
                        args.png.write_bytes(png.data)
                    except OSError as exc:
                        print(f"threadline: cannot write {args.png}: {exc}", file=sys.stderr)
                        return 2
                    print(f"picture written to {args.png}", file=sys.stderr)
        except CommandError as exc:
            print(f"threadline: {exc.message}", file=sys.stderr)
            return 1
        return 0

    return await _with_app(settings, work, platforms={}, read_only=True)


async def _review(args: argparse.Namespace, settings: Settings) -> int:
    """``storylines check`` / ``try``: a file under review, beside the live storylines."""
    from bot.config.corpus_file import load_corpus
    from bot.config.files import read_text
    from bot.config.messages import line_of
    from bot.config.storylines import MAX_FILE_BYTES, live_storylines
    from bot.core.review import format_trial, trial, trial_json
    from bot.service.storyline_review import check

    sample = load_corpus(args.corpus) if args.corpus else []
    storyline = load_storyline(args.file)
    others = live_storylines(settings.storylines_dir)
    if args.action == "check":
        text = read_text(args.file, max_bytes=MAX_FILE_BYTES, what="storyline file")
        print(
            check(storyline, str(args.file), others, sample, line_of=lambda at: line_of(text, at))
        )
        return 0
    if args.corpus is None:
        since = datetime.now(UTC) - timedelta(days=args.since)

        async def stored(app: Threadline) -> int:
            sample.extend(await app.store.entries_since(since))
            return 0

        await _with_app(settings, stored, platforms={}, read_only=True)
    report = trial(storyline, sample, others)
    if args.json:
        print(json.dumps(trial_json(report), ensure_ascii=False, indent=2))
    else:
        print(format_trial(report, reasons=not args.brief))
    return 0


async def _suggest(args: argparse.Namespace, settings: Settings) -> int:
    """``storylines suggest``: draft files for the candidate stories."""
    from bot.app import SystemClock
    from bot.config.corpus_file import load_corpus
    from bot.config.drafts import draft_line, write_drafts
    from bot.config.storylines import live_storylines
    from bot.core.suggest import Suggestion, suggest
    from bot.service.storyline_review import required_commonness

    if args.since is not None and args.since <= 0:
        raise ConfigError(f"--since: {args.since:g} is not a positive number of days")
    commonness = required_commonness("storylines suggest")
    found: list[Suggestion] = []
    if args.corpus is not None:
        entries = load_corpus(args.corpus)
        since = None if args.since is None else timedelta(days=args.since)
        live = live_storylines(settings.storylines_dir)
        now = SystemClock().now()
        found = suggest(entries, live, now=now, since=since, commonness=commonness)
    else:
        days = 30.0 if args.since is None else args.since

        async def stored(app: Threadline) -> int:
            found.extend(await app.drafts.suggestions(days))
            return 0

        await _with_app(settings, stored, platforms={})
    if not found:
        print("no candidate stories: no group of unmatched items with enough outlets")
        return 0
    for path, suggestion in zip(write_drafts(found, args.out), found, strict=True):
        print(draft_line(path, suggestion))
    return 0


def _cli_invoker() -> Invoker:
    """Whoever runs the command line, by login: an admin (they hold the
    database and the configuration)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's user without one)
        login = "unknown"
    where = ChannelAddress("cli", socket.gethostname())
    return Invoker(user_id=login, channel=where, is_admin=True)


async def _audited(app: Threadline, request: CommandRequest, work: Awaitable[str]) -> int:
    """Run a command that changes what is watched or followed as a chat runs
    it: audit-logged (``command.run``, by the login that ran it) whether it
    succeeded or was refused."""
    reply = await app.commands.answer(_cli_invoker(), request, work)
    if not reply.ok:
        print(f"threadline: {reply.text}", file=sys.stderr)
        return 1
    print(reply.text)
    return 0


async def _followed(following: Awaitable[str]) -> str:
    return await following + " (the root card is posted at the next delivery)"


async def _follow(args: argparse.Namespace, settings: Settings) -> int:
    try:
        address = registry.parse_channel(args.channel)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    digest: DigestSchedule | bool | None = False
    if args.command == "follow":
        at, tz = args.digest_at, args.digest_tz
        if args.digest is None and (at or tz):
            raise ConfigError("--digest-at and --digest-tz go with --digest daily")
        if args.digest is not None:
            try:
                digest = digest_schedule(args.digest, at, tz)
            except DigestOptionError as exc:
                raise ConfigError(str(exc)) from None

    async def work(app: Threadline) -> int:
        options = {"storyline": args.storyline, "channel": str(address)}
        if args.command == "follow" and args.digest is not None:
            options |= {"digest": args.digest, "at": args.digest_at, "tz": args.digest_tz}
        request = CommandRequest(args.command, {k: v for k, v in options.items() if v})
        if args.command == "follow":
            answer = _followed(app.commands.follow(address, args.storyline, digest=digest))
        else:
            answer = app.commands.unfollow(address, args.storyline)
        return await _audited(app, request, answer)

    return await _with_app(settings, work, platforms={})


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    async def work(app: Threadline) -> int:
        # The shell is the admin's: whoever can read the database sees it all.
        report = await app.status.report(admin=True)
        print(json.dumps(status_json(report), indent=2) if args.json else format_status(report))
        return 0

    return await _with_app(settings, work, platforms={})


async def _subscriptions(args: argparse.Namespace, settings: Settings) -> int:
    async def work(app: Threadline) -> int:
        subs = await app.store.subscriptions(enabled_only=False)
        for s in subs:
            state = "active" if s.enabled else f"disabled ({s.disabled_reason})"
            thread = f", thread {s.root.message_id}" if s.root else ", no thread yet"
            print(f"#{s.id} {s.address} follows {s.storyline}: {state}{thread}, {delivery_mode(s)}")
        if not subs:
            print("No subscriptions.")
        return 0

    return await _with_app(settings, work, platforms={}, read_only=True)


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(settings, auto_upgrade=True)
    try:
        print(f"database at schema {await migrate.current_revision(store.engine)}")
    finally:
        await store.close()
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]] = {
    "run": _run,
    "feeds": _feeds,
    "storylines": _storylines,
    "follow": _follow,
    "unfollow": _follow,
    "subscriptions": _subscriptions,
    "outbox": _outbox,
    "status": _status,
    "db": _db,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.DEBUG
        if verbose
        else logging.INFO
        if args.command == "run"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Third-party debug logs can include request headers (tokens): keep them quiet.
    for noisy in (
        "aiosqlite",
        "sqlalchemy",
        "asyncpg",
        "urllib3",
        "websockets",
        "aiohttp",
        "apscheduler",
        "asyncio",
        "alembic",
        *(name for platform in registry.platforms() for name in platform.quiet_loggers),
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = _settings(args)
    except ThreadlineError as exc:
        print(f"threadline: error: {exc.message}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(COMMANDS[args.command](args, settings))
    except ThreadlineError as exc:
        print(f"threadline: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A database that fails after it opened (made read-only, server gone):
        # one line, not the driver's traceback.
        if not is_database_error(exc):
            raise
        print(f"threadline: error: {describe(settings.database_url, exc)}", file=sys.stderr)
        return 2
