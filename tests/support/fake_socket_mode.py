"""A local double of Slack's Socket Mode: websockets on 127.0.0.1 (aiohttp).

    async with fake_slack(token=BOT) as slack, fake_socket_mode(slack) as socket:
        # the bot's AsyncWebClient points at slack.url; it calls apps.connections.open
        # with the app token (socket.app_token) and gets a ws:// URL of this double
        envelope = await socket.slash_command("follow dod-dispute", channel_id="C1")
        ack = await socket.wait_for_ack(envelope)

What it implements, as https://api.slack.com/apis/socket-mode describes:

* **``apps.connections.open``** on the Web API double (``FakeSlack``): answered
  only for the app-level token (``xapp-…``; a bot token gets
  ``not_allowed_token_type``, anything else ``invalid_auth``), with a fresh
  ``ws://127.0.0.1:…/link/?ticket=…`` URL. A ticket opens one connection only,
  so a client must call ``apps.connections.open`` again to reconnect.
* **``hello``** as the first frame of every connection (``num_connections``,
  ``debug_info``, ``connection_info.app_id``).
* **Envelopes** with ``envelope_id``: ``slash_commands`` (``accepts_response_payload``
  true, a ``response_url`` on ``FakeSlack`` named after the envelope),
  ``events_api`` (an ``event_callback`` with ``event_id``, ``retry_attempt`` 0)
  and ``interactive`` (``block_actions`` and the like). Each goes to the newest
  live connection; with none live (between a ``disconnect`` and the next
  ``hello``) it is queued and sent, in order, right after the next ``hello``.
* **Acks**: every text frame the client sends is read as ``{"envelope_id",
  "payload"?}`` and recorded (``acks``), on whichever connection it arrives, so
  a test can check each envelope was acked exactly once and what the ack
  carried (a command answered in its ack carries the answer as ``payload``).
  Frames that are not acks of a sent envelope are kept in ``stray``.
* **``disconnect``** frames with a ``reason`` (``warning``,
  ``refresh_requested``, ``link_disabled``…): the connection takes no new
  envelopes after it and is closed once a newer one has had its ``hello``, if
  the client has not closed it first. ``drop()`` closes the live connection
  without notice (a close frame, code 1001, as a Slack host going away).
* Pings from the client are answered with pongs (aiohttp's autoping).

Scripting for reconnect tests: ``hold_connections()`` keeps new connections
waiting before their ``hello`` until ``release_connections()``, so a test can
make an envelope arrive while the client is reconnecting;
``wait_for_connections(n)`` / ``wait_for_attempts(n)`` wait (never sleep) until
``n`` connections have had their ``hello`` / have been opened.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.fake_slack import FakeSlack

APP_ID = "A0THREADLN"


@dataclass(slots=True)
class Connection:
    """One websocket a client opened."""

    number: int
    ws: web.WebSocketResponse
    live: bool = False  # had its hello and takes envelopes
    retiring: bool = False  # was sent a disconnect
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


@dataclass(slots=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    connection: int


class FakeSocketMode:
    """Slack's Socket Mode endpoint (see the module docstring)."""

    def __init__(self, slack: FakeSlack, *, app_token: str = "xapp-1-test-app-token") -> None:
        self.slack = slack
        self.app_token = app_token
        self.connections: list[Connection] = []
        self.envelopes: dict[str, dict[str, Any]] = {}
        self.acks: list[Ack] = []
        self.stray: list[str] = []
        self.urls_issued = 0
        self._tickets: set[str] = set()
        self._pending: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._gate = asyncio.Event()
        self._gate.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        self.slack.socket_mode = self

    async def stop(self) -> None:
        self._gate.set()
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def open_connection(self, token: str | None) -> dict[str, Any] | str:
        """``apps.connections.open`` as Slack answers it (called by ``FakeSlack``)."""
        if token != self.app_token:
            return "not_allowed_token_type" if token == self.slack.token else "invalid_auth"
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        self.urls_issued += 1
        return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    # --- envelopes --------------------------------------------------------------------------

    async def slash_command(
        self,
        text: str,
        *,
        channel_id: str = "C1",
        user_id: str = "UMEMBER",
        command: str = "/threadline",
    ) -> str:
        """Send (or queue) a ``slash_commands`` envelope; returns its envelope id.
        Its ``response_url`` is ``slack.response_url(envelope_id)``."""
        envelope_id = self._envelope_id()
        payload = {
            "token": "legacy-verification-token",
            "team_id": self.slack.team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": channel_id.lower(),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(envelope_id),
            "trigger_id": f"{envelope_id}.trigger",
        }
        return await self._send(
            envelope_id, "slash_commands", payload, accepts_response_payload=True
        )

    async def event(self, event: dict[str, Any]) -> str:
        """Send (or queue) an ``events_api`` envelope carrying ``event``."""
        envelope_id = self._envelope_id()
        payload = {
            "token": "legacy-verification-token",
            "team_id": self.slack.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{envelope_id[:10].upper()}",
            "event_time": 1_700_000_000,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.slack.team_id,
                    "user_id": self.slack.bot_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return await self._send(
            envelope_id,
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=0,
            retry_reason="",
        )

    async def interactive(self, payload: dict[str, Any]) -> str:
        """Send (or queue) an ``interactive`` envelope (``block_actions``, …)."""
        envelope_id = self._envelope_id()
        body = {"team": {"id": self.slack.team_id, "domain": "fake"}, "api_app_id": APP_ID}
        return await self._send(
            envelope_id, "interactive", {**body, **payload}, accepts_response_payload=False
        )

    async def disconnect(self, reason: str = "refresh_requested", *, close: bool = False) -> None:
        """Send ``disconnect`` on the live connections; they take no new envelopes
        and are closed once a newer connection has had its ``hello`` (Slack retires
        a refreshed connection after the client has moved), if the client has not
        closed them first; ``close=True`` closes them right after the frame."""
        for conn in [c for c in self.connections if c.live]:
            conn.live = False
            conn.retiring = True
            frame = {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": f"applink-fake-{conn.number}"},
            }
            conn.sent.append(frame)
            await conn.ws.send_json(frame)
            if close:
                await conn.ws.close(code=1000)

    async def drop(self) -> None:
        """Close every live connection without a ``disconnect`` first."""
        for conn in [c for c in self.connections if c.live]:
            conn.live = False
            await conn.ws.close(code=1001, message=b"going away")

    def hold_connections(self) -> None:
        """New connections wait before their ``hello`` until ``release_connections``."""
        self._gate.clear()

    def release_connections(self) -> None:
        self._gate.set()

    # --- inspection -------------------------------------------------------------------------

    def acks_for(self, envelope_id: str) -> list[Ack]:
        return [a for a in self.acks if a.envelope_id == envelope_id]

    def unacked(self) -> list[str]:
        acked = {a.envelope_id for a in self.acks}
        return [e for e in self.envelopes if e not in acked]

    def delivered_on(self, envelope_id: str) -> list[int]:
        """The connections an envelope was sent on (once, unless something is wrong)."""
        return [
            c.number
            for c in self.connections
            for frame in c.sent
            if frame.get("envelope_id") == envelope_id
        ]

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        await self._wait(lambda: bool(self.acks_for(envelope_id)), timeout)
        return self.acks_for(envelope_id)[0]

    async def wait_for_connections(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` connections have had their ``hello``."""
        await self._wait(lambda: sum(_hello(c) for c in self.connections) >= count, timeout)

    async def wait_for_attempts(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` websocket connections have been opened (hello or not)."""
        await self._wait(lambda: len(self.connections) >= count, timeout)

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(done)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- plumbing ---------------------------------------------------------------------------

    def _envelope_id(self) -> str:
        return f"{next(self._ids):04d}-{secrets.token_hex(6)}"

    async def _send(
        self, envelope_id: str, kind: str, payload: dict[str, Any], **extra: Any
    ) -> str:
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        self.envelopes[envelope_id] = envelope
        live = [c for c in self.connections if c.live]
        if live:
            conn = live[-1]
            conn.sent.append(envelope)
            await conn.ws.send_json(envelope)
        else:
            self._pending.append(envelope)
        return envelope_id

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            # A used or made-up ticket: Slack refuses the upgrade.
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(number=len(self.connections) + 1, ws=ws)
        self.connections.append(conn)
        await self._notify()
        reader = asyncio.ensure_future(self._read(conn))
        try:
            await self._gate.wait()
            if not ws.closed:
                hello = {
                    "type": "hello",
                    "num_connections": sum(c.live for c in self.connections) + 1,
                    "debug_info": {
                        "host": f"applink-fake-{conn.number}",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": APP_ID},
                }
                conn.sent.append(hello)
                await ws.send_json(hello)
                conn.live = True
                pending, self._pending = self._pending, []
                for envelope in pending:
                    conn.sent.append(envelope)
                    await ws.send_json(envelope)
                for old in self.connections:
                    if old.retiring and not old.ws.closed:
                        await old.ws.close(code=1000)
                await self._notify()
            await reader
        finally:
            reader.cancel()
            conn.live = False
            conn.closed = True
            await self._notify()
        return ws

    async def _read(self, conn: Connection) -> None:
        async for message in conn.ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(message.data)
            except ValueError:
                frame = None
            envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
            if envelope_id in self.envelopes:
                payload = frame.get("payload") if isinstance(frame, dict) else None
                self.acks.append(Ack(str(envelope_id), payload, conn.number))
            else:
                self.stray.append(message.data)
            await self._notify()


def _hello(conn: Connection) -> bool:
    return any(frame.get("type") == "hello" for frame in conn.sent)


@asynccontextmanager
async def fake_socket_mode(slack: FakeSlack, **kwargs: Any) -> AsyncIterator[FakeSocketMode]:
    socket = FakeSocketMode(slack, **kwargs)
    await socket.start()
    try:
        yield socket
    finally:
        await socket.stop()
