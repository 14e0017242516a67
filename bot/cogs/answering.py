"""What every answering cog shares (not an extension): where a question came from, the limits,
rendering an Answer into message arguments, and what is stored after an answer is sent.

The engine decides the answer, bot.rendering.embeds decides how it looks; this module only glues
them to Discord and to Storage.
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

from bot.engine import log_outcome
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.rendering.embeds import answer_embed
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.answers")

MAX_QUESTION = 1000
ASK_RATE, ASK_PER = 5, 30.0  # questions per user (slash, mention, DM, context menu)
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


def clean_question(text: str) -> str:
    """The question without mention markup (the bot's own, users', roles', @everyone)."""
    return " ".join(_MARKUP.sub(" ", text).split())


def mentions_bot(bot: discord.Client, message: discord.Message) -> bool:
    """The bot was mentioned in the text itself (a reply that merely pings the bot does not count)."""
    if bot.user is None:
        return False
    return f"<@{bot.user.id}>" in message.content or f"<@!{bot.user.id}>" in message.content


def too_long(question: str) -> str | None:
    if len(question) <= MAX_QUESTION:
        return None
    return (f"That question is {len(question):,} characters long; please keep it to {MAX_QUESTION:,} "
            "or fewer and ask again.")


def slow_down(retry_after: float) -> str:
    return (f"You're asking quickly: I answer {ASK_RATE} questions per person every {int(ASK_PER)} seconds. "
            f"Try again in {max(1, round(retry_after))} s.")


def render(bot: RiderBot, answer: Answer, *, edit: bool = False) -> dict[str, Any]:
    """Keyword arguments for send/reply/edit: the embed and, when the outcome has any, its buttons.
    For an edit, ``view=None`` removes buttons the message no longer needs."""
    from bot.cogs.views import answer_view  # views import this module for their callbacks

    kwargs: dict[str, Any] = {"embed": answer_embed(bot.engine.kb, answer)}
    view = answer_view(bot.engine.kb, answer)
    if view is not None or edit:
        kwargs["view"] = view
    return kwargs


def timed_answer(bot: RiderBot, question: str) -> tuple[Answer, float]:
    """The engine's answer and how long it took (milliseconds, for stats)."""
    start = time.perf_counter()
    answer = bot.engine.ask(question)
    return answer, 1000 * (time.perf_counter() - start)


async def after_send(bot: RiderBot, answer: Answer, message_id: int | None, origin: Origin, *,
                     millis: float | None = None, new_question: bool = True) -> None:
    """Remember the question behind a sent answer (so a vote or a clarify pick finds it) and log the
    outcome (stats, and the review queue for what could not be answered). ``new_question=False`` for
    a clarify pick: its question was logged when it was asked. Storage trouble is logged, never
    shown to the asker."""
    # one INFO line per question: outcome, model, topic, timing; the text only when enabled
    line = "%s model=%s topic=%s verdict=%s %.2f ms"
    args: tuple[Any, ...] = (answer.status, answer.model or answer.license, answer.topic, answer.verdict, millis or 0.0)
    if bot.settings.log_questions:
        log.info(line + " question=%r", *args, answer.question)
    elif new_question:
        log.info(line, *args)
    storage = bot.storage
    if storage is None:
        return
    try:
        if message_id is not None and answer.status in (ANSWERED, CLARIFY):
            await storage.record_answer(message_id, answer.question, answer.model, answer.license, answer.topic,
                                        origin.guild_id, origin.channel_id, origin.user_id)
        if new_question:
            await log_outcome(storage, answer, source="discord", guild_id=origin.guild_id,
                              channel_id=origin.channel_id, user_id=origin.user_id, millis=millis)
    except StorageError as exc:  # the storage logged it (once) and flags it for `riderbot health`
        log.warning("could not store the outcome of a question: %s", exc)
    except Exception:
        log.exception("could not store the outcome of a question")


def message_id_of(response: Any) -> int | None:
    """The message id an interaction response created, when Discord said so."""
    resource = getattr(response, "resource", None)
    return resource.id if isinstance(resource, discord.Message) else None


class RateLimiter:
    """At most ``rate`` hits per ``per`` seconds for each key (a sliding window)."""

    def __init__(self, rate: int = ASK_RATE, per: float = ASK_PER, clock: Callable[[], float] = time.monotonic):
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
