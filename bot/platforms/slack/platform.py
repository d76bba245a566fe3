"""Slack as a ``ChatPlatform``: storyline threads through the Web API.

A root card is a ``chat.postMessage``; its ``ts`` is both the message id and the
thread id, and replies go to ``thread_ts``. Every post carries message metadata
``{"event_type": "threadline_post", "event_payload": {"outbox_id": KEY}}`` so a
post that reached Slack before a crash can be found again (``find_sent``)
instead of being sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.posts import Card, MessageRef, Reply
from bot.errors import (
    ChannelUnavailable,
    DeliveryError,
    DeliveryRetryLater,
    MessageGone,
    PlatformFailing,
    PlatformUnreachable,
    ThreadGone,
)
from bot.platforms.slack.render import LIMITS, SlackMessage, render_card, render_reply

log = logging.getLogger(__name__)

METADATA_EVENT = "threadline_post"

# The channel is gone or forbids the bot, or the token is no good: retrying
# cannot help, the subscription is disabled.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "team_access_not_granted",
        "restricted_action",
    }
)
# The root message was deleted (or is not ours any more): the thread must be restarted.
THREAD_GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "thread_not_found"})

HISTORY_PAGE = 200
HISTORY_PAGES = 5
THREADS_SEARCHED = 10
REPLY_PAGES = 10


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry handler, but only for short waits.

    A 429 asking for more than ``max_wait`` seconds is not slept through inside
    the delivery worker (it would stall every other channel): it surfaces as a
    ``DeliveryRetryLater`` with ``retry_after`` and the outbox schedules the retry.
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response.headers)
        return wait is None or wait <= self.max_wait


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """The Retry-After header in seconds, whatever shape the headers come in."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def make_client(
    token: str, base_url: str, *, max_retries: int = 3, max_rate_limit_wait: float = 10.0
) -> AsyncWebClient:
    """An ``AsyncWebClient`` for ``base_url`` (normally https://slack.com/api/)
    that waits out short 429s (honouring Retry-After, up to ``max_retries``
    times) and retries a dropped connection once."""
    if not base_url.endswith("/"):
        base_url += "/"
    handlers: list[AsyncRetryHandler] = [
        BoundedRateLimitRetryHandler(max_retries, max_rate_limit_wait),
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
    ]
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers)


def post_metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": key}}


def _is_ours(message: Mapping[str, Any]) -> bool:
    meta = message.get("metadata") or {}
    return bool(meta.get("event_type") == METADATA_EVENT)


def _key_of(message: Mapping[str, Any]) -> str | None:
    if not _is_ours(message):
        return None
    payload = message["metadata"].get("event_payload") or {}
    key = payload.get("outbox_id")
    return str(key) if key is not None else None


def delivery_error(method: str, exc: SlackApiError) -> DeliveryError:
    """What a Slack API failure means for the outbox."""
    response = exc.response
    status = getattr(response, "status_code", None)
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        wait = retry_after_seconds(getattr(response, "headers", None))
        return DeliveryRetryLater(
            f"slack {method}: rate limited (retry after {wait or '?'} s)", retry_after=wait
        )
    if error in PERMANENT_ERRORS:
        return ChannelUnavailable(f"slack {method}: {error}", code=error)
    if error in THREAD_GONE_ERRORS:
        return ThreadGone(f"slack {method}: {error}")
    if status is not None and status >= 500:
        return PlatformFailing(f"slack {method}: server error HTTP {status}")
    # Anything else (invalid_blocks, msg_too_long, internal_error …) is kept
    # transient: it is about this message, not about the channel.
    return DeliveryError(f"slack {method}: {error or f'HTTP {status}'}", code=error or "slack")


