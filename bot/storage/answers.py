"""Answers sent and feedback votes.

``answers``: the question behind each answer message (write-behind, see core.flush), so a vote or
a clarify button finds its question. ``votes``: one per user per answer message, with the server
it was cast in; a "not helpful" vote also puts the question into that server's review queue.
"""

from __future__ import annotations

import time
from typing import Any

from bot.storage.core import Scope, scope_where, valid_id
from bot.storage.queue import Asked
from bot.storage.sql import Ops, one, run, val

ANSWER_COLUMNS = (
    "message_id",
    "question",
    "model",
    "license",
    "topic",
    "guild_id",
    "channel_id",
    "user_id",
    "created",
)


class AnswersStore:
    async def record_answer(
        self,
        message_id: int,
        question: str,
        model: str | None,
        license: str | None,
        topic: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
    ) -> None:
        """Remember the question behind an answer message (written within FLUSH_DELAY)."""
        self._check_open()
        self._pending_answers[message_id] = (
            message_id,
            question,
            model,
            license,
            topic,
            guild_id,
            channel_id,
            user_id,
            time.time(),
        )
        self._schedule_flush()

    async def get_answer(self, message_id: int) -> dict[str, Any] | None:
        pending = self._pending_answers.get(message_id)
        if pending is not None:
            return dict(zip(ANSWER_COLUMNS, pending, strict=True))
        if not valid_id(message_id):
            return None
        return await self._read(lambda: _one("SELECT * FROM answers WHERE message_id = ?", message_id))

    async def record_vote(
        self,
        message_id: int,
        user_id: int,
        helpful: bool,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> bool:
        """Store one vote per user per answer; False if this user already voted on it. A "not
        helpful" vote also puts the question into the review queue of the server it was asked in."""
        if not (valid_id(message_id) and valid_id(user_id)):
            raise ValueError("message and user ids must be positive 64-bit integers")
        answer = await self.get_answer(message_id)
        if answer is not None and answer.get("guild_id") is not None:
            guild_id = answer["guild_id"]
        recorded = await self._write(lambda: _vote(message_id, user_id, helpful, guild_id))
        if recorded and not helpful and answer is not None:
            guess = f"{answer['model'] or answer['license']}/{answer['topic']}"
            queue_id, _ = await self.log_question(
                Asked(
                    answer["question"][:1000], "not-helpful", guild_id, channel_id, user_id, best_guess=guess
                )
            )
            await self._write(lambda: _link_vote(message_id, user_id, queue_id))
        return recorded

    async def vote_counts(self, message_id: int) -> tuple[int, int]:
        if not valid_id(message_id):
            return 0, 0
        row = await self._read(
            lambda: _one(
                "SELECT SUM(helpful) AS up, SUM(1 - helpful) AS down FROM votes WHERE message_id = ?",
                message_id,
            )
        )
        return int(row["up"] or 0), int(row["down"] or 0)

    async def feedback_counts(self, *, scope: Scope) -> tuple[int, int]:
        """Helpful / not helpful votes cast in ``scope``."""
        where, args = scope_where(scope)
        row = await self._read(
            lambda: _one(
                f"SELECT SUM(helpful) AS up, SUM(1 - helpful) AS down FROM votes WHERE {where}", *args
            )
        )
        return int(row["up"] or 0), int(row["down"] or 0)


def _vote(message_id: int, user_id: int, helpful: bool, guild_id: int | None) -> Ops:
    changed = yield run(
        "INSERT INTO votes (message_id, user_id, helpful, created, guild_id) VALUES (?,?,?,?,?)"
        " ON CONFLICT (message_id, user_id) DO NOTHING",
        message_id,
        user_id,
        int(helpful),
        time.time(),
        guild_id,
    )
    return changed > 0


def _link_vote(message_id: int, user_id: int, queue_id: int) -> Ops:
    yield run(
        "UPDATE votes SET queue_id = ? WHERE message_id = ? AND user_id = ?", queue_id, message_id, user_id
    )


def _one(sql: str, *args: Any) -> Ops:
    return (yield one(sql, *args))


def _val(sql: str, *args: Any) -> Ops:
    return (yield val(sql, *args))
