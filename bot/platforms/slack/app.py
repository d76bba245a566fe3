"""The ``/threadline`` slash command and the App Home on Slack (slack-bolt ``AsyncApp``).

Thin: parse the command, decide server-side who is an admin, call the
platform-neutral ``CommandHandler``, send its answer back ephemerally. A file
the answer carries (``show``'s timeline picture) goes through Slack's external
upload flow (``files.getUploadURLExternal`` → upload → ``files.completeUploadExternal``)
into the channel, in the storyline's thread when the channel follows it. The
Home tab (``app_home_opened``) is the status page, published with
``views.publish``; feed details only for admins. Runs over
Socket Mode (``run_socket_mode``) or HTTP (``run_http``); in HTTP mode every
request must carry a valid Slack signature — nothing in the configuration can
turn that check off.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.command_text import CommandTextError, read_command
from bot.core.commands import CommandReply, Invoker
from bot.core.posts import Attachment
from bot.core.subscriptions import ChannelAddress
from bot.errors import ConfigError
from bot.platforms.slack.home import home_view
from bot.platforms.slack.render import render_command_reply
from bot.ports import CommandHandler, StatusSource

log = logging.getLogger(__name__)

COMMAND = "/threadline"
EVENTS_PATH = "/slack/events"


class ThreadlineSlackApp(AsyncApp):
    """An ``AsyncApp`` that remembers whether it was given a real signing secret.

    Without one it still verifies signatures, against a random secret nobody
    knows, so every HTTP request is refused; ``run_http`` refuses to start.
    """

    def __init__(self, *, has_signing_secret: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.has_signing_secret = has_signing_secret


def build_slack_app(
    *,
    token: str,
    signing_secret: str | None,
    handler: CommandHandler,
    admins: frozenset[str],
    client: AsyncWebClient,
    status: StatusSource | None = None,
) -> AsyncApp:
    """The Bolt app serving ``/threadline`` (and the App Home, given ``status``).

    ``client`` is used for every Web API call (so its base URL and retry
    handlers apply); ``token`` is given to it when it has none. ``admins`` are
    Slack user ids (``U…``, or ``slack:U…``) treated as admins in addition to
    workspace admins and owners. ``signing_secret`` may be empty for Socket Mode.
    """
    if client.token is None:
        client.token = token
    app = ThreadlineSlackApp(
        has_signing_secret=bool(signing_secret),
        name="threadline",
        logger=logging.getLogger("bot.platforms.slack.bolt"),
        client=client,
        # Always given explicitly, so bolt never falls back to its own env lookup.
        signing_secret=signing_secret or secrets.token_hex(32),
        request_verification_enabled=True,
    )
    register(app, handler=handler, admins=admins)
    # Always: manifest.yaml subscribes to app_home_opened, and Bolt acknowledges
    # no event that has no listener (Slack would redeliver it).
    register_home(app, status=status, admins=admins)
    return app


def register(app: AsyncApp, *, handler: CommandHandler, admins: frozenset[str]) -> None:
    """Attach the ``/threadline`` listener to ``app``."""

    async def threadline_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        # Slack wants an answer within 3 s; the command may fetch a feed, so
        # acknowledge first and send the real answer through response_url.
        await ack()
        user_id = str(command.get("user_id") or "")
        channel_id = str(command.get("channel_id") or "")
        text = command_text(command)
        try:
            reply = await handler.run(await invoker_of(command, client, admins), read_command(text))
        except CommandTextError as exc:
            reply = CommandReply(f"{exc} Try `/threadline help`.", ok=False)
        except Exception:
            log.exception("slack /threadline %r by %s failed", text, user_id)
            reply = CommandReply(
                "Sorry, that command failed; the admins can see why in the log.", ok=False
            )
        await respond(text=render_command_reply(reply), response_type="ephemeral")
        for attachment in reply.attachments:
            problem = await upload(client, channel_id, attachment)
            if problem is not None:
                await respond(text=problem, response_type="ephemeral")

    app.command(COMMAND)(threadline_command)


def command_text(command: dict[str, Any]) -> str:
    """The line the person typed. Slack escapes ``&``, ``<`` and ``>`` in it as
    in any message text; nothing else is changed (quotes and apostrophes are
    read by ``bot.core.command_text``)."""
    text = str(command.get("text") or "").strip()
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def invoker_of(
    command: dict[str, Any], client: AsyncWebClient, admins: frozenset[str]
) -> Invoker:
    """Who ran ``command`` and where; admin as ``is_admin`` decides."""
    user_id = str(command.get("user_id") or "")
    channel_id = str(command.get("channel_id") or "")
    return Invoker(
        user_id=user_id,
        channel=ChannelAddress("slack", channel_id, workspace=command.get("team_id")),
        is_admin=await is_admin(client, user_id, admins),
        user_name=command.get("user_name"),
        direct_message=is_direct_message(channel_id, str(command.get("channel_name") or "")),
    )


def is_direct_message(channel_id: str, channel_name: str) -> bool:
    """A DM (``D…``, named ``directmessage``) or a group DM (named ``mpdm-…``).
    Threadline declares no ``im:history`` / ``mpim:history``: it never follows a
    storyline there (see manifest.yaml)."""
    return (
        channel_id.startswith("D")
        or channel_name == "directmessage"
        or channel_name.startswith("mpdm-")
    )


def register_home(app: AsyncApp, *, status: StatusSource | None, admins: frozenset[str]) -> None:
    """Publish the status page to a user's Home tab each time they open it.

    The listener acknowledges every ``app_home_opened`` envelope first, also
    the Messages tab's and those it cannot answer (no ``status`` source):
    Bolt acknowledges no event without a listener, and an unacknowledged
    envelope is delivered again."""

    async def app_home_opened(ack: AsyncAck, event: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = str(event.get("user") or "")
        if status is None or event.get("tab", "home") != "home" or not user_id:
            return
        try:
            report = await status.report(admin=await is_admin(client, user_id, admins))
            await client.views_publish(user_id=user_id, view=home_view(report))
        except SlackApiError as exc:
            log.warning("slack views.publish for %s failed: %s", user_id, exc.response.get("error"))
        except Exception:
            log.exception("slack App Home for %s failed", user_id)

    app.event("app_home_opened")(app_home_opened)


async def upload(client: AsyncWebClient, channel: str, attachment: Attachment) -> str | None:
    """Share ``attachment`` in ``channel`` (in its thread when it names one)
    through the external upload flow. Returns None, or a line for the user
    saying why it could not be shared."""
    try:
        await client.files_upload_v2(
            channel=channel,
            thread_ts=attachment.thread_id,
            file=attachment.data,
            filename=attachment.filename,
            title=attachment.title or attachment.filename,
            alt_txt=attachment.title or None,
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("slack file upload to %s failed: %s", channel, error)
        if error in ("not_in_channel", "channel_not_found"):
            return "The picture could not be shared here: invite Threadline to this channel."
        return f"The picture could not be shared ({error})."
    except Exception as exc:
        log.warning("slack file upload to %s failed: %s", channel, type(exc).__name__)
        return "The picture could not be shared; the admins can see why in the log."
    return None


async def is_admin(client: AsyncWebClient, user_id: str, admins: frozenset[str]) -> bool:
    """True when ``user_id`` is in ``admins`` or, per ``users.info``, an admin or
    owner of the workspace (guests and users from other organisations never are).
    A failed lookup counts as not an admin."""
    if not user_id:
        return False
    if user_id in admins or f"slack:{user_id}" in admins:
        return True
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("slack users.info for %s failed: %s", user_id, exc.response.get("error"))
        return False
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("slack users.info for %s failed: %s", user_id, type(exc).__name__)
        return False
    user = response.get("user") or {}
    if any(user.get(flag) for flag in ("deleted", "is_restricted", "is_ultra_restricted")):
        return False
    if user.get("is_stranger"):
        return False
    return any(bool(user.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner"))


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    """Serve the app over Socket Mode until cancelled."""
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def run_http(
    app: AsyncApp,
    port: int,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - Slack must reach it; signatures guard it
    path: str = EVENTS_PATH,
    ready: asyncio.Future[int] | None = None,
) -> None:
    """Serve the app over HTTP (``POST path``) until cancelled. ``ready`` gets
    the listening port once it listens (useful with ``port=0``). Raises
    ``ConfigError`` when the app has no signing secret (requests could not be
    verified)."""
    if not (isinstance(app, ThreadlineSlackApp) and app.has_signing_secret):
        raise ConfigError(
            "Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    runner = web.AppRunner(app.web_app(path=path, port=port))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = int(runner.addresses[0][1]) if runner.addresses else port
        log.info("slack: listening for %s on %s:%s", path, host, bound)
        if ready is not None and not ready.done():
            ready.set_result(bound)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
