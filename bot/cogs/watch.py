"""Watched channels: the bot answers licence questions there without being asked, but only when
it is sure (an *answered* outcome). Everything else stays silent; licence-looking questions it could
not answer go to the review queue. Reading messages needs the privileged message-content intent
(RIDERBOT_MESSAGE_CONTENT); without it Discord sends empty text and this cog does nothing.

Moderators choose the channels with ``/config watch`` (the Config cog); the set is kept on the bot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.cogs.answering import (
    MAX_QUESTION,
    Origin,
    after_send,
    clean_question,
    mentions_bot,
    render,
    timed_answer,
)
from bot.matching import ANSWERED, Answer

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.watch")


def worth_reviewing(answer: Answer) -> bool:
    """Did the question touch the knowledge base at all? Chatter ("lol same") is not queued."""
    return bool(answer.topic or answer.model or answer.license or answer.candidates)


class Watch(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot

    def is_watched(self, channel: discord.abc.MessageableChannel) -> bool:
        watched = self.bot.watched
        return channel.id in watched or getattr(channel, "parent_id", None) in watched

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
            answer, millis = timed_answer(self.bot, question)
            origin = Origin.of_message(message)
            if answer.status != ANSWERED:
                if worth_reviewing(answer):  # silent, but queued for review
                    await after_send(self.bot, answer, None, origin, millis=millis)
                return
            if not self.bot.watch_recent.claim((message.channel.id, answer.model or answer.license, answer.topic)):
                log.debug("same answer sent in channel %s within the minute; staying quiet", message.channel.id)
                return
            try:
                sent = await message.reply(mention_author=False, **render(self.bot, answer))
            except discord.HTTPException as exc:
                log.warning("could not answer in watched channel %s: %s", message.channel.id, exc)
                return
            await after_send(self.bot, answer, sent.id, origin, millis=millis)


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Watch(bot))
