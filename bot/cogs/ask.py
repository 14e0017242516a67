"""Asking: ``/ask``, mentioning the bot (or DMing it), and the "Ask riderbot" message menu."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.answering import (
    Origin,
    after_send,
    clean_question,
    mentions_bot,
    message_id_of,
    render,
    slow_down,
    timed_answer,
    too_long,
)

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.ask")

HOW_TO_ASK = ("Ask me about an AI model's licence, e.g. \"@riderbot can I use Llama 3.1 commercially?\". "
              "`/topics` lists what I know.")
NO_TEXT = "That message has no text I can read."


class Ask(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(
            name="Ask riderbot", callback=self.ask_message,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
        )
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # -- /ask ----------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask a question about an AI model's licence")
    @app_commands.describe(question="e.g. can I use Llama 3.1 outputs to train my own model?")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def ask(self, interaction: discord.Interaction[RiderBot], question: str) -> None:
        async with self.bot.busy():
            refusal = self._refusal(interaction.user.id, question)
            if refusal:
                await interaction.response.send_message(refusal, ephemeral=True)
                return
            answer, millis = timed_answer(self.bot, clean_question(question) or question)
            response = await interaction.response.send_message(**render(self.bot, answer))
            message_id = message_id_of(response)
            if message_id is None:
                message_id = (await interaction.original_response()).id
            await after_send(self.bot, answer, message_id, Origin.of_interaction(interaction), millis=millis)

    # -- message menu ----------------------------------------------------------------------------
    async def ask_message(self, interaction: discord.Interaction[RiderBot], message: discord.Message) -> None:
        async with self.bot.busy():
            question = clean_question(message.content)
            if not question:
                await interaction.response.send_message(NO_TEXT, ephemeral=True)
                return
            refusal = self._refusal(interaction.user.id, question)
            if refusal:
                await interaction.response.send_message(refusal, ephemeral=True)
                return
            answer, millis = timed_answer(self.bot, question)
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                reply = await message.reply(**render(self.bot, answer), mention_author=False)
            except discord.HTTPException:
                # can't post in this channel (permissions, a user-installed context): answer here instead
                log.info("could not reply in channel %s; answering in the interaction", interaction.channel_id)
                reply = await interaction.followup.send(**render(self.bot, answer), wait=True)
                await interaction.delete_original_response()
            else:
                await interaction.edit_original_response(content=f"Answered: {reply.jump_url}")
            origin = Origin(interaction.guild_id, interaction.channel_id, interaction.user.id)
            await after_send(self.bot, answer, reply.id, origin, millis=millis)

    # -- mentions and DMs --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        async with self.bot.busy():
            if message.author.bot or message.webhook_id is not None:
                return
            in_dm = message.guild is None
            if not in_dm and not mentions_bot(self.bot, message):
                return  # watched channels are the Watch cog's
            question = clean_question(message.content)
            if not question and not in_dm and isinstance(getattr(message.reference, "resolved", None), discord.Message):
                question = clean_question(message.reference.resolved.content)  # "@riderbot" under a question
            if not question:
                await self._reply(message, content=HOW_TO_ASK)
                return
            if too_long(question):
                await self._reply(message, content=too_long(question))
                return
            retry_after = self.bot.ask_limiter.hit(message.author.id)
            if retry_after:
                if self.bot.ask_limiter.warn_once(message.author.id, retry_after):
                    await self._reply(message, content=slow_down(retry_after))
                return
            answer, millis = timed_answer(self.bot, question)
            sent = await self._reply(message, **render(self.bot, answer))
            await after_send(self.bot, answer, sent.id if sent else None, Origin.of_message(message), millis=millis)

    async def _reply(self, message: discord.Message, **kwargs) -> discord.Message | None:
        try:
            return await message.reply(mention_author=False, **kwargs)
        except discord.HTTPException as exc:
            log.warning("could not reply in channel %s: %s", message.channel.id, exc)
            return None

    def _refusal(self, user_id: int, question: str) -> str | None:
        """Why this question is not answered now (too long, asking too fast), or None."""
        if not question.strip():
            return HOW_TO_ASK
        if too_long(question):
            return too_long(question)
        retry_after = self.bot.ask_limiter.hit(user_id)
        return slow_down(retry_after) if retry_after else None


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Ask(bot))
