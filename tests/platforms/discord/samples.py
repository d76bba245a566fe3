"""Cards, replies and interaction payloads for the Discord tests."""

from __future__ import annotations

from typing import Any

from tests.support.fake_discord import APPLICATION_ID, GUILD_ID
from tests.support.samples import CHANGE, card, coverage, fact, fact_change

__all__ = ["CHANGE", "card", "coverage", "fact", "fact_change"]

TOKEN = "discord-bot-token"
CHANNEL = "1300000000000000001"
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11


ADMIN_COMMAND = "threadline-admin"


def _option(name: str, value: str, focused: str | None) -> dict[str, Any]:
    option: dict[str, Any] = {"type": 3, "name": name, "value": value}
    if name == focused:
        option["focused"] = True
    return option


def command_data(
    *path: str, command: str = "threadline", focused: str | None = None, **options: str
) -> dict[str, Any]:
    """``data`` for ``/<command> <path…> option=value…`` as Discord sends it:
    subcommand groups (type 2) and subcommands (type 1) nest in ``options``.
    ``focused`` names the option being typed (an autocomplete interaction)."""
    leaf: list[dict[str, Any]] = [_option(k, v, focused) for k, v in options.items()]
    *groups, sub = path
    node: dict[str, Any] = {"type": 1, "name": sub, "options": leaf}
    for group in reversed(groups):
        node = {"type": 2, "name": group, "options": [node]}
    return {"id": "1400000000000000001", "name": command, "type": 1, "options": [node]}


def admin_data(*path: str, **options: str) -> dict[str, Any]:
    """``data`` for ``/threadline-admin <path…> option=value…``."""
    return command_data(*path, command=ADMIN_COMMAND, **options)


_ids = iter(range(1_500_000_000_000_000_000, 1_600_000_000_000_000_000))


def interaction(
    data: dict[str, Any],
    *,
    permissions: int = SEND_MESSAGES,
    in_guild: bool = True,
    user_id: str = "1600000000000000001",
    kind: int = 2,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for ``data``: an application command
    (``kind`` 2) or an autocomplete request (4)."""
    user = {
        "id": user_id,
        "username": "ann",
        "discriminator": "0",
        "avatar": None,
        "global_name": "Ann",
    }
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": APPLICATION_ID,
        "type": kind,
        "token": f"interaction-token-{next(_ids)}",
        "version": 1,
        "data": data,
        "locale": "en-US",
        "app_permissions": str(SEND_MESSAGES),
        "attachment_size_limit": 10_485_760,
        "entitlements": [],
    }
    if in_guild:
        payload["guild_id"] = GUILD_ID
        payload["guild_locale"] = "en-US"
        payload["channel_id"] = CHANNEL
        payload["channel"] = {
            "id": CHANNEL,
            "type": 0,
            "guild_id": GUILD_ID,
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }
        payload["member"] = {
            "user": user,
            "roles": [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            # Discord's resolved permissions of the member in this channel.
            "permissions": str(permissions),
        }
        payload["context"] = 0
    else:
        dm = "1700000000000000001"
        payload["channel_id"] = dm
        payload["channel"] = {"id": dm, "type": 1, "recipients": [user]}
        payload["user"] = user
        payload["context"] = 1
    return payload
