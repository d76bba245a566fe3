"""Discord as a ``ChatPlatform``: storyline threads over discord.py's REST client.

* **Root**: the card embed is sent to the channel, then a public thread is
  started from that message (``POST …/messages/{id}/threads``). Discord gives a
  thread started from a message the message's id, so ``MessageRef`` is
  (root message id, thread channel id) and the two are equal in practice.
* **Replies** go to the thread channel. A thread auto-archived for inactivity is
  reopened (``PATCH /channels/{thread} archived=false``) and the send retried. A
  thread that is deleted or locked (404, 403 or "thread is locked" while the
  parent channel is still reachable) raises ``ThreadGone``: the delivery worker
  then starts a new root.
* **Once in effect**: each send carries ``nonce`` (25 hex characters of the
  SHA-256 of the outbox key) with ``enforce_nonce``, so a resend within
  Discord's dedupe window (a few minutes) returns the original message. For a
  crash found later, the same nonce is written at the end of the embed footer
  (``ref …``): Discord returns ``nonce`` only in the create response, never in
  history, so ``find_sent`` reads recent messages for the footer instead.
* **Rate limits**: discord.py's ``HTTPClient`` keeps the per-route buckets from
  the ``X-RateLimit-*`` headers and sleeps out a 429's ``retry_after`` before
  retrying; we rely on it. A 429 asking for more than ``max_rate_limit_wait``
  seconds is not slept through (it would stall the worker): it surfaces as a
  ``DeliveryRetryLater`` with ``retry_after``.
* **Errors**: 401 (``invalid_auth``), 403 Missing Access/Permissions and 404
  Unknown Channel on the channel → ``ChannelUnavailable``; 5xx, network failures
  and other 4xx → ``DeliveryError`` (retried).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Awaitable
from typing import Any, Literal, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, handle_message_parameters

from bot.core.posts import Attachment, Card, MessageRef, Reply
from bot.errors import (
    ChannelUnavailable,
    DeliveryError,
    DeliveryRetryLater,
    ErrorCode,
    MessageGone,
    PlatformFailing,
    PlatformUnreachable,
    ThreadGone,
)
from bot.platforms.discord.api import ApiBaseHTTPClient
from bot.platforms.discord.render import (
    LIMITS,
    EmbedDict,
    fit_plain,
    ref_of,
    render_card,
    render_reply,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord JSON error codes we act on.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_ARCHIVED = 50083
THREAD_ALREADY_CREATED = 160004
THREAD_LOCKED = 160005

THREAD_NAME_MAX = 100
AUTO_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: replies are rare, fewer reopenings
HISTORY_PAGE = 100
HISTORY_PAGES = 3
THREADS_SEARCHED = 10
NONCE_LENGTH = 25  # Discord's maximum


def _file(picture: Attachment) -> discord.File:
    return discord.File(
        io.BytesIO(picture.data), filename=picture.filename, description=picture.title or None
    )


def with_image(embed: EmbedDict, picture: Attachment | None) -> EmbedDict:
    """``embed`` showing ``picture`` (sent as an attachment of the same message)."""
    if picture is None:
        return embed
    return {**embed, "image": {"url": f"attachment://{picture.filename}"}}


def nonce_for(idempotency_key: str) -> str:
    """The ≤ 25-character nonce standing for an outbox key."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:NONCE_LENGTH]


