"""What every answering cog shares (not an extension): where a question came from, cleaning and
limiting it, and what is stored around an answer (the question before the reply, the message after).

The engine decides the answer, bot.rendering.embeds how it looks and bot.cogs.views the buttons
under it; this module only glues them to Discord and to Storage. The limiters are classes here; their
instances belong to the cogs that use them (the Ask cog's per-member cooldown, the Watch cog's
"not the same answer twice a minute").
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.conversations import Remembered, Where
from bot.engine import log_outcome
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.matching.matcher import Context
from bot.storage import StorageError
from bot.textnorm import clean_text

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.answers")

MAX_QUESTION = 1000
ASK_RATE, ASK_PER = 5, 30.0  # replies per member (slash, mention, DM, context menu, watched channels)
WATCH_REPEAT_SECONDS = 60.0  # a watched channel never gets the same answer twice within this

_MARKUP = re.compile(r"<@!?\d+>|<@&\d+>|<#\d+>|@(?:everyone|here)\b")


@dataclass(frozen=True)
class Origin:
    """Where a question was asked: stored with answers, votes and the review queue."""

    guild_id: int | None
    channel_id: int | None
    user_id: int | None

    @classmethod
    def of_message(cls, message: discord.Message) -> Origin:
        return cls(message.guild.id if message.guild else None, message.channel.id, message.author.id)

    @classmethod
    def of_interaction(cls, interaction: discord.Interaction) -> Origin:
        return cls(interaction.guild_id, interaction.channel_id, interaction.user.id)


def where_of(channel: Any, guild_id: int | None, channel_id: int | None) -> Where:
    """The place a conversation lives in (bot.conversations): the server, the channel, and for a
    thread its parent (so a thread started from a question finds it)."""
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    return Where(guild_id, channel_id or 0, parent)


def where_of_message(message: discord.Message) -> Where:
    return where_of(message.channel, message.guild.id if message.guild else None, message.channel.id)


def where_of_interaction(interaction: discord.Interaction) -> Where:
    return where_of(interaction.channel, interaction.guild_id, interaction.channel_id)


def replied_to(message: discord.Message) -> int | None:
    """The id of the message ``message`` replies to (a forward is not a reply)."""
    ref = message.reference
    if ref is None or ref.type is discord.MessageReferenceType.forward:
        return None
    return ref.message_id


def context_of(bot: RiderBot, message: discord.Message) -> Context | None:
    """The conversation ``message`` follows up on: the message it replies to, its author's last
    question in that channel, or its thread's starter question (bot.conversations)."""
    return bot.conversations.context_for(where_of_message(message), message.author.id, replied_to(message))


def remember_context(
    bot: RiderBot,
    answer: Answer,
    where: Where,
    user_id: int,
    *,
    question_id: int | None = None,
    answer_id: int | None = None,
) -> Remembered | None:
    """Once answered (before the reply is sent: the next message may come as soon as it is seen):
    what the answer leaves behind becomes the asker's conversation there, and the context of their
    message; riderbot's reply is added with ``bot.conversations.add_answer`` once sent, so a reply
    to either finds it. Chatter leaves nothing: the conversation it came in goes on unchanged."""
    return bot.conversations.remember(
        Context.of(answer), where, user_id, question_id=question_id, answer_id=answer_id
    )


def clean_question(text: str) -> str:
    """The question without mention markup (the bot's own, users', roles', @everyone), and without
    invalid Unicode (a lone surrogate becomes U+FFFD), so nothing it is echoed into or stored in fails."""
    return " ".join(_MARKUP.sub(" ", clean_text(text)).split())


def mentions_bot(bot: discord.Client, message: discord.Message) -> bool:
    """The bot was mentioned in the text itself (a reply that merely pings the bot does not count)."""
    if bot.user is None:
        return False
    return f"<@{bot.user.id}>" in message.content or f"<@!{bot.user.id}>" in message.content


def too_long(question: str) -> str | None:
    if len(question) <= MAX_QUESTION:
        return None
    return (
        f"That question is {len(question):,} characters long; please keep it to {MAX_QUESTION:,} "
        "or fewer and ask again."
    )


def slow_down(retry_after: float) -> str:
    return (
        f"You're asking quickly: I answer {ASK_RATE} questions per person every {int(ASK_PER)} seconds. "
        f"Try again in {max(1, round(retry_after))} s."
    )


