"""Privacy: ``/privacy forget`` (any member deletes what riderbot stored about them, after a
confirm button), ``/privacy purge`` (moderators do it for another member), and the daily retention
task (decided review-queue entries and old answer records are deleted after
``RIDERBOT_RETENTION_DAYS``).

What is stored about a member: the questions they asked that went to the review queue (a shared
entry only loses their id), their feedback votes and the record of answers sent to them. Anonymous
counts for /stats carry no text and no user.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.checks import guild_of, moderator_only
from bot.cogs.modlog import post_to_log_channel

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.privacy")

RETENTION_HOURS = 24.0
FORGET_PROMPT = (
    "This deletes what I stored about you: the questions you asked that went to the review queue "
    "(a question others asked too only loses your name), your feedback votes and the record of answers "
    "I sent you. Anonymous counts (no text, no name) stay. It can't be undone."
)
FORGET_CANCELLED = "Cancelled: nothing was deleted."
NOT_YOURS = "That button is for the member who asked to be forgotten."


def forgotten(rows: int) -> str:
    return (
        f"Done: deleted or anonymised {rows} stored record(s) about you."
        if rows
        else "Done: I had nothing stored about you."
    )


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"rb:forget:(?P<answer>yes|no):(?P<user>\d+)"
):
    """Confirm or cancel under ``/privacy forget``; only the member it is for can press it."""

    def __init__(self, answer: str, user_id: int) -> None:
        yes = answer == "yes"
        super().__init__(
            discord.ui.Button(
                label="Delete my data" if yes else "Cancel",
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=f"rb:forget:{answer}:{user_id}",
            )
        )
        self.yes, self.user_id = yes, user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ForgetButton:
        return cls(match["answer"], int(match["user"]))

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        if not self.yes:
            await interaction.response.edit_message(content=FORGET_CANCELLED, view=None)
            return
        async with bot.busy():
            rows = await bot.storage.forget_user(self.user_id)
            bot.conversations.forget_user(self.user_id)  # and what their follow-ups would take
            log.info("a member had their stored data deleted (%d rows)", rows)
            await interaction.response.edit_message(content=forgotten(rows), view=None)


@app_commands.allowed_contexts(guilds=True, dms=True)
class Privacy(commands.GroupCog, group_name="privacy", group_description="What riderbot stores about you"):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        super().__init__()
        self.retention = tasks.loop(hours=RETENTION_HOURS)(self.apply_retention)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)
        self.retention.start()

    async def cog_unload(self) -> None:
        self.retention.cancel()
        self.bot.remove_dynamic_items(ForgetButton)

    async def apply_retention(self) -> None:
        """Daily (and once at start): delete what is older than the retention period."""
        storage = self.bot.storage
        try:
            async with self.bot.busy():
                removed = await storage.apply_retention(self.bot.settings.retention_days)
            if removed:
                log.info(
                    "retention: removed %d decided review-queue entries older than %d days",
                    removed,
                    self.bot.settings.retention_days,
                )
        except Exception:  # an unhandled error would stop the loop for good
            log.exception("could not apply the retention period")

    @app_commands.command(name="forget", description="Delete what riderbot stored about you")
    async def forget(self, interaction: discord.Interaction[RiderBot]) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(ForgetButton("yes", interaction.user.id))
        view.add_item(ForgetButton("no", interaction.user.id))
        await interaction.response.send_message(FORGET_PROMPT, view=view, ephemeral=True)

    @app_commands.command(name="purge", description="Moderators: delete what riderbot stored about a member")
    @app_commands.describe(user="The member (or their user id)")
    @moderator_only()
    async def purge(self, interaction: discord.Interaction[RiderBot], user: discord.User) -> None:
        async with self.bot.busy():
            # only this server's rows: another server's (and the member's DMs) are not ours to delete
            rows = await self.bot.storage.purge_user(user.id, guild_of(interaction))
            # the audit row says that a purge happened and who did it, not whose data it was
            await self.bot.storage.audit(
                interaction.user.id,
                "purge",
                None,
                "a member's stored data",
                None,
                f"{rows} record(s)",
                guild_id=interaction.guild_id,
            )
        await interaction.response.send_message(
            f"Deleted or anonymised {rows} stored record(s) about <@{user.id}>.", ephemeral=True
        )
        await post_to_log_channel(
            self.bot,
            interaction.guild_id,
            f"\N{BROOM} <@{interaction.user.id}> purged a member's stored data ({rows} record(s))",
        )


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Privacy(bot))
