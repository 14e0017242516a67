"""Watched channels: the bot answers licence questions there without being asked, but only when
it is sure (an *answered* outcome). Everything else stays silent; licence-looking questions it could
not answer go to the review queue. Reading messages needs the privileged message-content intent
(RIDERBOT_MESSAGE_CONTENT); without it Discord sends empty text and this cog does nothing.

Moderators choose the channels with ``/config watch`` (the Config cog); the set is kept on the bot.
A watched forum channel is answered in its posts (threads whose parent is the forum), as is any
thread of a watched text channel.

Unprompted answers must stay welcome: the member who asked gets a **Remove** button under the
answer that only they can use. The same answer is not repeated in a channel within a minute, and
the Ask cog's per-member cooldown covers these replies too.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.cogs.answering import (
    MAX_QUESTION,
    Origin,
    RecentlySent,
    clean_question,
    context_of,
    log_question,
    mentions_bot,
    remember_answer,
    remember_context,
    timed_answer,
    where_of_message,
)
from bot.cogs.views import MAX_PICKS, render
from bot.matching import ANSWERED, Answer

if TYPE_CHECKING:
    from bot.client import RiderBot
    from bot.cogs.ask import Ask

log = logging.getLogger("riderbot.watch")

NOT_YOURS = "Only the member who asked can remove this answer."
REMOVED = "Removed. I won't mind."


def worth_reviewing(answer: Answer) -> bool:
    """Did the question touch the knowledge base at all? Chatter ("lol same") is not queued."""
    return bool(answer.topic or answer.model or answer.license or answer.candidates)


class RemoveButton(discord.ui.DynamicItem[discord.ui.Button], template=r"rb:remove:(?P<user>\d+)"):
    """Under an unprompted answer: the member it answered can delete it (nobody else can)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Remove",
                emoji="\N{WASTEBASKET}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rb:remove:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RemoveButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        async with interaction.client.busy():
            await interaction.response.defer()  # the message it is on is the "original response"
            try:
                await interaction.delete_original_response()
            except discord.HTTPException as exc:
                log.warning("could not remove answer %s: %s", getattr(interaction.message, "id", None), exc)
                await interaction.followup.send("I couldn't remove it; a moderator can.", ephemeral=True)


class Watch(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        self.recent = RecentlySent()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RemoveButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RemoveButton)

    def reset_limits(self) -> None:
        self.recent.reset()

    def is_watched(self, channel: Any) -> bool:
        watched = self.bot.watched
        return channel.id in watched or getattr(channel, "parent_id", None) in watched

    def _may_reply(self, user_id: int) -> bool:
        ask: Ask | None = self.bot.get_cog("Ask")  # type: ignore[assignment]
        return ask is None or ask.may_reply(user_id)[0]  # silent when limited: nobody asked us here

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        async with self.bot.busy():
            if message.guild is None or message.author.bot or message.webhook_id is not None:
                return
            if not self.is_watched(message.channel) or mentions_bot(self.bot, message):
                return  # a mention is answered by the Ask cog, whatever the outcome
            question = clean_question(message.content)
            if not question or len(question) > MAX_QUESTION:
                return
            context = context_of(self.bot, message)
            answer, millis = timed_answer(self.bot, question, guild_id=message.guild.id, context=context)
            # the member's question, answered aloud or not, is the latest of their conversation
            kept = remember_context(
                self.bot,
                answer,
                where_of_message(message),
                message.author.id,
                question_id=message.id,
            )
            sent = await self._answer(message, answer, millis)
            if sent is not None:
                self.bot.conversations.add_answer(kept, sent.id)
                await remember_answer(self.bot, answer, sent.id, Origin.of_message(message))

    async def _answer(
        self, message: discord.Message, answer: Answer, millis: float
    ) -> discord.Message | None:
        """Post the answer when it is sure, new in the channel and the member's allowance has room
        (else stay silent, queueing what is worth reviewing); the message sent, if any."""
        origin = Origin.of_message(message)
        if answer.status != ANSWERED:
            if worth_reviewing(answer):  # silent, but queued for review
                await log_question(self.bot, answer, origin, millis=millis)
            return None
        if not self.recent.claim((message.channel.id, answer.model or answer.license, answer.topic)):
            log.debug("same answer sent in channel %s within the minute; staying quiet", message.channel.id)
            return None
        if not self._may_reply(message.author.id):
            return None
        await log_question(self.bot, answer, origin, millis=millis)
        kwargs = render(self.bot.engine.kb, answer)
        view = kwargs.get("view") or discord.ui.View(timeout=None)
        if len(view.children) >= MAX_PICKS:  # a full row of picks (several questions): room for Remove
            view.remove_item(view.children[-1])
        view.add_item(RemoveButton(message.author.id))
        try:
            return await message.reply(mention_author=False, **{**kwargs, "view": view})
        except discord.HTTPException as exc:
            log.warning("could not answer in watched channel %s: %s", message.channel.id, exc)
            return None


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Watch(bot))
