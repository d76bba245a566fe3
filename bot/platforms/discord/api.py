"""discord.py's HTTP clients, pointed at a configurable API base URL.

discord.py builds every URL as ``Route.BASE + path`` when a ``Route`` is
created, and ``Route.BASE`` is a class attribute (``https://discord.com/api/v10``).
We need another base for local fakes in tests and for API-compatible proxies
(``THREADLINE_DISCORD_API_URL``). The options, and why we chose the first:

* **Rewrite the URL per client** (what this module does): ``ApiBaseHTTPClient``
  overrides ``HTTPClient.request`` and swaps the ``Route.BASE`` prefix of
  ``route.url`` for ours; ``ApiBaseWebhookAdapter`` does the same for the
  interaction callback/follow-up requests, which discord.py sends through its
  webhook adapter instead of ``HTTPClient``. Everything else (buckets, 429
  handling, error types) stays discord.py's own. Nothing global changes, so two
  clients (or two tests) can talk to two servers. The cost: it relies on two
  internals that have been stable through discord.py 2.x (``request`` reads
  ``route.url``; the webhook adapter is looked up in the ``async_context``
  ``ContextVar``). The gateway follows the same base: ``ws_connect`` swaps
  discord.py's built-in ``wss://gateway.discord.gg/`` for the address that
  ``GET /gateway/bot`` on ``api_base`` gives (without it, a proxy or a local
  double served REST while the gateway still dialled Discord).
* **Assign ``Route.BASE``**: one line, but process-wide mutable state that leaks
  between clients and tests.
* **The ``proxy=`` option**: aiohttp tunnels ``https://discord.com`` through an
  HTTP proxy with ``CONNECT``, so the proxy sees only TLS bytes; faking Discord
  behind it would need TLS interception with a trusted CA. It is the right tool
  for a real egress proxy, not for a different API server.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import aiohttp
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context


def rebase(url: str, api_base: str | None) -> str:
    """``url`` (built on ``Route.BASE``) moved onto ``api_base``."""
    if not api_base or not url.startswith(Route.BASE):
        return url
    return api_base.rstrip("/") + url[len(Route.BASE) :]


class ApiBaseHTTPClient(HTTPClient):
    """discord.py's ``HTTPClient`` sending every request to ``api_base``
    (``None``: Discord itself). Rate-limit buckets, 429/Retry-After waits and
    the 5xx retries are discord.py's, unchanged."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        api_base: str | None = None,
        max_ratelimit_timeout: float | None = None,
        connector: aiohttp.BaseConnector | None = None,
    ) -> None:
        super().__init__(loop, connector, max_ratelimit_timeout=max_ratelimit_timeout)
        self.api_base = api_base

    async def request(self, route: Route, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        """The gateway socket. discord.py's ``Client`` dials its built-in
        ``wss://gateway.discord.gg/`` for a new session (a resume goes to the
        ``resume_gateway_url`` of READY); with ``api_base`` set, that address is
        replaced by the one ``GET /gateway/bot`` on ``api_base`` gives, so the
        gateway comes from the same server as the REST API. The query
        (``v``, ``encoding``, ``compress``) is kept."""
        default = DiscordWebSocket.DEFAULT_GATEWAY
        target = yarl.URL(url)
        if self.api_base and target.with_query(None) == default:
            _, gateway, _ = await self.get_bot_gateway()
            url = str(yarl.URL(gateway).with_query(target.query))
        return await super().ws_connect(url, compress=compress)


class ApiBaseWebhookAdapter(AsyncWebhookAdapter):
    """The webhook adapter (interaction responses, follow-ups) on ``api_base``."""

    def __init__(self, api_base: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.api_base = api_base

    async def request(self, route: Route, *args: Any, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, *args, **kwargs)


def use_api_base_for_interactions(api_base: str | None) -> contextvars.Token[Any] | None:
    """Route interaction responses of the current task, and of every task it
    starts afterwards (the gateway, command invocations), to ``api_base``.

    discord.py reads the webhook adapter from a ``ContextVar``, so this is
    local to the calling task's context, not process-wide."""
    if not api_base:
        return None
    return async_context.set(ApiBaseWebhookAdapter(api_base))