async def _call(method: str, request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    try:
        return await request
    except SlackApiError as exc:
        raise delivery_error(method, exc) from exc
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise PlatformUnreachable(f"slack {method}: network error ({type(exc).__name__})") from exc


class SlackPlatform:
    """Storyline threads in Slack channels (see the module docstring)."""

    name = "slack"
    limits = LIMITS
    # A root card's picture is uploaded privately (files.getUploadURLExternal →
    # upload → files.completeUploadExternal without a channel) and shown in the
    # card as an image block naming the file (``slack_file``).
    shows_pictures = True

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def _upload_picture(self, card: Card) -> str | None:
        """The id of the card's picture uploaded as a private file, or None when
        there is none or it could not be uploaded (logged: the card goes without)."""
        if card.picture is None:
            return None
        try:
            response = await self._client.files_upload_v2(
                file=card.picture.data,
                filename=card.picture.filename,
                title=card.picture.title or card.picture.filename,
                alt_txt=card.picture.title or None,
            )
        except SlackApiError as exc:
            log.warning("slack picture upload failed: %s", exc.response.get("error"))
            return None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("slack picture upload failed: %s", type(exc).__name__)
            return None
        file = response.get("file") or {}
        file_id = file.get("id") if isinstance(file, dict) else None
        return str(file_id) if file_id else None

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, shared with the slash-command app (one client per process)."""
        return self._client

    async def close(self) -> None:
        """Close the client's HTTP session, when it keeps one (by default it opens
        one per request, so there is nothing to close)."""
        session = self._client.session
        if session is not None and not session.closed:
            await session.close()

    async def _post(
        self, channel: str, message: SlackMessage, key: str, thread_ts: str | None = None
    ) -> str:
        response = await _call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.block_list(),
                thread_ts=thread_ts,
                metadata=post_metadata(key),
                # Feed text must never ping anyone or grow previews we did not ask for.
                parse="none",
                link_names=False,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return str(response["ts"])

    async def post_root(self, channel: str, card: Card, *, idempotency_key: str) -> MessageRef:
        picture = await self._upload_picture(card)
        ts = await self._post(channel, render_card(card, picture_file=picture), idempotency_key)
        return MessageRef(message_id=ts, thread_id=ts)

    async def post_reply(
        self, channel: str, thread: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> MessageRef:
        ts = await self._post(channel, render_reply(reply), idempotency_key, thread.thread_id)
        return MessageRef(message_id=ts, thread_id=thread.thread_id)

    async def post_notice(self, channel: str, notice: Reply, *, idempotency_key: str) -> MessageRef:
        ts = await self._post(channel, render_reply(notice), idempotency_key)
        return MessageRef(message_id=ts, thread_id=ts)

    async def edit_root(self, channel: str, root: MessageRef, card: Card) -> None:
        message = render_card(card, picture_file=await self._upload_picture(card))
        await _call(
            "chat.update",
            self._client.chat_update(
                channel=channel,
                ts=root.message_id,
                text=message.text,
                blocks=message.block_list(),
                parse="none",
                link_names=False,
            ),
        )

    async def edit_reply(
        self, channel: str, message: MessageRef, reply: Reply, *, idempotency_key: str
    ) -> None:
        """``chat.update`` of a sent reply; its metadata is sent again so the
        message can still be found by its outbox key."""
        rendered = render_reply(reply)
        try:
            await _call(
                "chat.update",
                self._client.chat_update(
                    channel=channel,
                    ts=message.message_id,
                    text=rendered.text,
                    blocks=rendered.block_list(),
                    metadata=post_metadata(idempotency_key),
                    parse="none",
                    link_names=False,
                ),
            )
        except ThreadGone as exc:  # message_not_found, cant_update_message
            raise MessageGone(exc.message) from exc

    async def find_sent(
        self, channel: str, idempotency_key: str, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        """The message we posted with ``idempotency_key``, from its metadata.

        With ``thread`` only that thread is read. Without it, the recent channel
        history (up to ``HISTORY_PAGES`` × ``HISTORY_PAGE`` messages) is searched
        for a root, then the most recently active of our threads in it for a
        reply; an older message is not found (and would be sent again).
        """
        if thread is not None:
            return await self._find_in_thread(channel, thread.thread_id, idempotency_key)
        roots: list[Mapping[str, Any]] = []
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = await _call(
                "conversations.history",
                self._client.conversations_history(
                    channel=channel, limit=HISTORY_PAGE, cursor=cursor, include_all_metadata=True
                ),
            )
            for message in response.get("messages") or []:
                if _key_of(message) == idempotency_key:
                    ts = str(message["ts"])
                    return MessageRef(ts, str(message.get("thread_ts") or ts))
                if _is_ours(message) and message.get("reply_count"):
                    roots.append(message)
            cursor = _next_cursor(response)
            if not cursor:
                break
        # A reply lives in its thread, not in the history: look in the threads
        # that moved last, which is where a just-crashed send would be.
        roots.sort(key=lambda m: float(m.get("latest_reply") or m["ts"]), reverse=True)
        for root in roots[:THREADS_SEARCHED]:
            found = await self._find_in_thread(channel, str(root["ts"]), idempotency_key)
            if found is not None:
                return found
        return None

    async def _find_in_thread(self, channel: str, thread_ts: str, key: str) -> MessageRef | None:
        cursor: str | None = None
        for _ in range(REPLY_PAGES):
            response = await _call(
                "conversations.replies",
                self._client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                    include_all_metadata=True,
                ),
            )
            for message in response.get("messages") or []:
                if _key_of(message) == key:
                    return MessageRef(str(message["ts"]), thread_ts)
            cursor = _next_cursor(response)
            if not cursor:
                break
        return None


def _next_cursor(response: AsyncSlackResponse) -> str | None:
    meta = response.get("response_metadata") or {}
    cursor = meta.get("next_cursor")
    return str(cursor) if cursor else None
