"""Question matching: pure functions over a loaded KnowledgeBase (no Discord, no I/O)."""

from bot.matching.answer import ANSWERED, CLARIFY, UNANSWERED, Answer, Candidate
from bot.matching.matcher import Matcher

__all__ = ["ANSWERED", "CLARIFY", "UNANSWERED", "Answer", "Candidate", "Matcher"]
