"""A local fake of the Slack Web API for tests: aiohttp.web on 127.0.0.1.

    async with fake_slack(token="xoxb-test") as slack:
        client = make_client("xoxb-test", slack.url)   # slack.url ends in /api/
        ...
        slack.messages("C1")                            # what the channel holds

Implements ``auth.test``, ``chat.postMessage``, ``chat.update``,
``conversations.history``, ``conversations.replies``, ``users.info``,
``views.publish`` (kept per user in ``home_views``), the external file upload
(``files.getUploadURLExternal`` → POST to the upload URL →
``files.completeUploadExternal``; the bytes are kept in ``files``) and, with a
Socket Mode double attached (``tests/support/fake_socket_mode.py``),
``apps.connections.open`` (app-level token only) the way
Slack answers them (HTTP 200 with ``{"ok": false, "error": …}`` for API errors,
429 with Retry-After when rate limited), checks the bearer token and enforces
Slack's documented Block Kit limits (header ≤ 150, section text ≤ 3000, ≤ 50
blocks, text ≤ 40,000) by answering ``invalid_blocks`` / ``msg_too_long``.

Scripting: ``fail(channel, error)`` makes every call on a channel fail;
``delete_message(channel, ts)`` deletes a message as a person would;
``rate_limit(method, times, retry_after)`` makes the next calls of a method
answer 429; ``server_error(method, times)`` answers 500. An outage:
``outage(status)`` makes every call answer that status until ``restore()``;
``go_offline()`` closes the port (connections refused) until ``come_back()``
listens on it again, messages kept. ``calls`` records every
call with its monotonic arrival time, for pacing assertions. Slash-command
``response_url`` posts land at ``response_url(name)`` and are kept in
``responses``. ``wait_for_messages(channel, n)`` and ``wait_for_responses(n)``
wait (never sleep) for posts to arrive.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.support.fake_socket_mode import FakeSocketMode

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100
TEXT_LIMIT = 40_000


@dataclass(slots=True)
class FakeFile:
    """A file uploaded through the external flow."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass(slots=True)
class Call:
    method: str
    at: float
    args: dict[str, Any]
    status: int = 200
    error: str | None = None


@dataclass(slots=True)
class _Script:
    times: int
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _fits(text: Any, limit: int) -> bool:
    return isinstance(text, str) and bool(text.strip()) and len(text) <= limit


