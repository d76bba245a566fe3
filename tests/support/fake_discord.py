"""A local fake of the Discord REST API for tests: aiohttp.web on 127.0.0.1.

    async with fake_discord(token="bot-token") as discord_api:
        platform = await DiscordPlatform.login("bot-token", api_base=discord_api.api_base)
        ...
        discord_api.messages(CHANNEL)        # what the channel holds

Serves, under ``/api/v10``, the routes discord.py uses for us: ``GET /users/@me``,
``GET /oauth2/applications/@me``, ``GET /gateway`` and ``GET /gateway/bot`` (the
address of ``gateway_url``: a gateway double, ``tests/support/fake_discord_gateway.py``,
puts its own there), ``PUT /applications/{app}/commands``,
``POST|GET /channels/{id}/messages``, ``PATCH /channels/{id}/messages/{mid}``,
``POST /channels/{id}/messages/{mid}/threads``, ``GET|PATCH /channels/{id}``,
``POST /interactions/{id}/{token}/callback`` and the webhook follow-ups
``POST /webhooks/{app}/{token}``, ``PATCH /webhooks/{app}/{token}/messages/{mid}``.
Answers the way Discord does: JSON errors ``{"message", "code"}`` (401 without
the right ``Authorization: Bot …``; 403 50001 Missing Access; 404 10003 Unknown
Channel; 400 50083 for an archived thread; 400 50035 for an embed over Discord's
limits; 400 160004 for a second thread on one message), and ``nonce`` with
``enforce_nonce`` returns the message first sent with that nonce.

A request sent as ``multipart/form-data`` (a message or interaction response
with files) is read as Discord reads it: the JSON body from ``payload_json``
and each ``files[n]`` part kept, bytes and all, in ``uploads`` (and listed in
the recorded body under ``_files``).

Scripting: ``add_channel``, ``forbid`` (403), ``delete`` (404), ``archive``,
``lock``, ``delete_message`` (a person deleted it), ``outage(status)`` (every
call) until ``restore()``; ``fail_next(route, status, code, …)`` and
``rate_limit(route, retry_after)`` (429 with ``retry_after`` and
``X-RateLimit-*`` headers) for the next calls of a route. ``calls`` records
every request with its monotonic arrival time; ``wait_for(route)`` waits (no
sleeping) until one arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any

from aiohttp import web

BOT_USER_ID = "1100000000000000001"
APPLICATION_ID = "1100000000000000002"
GUILD_ID = "1100000000000000003"
EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "fields": 25}
FIELD_NAME, FIELD_VALUE, EMBED_TOTAL, CONTENT = 256, 1024, 6000, 2000
NONCE_MAX = 25


@dataclass(slots=True)
class Call:
    route: str
    method: str
    path: str
    at: float
    body: Any
    status: int = 200


@dataclass(slots=True)
class FakeChannel:
    id: str
    type: int = 0  # 0 text, 11 public thread
    parent_id: str | None = None
    name: str = "news"
    archived: bool = False
    locked: bool = False
    deleted: bool = False
    forbidden: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "guild_id": GUILD_ID,
            "name": self.name,
            "parent_id": self.parent_id,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": self.messages[-1]["id"] if self.messages else None,
        }
        if self.type == 11:
            data["thread_metadata"] = {
                "archived": self.archived,
                "locked": self.locked,
                "auto_archive_duration": 10080,
                "archive_timestamp": "2025-01-01T00:00:00+00:00",
            }
            data["owner_id"] = BOT_USER_ID
            data["message_count"] = len(self.messages)
            data["member_count"] = 1
        return data


@dataclass(slots=True)
class Upload:
    """One ``files[n]`` part of a multipart request."""

    route: str
    field: str
    filename: str
    content_type: str
    data: bytes


def read_multipart(content_type: str, raw: bytes) -> tuple[Any, list[tuple[str, str, str, bytes]]]:
    """``payload_json`` and the file parts (field, filename, type, bytes) of a
    multipart/form-data body."""
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    payload: Any = None
    files = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if name == "payload_json":
            payload = json.loads(data)
        elif isinstance(name, str) and name.startswith("files["):
            files.append((name, part.get_filename() or "", part.get_content_type(), bytes(data)))
    return payload, files


@dataclass(slots=True)
class _Script:
    times: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py compares the header verbatim.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _error(status: int, message: str, code: int) -> web.Response:
    return _json({"message": message, "code": code}, status)


def _embed_problem(embed: dict[str, Any]) -> str | None:
    """Why Discord would refuse ``embed`` (its documented limits), or None."""
    title = embed.get("title") or ""
    description = embed.get("description") or ""
    footer = (embed.get("footer") or {}).get("text") or ""
    fields = embed.get("fields") or []
    if len(title) > EMBED_LIMITS["title"]:
        return "title"
    if len(description) > EMBED_LIMITS["description"]:
        return "description"
    if len(footer) > EMBED_LIMITS["footer"]:
        return "footer"
    if len(fields) > EMBED_LIMITS["fields"]:
        return "fields"
    total = len(title) + len(description) + len(footer)
    for f in fields:
        if not f.get("name") or not f.get("value"):
            return "field empty"
        if len(f["name"]) > FIELD_NAME or len(f["value"]) > FIELD_VALUE:
            return "field"
        total += len(f["name"]) + len(f["value"])
    if total > EMBED_TOTAL:
        return "total"
    return None


class FakeDiscord:
    def __init__(self, token: str) -> None:
        self.token = token
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[Call] = []
        self.commands: list[dict[str, Any]] = []
        self.interaction_responses: dict[str, list[dict[str, Any]]] = {}
        self.uploads: list[Upload] = []
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self._scripts: dict[str, list[_Script]] = {}
        self._by_nonce: dict[tuple[str, str], dict[str, Any]] = {}
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._outage: int | None = None
        self.url = ""
        # What GET /gateway(/bot) hands out; a gateway double sets its own address.
        self.gateway_url = "wss://gateway.discord.gg"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    # --- scripting ---------------------------------------------------------------------------

    def outage(self, status: int = 503) -> None:
        """Every call answers HTTP ``status`` (Discord's JSON error) until ``restore()``."""
        self._outage = status

    def restore(self) -> None:
        self._outage = None

    def add_channel(self, channel_id: str, name: str = "news") -> FakeChannel:
        self.channels[channel_id] = FakeChannel(channel_id, name=name)
        return self.channels[channel_id]

    def forbid(self, channel_id: str) -> None:
        self.channels[channel_id].forbidden = True

    def delete(self, channel_id: str) -> None:
        self.channels[channel_id].deleted = True

    def archive(self, channel_id: str) -> None:
        self.channels[channel_id].archived = True

    def lock(self, channel_id: str) -> None:
        self.channels[channel_id].locked = True
        self.channels[channel_id].archived = True

    def delete_message(self, channel_id: str, message_id: str) -> None:
        """Someone deletes a message in chat: editing it answers 404 Unknown Message."""
        channel = self.channels[channel_id]
        channel.messages = [m for m in channel.messages if m["id"] != message_id]

    def fail_next(
        self, route: str, status: int, code: int = 0, message: str = "error", times: int = 1
    ) -> None:
        self._scripts.setdefault(route, []).append(
            _Script(times, status, {"message": message, "code": code})
        )

    def rate_limit(self, route: str, retry_after: float, times: int = 1) -> None:
        """The next ``times`` calls of ``route`` answer 429 like Discord (the
        ``Via`` header tells discord.py it is not a Cloudflare ban)."""
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Reset": str(time.time() + retry_after),
            "X-RateLimit-Bucket": f"bucket-{route}",
            "X-RateLimit-Scope": "user",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body["global"] = False
        self._scripts.setdefault(route, []).append(_Script(times, 429, body, headers))

    async def stop(self) -> None:
        """Stop answering (later requests fail to connect)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # --- inspection --------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return list(self.channels[channel_id].messages)

    def calls_to(self, route: str) -> list[Call]:
        return [c for c in self.calls if c.route == route]

    def sends(self) -> list[Call]:
        """Every message create/edit request (channel messages and interaction answers)."""
        kinds = {"send_message", "edit_message", "interaction_callback", "followup"}
        return [c for c in self.calls if c.route in kinds]

    async def wait_for(self, route: str, count: int = 1, *, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` calls of ``route`` have arrived."""

        def enough() -> bool:
            return len(self.calls_to(route)) >= count

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(enough), timeout)
        return self.calls_to(route)

    # --- plumbing ----------------------------------------------------------------------------

    def _snowflake(self) -> str:
        return str(next(self._ids))

    def _message(self, channel_id: str, body: dict[str, Any], author: str) -> dict[str, Any]:
        return {
            "id": self._snowflake(),
            "channel_id": channel_id,
            "type": 0,
            "author": {
                "id": author,
                "username": "threadline",
                "discriminator": "0",
                "bot": True,
                "avatar": None,
                "global_name": None,
            },
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "attachments": self._attachments(body),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2025-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            "components": [],
        }

    def _attachments(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The attachments a message gets from the files sent with it."""
        out = []
        for sent in body.get("_files") or []:
            attachment_id = self._snowflake()
            out.append(
                {
                    "id": attachment_id,
                    "filename": sent["filename"],
                    "size": sent["size"],
                    "url": f"{self.url}/attachments/{attachment_id}/{sent['filename']}",
                    "proxy_url": f"{self.url}/attachments/{attachment_id}/{sent['filename']}",
                }
            )
        return out

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._arrived:
            self._arrived.notify_all()

    def _handler(
        self, route: str, fn: Callable[[web.Request, Any], Any], *, auth: bool = True
    ) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else None
            if raw and request.content_type == "multipart/form-data":
                body, files = read_multipart(request.headers["Content-Type"], raw)
                body = body if isinstance(body, dict) else {}
                body["_files"] = []
                for field_name, filename, kind, data in files:
                    self.uploads.append(Upload(route, field_name, filename, kind, data))
                    body["_files"].append(
                        {"field": field_name, "filename": filename, "size": len(data)}
                    )
            call = Call(route, request.method, request.path, time.monotonic(), body)
            response: web.Response
            if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                response = _error(401, "401: Unauthorized", 0)
            elif self._outage is not None:
                response = _error(self._outage, f"{self._outage}: Service Unavailable", 0)
            elif scripted := self._scripted(route):
                response = scripted
            else:
                response = await fn(request, body)
            call.status = response.status
            await self._record(call)
            return response

        return handle

    def _scripted(self, route: str) -> web.Response | None:
        queue = self._scripts.get(route)
        if not queue:
            return None
        script = queue[0]
        script.times -= 1
        if script.times <= 0:
            queue.pop(0)
        return _json(script.body, script.status, script.headers)

    def _channel(self, channel_id: str) -> FakeChannel | web.Response:
        channel = self.channels.get(channel_id)
        parent = self.channels.get(channel.parent_id or "") if channel else None
        # A thread goes with its parent channel, and inherits its permissions.
        if channel is None or channel.deleted or (parent is not None and parent.deleted):
            return _error(404, "Unknown Channel", 10003)
        if channel.forbidden or (parent is not None and parent.forbidden):
            return _error(403, "Missing Access", 50001)
        return channel

    # --- routes ------------------------------------------------------------------------------

    async def _me(self, request: web.Request, body: Any) -> web.Response:
        return _json(
            {
                "id": BOT_USER_ID,
                "username": "threadline",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
                "global_name": None,
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
            }
        )

    async def _application(self, request: web.Request, body: Any) -> web.Response:
        return _json(
            {
                "id": APPLICATION_ID,
                "name": "Threadline",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "00",
                "owner": {
                    "id": "1100000000000000009",
                    "username": "owner",
                    "discriminator": "0",
                    "avatar": None,
                    "global_name": None,
                },
                "flags": 0,
            }
        )

    async def _gateway(self, request: web.Request, body: Any) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _bot_gateway(self, request: web.Request, body: Any) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _sync_commands(self, request: web.Request, body: Any) -> web.Response:
        self.commands = [
            {**cmd, "id": self._snowflake(), "application_id": APPLICATION_ID, "version": "1"}
            for cmd in body
        ]
        return _json(self.commands)

    async def _send(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        if isinstance(found, web.Response):
            return found
        channel = found
        if channel.locked:
            return _error(403, "Missing Permissions", 50013)
        if channel.archived:
            return _error(400, "Thread is archived", 50083)
        if len(body.get("content") or "") > CONTENT:
            return _error(400, "Invalid Form Body (content)", 50035)
        for embed in body.get("embeds") or []:
            if problem := _embed_problem(embed):
                return _error(400, f"Invalid Form Body (embed {problem})", 50035)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > NONCE_MAX:
            return _error(400, "Invalid Form Body (nonce)", 50035)
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._by_nonce.get((channel.id, str(nonce)))
            if earlier is not None:
                return _json({**earlier, "nonce": nonce})
        message = self._message(channel.id, body, BOT_USER_ID)
        channel.messages.append(message)
        if nonce is not None:
            self._by_nonce[(channel.id, str(nonce))] = message
        return _json({**message, "nonce": nonce})

    async def _edit(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        if isinstance(found, web.Response):
            return found
        for message in found.messages:
            if message["id"] == request.match_info["message"]:
                for embed in body.get("embeds") or []:
                    if problem := _embed_problem(embed):
                        return _error(400, f"Invalid Form Body (embed {problem})", 50035)
                message.update({k: body[k] for k in ("content", "embeds") if k in body})
                if "attachments" in body:
                    # Kept: existing attachments the edit lists by id; the rest
                    # are dropped, and the files sent with the edit are added.
                    keep = {str(a.get("id")) for a in body["attachments"]}
                    message["attachments"] = [
                        a for a in message["attachments"] if a["id"] in keep
                    ] + self._attachments(body)
                message["edited_timestamp"] = "2025-01-01T00:01:00+00:00"
                return _json(message)
        return _error(404, "Unknown Message", 10008)

    async def _start_thread(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        if isinstance(found, web.Response):
            return found
        for message in found.messages:
            if message["id"] == request.match_info["message"]:
                if message.get("thread"):
                    return _error(400, "A thread has already been created for this message", 160004)
                thread = FakeChannel(message["id"], type=11, parent_id=found.id, name=body["name"])
                self.channels[thread.id] = thread
                message["thread"] = thread.payload()
                return _json(thread.payload(), 201)
        return _error(404, "Unknown Message", 10008)

    async def _get_channel(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        return found if isinstance(found, web.Response) else _json(found.payload())

    async def _edit_channel(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        if isinstance(found, web.Response):
            return found
        if found.locked:
            return _error(403, "Missing Permissions", 50013)
        if "archived" in body:
            found.archived = bool(body["archived"])
        return _json(found.payload())

    async def _history(self, request: web.Request, body: Any) -> web.Response:
        found = self._channel(request.match_info["channel"])
        if isinstance(found, web.Response):
            return found
        limit = int(request.query.get("limit", "50"))
        newest_first = list(reversed(found.messages))
        if before := request.query.get("before"):
            newest_first = [m for m in newest_first if int(m["id"]) < int(before)]
        # History never carries the nonce (only the create response does).
        return _json(newest_first[:limit])

    async def _interaction_callback(self, request: web.Request, body: Any) -> web.Response:
        interaction_id = request.match_info["interaction"]
        self.interaction_responses.setdefault(interaction_id, []).append(body)
        if not request.query.get("with_response"):
            return web.Response(status=204)
        kind = body["type"]
        flags = (body.get("data") or {}).get("flags") or 0
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            resource["message"] = self._message("0", body.get("data") or {}, APPLICATION_ID)
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & 64),
                },
                "resource": resource,
            }
        )

    async def _followup(self, request: web.Request, body: Any) -> web.Response:
        if len(body.get("content") or "") > CONTENT:
            return _error(400, "Invalid Form Body (content)", 50035)
        return _json(self._message("0", body, APPLICATION_ID))

    async def _edit_followup(self, request: web.Request, body: Any) -> web.Response:
        return _json(self._message("0", body, APPLICATION_ID))

    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        base = "/api/v10"
        r.add_get(f"{base}/users/@me", self._handler("me", self._me))
        r.add_get(
            f"{base}/oauth2/applications/@me", self._handler("application", self._application)
        )
        r.add_get(f"{base}/gateway", self._handler("gateway", self._gateway, auth=False))
        r.add_get(f"{base}/gateway/bot", self._handler("bot_gateway", self._bot_gateway))
        r.add_put(
            f"{base}/applications/{{app}}/commands",
            self._handler("sync_commands", self._sync_commands),
        )
        ch = f"{base}/channels/{{channel}}"
        r.add_post(f"{ch}/messages", self._handler("send_message", self._send))
        r.add_get(f"{ch}/messages", self._handler("list_messages", self._history))
        r.add_patch(f"{ch}/messages/{{message}}", self._handler("edit_message", self._edit))
        r.add_post(
            f"{ch}/messages/{{message}}/threads", self._handler("start_thread", self._start_thread)
        )
        r.add_get(ch, self._handler("get_channel", self._get_channel))
        r.add_patch(ch, self._handler("edit_channel", self._edit_channel))
        # Interaction tokens authenticate these; Discord wants no bot token.
        r.add_post(
            f"{base}/interactions/{{interaction}}/{{token}}/callback",
            self._handler("interaction_callback", self._interaction_callback, auth=False),
        )
        r.add_post(
            f"{base}/webhooks/{{app}}/{{token}}",
            self._handler("followup", self._followup, auth=False),
        )
        r.add_patch(
            f"{base}/webhooks/{{app}}/{{token}}/messages/{{message}}",
            self._handler("edit_followup", self._edit_followup, auth=False),
        )
        return app


@asynccontextmanager
async def fake_discord(token: str = "bot-token") -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(token)
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}"
    fake._runner = runner
    try:
        yield fake
    finally:
        await fake.stop()
