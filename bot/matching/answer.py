"""What the matcher returns: one of three outcomes, with everything a renderer needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.knowledge import Quote

ANSWERED = "answered"
CLARIFY = "clarify"
UNANSWERED = "unanswered"


@dataclass(frozen=True)
class Candidate:
    model: str
    topic: str | None
    verdict: str | None = None


@dataclass(frozen=True)
class Answer:
    status: str
    question: str
    model: str | None = None
    license: str | None = None
    topic: str | None = None
    verdict: str | None = None
    answer: str | None = None
    details: str | None = None
    note: str | None = None
    quotes: tuple[Quote, ...] = ()
    url: str | None = None
    candidates: tuple[Candidate, ...] = ()
    unknown_model: str | None = None
    confidence: float = 0.0
    based_on: str | None = None
    """Set when the question named a derivative ("LLaVA 1.5") answered for its base model."""
    reason: str | None = None
    """Why a question was not answered, or needs clarifying (for logs and the review queue)."""
    best_guess: str | None = None
    """The matcher's best guess "model/topic" for a question it did not answer."""

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "model": self.model,
            "license": self.license,
            "topic": self.topic,
            "verdict": self.verdict,
            "answer": self.answer,
            "quotes": [{"text": q.text, "source": q.source} for q in self.quotes],
            "url": self.url,
            "candidates": [{"model": c.model, "topic": c.topic} for c in self.candidates] or None,
            "unknown_model": self.unknown_model,
            "confidence": round(self.confidence, 3),
            "based_on": self.based_on,
            "reason": self.reason,
        }