def check_blocks(
    blocks: Any, limit: int = BLOCKS_LIMIT, files: set[str] | None = None
) -> str | None:
    """The error Slack would give for these blocks, or None. An image block must
    name a Slack file (``slack_file``), one of ``files`` when they are given."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > limit:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not _fits(text.get("text"), HEADER_LIMIT):
                return "invalid_blocks"
        elif kind == "section":
            text = block.get("text") or {}
            if not _fits(text.get("text", ""), SECTION_LIMIT):
                return "invalid_blocks"
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10 or not all(_fits(e.get("text"), 3000) for e in elements):
                return "invalid_blocks"
        elif kind == "image":
            source = block.get("slack_file") or {}
            if not isinstance(block.get("alt_text"), str) or len(block["alt_text"]) > 2000:
                return "invalid_blocks"
            if bool(source.get("id")) == bool(source.get("url")):
                return "invalid_blocks"  # exactly one of the two
            if files is not None and source.get("id") not in files:
                return "invalid_slack_file"
        elif kind != "divider":
            return "invalid_blocks"
    return None


class FakeSlack:
    """The Slack Web API, in memory, on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self, *, token: str = "xoxb-test-token", team_id: str = "T0001", bot_user: str = "UBOT"
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.files: dict[str, FakeFile] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)
        self._channels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._failures: dict[str, str] = {}
        self._scripts: dict[str, list[_Script]] = defaultdict(list)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._new_response = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._stalls: dict[str, int] = defaultdict(int)
        self.stalled = asyncio.Event()
        self._release = asyncio.Event()
        self._outage: int | None = None
        self._changed = asyncio.Condition()
        self.socket_mode: FakeSocketMode | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # 0: any; else the same again
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def go_offline(self) -> None:
        """Stop listening: every call is refused until ``come_back()``."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """Listen again on the same port, with the messages kept."""
        self._release = asyncio.Event()
        await self.start()

    def outage(self, status: int = 503) -> None:
        """Every call answers HTTP ``status`` until ``restore()``."""
        self._outage = status

    def restore(self) -> None:
        self._outage = None

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    # --- scripting --------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        **extra: Any,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "deleted": False,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            **extra,
        }

    def fail(self, channel: str, error: str) -> None:
        """Every call naming ``channel`` answers ``{"ok": false, "error": error}``."""
        self._failures[channel] = error

    def heal(self, channel: str) -> None:
        self._failures.pop(channel, None)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with Retry-After."""
        self._scripts[method].append(
            _Script(
                times,
                429,
                {"Retry-After": str(retry_after)},
                {"ok": False, "error": "ratelimited"},
            )
        )

    def server_error(self, method: str, times: int = 1, status: int = 500) -> None:
        self._scripts[method].append(_Script(times, status, {}, {"ok": False, "error": "fatal"}))

    # --- inspection -------------------------------------------------------------------------

    def stall(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` take effect (the message is stored)
        but the answer is held back until ``release()``: the client sees a send
        that may or may not have happened, as when it crashes mid-request."""
        self._stalls[method] += times

    def release(self) -> None:
        self._release.set()

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deletes a message in chat: later calls naming it answer
        ``message_not_found``."""
        self._channels[channel] = [m for m in self._channels[channel] if m["ts"] != ts]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in ``channel`` (roots and replies), oldest first."""
        return list(self._channels[channel])

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` calls of ``method`` have been answered (for work
        Bolt runs after acknowledging, such as event listeners)."""
        async with asyncio.timeout(timeout), self._new_call:
            await self._new_call.wait_for(lambda: len(self.calls_of(method)) >= count)
        return self.calls_of(method)

    async def wait_for_messages(
        self, channel: str, count: int, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until ``channel`` holds at least ``count`` messages."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self._channels[channel]) >= count)
        return self.messages(channel)

    async def wait_for_responses(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` response_url posts have arrived."""
        async with asyncio.timeout(timeout), self._new_response:
            await self._new_response.wait_for(lambda: len(self.responses) >= count)
        return list(self.responses)

    # --- HTTP -------------------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_name"] = request.match_info["name"]
        async with self._new_response:
            self.responses.append(body)
            self._new_response.notify_all()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL ``files.getUploadURLExternal`` handed out: keeps the bytes."""
        found = self.files.get(request.match_info["file_id"])
        if found is None:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        if len(data) != found.length:
            return web.Response(status=400, text="length mismatch")
        found.data = data
        self.calls.append(Call("upload", time.monotonic(), {"file_id": found.id}))
        return web.Response(text=f"OK - {len(data)}")

    def shared_files(self, channel: str) -> list[FakeFile]:
        """Files completed into ``channel``, oldest first."""
        return [f for f in self.files.values() if f.channel == channel]

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, time.monotonic(), args)
        self.calls.append(call)
        try:
            return await self._answer(request, method, call, args)
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _answer(
        self, request: web.Request, method: str, call: Call, args: dict[str, Any]
    ) -> web.Response:
        if self._outage is not None:
            call.status, call.error = self._outage, "outage"
            return web.json_response({"ok": False, "error": "fatal"}, status=self._outage)
        scripts = self._scripts.get(method)
        if scripts:
            script = scripts[0]
            script.times -= 1
            if script.times <= 0:
                scripts.pop(0)
            call.status = script.status
            call.error = script.body.get("error")
            return web.json_response(script.body, status=script.status, headers=script.headers)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == "apps.connections.open" and self.socket_mode is not None:
            opened = self.socket_mode.open_connection(bearer)
            if isinstance(opened, str):
                return self._error(call, opened)
            return web.json_response({"ok": True, **opened})
        if bearer != self.token:
            return self._error(call, "invalid_auth")
        channel = args.get("channel") or args.get("channel_id")
        if channel and channel in self._failures:
            return self._error(call, self._failures[channel])
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(call, "unknown_method")
        result: dict[str, Any] | str = handler(args)
        if isinstance(result, str):
            return self._error(call, result)
        if self._stalls[method] > 0:
            self._stalls[method] -= 1
            self.stalled.set()
            await self._release.wait()
        async with self._new_call:
            self._new_call.notify_all()
        return web.json_response({"ok": True, **result})

    def _error(self, call: Call, error: str) -> web.Response:
        call.error = error
        asyncio.get_running_loop().create_task(self._notify_call())
        return web.json_response({"ok": False, "error": error})

    async def _notify_call(self) -> None:
        async with self._new_call:
            self._new_call.notify_all()

    # --- methods ----------------------------------------------------------------------------

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "threadline",
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": "BBOT",
        }

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self._channels[channel] if m["ts"] == ts), None)

    def _content_error(self, args: dict[str, Any]) -> str | None:
        text = args.get("text") or ""
        if len(text) > TEXT_LIMIT:
            return "msg_too_long"
        if not text and not args.get("blocks"):
            return "no_text"
        uploaded = {f.id for f in self.files.values() if f.completed}
        return check_blocks(args.get("blocks"), files=uploaded)

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = args.get("channel")
        if not channel:
            return "channel_not_found"
        error = self._content_error(args)
        if error:
            return error
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and not (
            isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            return "invalid_metadata_format"
        thread_ts = args.get("thread_ts")
        parent = self._find(channel, thread_ts) if thread_ts else None
        if thread_ts and parent is None:
            return "thread_not_found"
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user,
            "bot_id": "BBOT",
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "metadata": metadata,
            "args": {k: v for k, v in args.items() if k not in ("text", "blocks", "metadata")},
        }
        if parent is not None:
            message["thread_ts"] = parent["ts"]
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
        self._channels[channel].append(message)
        return {"channel": channel, "ts": ts, "message": self._public(message, True)}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = str(args.get("channel") or "")
        message = self._find(channel, str(args.get("ts") or ""))
        if message is None:
            return "message_not_found"
        error = self._content_error(args)
        if error:
            return error
        message["text"] = args.get("text") or ""
        message["blocks"] = args.get("blocks") or []
        message["edited"] = {"user": self.bot_user, "ts": self._next_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message["text"]}

    @staticmethod
    def _public(message: dict[str, Any], metadata: bool) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if k not in ("args", "metadata")}
        if metadata and message.get("metadata") is not None:
            shown["metadata"] = message["metadata"]
        return shown

    @staticmethod
    def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = str(args.get("channel") or "")
        if not channel:
            return "channel_not_found"
        with_meta = _truthy(args.get("include_all_metadata"))
        top = [
            self._public(m, with_meta)
            for m in reversed(self._channels[channel])
            if m.get("thread_ts") in (None, m["ts"])
        ]
        return self._page(top, args)

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = str(args.get("channel") or "")
        ts = str(args.get("ts") or "")
        parent = self._find(channel, ts)
        if parent is None:
            return "thread_not_found"
        with_meta = _truthy(args.get("include_all_metadata"))
        thread = [
            self._public(m, with_meta)
            for m in self._channels[channel]
            if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        return self._page(thread, args)

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any] | str:
        filename, length = args.get("filename"), args.get("length")
        if not filename or not str(length or "").isdigit():
            return "invalid_arguments"
        file_id = f"F{next(self._file_ids):08d}"
        self.files[file_id] = FakeFile(file_id, str(filename), int(length), args.get("alt_txt"))
        return {
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any] | str:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not files:
            return "invalid_arguments"
        channel = args.get("channel_id")
        thread_ts = args.get("thread_ts")
        if thread_ts and (not channel or self._find(str(channel), str(thread_ts)) is None):
            return "invalid_thread_ts"
        done = []
        for entry in files:
            found = self.files.get(str(entry.get("id")))
            if found is None or found.data is None:
                return "file_not_found"
            found.title, found.completed = entry.get("title"), True
            found.channel, found.thread_ts = channel, thread_ts
            done.append({"id": found.id, "name": found.filename, "title": found.title})
        if channel:  # shared: a message carrying the files appears in the channel or thread
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "ts": ts,
                "user": self.bot_user,
                "text": args.get("initial_comment") or "",
                "files": done,
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._channels[str(channel)].append(message)
        return {"files": done}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any] | str:
        user = str(args.get("user_id") or "")
        if user not in self.users:
            return "user_not_found"
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "home":
            return "invalid_arguments"
        error = check_blocks(view.get("blocks") or [], VIEW_BLOCKS_LIMIT)
        if error:
            return error
        self.home_views[user] = view
        return {"view": {"id": f"V{user}", **view}}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            return "user_not_found"
        return {"user": user}


@asynccontextmanager
async def fake_slack(**kwargs: Any) -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(**kwargs)
    await slack.start()
    try:
        yield slack
    finally:
        await slack.stop()
