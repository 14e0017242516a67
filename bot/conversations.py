"""Conversations: which earlier question a follow-up ("and 3.1?", "what about redistribution?")
belongs to, for the front ends that keep one (the Discord cogs; the console keeps its own).

Pure and in memory: no Discord import, no storage. A conversation is short-lived (its context is
forgotten ``ttl`` seconds, 10 minutes, after the question that left it) and the store is bounded (at most
``max_entries`` keys, the least recently used dropped first), so a busy bot cannot grow it without
end. Losing it (a restart, another process) only means the member names the model again.

Context never crosses servers, channels or users. Every key holds the server (None in DMs) and
the channel (a DM, a thread, a text channel) it was made in, and a lookup only ever reads keys of
the server and channel the new message is in. What a follow-up takes, in this order:

1. the message it replies to (a Discord message reference): riderbot's answer (whoever asked it:
   the reply points at it) or the member's own earlier question (not another member's);
2. the same member's last question in that channel;
3. in a thread, the thread's starter question, for everyone in it: the question the thread was
   started from (its id is the thread's) or the first question riderbot answered in it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.matching.matcher import Context

TTL_SECONDS = 600.0  # a conversation ends 10 minutes after its last question
MAX_ENTRIES = 20_000  # keys kept (members' conversations, answered messages, threads), LRU

QUESTION, ANSWER = "question", "answer"  # what a remembered message is: the member's, or riderbot's


@dataclass
class _Record:
    """One context and who it belongs to; shared by the keys remembered together (the member's
    conversation, their question and riderbot's answer, a thread's starter), so a clarify pick
    updates them all."""

    context: Context
    owner: int | None


@dataclass
class _Entry:
    record: _Record
    kind: str  # QUESTION or ANSWER
    at: float  # when it was stored (or, for a thread's starter, last asked after)


@dataclass(frozen=True)
class Remembered:
    """What ``remember`` kept, so the answer's message id can be added once it is sent."""

    record: _Record
    where: Where


@dataclass(frozen=True)
class Where:
    """Where a message was written: the server (None for a DM), the channel (the DM channel, the
    thread or the text channel), and for a thread its parent channel."""

    guild_id: int | None
    channel_id: int
    thread_parent_id: int | None = None

    @property
    def in_thread(self) -> bool:
        return self.thread_parent_id is not None


class Conversations:
    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    # -- reading -------------------------------------------------------------------------------
    def context_for(self, where: Where, user_id: int, reply_to: int | None = None) -> Context | None:
        """The context a message by ``user_id`` at ``where`` follows up on (None: a fresh start).
        ``reply_to`` is the id of the message it replies to, if any. Reading changes no age: only
        a new question keeps a conversation going (chatter does not)."""
        if reply_to is not None:
            found = self._get(("message", where.guild_id, where.channel_id, reply_to))
            if found is not None and (found.kind == ANSWER or found.record.owner == user_id):
                return found.record.context
        found = self._get(("user", where.guild_id, where.channel_id, user_id))
        if found is not None:
            return found.record.context
        if where.in_thread:
            found = self._get(("thread", where.guild_id, where.channel_id))
            if found is None:  # a thread started from a question: the thread's id is that message's
                found = self._get(("message", where.guild_id, where.thread_parent_id, where.channel_id))
            if found is not None:
                return found.record.context
        return None

    # -- writing -------------------------------------------------------------------------------
    def remember(
        self,
        context: Context | None,
        where: Where,
        user_id: int | None,
        *,
        question_id: int | None = None,
        answer_id: int | None = None,
    ) -> Remembered | None:
        """After answering ``user_id``'s question at ``where`` (or before sending the answer: a
        follow-up may come as soon as it is seen): the context the answer leaves becomes their
        conversation there, and the context of their question message and riderbot's answer message
        (for replies to either; an answer sent later is added with ``add_answer``). In a thread,
        it becomes the thread's starter if it has none, else the starter stays (and stays alive).
        A None context (chatter) changes nothing: the conversation goes on, and still ends 10
        minutes after its last question."""
        if context is None:
            return None
        record = _Record(context, user_id)
        if user_id is not None:
            self._put(("user", where.guild_id, where.channel_id, user_id), record, QUESTION)
        if question_id is not None:
            self._put(("message", where.guild_id, where.channel_id, question_id), record, QUESTION)
        if where.in_thread:
            starter = self._get(("thread", where.guild_id, where.channel_id))
            if starter is None:
                self._put(("thread", where.guild_id, where.channel_id), record, QUESTION)
            else:
                starter.at = self.clock()  # the thread is still talking about it
        remembered = Remembered(record, where)
        if answer_id is not None:
            self.add_answer(remembered, answer_id)
        return remembered

    def add_answer(self, remembered: Remembered | None, answer_id: int | None) -> None:
        """riderbot's answer ``answer_id`` to a question remembered before it was sent."""
        if remembered is None or answer_id is None:
            return
        where = remembered.where
        self._put(("message", where.guild_id, where.channel_id, answer_id), remembered.record, ANSWER)

    def picked(self, context: Context, where: Where, user_id: int | None, answer_id: int) -> None:
        """A clarify pick on riderbot's message ``answer_id``: the model picked becomes the context
        of that message, of the question it answered, of its asker's conversation (unless they have
        asked something since) and of a thread that started with it. ``user_id`` is the asker, for
        a message the store no longer knows."""
        found = self._get(("message", where.guild_id, where.channel_id, answer_id))
        if found is None:
            self.remember(context, where, user_id, answer_id=answer_id)
            return
        record = found.record
        record.context = context
        found.at = self.clock()
        owner = record.owner
        if owner is not None:
            mine = self._get(("user", where.guild_id, where.channel_id, owner))
            if mine is None:
                self._put(("user", where.guild_id, where.channel_id, owner), record, QUESTION)
            elif mine.record is record:
                mine.at = self.clock()

    def forget_user(self, user_id: int) -> int:
        """Drop everything a member asked (``/privacy forget``); returns how many keys went."""
        gone = [key for key, entry in self._entries.items() if entry.record.owner == user_id]
        for key in gone:
            del self._entries[key]
        return len(gone)

    def clear(self) -> None:
        self._entries.clear()

    def keys(self) -> list[Hashable]:
        """What is kept (for tests and debugging)."""
        return list(self._entries)

    # -- internals -----------------------------------------------------------------------------
    def _get(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() - entry.at > self.ttl:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _put(self, key: Hashable, record: _Record, kind: str) -> None:
        self._entries[key] = _Entry(record, kind, self.clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
