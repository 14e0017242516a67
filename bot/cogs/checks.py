"""Permission checks for app commands (not an extension).

``default_permissions`` on a command only decides who sees it in Discord's UI, and server admins
can change that; the real check runs here, in code, on every invocation.

Two levels:

- a server's **moderators** (Manage Server, or the role set with ``/config modrole``) manage that
  server: its queue, its settings, its own aliases and wordings (``is_moderator``);
- riderbot's **maintainers** make the changes every server gets (``is_maintainer``): the
  application's owner or team (discord.py's ``Bot.is_owner``), and the moderators of the server
  named by ``RIDERBOT_MAINTAINER_GUILD``. Without it, only the owner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

from bot.errors import NotMaintainer, NotModerator

if TYPE_CHECKING:
    from bot.client import RiderBot

T = TypeVar("T")
log = logging.getLogger("riderbot.checks")

NOT_MODERATOR = (
    "Only moderators can do that: you need the Manage Server permission or this server's moderator role."
)
NOT_MAINTAINER = (
    "Only riderbot's maintainers can change what every server gets (the bot's owner, and the moderators "
    "of its maintainer server)."
)


async def _has_mod_role(bot: RiderBot, guild_id: int, member: discord.Member) -> bool:
    role_id = (await bot.storage.guild_settings(guild_id)).get("moderator_role_id")
    return bool(role_id) and any(role.id == role_id for role in member.roles)


async def is_moderator(interaction: discord.Interaction[RiderBot]) -> bool:
    """Manage Server in this channel, or the moderator role set with /config modrole."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage("That only works in a server.")
    if interaction.permissions.manage_guild:
        return True
    user = interaction.user
    if isinstance(user, discord.Member) and await _has_mod_role(
        interaction.client, interaction.guild.id, user
    ):
        return True
    raise NotModerator(NOT_MODERATOR)


async def maintainer(interaction: discord.Interaction[RiderBot]) -> bool:
    """Whether the user is one of riderbot's maintainers (see the module's docstring); never raises."""
    bot = interaction.client
    user = interaction.user
    try:
        if await bot.is_owner(user):
            return True
    except discord.HTTPException as exc:  # the application's info could not be fetched
        log.warning("could not check the application's owner: %s", exc)
    guild_id = bot.settings.maintainer_guild
    if guild_id is None:
        return False
    if interaction.guild_id == guild_id and isinstance(user, discord.Member):
        if interaction.permissions.manage_guild:
            return True
        return await _has_mod_role(bot, guild_id, user)
    guild = bot.get_guild(guild_id)
    if guild is None:
        return False
    member = guild.get_member(user.id)
    if member is None:
        try:
            member = await guild.fetch_member(user.id)
        except discord.NotFound:
            return False
        except discord.HTTPException as exc:
            log.warning("could not look up a member of the maintainer server: %s", exc)
            return False
    if member.guild_permissions.manage_guild:
        return True
    return await _has_mod_role(bot, guild_id, member)


async def is_maintainer(interaction: discord.Interaction[RiderBot]) -> bool:
    """Raises unless the user is one of riderbot's maintainers (in a server: the commands are
    guild-only, as Discord enforces for the rest)."""
    guild_of(interaction)
    if await maintainer(interaction):
        return True
    raise NotMaintainer(NOT_MAINTAINER)


async def _for_maintainers(interaction: discord.Interaction[RiderBot]) -> bool | None:
    """Whether the options ask for a change or a view for every server (scope: everyone or
    maintainers, everyone: True); None when they leave it open (/kb alias without a scope)."""
    namespace = interaction.namespace
    scope = getattr(namespace, "scope", None)
    if scope in ("everyone", "maintainers") or getattr(namespace, "everyone", None) is True:
        return True
    return (
        None
        if scope is None and interaction.command is not None and interaction.command.name == "alias"
        else False
    )


async def moderator_or_maintainer(interaction: discord.Interaction[RiderBot]) -> bool:
    """A moderator for this server's queue and knowledge; a maintainer for every server's (the
    command's ``scope``/``everyone`` options say which). /kb alias without a scope is for every
    server when a maintainer runs it, for this server otherwise."""
    guild_of(interaction)
    wanted = await _for_maintainers(interaction)
    if wanted is True:
        return await is_maintainer(interaction)
    if wanted is None and await maintainer(interaction):
        return True
    return await is_moderator(interaction)


def guild_of(interaction: discord.Interaction) -> int:
    """The server of a guild-only command's interaction (its storage scope)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage("That only works in a server.")
    return interaction.guild_id


def moderator_only() -> Callable[[T], T]:
    """Decorator: the command runs only for moderators (see ``is_moderator``)."""
    return app_commands.check(is_moderator)


def moderator_or_maintainer_only() -> Callable[[T], T]:
    """Decorator: moderators, or maintainers when the options ask for every server (see
    ``moderator_or_maintainer``)."""
    return app_commands.check(moderator_or_maintainer)


def maintainer_only() -> Callable[[T], T]:
    """Decorator: the command runs only for riderbot's maintainers (see ``is_maintainer``)."""
    return app_commands.check(is_maintainer)
