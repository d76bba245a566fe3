"""A local double of the Discord gateway: websockets on 127.0.0.1 (aiohttp).

    async with fake_discord(token=TOKEN) as api, fake_discord_gateway(api) as gateway:
        # GET /gateway/bot on ``api`` now answers with this double's ws:// address
        ...
        await gateway.wait_for_session()
        await gateway.dispatch("INTERACTION_CREATE", payload)

What it implements (https://discord.com/developers/docs/events/gateway):

* **Connecting**: ``ws://127.0.0.1:…/`` with ``?v=10&encoding=json``; any other
  encoding is closed with 4002 (decode error). ``compress=zlib-stream`` gets
  zlib transport compression (one deflate stream per connection, each payload
  ending in a ``Z_SYNC_FLUSH``); without it, or with ``zstd-stream`` (not
  implemented here), payloads are plain text frames.
* **HELLO** (op 10) with ``heartbeat_interval`` first on every connection.
* **Heartbeats**: op 1 from the client (``d`` the last sequence) is answered
  with HEARTBEAT_ACK (op 11); ``request_heartbeat()`` sends op 1 to ask for one
  at once, as Discord may.
* **IDENTIFY** (op 2): the token is checked (4004 authentication failed
  otherwise); a new session gets READY (``v``, ``user``, ``guilds`` as
  unavailable, ``session_id``, ``resume_gateway_url`` — a path of its own on
  this server — and ``application``), then a GUILD_CREATE per guild.
* **Dispatches** (op 0) carry a per-session sequence ``s``; every dispatch is
  kept in the session's log. ``dispatch(event, data)`` sends one (an
  ``INTERACTION_CREATE`` for a ``/threadline`` command, say); with no live
  connection it is only logged, as Discord buffers events for a session that
  can still be resumed.
* **RECONNECT** (op 7, ``reconnect()``) and a dropped socket (``drop()``, close
  code 4000 or the one given): the client comes back with **RESUME** (op 6:
  token, ``session_id``, ``seq``). The double replays every dispatch after
  ``seq``, then sends RESUMED. An unknown session (``expire_sessions()``) or a
  bad token gets INVALID_SESSION (op 9, ``d: false``); the client then
  IDENTIFYs again for a new session.

Scripting for reconnect tests: ``hold_connections()`` keeps new sockets
waiting before their HELLO until ``release_connections()``, so a dispatch can be
made while the client is reconnecting. Everything received is recorded
(``received``, per connection in ``connections``); ``wait_for_*`` methods wait
on a condition with a bounded timeout, never sleep.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.fake_discord import APPLICATION_ID, BOT_USER_ID, GUILD_ID, FakeDiscord

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT = 0, 1, 2, 6, 7
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41_250


@dataclass(slots=True)
class Session:
    id: str
    log: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, in order
    resumed: int = 0

    @property
    def seq(self) -> int:
        return len(self.log)


@dataclass(slots=True)
class GatewayConnection:
    number: int
    path: str
    query: dict[str, str]
    ws: web.WebSocketResponse
    compressor: Any = None
    session: Session | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def ops(self) -> list[int]:
        return [int(p.get("op", -1)) for p in self.received]


class FakeDiscordGateway:
    """The Discord gateway for one bot (see the module docstring)."""

    def __init__(
        self, api: FakeDiscord, *, heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS
    ) -> None:
        self.api = api
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, Session] = {}
        self.guilds = [GUILD_ID]
        self.identified = 0  # sessions started by IDENTIFY
        self._changed = asyncio.Condition()
        self._gate = asyncio.Event()
        self._gate.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._connect)
        app.router.add_get("/resume", self._connect)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        self.api.gateway_url = self.url

    async def stop(self) -> None:
        self._gate.set()
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- scripting --------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Log ``event`` in the newest session and send it if a connection is live;
        returns its sequence number."""
        session = list(self.sessions.values())[-1]
        return await self._dispatch(session, event, data)

    async def reconnect(self) -> None:
        """Send RECONNECT (op 7) on the live connection: the client should resume."""
        conn = self.live()
        assert conn is not None, "no live connection"
        conn.session = None  # nothing more goes out on it
        await self._send(conn, {"op": RECONNECT, "d": None})

    async def drop(self, code: int = 4000) -> None:
        """Close the live connection (4000: unknown error, which may be resumed)."""
        conn = self.live()
        assert conn is not None, "no live connection"
        conn.session = None
        await conn.ws.close(code=code)

    def expire_sessions(self) -> None:
        """Forget every session (as Discord does some time after a disconnect):
        a RESUME then gets INVALID_SESSION and the client must IDENTIFY anew."""
        self.sessions.clear()

    async def request_heartbeat(self) -> None:
        conn = self.live()
        assert conn is not None, "no live connection"
        await self._send(conn, {"op": HEARTBEAT, "d": None})

    def hold_connections(self) -> None:
        """New sockets wait before their HELLO until ``release_connections``."""
        self._gate.clear()

    def release_connections(self) -> None:
        self._gate.set()

    # --- inspection -------------------------------------------------------------------------

    def live(self) -> GatewayConnection | None:
        """The connection a session's dispatches go to now, if any."""
        live = [c for c in self.connections if c.session is not None and not c.ws.closed]
        return live[-1] if live else None

    def sent_on(self, event: str, match: Callable[[dict[str, Any]], bool]) -> list[int]:
        """The connections a dispatch of ``event`` matching ``match`` went out on."""
        return [
            c.number
            for c in self.connections
            for p in c.sent
            if p.get("t") == event and match(p["d"])
        ]

    async def wait_for_session(
        self, resumed: int = 0, *, count: int = 1, timeout: float = 10.0
    ) -> Session:
        """Until ``count`` sessions have been started (READY sent), the newest has
        been resumed ``resumed`` times and is live; returns that session."""

        def ready() -> bool:
            newest = list(self.sessions.values())[-1] if self.sessions else None
            conn = self.live()
            return (
                self.identified >= count
                and newest is not None
                and newest.resumed >= resumed
                and conn is not None
                and conn.session is newest
            )

        await self._wait(ready, timeout)
        return list(self.sessions.values())[-1]

    async def wait_for_attempts(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` sockets have been opened (HELLO sent or held)."""
        await self._wait(lambda: len(self.connections) >= count, timeout)

    async def wait_for_op(self, op: int, count: int = 1, timeout: float = 10.0) -> None:
        """Until the client has sent ``count`` payloads with opcode ``op``."""
        await self._wait(lambda: sum(c.ops().count(op) for c in self.connections) >= count, timeout)

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(done)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- plumbing ---------------------------------------------------------------------------

    async def _send(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        conn.sent.append(payload)
        text = json.dumps(payload)
        if conn.compressor is not None:
            data = conn.compressor.compress(text.encode()) + conn.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await conn.ws.send_bytes(data)
        else:
            await conn.ws.send_str(text)

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> int:
        payload = {"op": DISPATCH, "s": session.seq + 1, "t": event, "d": data}
        session.log.append(payload)
        conn = self.live()
        if conn is not None and conn.session is session:
            await self._send(conn, payload)
        await self._notify()
        return int(payload["s"])

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = dict(request.query)
        conn = GatewayConnection(len(self.connections) + 1, request.path, query, ws)
        self.connections.append(conn)
        await self._notify()
        try:
            if query.get("encoding", "json") != "json" or query.get("v") != "10":
                await ws.close(code=4002, message=b"Error while decoding payload.")
                return ws
            if query.get("compress") == "zlib-stream":
                conn.compressor = zlib.compressobj()
            await self._gate.wait()
            if ws.closed:
                return ws
            await self._send(
                conn, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                conn.received.append(payload)
                await self._received(conn, payload)
                await self._notify()
        finally:
            conn.closed = True
            conn.session = None
            await self._notify()
        return ws

    async def _received(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            await self._send(conn, {"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            if data.get("token") != self.api.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            session = Session(secrets.token_hex(16))
            self.sessions[session.id] = session
            self.identified += 1
            conn.session = session
            await self._dispatch(session, "READY", self._ready(session))
            for guild in self.guilds:
                await self._dispatch(session, "GUILD_CREATE", _guild(guild))
        elif op == RESUME:
            session = self.sessions.get(str(data.get("session_id")))
            if session is None or data.get("token") != self.api.token:
                await self._send(conn, {"op": INVALID_SESSION, "d": False})
                return
            seq = int(data.get("seq") or 0)
            for old in self.connections:
                if old.session is session:
                    old.session = None  # a resumed session lives on its newest socket
            # By index: a dispatch made while replaying is logged and replayed too.
            while seq < len(session.log):
                await self._send(conn, session.log[seq])
                seq += 1
            conn.session = session
            session.resumed += 1
            await self._dispatch(session, "RESUMED", {})

    def _ready(self, session: Session) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {
                "id": BOT_USER_ID,
                "username": "threadline",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
                "bot": True,
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
            },
            "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
            "session_id": session.id,
            "resume_gateway_url": f"{self.url}/resume",
            "application": {"id": APPLICATION_ID, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }


def _guild(guild_id: str) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": "Newsroom",
        "unavailable": False,
        "owner_id": "1100000000000000009",
        "member_count": 2,
        "large": False,
        "features": [],
        "roles": [],
        "emojis": [],
        "stickers": [],
        "channels": [],
        "threads": [],
        "members": [],
        "voice_states": [],
        "presences": [],
        "joined_at": "2025-01-01T00:00:00+00:00",
    }


@asynccontextmanager
async def fake_discord_gateway(
    api: FakeDiscord, **kwargs: Any
) -> AsyncIterator[FakeDiscordGateway]:
    gateway = FakeDiscordGateway(api, **kwargs)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()
