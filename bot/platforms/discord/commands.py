"""The ``/threadline`` and ``/threadline-admin`` app commands and the gateway client.

A thin adapter: each subcommand hands its typed options, as Discord delivered
them, to the platform-neutral ``CommandHandler.run`` as a ``CommandRequest``
(never joined into a line and split again, so ``name:O'Reilly Radar`` and
``The "Verge"`` arrive as typed), with an ``Invoker`` built here, and answers
ephemerally with the handler's ``CommandReply`` (escaped, ``allowed_mentions``
none, ≤ 2000 characters). Storyline options autocomplete from the storylines
the handler knows.

Feed management is the top-level ``/threadline-admin`` group because Discord
takes ``default_permissions`` (who sees a command) on top-level commands only;
it is Manage Server, and the handler still refuses non-admins server-side.

Who is an admin is decided here, server-side: ``interaction.permissions`` is
the member's resolved permissions in the channel that Discord puts in the
interaction payload (``member.permissions``), and Manage Server there makes an
admin. Nothing the user typed is consulted. The group is ``guild_only`` (a hint
Discord uses to hide it in DMs), and an interaction without a guild is refused
here anyway, before the handler runs.

Discord wants an answer within 3 seconds. A handler that has not finished after
``defer_after`` seconds (``feeds add`` fetches the feed) gets a deferred
ephemeral response, and its answer is sent as a follow-up.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.commands import CommandReply, CommandRequest, Invoker
from bot.core.subscriptions import ChannelAddress
from bot.platforms.discord.api import ApiBaseHTTPClient, use_api_base_for_interactions
from bot.platforms.discord.render import render_command_reply
from bot.ports import CommandHandler

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0
NOT_IN_GUILD = "Threadline commands work in a server channel, not in direct messages."
ADMIN_COMMAND = "threadline-admin"
#: Discord's limit on an autocomplete choice's name.
CHOICE_NAME = 100
FAILED = "Sorry, that command failed. The admins can find the details in the bot's log."

Interaction = discord.Interaction[Any]


def is_admin(interaction: Interaction) -> bool:
    """Manage Server (or Administrator) in the resolved permissions Discord sent."""
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def invoker_from(interaction: Interaction) -> Invoker | None:
    """Who ran the command, where; None outside a guild channel."""
    if interaction.guild_id is None or interaction.channel_id is None or not interaction.user:
        return None
    return Invoker(
        user_id=str(interaction.user.id),
        channel=ChannelAddress(
            "discord", str(interaction.channel_id), workspace=str(interaction.guild_id)
        ),
        is_admin=is_admin(interaction),
        user_name=interaction.user.name,
    )


def _files(reply: CommandReply) -> list[discord.File]:
    """The reply's attachments (``show``'s picture) as multipart ``files[n]``."""
    return [
        discord.File(io.BytesIO(a.data), filename=a.filename, description=a.title or None)
        for a in reply.attachments
    ]


async def _answer(interaction: Interaction, reply: CommandReply) -> None:
    content = render_command_reply(reply)
    none = discord.AllowedMentions.none()
    # Only a reply with files is sent as multipart (discord.py sends JSON otherwise).
    files: dict[str, Any] = {"files": _files(reply)} if reply.attachments else {}
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=none, **files)
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=none, **files
        )


async def run_command(
    interaction: Interaction,
    handler: CommandHandler,
    request: CommandRequest,
    *,
    defer_after: float,
) -> None:
    """Run one command for ``interaction`` and answer it (see the module docstring)."""
    invoker = invoker_from(interaction)
    if invoker is None:
        await _answer(interaction, CommandReply(NOT_IN_GUILD, ok=False))
        return
    task = asyncio.ensure_future(handler.run(invoker, request))
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        reply = await task
    except Exception:
        log.exception("discord command %r by %s failed", request.name, invoker.user_id)
        reply = CommandReply(FAILED, ok=False)
    await _answer(interaction, reply)


def _request(command: str, /, **options: str | None) -> CommandRequest:
    """The command with its typed options, as given (an option left out is absent)."""
    return CommandRequest(command, {k: v for k, v in options.items() if v is not None})


def _choice_name(storyline_id: str, title: str) -> str:
    name = f"{storyline_id} — {title}" if title else storyline_id
    return name if len(name) <= CHOICE_NAME else name[: CHOICE_NAME - 1] + "…"


def _command(
    name: str,
    description: str,
    callback: Any,
    /,
    autocomplete: dict[str, Any] | None = None,
    **params: str,
) -> app_commands.Command[Any, Any, Any]:
    if params:
        callback = app_commands.describe(**params)(callback)
    if autocomplete:
        callback = app_commands.autocomplete(**autocomplete)(callback)
    return app_commands.Command(name=name, description=description, callback=callback)


def _storyline_autocomplete(handler: CommandHandler, *, open_only: bool) -> Any:
    """An autocomplete callback offering the handler's storylines matching what was typed."""

    async def choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=_choice_name(storyline_id, title), value=storyline_id)
            for storyline_id, title in handler.storyline_choices(current, open_only=open_only)
        ]

    return choices


