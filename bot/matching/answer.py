"""What the matcher returns: one of three outcomes, with everything a renderer needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import Quote

ANSWERED = "answered"
CLARIFY = "clarify"
UNANSWERED = "unanswered"

YES, NO, DEPENDS = "yes", "no", "depends"
LEADS = {YES: "Yes", NO: "No", DEPENDS: "It depends"}
"""How an answer to a yes/no question starts (the text, the embed and `reply` always agree)."""

# reasons for not answering that are not worth a maintainer's time: chatter, off-topic with no model
NOT_LOGGED = frozenset({"chatter", "off-topic"})


@dataclass(frozen=True)
class Candidate:
    model: str
    topic: str | None
    verdict: str | None = None
    reply: str | None = None


@dataclass(frozen=True)
class Answer:
    status: str
    question: str
    model: str | None = None
    license: str | None = None
    topic: str | None = None
    verdict: str | None = None
    answer: str | None = None
    """The body of the answer, in our words; the renderers put `lead` before it."""
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
    reply: str | None = None
    """The direct answer to the question as asked: yes | no | depends, or None for an open question."""
    lead: str | None = None
    """How the answer starts: "Yes", "No", "It depends", or for an open question the fact itself
    ("700 million monthly active users", "You do")."""
    card: bool = False
    """A licence card: the model's licence with one line per topic (the question named no topic)."""
    general: str | None = None
    """A general entry (knowledge/general.yaml) answered instead of, or beside, a model's terms."""
    family: str | None = None
    """An answer for a whole family or series, when every member gives the same reply."""
    members: tuple[Candidate, ...] = ()
    compare: bool = False
    parts: tuple[Answer, ...] = ()
    """Every part of a message that held several questions (the top-level answer is the first)."""
    notes: tuple[str, ...] = ()
    """Sentences that belong right after the lead: a corrected premise, the base model's terms, what a
    stated number or place means here."""
    assumed: str | None = None
    """What was taken from the conversation, in a few words ("Llama 3.1 — training on outputs,
    following your earlier question")."""
    premise: str | None = None
    """The licence the question asserted for the model, when that is not the model's licence."""
    language: str | None = None
    language_note: str | None = None
    not_covered_url: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    asked: Any = field(default=None, repr=False, compare=False)
    """How the question was put and what it stated, (form, Facts) or a function giving them, for the
    follow-ups after it (bot.matching.matcher.Context); not part of the JSON."""

    @property
    def loggable(self) -> bool:
        """Worth a place in the review queue: everything not answered, except chatter and off-topic
        messages that touched no model, licence or topic."""
        if self.status == ANSWERED and self.unknown_model is None:
            return False
        return self.reason not in NOT_LOGGED

    def to_json(self) -> dict[str, Any]:
        out = {
            "status": self.status,
            "model": self.model,
            "license": self.license,
            "topic": self.topic,
            "verdict": self.verdict,
            "reply": self.reply,
            "lead": self.lead,
            "answer": self.answer,
            "notes": list(self.notes) or None,
            "quotes": [{"text": q.text, "source": q.source} for q in self.quotes],
            "url": self.url,
            "candidates": [
                {"model": c.model, "topic": c.topic, "verdict": c.verdict, "reply": c.reply}
                for c in self.candidates
            ]
            or None,
            "unknown_model": self.unknown_model,
            "confidence": round(self.confidence, 3),
            "based_on": self.based_on,
            "reason": self.reason,
            "card": self.card,
            "general": self.general,
            "family": self.family,
            "compare": self.compare,
            "assumed": self.assumed,
            "premise": self.premise,
            "language": self.language,
        }
        if self.parts:
            out["parts"] = [p.to_json() for p in self.parts]
        return out
