"""Permission checks for app commands (not an extension).

``default_permissions`` on a command only decides who sees it in Discord's UI, and server admins
can change that; the real check runs here, in code, on every invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

from bot.errors import NotModerator

if TYPE_CHECKING:
    from bot.client import RiderBot

T = TypeVar("T")

NOT_MODERATOR = (
    "Only moderators can do that: you need the Manage Server permission or this server's moderator role."
)


async def is_moderator(interaction: discord.Interaction[RiderBot]) -> bool:
    """Manage Server in this channel, or the moderator role set with /config modrole."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage("That only works in a server.")
    if interaction.permissions.manage_guild:
        return True
    user = interaction.user
    if isinstance(user, discord.Member):
        role_id = (await interaction.client.storage.guild_settings(interaction.guild.id)).get(
            "moderator_role_id"
        )
        if role_id and any(role.id == role_id for role in user.roles):
            return True
    raise NotModerator(NOT_MODERATOR)


def guild_of(interaction: discord.Interaction) -> int:
    """The server of a guild-only command's interaction (its storage scope)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage("That only works in a server.")
    return interaction.guild_id


def moderator_only() -> Callable[[T], T]:
    """Decorator: the command runs only for moderators (see ``is_moderator``)."""
    return app_commands.check(is_moderator)