def threadline_group(
    handler: CommandHandler, *, defer_after: float = DEFER_AFTER
) -> app_commands.Group:
    """``/threadline``: what every member may do. One callback per command, each
    turning its typed options into a ``CommandRequest``."""

    async def run(interaction: Interaction, request: CommandRequest) -> None:
        await run_command(interaction, handler, request, defer_after=defer_after)

    async def follow(
        interaction: Interaction,
        storyline: str,
        digest: Literal["daily", "off"] | None = None,
        at: str | None = None,
        tz: str | None = None,
    ) -> None:
        await run(interaction, _request("follow", storyline=storyline, digest=digest, at=at, tz=tz))

    async def unfollow(interaction: Interaction, storyline: str) -> None:
        await run(interaction, _request("unfollow", storyline=storyline))

    async def storylines(interaction: Interaction) -> None:
        await run(interaction, _request("storylines"))

    async def show(interaction: Interaction, storyline: str) -> None:
        await run(interaction, _request("show", storyline=storyline))

    async def status(interaction: Interaction) -> None:
        await run(interaction, _request("status"))

    open_storylines = {"storyline": _storyline_autocomplete(handler, open_only=True)}
    # A closed storyline can still be shown, and unfollowed where it is followed.
    any_storyline = {"storyline": _storyline_autocomplete(handler, open_only=False)}
    group = app_commands.Group(
        name="threadline", description="Follow news storylines in this channel", guild_only=True
    )
    group.add_command(
        _command(
            "follow",
            "Start a storyline thread here",
            follow,
            autocomplete=open_storylines,
            storyline="Storyline id",
            digest="daily: coverage as one reply a day (fact changes at once); off: every item",
            at="Digest time HH:MM (default 09:00)",
            tz="Digest time zone, like Europe/Berlin (default UTC)",
        )
    )
    group.add_command(
        _command(
            "unfollow",
            "Stop a storyline here",
            unfollow,
            autocomplete=any_storyline,
            storyline="Storyline id",
        )
    )
    group.add_command(_command("storylines", "List storylines and their facts", storylines))
    group.add_command(
        _command(
            "show",
            "A storyline's fact timeline",
            show,
            autocomplete=any_storyline,
            storyline="Storyline id",
        )
    )
    group.add_command(_command("status", "Storyline states; feed health for admins", status))
    return group


def admin_group(handler: CommandHandler, *, defer_after: float = DEFER_AFTER) -> app_commands.Group:
    """``/threadline-admin``: shown only to members with Manage Server
    (``default_permissions``, which Discord allows on top-level commands only;
    a server may change who sees it, so the handler checks again)."""

    async def run(interaction: Interaction, request: CommandRequest) -> None:
        await run_command(interaction, handler, request, defer_after=defer_after)

    async def feeds_list(interaction: Interaction) -> None:
        await run(interaction, _request("feeds list"))

    async def feeds_add(interaction: Interaction, url: str, name: str | None = None) -> None:
        await run(interaction, _request("feeds add", url=url, name=name))

    async def feeds_remove(interaction: Interaction, feed: str) -> None:
        await run(interaction, _request("feeds remove", feed=feed))

    group = app_commands.Group(
        name=ADMIN_COMMAND,
        description="Threadline administration (Manage Server)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    feeds = app_commands.Group(name="feeds", description="Manage the feeds Threadline watches")
    feeds.add_command(_command("list", "List the feeds and their health", feeds_list))
    feeds.add_command(
        _command(
            "add",
            "Add a feed (checked by fetching it)",
            feeds_add,
            url="Feed URL",
            name="Display name (default: the feed's own title)",
        )
    )
    feeds.add_command(_command("remove", "Remove a feed", feeds_remove, feed="Feed id or URL"))
    group.add_command(feeds)
    return group


def build_command_tree(
    client: discord.Client, handler: CommandHandler, *, defer_after: float = DEFER_AFTER
) -> app_commands.CommandTree[Any]:
    """A command tree for ``client`` holding ``/threadline`` and ``/threadline-admin``."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.add_command(threadline_group(handler, defer_after=defer_after))
    tree.add_command(admin_group(handler, defer_after=defer_after))
    return tree


class ThreadlineDiscordClient(discord.Client):
    """The gateway client: receives ``/threadline`` interactions.

    The handler comes in through the constructor (as in discord.py's
    ``examples/advanced_startup.py``); ``setup_hook`` syncs the command tree.
    ``api_base`` points REST calls and interaction responses at another API
    server (see ``bot.platforms.discord.api``)."""

    def __init__(
        self,
        handler: CommandHandler,
        *,
        api_base: str | None = None,
        sync_commands: bool = True,
        defer_after: float = DEFER_AFTER,
        intents: discord.Intents | None = None,
    ) -> None:
        super().__init__(intents=intents or discord.Intents(guilds=True))
        self.api_base = api_base
        self.sync_commands = sync_commands
        if api_base:
            # Client.__init__ built a stock HTTPClient and handed it to the
            # connection state; both must use the rebased one.
            self.http = ApiBaseHTTPClient(self.loop, api_base=api_base)
            self._connection.http = self.http
        self.tree = build_command_tree(self, handler, defer_after=defer_after)

    async def login(self, token: str) -> None:
        # Interaction responses go through discord.py's webhook adapter, read
        # from a ContextVar: set it in this task so the gateway and command
        # tasks started from here inherit it.
        use_api_base_for_interactions(self.api_base)
        await super().login(token)

    async def setup_hook(self) -> None:
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("discord: synced %d application command(s)", len(synced))


async def run_gateway(token: str, handler: CommandHandler, *, api_base: str | None = None) -> None:
    """Connect to the gateway and serve ``/threadline`` until cancelled."""
    async with ThreadlineDiscordClient(handler, api_base=api_base) as client:
        await client.start(token)
