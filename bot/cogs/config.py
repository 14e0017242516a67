"""Server settings for moderators: ``/config watch``, ``/config unwatch``, ``/config modrole``,
``/config logchannel``, ``/config show``. Checked in code (Manage Server or the moderator role);
``default_permissions`` only hides the group from other members in Discord's UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.checks import moderator_only

if TYPE_CHECKING:
    from bot.client import RiderBot

NO_CONTENT_INTENT = (
    "\nNote: I can't read messages there yet: the message-content intent is off "
    "(RIDERBOT_MESSAGE_CONTENT). Mentions, DMs and slash commands work without it."
)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Config(commands.GroupCog, group_name="config", group_description="riderbot settings for this server"):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="watch", description="Answer licence questions in a channel without being asked"
    )
    @app_commands.describe(
        channel="The text or forum channel to watch (default: this one); forums are answered in their posts"
    )
    @moderator_only()
    async def watch(
        self,
        interaction: discord.Interaction[RiderBot],
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        async with self.bot.busy():
            target = channel or interaction.channel
            assert interaction.guild_id is not None and target is not None
            added = await self.bot.storage.watch(interaction.guild_id, target.id)
            self.bot.watched.add(target.id)
            where = "in its posts" if isinstance(target, discord.ForumChannel) else "there"
            text = (
                f"Watching <#{target.id}>: I'll answer licence questions {where} when I'm sure, and stay quiet "
                "otherwise (those questions go to the review queue). The member who asked can remove my answer "
                "with its Remove button."
                if added
                else f"I already watch <#{target.id}>."
            )
            if not self.bot.intents.message_content:
                text += NO_CONTENT_INTENT
            await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="unwatch", description="Stop answering unprompted in a channel")
    @app_commands.describe(channel="The channel to stop watching (default: this one)")
    @moderator_only()
    async def unwatch(
        self,
        interaction: discord.Interaction[RiderBot],
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        async with self.bot.busy():
            target = channel or interaction.channel
            assert interaction.guild_id is not None and target is not None
            removed = await self.bot.storage.unwatch(interaction.guild_id, target.id)
            self.bot.watched.discard(target.id)
            text = f"No longer watching <#{target.id}>." if removed else f"I wasn't watching <#{target.id}>."
            await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="modrole", description="Set (or clear) the role that may use /config")
    @app_commands.describe(role="Members with this role count as moderators; leave empty to clear")
    @moderator_only()
    async def modrole(
        self, interaction: discord.Interaction[RiderBot], role: discord.Role | None = None
    ) -> None:
        async with self.bot.busy():
            assert interaction.guild_id is not None
            await self.bot.storage.set_guild_setting(
                interaction.guild_id, "moderator_role_id", role.id if role else None
            )
            if role is None:
                text = "Cleared the moderator role: only members with Manage Server can use /config now."
            else:
                text = (
                    f"Members with <@&{role.id}> can now use /config. Discord shows the command only to members "
                    "with Manage Server unless you allow the role under Server Settings → Integrations → riderbot."
                )
            await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="logchannel", description="Set (or clear) the channel for the review queue and changes"
    )
    @app_commands.describe(
        channel="New questions to review and knowledge changes are posted here; empty to clear"
    )
    @moderator_only()
    async def logchannel(
        self, interaction: discord.Interaction[RiderBot], channel: discord.TextChannel | None = None
    ) -> None:
        async with self.bot.busy():
            assert interaction.guild_id is not None
            await self.bot.storage.set_guild_setting(
                interaction.guild_id, "log_channel_id", channel.id if channel else None
            )
            if channel is None:
                text = "Cleared the log channel: new questions wait quietly in `/review list`."
            else:
                text = (
                    f"I'll post new questions for review in <#{channel.id}> (batched, at most once a minute), "
                    "and every change moderators make to my knowledge."
                )
            await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="show", description="Show riderbot's settings for this server")
    @moderator_only()
    async def show(self, interaction: discord.Interaction[RiderBot]) -> None:
        assert interaction.guild_id is not None
        watched = await self.bot.storage.watched_channels(interaction.guild_id)
        settings = await self.bot.storage.guild_settings(interaction.guild_id)
        role_id, log_id = settings.get("moderator_role_id"), settings.get("log_channel_id")
        lines = [
            "Watched channels: " + (", ".join(f"<#{c}>" for c in sorted(watched)) or "none"),
            "Moderator role: " + (f"<@&{role_id}>" if role_id else "none (Manage Server only)"),
            "Log channel: " + (f"<#{log_id}>" if log_id else "none"),
            "Message-content intent: " + ("on" if self.bot.intents.message_content else "off"),
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Config(bot))
