"""The chat platforms Threadline knows: one ``Platform`` object per platform
package, listed here once. The composition root, the command line and
``threadline run`` ask this module, never a platform package.

A new platform is a package exposing a ``Platform`` (see
``bot.platforms.plugin``) and one line in ``BUILT_IN``; a platform that lives
elsewhere (a test's, another distribution's) is added with ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.channel_ids import channel_forms, read_channel_address
from bot.core.subscriptions import ChannelAddress
from bot.platforms.console import CONSOLE
from bot.platforms.discord.plugin import DISCORD
from bot.platforms.plugin import Platform
from bot.platforms.slack.plugin import SLACK

#: In the order help text and error messages name them.
BUILT_IN: tuple[Platform[Any], ...] = (SLACK, DISCORD, CONSOLE)

_platforms: tuple[Platform[Any], ...] = BUILT_IN


def register(platform: Platform[Any]) -> Callable[[], None]:
    """Add ``platform``: from now on its channels can be followed, its settings
    are read and it is connected when configured. Returns the function that
    forgets it again (a test's platform, when the test ends). Raises
    ``ValueError`` when a platform of that name is registered already."""
    global _platforms
    if find(platform.name) is not None:
        raise ValueError(f"a chat platform named {platform.name!r} is registered already")
    _platforms = (*_platforms, platform)

    def unregister() -> None:
        global _platforms
        _platforms = tuple(p for p in _platforms if p is not platform)

    return unregister


def platforms() -> tuple[Platform[Any], ...]:
    """Every registered platform, built-in ones first."""
    return _platforms


def find(name: str) -> Platform[Any] | None:
    return next((p for p in _platforms if p.name == name), None)


def parse_channel(text: str) -> ChannelAddress:
    """The address ``text`` names (``slack:C0123ABCD``, ``console:NAME``).
    Raises ``ValueError`` saying what was expected when no registered platform
    has that name or the id is not one of its ids (``<!channel>``, a Slack DM)."""
    return read_channel_address(text, {p.name: p.channel_ids for p in _platforms})


def channel_help() -> str:
    """``slack:CHANNEL_ID, discord:CHANNEL_ID or console:NAME``."""
    return channel_forms({p.name: p.channel_ids for p in _platforms})
