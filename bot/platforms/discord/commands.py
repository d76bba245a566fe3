"""The ``/threadline`` app-command group and the gateway client that serves it.

A thin adapter: each subcommand turns its options into one command line
(``follow dod-dispute``, ``feeds add URL NAME``), hands it to the platform-neutral
``CommandHandler`` with an ``Invoker`` built here, and answers ephemerally with
the handler's ``CommandReply`` (escaped, ``allowed_mentions`` none, ≤ 2000
characters).

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
from typing import Any

import discord
from discord import app_commands

from bot.core.models import ChannelAddress, CommandReply, Invoker
from bot.platforms.discord.api import ApiBaseHTTPClient, use_api_base_for_interactions
from bot.platforms.discord.render import render_command_reply
from bot.ports import CommandHandler

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0
NOT_IN_GUILD = "Threadline commands work in a server channel, not in direct messages."
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
    interaction: Interaction, handler: CommandHandler, line: str, *, defer_after: float
) -> None:
    """Run one command line for ``interaction`` and answer it (see the module docstring)."""
    invoker = invoker_from(interaction)
    if invoker is None:
        await _answer(interaction, CommandReply(NOT_IN_GUILD, ok=False))
        return
    task = asyncio.ensure_future(handler.execute(invoker, line))
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        reply = await task
    except Exception:
        log.exception("discord command %r by %s failed", line, invoker.user_id)
        reply = CommandReply(FAILED, ok=False)
    await _answer(interaction, reply)


def _line(*words: str | None) -> str:
    return " ".join(w.strip() for w in words if w and w.strip())


def threadline_group(
    handler: CommandHandler, *, defer_after: float = DEFER_AFTER
) -> app_commands.Group:
    """``/threadline`` with its subcommands and the nested ``feeds`` group."""

    async def run(interaction: Interaction, line: str) -> None:
        await run_command(interaction, handler, line, defer_after=defer_after)

    async def follow(interaction: Interaction, storyline: str) -> None:
        await run(interaction, _line("follow", storyline))

    async def unfollow(interaction: Interaction, storyline: str) -> None:
        await run(interaction, _line("unfollow", storyline))

    async def storylines(interaction: Interaction) -> None:
        await run(interaction, "storylines")

    async def show(interaction: Interaction, storyline: str) -> None:
        await run(interaction, _line("show", storyline))

    async def status(interaction: Interaction) -> None:
        await run(interaction, "status")

    async def feeds_list(interaction: Interaction) -> None:
        await run(interaction, "feeds list")

    async def feeds_add(interaction: Interaction, url: str, name: str | None = None) -> None:
        await run(interaction, _line("feeds add", url, name))

    async def feeds_remove(interaction: Interaction, feed: str) -> None:
        await run(interaction, _line("feeds remove", feed))

    def command(name: str, description: str, callback: Any, /, **params: str) -> Any:
        if params:
            callback = app_commands.describe(**params)(callback)
        return app_commands.Command(name=name, description=description, callback=callback)

    group = app_commands.Group(
        name="threadline", description="Follow news storylines in this channel", guild_only=True
    )
    group.add_command(
        command("follow", "Start a storyline thread here", follow, storyline="Storyline id")
    )
    group.add_command(
        command("unfollow", "Stop a storyline here", unfollow, storyline="Storyline id")
    )
    group.add_command(command("storylines", "List storylines and their facts", storylines))
    group.add_command(
        command("show", "A storyline's fact timeline", show, storyline="Storyline id")
    )
    group.add_command(command("status", "Storyline states; feed health for admins", status))
    feeds = app_commands.Group(name="feeds", description="Manage feeds (Manage Server only)")
    feeds.add_command(command("list", "List the feeds", feeds_list))
    feeds.add_command(
        command(
            "add",
            "Add a feed (checked by fetching it)",
            feeds_add,
            url="Feed URL",
            name="Display name",
        )
    )
    feeds.add_command(command("remove", "Remove a feed", feeds_remove, feed="Feed id or URL"))
    group.add_command(feeds)
    return group


def build_command_tree(
    client: discord.Client, handler: CommandHandler, *, defer_after: float = DEFER_AFTER
) -> app_commands.CommandTree[Any]:
    """A command tree for ``client`` holding the ``/threadline`` group."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.add_command(threadline_group(handler, defer_after=defer_after))
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
