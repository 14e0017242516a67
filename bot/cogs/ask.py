"""Asking: ``/ask``, mentioning the bot (or DMing it), and the "Ask riderbot" message menu.

The cog owns the per-member cooldown (``cooldown``): every reply riderbot sends a member counts,
bare mentions, over-long questions and watched-channel answers (the Watch cog asks it) included, so
one member cannot make the bot talk more than ``ASK_RATE`` times in ``ASK_PER`` seconds. It also
registers the persistent answer buttons (bot.cogs.views) when it loads.

Every new question is stored before its reply is sent (``log_question``), so whatever happens to
the reply (Discord's 3-second interaction deadline, a missing permission, a restart) it is kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.answering import (
    Origin,
    RateLimiter,
    clean_question,
    context_of,
    log_question,
    mentions_bot,
    message_id_of,
    remember_answer,
    remember_context,
    slow_down,
    timed_answer,
    too_long,
    where_of_interaction,
    where_of_message,
)
from bot.cogs.views import PickButton, VoteButton, render

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.ask")

HOW_TO_ASK = (
    'Ask me about an AI model\'s licence, e.g. "@riderbot can I use Llama 3.1 commercially?". '
    "`/topics` lists what I know."
)
NO_TEXT = "That message has no text I can read."
UNKNOWN_INTERACTION = 10062  # Discord: the interaction expired (no response within 3 s) or is unknown
DEFER_AFTER = 1.0  # seconds: a /ask not ready to send by then is deferred ("riderbot is thinking...")


class Ask(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        self.cooldown = RateLimiter()
        self.defer_after = DEFER_AFTER
        self.menu = app_commands.ContextMenu(
            name="Ask riderbot",
            callback=self.ask_message,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.add_dynamic_items(VoteButton, PickButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.remove_dynamic_items(VoteButton, PickButton)

    def reset_limits(self) -> None:
        self.cooldown.reset()

    def may_reply(self, user_id: int) -> tuple[bool, str | None]:
        """Whether riderbot may send this member another reply now; when not, the one "slow down"
        sentence to send them (only the first time in a window, then nothing)."""
        retry_after = self.cooldown.hit(user_id)
        if not retry_after:
            return True, None
        return False, slow_down(retry_after) if self.cooldown.warn_once(user_id, retry_after) else None

    # -- /ask ----------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask a question about an AI model's licence")
    @app_commands.describe(question="e.g. can I use Llama 3.1 outputs to train my own model?")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def ask(self, interaction: discord.Interaction[RiderBot], question: str) -> None:
        async with self.bot.busy():
            retry_after = self.cooldown.hit(interaction.user.id)
            question = clean_question(question) or question.strip()
            refusal = (
                slow_down(retry_after) if retry_after else HOW_TO_ASK if not question else too_long(question)
            )
            if refusal:
                await self._respond(interaction, refusal)
                return
            where = where_of_interaction(interaction)
            context = self.bot.conversations.context_for(where, interaction.user.id)
            answer, millis = timed_answer(self.bot, question, guild_id=interaction.guild_id, context=context)
            origin = Origin.of_interaction(interaction)
            kept = remember_context(self.bot, answer, where, interaction.user.id)
            # store first; if that is slow (a busy database), defer so Discord's 3-second deadline
            # cannot expire while we wait, then answer by editing the "thinking" message
            storing = asyncio.ensure_future(log_question(self.bot, answer, origin, millis=millis))
            deferred = False
            if not (await asyncio.wait({storing}, timeout=self.defer_after))[0]:
                deferred = await self._defer(interaction)
            reply = render(self.bot.engine.kb, answer, logged=await storing)
            try:
                if deferred:
                    message_id: int | None = (await interaction.edit_original_response(**reply)).id
                else:
                    response = await interaction.response.send_message(**reply)
                    message_id = message_id_of(response)
                    if message_id is None:
                        message_id = (await interaction.original_response()).id
            except discord.HTTPException as exc:
                self._lost_reply(interaction, exc)
                return
            self.bot.conversations.add_answer(kept, message_id)
            await remember_answer(self.bot, answer, message_id, origin)

    async def _respond(self, interaction: discord.Interaction[RiderBot], text: str) -> None:
        try:
            await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            self._lost_reply(interaction, exc)

    async def _defer(self, interaction: discord.Interaction[RiderBot]) -> bool:
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException as exc:
            self._lost_reply(interaction, exc)
            return False
        return True

    @staticmethod
    def _lost_reply(interaction: discord.Interaction, exc: discord.HTTPException) -> None:
        """One line, no traceback: the question (if any) is stored already; only the reply is lost."""
        if isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_INTERACTION:
            log.warning(
                "interaction %s expired before riderbot answered (Discord's 3-second deadline); "
                "the question was kept",
                interaction.id,
            )
        else:
            log.warning("could not answer interaction %s: %s %s", interaction.id, exc.status, exc.text)

    # -- message menu ----------------------------------------------------------------------------
    async def ask_message(self, interaction: discord.Interaction[RiderBot], message: discord.Message) -> None:
        async with self.bot.busy():
            retry_after = self.cooldown.hit(interaction.user.id)
            question = clean_question(message.content)
            refusal = (
                slow_down(retry_after) if retry_after else NO_TEXT if not question else too_long(question)
            )
            if refusal:
                await self._respond(interaction, refusal)
                return
            # the words are the message author's: their conversation (or the message it replies to)
            context = context_of(self.bot, message)
            answer, millis = timed_answer(self.bot, question, guild_id=interaction.guild_id, context=context)
            origin = Origin(interaction.guild_id, interaction.channel_id, interaction.user.id)
            kept = remember_context(
                self.bot,
                answer,
                where_of_message(message),
                message.author.id,
                question_id=message.id,
            )
            await interaction.response.defer(ephemeral=True, thinking=True)
            logged = await log_question(self.bot, answer, origin, millis=millis)
            kb = self.bot.engine.kb
            try:
                reply = await message.reply(**render(kb, answer, logged=logged), mention_author=False)
            except discord.HTTPException:
                # can't post in this channel (permissions, a user-installed context): answer here instead
                log.info(
                    "could not reply in channel %s; answering in the interaction", interaction.channel_id
                )
                reply = await interaction.followup.send(**render(kb, answer, logged=logged), wait=True)
                self.bot.conversations.add_answer(kept, reply.id)
                await interaction.delete_original_response()
            else:
                self.bot.conversations.add_answer(kept, reply.id)
                await interaction.edit_original_response(content=f"Answered: {reply.jump_url}")
            await remember_answer(self.bot, answer, reply.id, origin)

    # -- mentions and DMs --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        async with self.bot.busy():
            if message.author.bot or message.webhook_id is not None:
                return
            in_dm = message.guild is None
            if not in_dm and not mentions_bot(self.bot, message):
                return  # watched channels are the Watch cog's
            allowed, warning = self.may_reply(message.author.id)
            if not allowed:
                if warning:
                    await self._reply(message, content=warning)
                return
            question = clean_question(message.content)
            asked = message  # whose words the question is: theirs is the conversation it belongs to
            referenced = message.reference.resolved if message.reference is not None else None
            if not question and not in_dm and isinstance(referenced, discord.Message):
                question = clean_question(referenced.content)  # "@riderbot" under a question
                asked = referenced
            if not question:
                await self._reply(message, content=HOW_TO_ASK)
                return
            refusal = too_long(question)
            if refusal:
                await self._reply(message, content=refusal)
                return
            context = context_of(self.bot, asked)
            answer, millis = timed_answer(
                self.bot, question, guild_id=(message.guild.id if message.guild else None), context=context
            )
            origin = Origin.of_message(message)
            kept = remember_context(
                self.bot, answer, where_of_message(asked), asked.author.id, question_id=asked.id
            )
            logged = await log_question(self.bot, answer, origin, millis=millis)
            sent = await self._reply(message, **render(self.bot.engine.kb, answer, logged=logged))
            self.bot.conversations.add_answer(kept, sent.id if sent else None)
            await remember_answer(self.bot, answer, sent.id if sent else None, origin)

    async def _reply(self, message: discord.Message, **kwargs) -> discord.Message | None:
        try:
            return await message.reply(mention_author=False, **kwargs)
        except discord.HTTPException as exc:
            log.warning("could not reply in channel %s: %s", message.channel.id, exc)
            return None


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Ask(bot))
