"""What a chat platform tells Threadline about itself: the one object each
platform package exposes and ``bot.platforms.registry`` lists.

The composition root and the entry points read platforms only through this
contract, so adding one touches its own package and one line of the registry.
The module defining a ``Platform`` must be cheap to import (the registry
imports every one for each CLI command): the platform's SDK is imported inside
``connect`` and ``front_end``, never at the top.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic_settings import BaseSettings

from bot.core.channel_ids import ChannelIds
from bot.ports import ChatPlatform, CommandHandler, StatusSource

S = TypeVar("S", bound=BaseSettings)


@dataclass(frozen=True, slots=True)
class FrontEndServices:
    """What a running bot hands a platform's command listener."""

    commands: CommandHandler
    status: StatusSource
    #: THREADLINE_ADMINS: chat user ids treated as admins besides the platform's own.
    admins: frozenset[str]


FrontEnd: TypeAlias = Callable[
    [S, ChatPlatform, FrontEndServices], Coroutine[Any, Any, None] | None
]


@dataclass(frozen=True, slots=True)
class Platform(Generic[S]):
    """One chat platform, as the registry knows it.

    ``settings`` is a pydantic-settings class of the platform's own environment
    variables (its tokens as ``SecretStr``, so they never reach a log or a
    repr). The composition root reads it, with the same ``.env`` support and
    errors naming the variable as the rest of the settings, and hands the
    result to ``configured``, ``connect`` and ``front_end``."""

    #: The platform part of its channel addresses (``slack`` in ``slack:C0123ABCD``).
    name: str
    #: What its channel ids look like and which it refuses.
    channel_ids: ChannelIds
    settings: type[S]
    #: Whether the environment asks for this platform (its token is set).
    configured: Callable[[S], bool]
    #: The adapter delivery posts through, logged in. Raises
    #: ``ChannelUnavailable`` for a rejected token.
    connect: Callable[[S], Awaitable[ChatPlatform]]
    #: What ``threadline run`` runs beside the scheduler so people can type
    #: commands (Slack Socket Mode or HTTP, the Discord gateway), serving until
    #: cancelled, given what ``connect`` returned; None: no commands from chat
    #: (or none with these settings).
    front_end: FrontEnd[S] | None = None
    #: How an admin lists every feed there (the status page in chat points at it).
    feeds_list_command: str | None = None
    #: What the help says beside its admin commands there, where admins type
    #: them otherwise than the rest ("on Discord: /threadline-admin feeds …").
    admin_help: str | None = None
    #: Loggers of its SDK that may write request headers (tokens) at debug
    #: level: the CLI keeps them at warnings.
    quiet_loggers: tuple[str, ...] = ()
    #: Connected when no platform is ``configured`` (the console), so the bot
    #: shows what it does with no account anywhere.
    fallback: bool = False
    #: A channel that follows every open storyline when the bot starts and
    #: gets the admin notices unless THREADLINE_ADMIN_CHANNEL names another.
    home_channel: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """A platform connected with its settings: what ``threadline run`` needs to
    start its front end."""

    platform: Platform[Any]
    settings: BaseSettings
    adapter: ChatPlatform

    def front_end(self, services: FrontEndServices) -> Coroutine[Any, Any, None] | None:
        if self.platform.front_end is None:
            return None
        return self.platform.front_end(self.settings, self.adapter, services)
