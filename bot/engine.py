"""The engine: the loaded knowledge and its matcher, swapped atomically on reload.

Both front ends (the CLI and the Discord cogs) ask through here, so they answer identically.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Answer, Matcher
from bot.matching.matcher import Context, Scope
from bot.storage import Asked, Storage


class Engine:
    def __init__(self, kb: KnowledgeBase, knowledge_dir: Path | None = None):
        self.knowledge_dir = knowledge_dir
        self._set(kb)

    @classmethod
    def from_folder(cls, folder: Path | str | None = None) -> Engine:
        kb = load_knowledge(folder)
        return cls(kb, Path(folder) if folder else None)

    def _set(self, kb: KnowledgeBase) -> None:
        matcher = Matcher(kb)
        # one assignment each, after the new matcher is fully built: readers never see half a reload
        self.kb, self.matcher = kb, matcher

    def ask(self, question: str, context: Context | None = None, scope: Scope | None = None) -> Answer:
        """The answer to one message; ``context`` is the conversation it follows up on (if any),
        ``scope`` a server's own aliases and taught wordings."""
        return self.matcher.match(question, context, scope)

    def answer_for(self, model_id: str, topic: str | None, question: str = "") -> Answer:
        """The answer for a model and topic already chosen (a clarify button in Discord); no topic
        gives the model's licence card."""
        return self.matcher.answer_for(question, model_id, None, topic)

    def teach(self, learned: Iterable[tuple[str, str | None, str | None, str]]) -> None:
        """Teach the current matcher the phrasings moderators resolved (Storage.learned()), skipping
        any whose model, licence or topic is no longer in the knowledge."""
        kb, matcher = self.kb, self.matcher
        for question, model, license_id, topic in learned:
            if (model is None or model in kb.models) and (license_id is None or license_id in kb.licenses) \
                    and topic in kb.topics:
                matcher.learn(question, model, license_id, topic)

    def replace(self, kb: KnowledgeBase) -> None:
        self._set(kb)


def needs_review(answer: Answer) -> bool:
    """Unanswered and clarify outcomes go to the review queue, except chatter and off-topic messages
    that touched no model or licence; so do answers that had to say a model is unknown."""
    return answer.loggable


def asked_from(answer: Answer, *, source: str, guild_id: int | None = None, channel_id: int | None = None,
               user_id: int | None = None) -> Asked:
    """The review-queue record for an outcome the bot could not answer with confidence."""
    return Asked(
        question=answer.question,
        outcome=answer.status,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        best_guess=answer.best_guess,
        confidence=round(answer.confidence, 3),
        unknown_model=answer.unknown_model,
        source=source,
    )


async def log_outcome(storage: Storage, answer: Answer, *, source: str, guild_id: int | None = None,
                      channel_id: int | None = None, user_id: int | None = None, millis: float | None = None) -> None:
    """Record one question: an anonymous event for stats, and a review-queue entry when the bot
    could not answer it with confidence. Both front ends call this, so nothing falls on the floor."""
    await storage.record_event(answer.status, answer.model, answer.license, answer.topic, guild_id, source, millis)
    if needs_review(answer):
        await storage.log_question(asked_from(answer, source=source, guild_id=guild_id, channel_id=channel_id, user_id=user_id))
