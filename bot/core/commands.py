"""A slash command as the use cases see it: who asked, what, and the reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.feed_input import redact_url
from bot.core.posts import Attachment
from bot.core.subscriptions import ChannelAddress

#: The commands that change what the bot watches or where it posts: each run of
#: one, refused ones included, is a ``command.run`` line in the audit log.
AUDITED = frozenset({"follow", "unfollow", "feeds add", "feeds remove"})
#: An answer is kept in the audit log up to this many characters.
MAX_AUDITED_ANSWER = 300


@dataclass(frozen=True, slots=True)
class Invoker:
    """Who issued a chat command, where. ``is_admin`` is decided server-side by the
    platform adapter (Slack: workspace admin/owner per ``users.info`` or listed in
    THREADLINE_ADMINS; Discord: Manage Server), never taken from the request."""

    user_id: str
    channel: ChannelAddress
    is_admin: bool
    #: The platform's user name, recorded beside the id in the audit log (ids
    #: alone mean nothing to whoever reviews who added or removed a feed).
    user_name: str | None = None
    #: The command came from a direct message (Slack DM or group DM): there is
    #: no channel there for a storyline thread.
    direct_message: bool = False


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command as the person gave it: its ``name`` (``follow``, ``feeds add``)
    and its ``options`` by name, each value exactly as typed (Discord's typed
    options, or the words ``bot.core.command_text`` read from a Slack line).
    Nothing downstream splits or unquotes a value again."""

    name: str
    options: Mapping[str, str] = field(default_factory=dict)

    def get(self, option: str) -> str | None:
        return self.options.get(option)


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What to answer the user. ``text`` is plain text from our own templates plus
    feed-provided strings: adapters escape it for their markup. ``ok`` is False
    when the command was refused or failed. ``attachments`` go with the answer
    (``show`` attaches the storyline's timeline picture)."""

    text: str
    ok: bool = True
    attachments: tuple[Attachment, ...] = ()


def command_event(invoker: Invoker, request: CommandRequest, reply: CommandReply) -> dict[str, Any]:
    """The ``command.run`` audit event: who ran which command where, with what
    options (any password in a URL masked), whether it succeeded (``ok``) and
    what they were told."""
    return {
        "event": "command.run",
        "command": request.name,
        "options": {k: redact_url(v) for k, v in request.options.items()},
        "ok": reply.ok,
        "answer": reply.text[:MAX_AUDITED_ANSWER],
        "by": {
            "platform": invoker.channel.platform,
            "id": invoker.user_id,
            "name": invoker.user_name,
            "admin": invoker.is_admin,
        },
        "channel": invoker.channel.channel,
        "workspace": invoker.channel.workspace,
    }