def delivery_error(what: str, exc: Exception) -> DeliveryError:
    """What a discord.py failure means for the outbox (see the module docstring)."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryRetryLater(
            f"discord {what}: rate limited for {exc.retry_after:.1f} s",
            retry_after=exc.retry_after,
        )
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        detail = f"discord {what}: HTTP {status} ({code}) {exc.text}".rstrip()
        if status == 401:
            return ChannelUnavailable(detail, code=ErrorCode.INVALID_AUTH)
        if status == 403:
            forbidden = (
                ErrorCode.MISSING_PERMISSIONS
                if code == MISSING_PERMISSIONS
                else ErrorCode.MISSING_ACCESS
            )
            return ChannelUnavailable(detail, code=forbidden)
        if status == 404 and code == UNKNOWN_MESSAGE:
            return DeliveryError(detail, code=ErrorCode.UNKNOWN_MESSAGE)
        if status == 404:
            return ChannelUnavailable(detail, code=ErrorCode.UNKNOWN_CHANNEL)
        if status >= 500:
            return PlatformFailing(detail)
        # Anything else (400 invalid form body …) is about this message, not
        # the channel: kept transient, the outbox backs off.
        return DeliveryError(detail, code=ErrorCode.BAD_REQUEST)
    return PlatformUnreachable(f"discord {what}: network error ({type(exc).__name__})")


async def _call(what: str, request: Awaitable[T]) -> T:
    try:
        return await request
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise delivery_error(what, exc) from exc


class DiscordPlatform:
    """Storyline threads in Discord channels (see the module docstring).

    Build it with ``await DiscordPlatform.login(token, api_base=…)`` and
    ``await close()`` it when done."""

    name = "discord"
    limits = LIMITS
    # A root card's picture is attached to the root message and shown as its
    # embed's image (``attachment://NAME``); an edit replaces it.
    shows_pictures = True

    def __init__(self, http: HTTPClient, bot_user_id: str) -> None:
        self._http = http
        self.bot_user_id = bot_user_id

    @classmethod
    async def login(
        cls,
        token: str,
        *,
        api_base: str | None = None,
        max_rate_limit_wait: float = 30.0,
    ) -> DiscordPlatform:
        """Log discord.py's HTTP client in with the bot token (``GET /users/@me``).

        ``api_base`` replaces ``https://discord.com/api/v10`` (tests, proxies).
        429s asking to wait up to ``max_rate_limit_wait`` seconds (at least 30,
        discord.py's floor) are waited out inside the call. Raises
        ``ChannelUnavailable`` (``invalid_auth``) for a rejected token."""
        http = ApiBaseHTTPClient(
            asyncio.get_running_loop(),
            api_base=api_base,
            max_ratelimit_timeout=max_rate_limit_wait,
        )
        try:
            me: Any = await http.static_login(token)
        except BaseException as exc:
            await http.close()
            if isinstance(exc, discord.LoginFailure):
                raise ChannelUnavailable(
                    "discord: the bot token was rejected", code=ErrorCode.INVALID_AUTH
                ) from exc
            if isinstance(exc, discord.DiscordException | aiohttp.ClientError | OSError):
                raise delivery_error("login", exc) from exc
            raise
        return cls(http, str(me["id"]))

    async def close(self) -> None:
        await self._http.close()

    async def _send(
        self, channel_id: str, embed: EmbedDict, key: str, picture: Attachment | None = None
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"file": _file(picture)} if picture is not None else {}
        params = handle_message_parameters(
            embed=discord.Embed.from_dict(embed),
            nonce=nonce_for(key),  # discord.py adds enforce_nonce=True with it
            allowed_mentions=discord.AllowedMentions.none(),
            **extra,
        )
        with params:
            message: Any = await self._http.send_message(channel_id, params=params)
        return dict(message)

    # --- ChatPlatform ------------------------------------------------------------------------

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        embed = with_image(render_card(card, ref=nonce_for(idempotency_key)), card.picture)
        send = self._send(channel, embed, idempotency_key, card.picture)
        message = await _call("send root", send)
        thread_id = await self._open_thread(channel, str(message["id"]), card.title)
        return MessageRef(message_id=str(message["id"]), thread_id=thread_id)

    async def _open_thread(self, channel: str, message_id: str, title: str) -> str:
        name = fit_plain(title, THREAD_NAME_MAX).strip() or "Threadline"
        try:
            thread: Any = await self._http.start_thread_with_message(
                channel, message_id, name=name, auto_archive_duration=AUTO_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                # A resent root (same nonce) got its thread the first time; a
                # thread started from a message has the message's id.
                return message_id
            raise delivery_error("start thread", exc) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error("start thread", exc) from exc
        return str(thread["id"])

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        embed = render_reply(reply, ref=nonce_for(idempotency_key))
        try:
            message = await self._send(thread.thread_id, embed, idempotency_key)
        except discord.HTTPException as exc:
            if exc.code == THREAD_ARCHIVED:
                await self._reopen(channel, thread.thread_id)
                message = await self._send_or_explain(channel, thread, embed, idempotency_key)
            elif exc.status in (403, 404) or exc.code == THREAD_LOCKED:
                raise await self._thread_failure(channel, exc) from exc
            else:
                raise delivery_error("send reply", exc) from exc
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error("send reply", exc) from exc
        return MessageRef(message_id=str(message["id"]), thread_id=thread.thread_id)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        embed = render_reply(notice, ref=nonce_for(idempotency_key))
        try:
            message = await self._send(channel, embed, idempotency_key)
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error("send notice", exc) from exc
        return MessageRef(message_id=str(message["id"]), thread_id=channel)

    async def _send_or_explain(
        self, channel: str, thread: MessageRef, embed: EmbedDict, key: str
    ) -> dict[str, Any]:
        try:
            return await self._send(thread.thread_id, embed, key)
        except discord.HTTPException as exc:
            if exc.status in (403, 404) or exc.code in (THREAD_LOCKED, THREAD_ARCHIVED):
                raise await self._thread_failure(channel, exc) from exc
            raise delivery_error("send reply", exc) from exc
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error("send reply", exc) from exc

    async def _reopen(self, channel: str, thread_id: str) -> None:
        try:
            await self._http.edit_channel(thread_id, archived=False)
        except discord.HTTPException as exc:
            # Locked threads can only be reopened by moderators.
            raise await self._thread_failure(channel, exc) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error("reopen thread", exc) from exc

    async def _thread_failure(self, channel: str, exc: discord.HTTPException) -> ThreadGone:
        """The thread refused us. If the parent channel is still reachable the
        thread alone is gone (deleted or locked): ``thread_gone``; otherwise the
        channel's own error, which is permanent."""
        await _call("read channel", self._http.get_channel(channel))
        return ThreadGone(
            f"discord thread gone or locked: HTTP {exc.status} ({exc.code}) {exc.text}".rstrip()
        )

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        # The footer keeps no ref here: only sends need to be found again.
        extra: dict[str, Any] = (
            {"attachments": [_file(card.picture)]} if card.picture is not None else {}
        )
        params = handle_message_parameters(
            embed=discord.Embed.from_dict(with_image(render_card(card), card.picture)),
            allowed_mentions=discord.AllowedMentions.none(),
            **extra,  # the new picture replaces the old one
        )
        with params:
            edit = self._http.edit_message(channel, root.message_id, params=params)
            await _call("edit root", edit)

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        """``PATCH`` a sent reply in its thread, keeping its ``ref`` (the footer
        ``find_sent`` reads). A message or thread that is gone (404, or 403 on a
        thread now locked) raises ``MessageGone``: the parent channel is not
        judged by an edit, the next post does that."""
        params = handle_message_parameters(
            embed=discord.Embed.from_dict(render_reply(reply, ref=nonce_for(idempotency_key))),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        with params:
            try:
                await self._http.edit_message(message.thread_id, message.message_id, params=params)
            except discord.HTTPException as exc:
                if exc.status in (403, 404) and not isinstance(exc, discord.RateLimited):
                    raise MessageGone(
                        f"discord edit reply: HTTP {exc.status} ({exc.code}) {exc.text}".rstrip()
                    ) from exc
                raise delivery_error("edit reply", exc) from exc
            except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise delivery_error("edit reply", exc) from exc

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        """The message we sent for ``idempotency_key``, found by the ``ref`` in
        its embed footer among recent messages.

        With ``thread``, that thread is read. Without it the channel's last
        ``HISTORY_PAGES`` × ``HISTORY_PAGE`` messages are read for a root, then
        our most recent threads for a reply. A root found without its thread
        (a crash between the two calls) gets its thread now. Older messages are
        not found (and would be sent again)."""
        ref = nonce_for(idempotency_key)
        if thread is not None:
            found = await self._find_in(thread.thread_id, ref)
            return MessageRef(str(found["id"]), thread.thread_id) if found else None
        threads: list[str] = []
        before: str | None = None
        for _ in range(HISTORY_PAGES):
            page = await self._history(channel, before)
            for message in page:
                if not self._is_ours(message):
                    continue
                if self._ref(message) == ref:
                    return await self._root_ref(channel, message)
                if message.get("thread"):
                    threads.append(str(message["thread"]["id"]))
            if len(page) < HISTORY_PAGE:
                break
            before = str(page[-1]["id"])
        for thread_id in threads[:THREADS_SEARCHED]:
            found = await self._find_in(thread_id, ref)
            if found is not None:
                return MessageRef(str(found["id"]), thread_id)
        return None

    async def _root_ref(self, channel: str, message: dict[str, Any]) -> MessageRef:
        message_id = str(message["id"])
        if message.get("thread"):
            return MessageRef(message_id, str(message["thread"]["id"]))
        title = str((message.get("embeds") or [{}])[0].get("title") or "Threadline")
        return MessageRef(message_id, await self._open_thread(channel, message_id, title))

    async def _find_in(self, channel_id: str, ref: str) -> dict[str, Any] | None:
        for message in await self._history(channel_id, None):
            if self._is_ours(message) and self._ref(message) == ref:
                return message
        return None

    async def _history(self, channel_id: str, before: str | None) -> list[dict[str, Any]]:
        page: Any = await _call(
            "read history", self._http.logs_from(channel_id, HISTORY_PAGE, before=before)
        )
        return [dict(m) for m in page]

    def _is_ours(self, message: dict[str, Any]) -> bool:
        return str((message.get("author") or {}).get("id")) == self.bot_user_id

    @staticmethod
    def _ref(message: dict[str, Any]) -> str | None:
        for embed in message.get("embeds") or []:
            ref = ref_of(embed)
            if ref:
                return ref
        return None