def timed_answer(
    bot: RiderBot, question: str, *, guild_id: int | None = None, context: Context | None = None
) -> tuple[Answer, float]:
    """The engine's answer and how long it took (milliseconds, for stats). ``guild_id`` picks the
    server's own aliases and taught wordings (bot.scope_for), ``context`` is the conversation the
    message follows up on."""
    start = time.perf_counter()
    answer = bot.engine.ask(question, context, bot.scope_for(guild_id))
    return answer, 1000 * (time.perf_counter() - start)


async def log_question(bot: RiderBot, answer: Answer, origin: Origin, *, millis: float | None = None) -> bool:
    """Record a new question BEFORE its reply is sent: the anonymous stats event and, when it could not
    be answered, the review-queue entry, so a reply that says "I've logged it" is never ahead of the
    database. Whatever then happens to the reply (a 10062, a 403, a restart), the question is kept.
    Storage trouble is logged at ERROR by the storage (and fails `riderbot health`); returns whether
    it was stored, so the reply can say it was not (``render(..., logged=False)``) instead of "I've
    logged it"."""
    # one INFO line per question: outcome, model, topic, timing; the text only when enabled
    line = "%s model=%s topic=%s verdict=%s %.2f ms"
    args: tuple[Any, ...] = (
        answer.status,
        answer.model or answer.license,
        answer.topic,
        answer.verdict,
        millis or 0.0,
    )
    if bot.settings.log_questions:
        log.info(line + " question=%r", *args, answer.question)
    else:
        log.info(line, *args)
    try:
        await log_outcome(
            bot.storage,
            answer,
            source="discord",
            guild_id=origin.guild_id,
            channel_id=origin.channel_id,
            user_id=origin.user_id,
            millis=millis,
        )
    except StorageError as exc:  # the storage logged it at ERROR (once) and flags it for `riderbot health`
        log.warning("could not store a question (outcome %s): %s", answer.status, exc)
        return False
    except Exception:
        log.exception("could not store a question (outcome %s)", answer.status)
        return False
    return True


async def remember_answer(bot: RiderBot, answer: Answer, message_id: int | None, origin: Origin) -> None:
    """After an answer or a clarify was sent: which question the message answers, so a vote or a
    clarify pick on it finds the question (and its asker) again."""
    statuses = {answer.status, *(p.status for p in answer.parts)}  # any part of several questions
    if message_id is None or not statuses & {ANSWERED, CLARIFY}:
        return
    try:
        await bot.storage.record_answer(
            message_id,
            answer.question,
            answer.model,
            answer.license,
            answer.topic,
            origin.guild_id,
            origin.channel_id,
            origin.user_id,
        )
    except StorageError as exc:  # the storage logged it (once) and flags it for `riderbot health`
        log.warning("could not store which question message %s answers: %s", message_id, exc)
    except Exception:
        log.exception("could not store which question message %s answers", message_id)


def message_id_of(response: Any) -> int | None:
    """The message id an interaction response created, when Discord said so."""
    resource = getattr(response, "resource", None)
    return resource.id if isinstance(resource, discord.Message) else None


class RateLimiter:
    """At most ``rate`` hits per ``per`` seconds for each key (a sliding window)."""

    def __init__(
        self, rate: int = ASK_RATE, per: float = ASK_PER, clock: Callable[[], float] = time.monotonic
    ):
        self.rate, self.per, self.clock = rate, per, clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._warned: dict[Hashable, float] = {}

    def hit(self, key: Hashable) -> float:
        """0.0 if allowed (and counted), else the seconds until the next hit is allowed."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        if len(hits) >= self.rate:
            return hits[0] + self.per - now
        hits.append(now)
        return 0.0

    def warn_once(self, key: Hashable, retry_after: float) -> bool:
        """True the first time a limited key is refused in this window (tell them once, then be quiet)."""
        now = self.clock()
        if self._warned.get(key, 0.0) > now:
            return False
        self._warned[key] = now + retry_after
        return True

    def reset(self) -> None:
        self._hits.clear()
        self._warned.clear()


class RecentlySent:
    """Keys sent within the last ``ttl`` seconds (one answer per watched channel per minute)."""

    def __init__(self, ttl: float = WATCH_REPEAT_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._until: dict[Hashable, float] = {}

    def claim(self, key: Hashable) -> bool:
        """True (and remember it) if ``key`` was not sent within the ttl."""
        now = self.clock()
        if len(self._until) > 4096:
            self._until = {k: t for k, t in self._until.items() if t > now}
        if self._until.get(key, 0.0) > now:
            return False
        self._until[key] = now + self.ttl
        return True

    def reset(self) -> None:
        self._until.clear()
