"""The engine: the loaded knowledge and its matcher, swapped atomically on reload.

Both front ends (the CLI and the Discord cogs) ask through here, so they answer identically.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import ANSWERED, Answer, Matcher
from bot.storage import Asked


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

    def ask(self, question: str) -> Answer:
        return self.matcher.match(question)

    def reload(self) -> KnowledgeBase:
        """Reload from disk; on any validation error the old knowledge stays in place."""
        kb = load_knowledge(self.knowledge_dir)
        self._set(kb)
        return kb

    def replace(self, kb: KnowledgeBase) -> None:
        self._set(kb)


def needs_review(answer: Answer) -> bool:
    """Unanswered and clarify outcomes go to the review queue."""
    return answer.status != ANSWERED


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
