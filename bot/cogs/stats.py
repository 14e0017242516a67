"""``/stats`` for moderators: this server's questions per day, outcome shares, top models and
topics, the most asked unanswered questions and the feedback ratio (the same numbers as
`riderbot stats`, for one server). Ephemeral."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.checks import guild_of, moderator_only
from bot.rendering.review import stats_embed
from bot.rendering.stats import format_stats

if TYPE_CHECKING:
    from bot.client import RiderBot


class Stats(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="How riderbot is used in this server")
    @app_commands.describe(days="How many days back (default 30)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def stats(
        self, interaction: discord.Interaction[RiderBot], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        data = await self.bot.storage.stats(days=days, scope=guild_of(interaction))
        await interaction.response.send_message(embed=stats_embed(format_stats(data), days), ephemeral=True)


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Stats(bot))
