"""The server's log channel (``/config logchannel``) as the cogs that report changes use it (not an
extension): one line per change a moderator makes. The Review cog's batched announcer of new queue
entries posts there too."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.rendering.embeds import clip

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.modlog")

CONTENT_MAX = 2000


async def post_to_log_channel(bot: RiderBot, guild_id: int | None, text: str) -> bool:
    """One line in this server's log channel, if it has one. Trouble posting is logged, never shown
    to the moderator whose change it reports."""
    if guild_id is None:
        return False
    channel_id = (await bot.storage.guild_settings(guild_id)).get("log_channel_id")
    if not channel_id:
        return False
    try:
        await bot.get_partial_messageable(channel_id, guild_id=guild_id).send(clip(text, CONTENT_MAX))
    except discord.HTTPException as exc:
        log.warning("could not post in the log channel %s of server %s: %s", channel_id, guild_id, exc)
        return False
    return True
