"""Wordings moderators taught riderbot (from the review queue), looked up like aliases are.

An exact normalised wording is one dict lookup; a close variant ("typo, punctuation, word order") is
found through its rarest words, so only a handful of taught wordings are compared with rapidfuzz,
however many there are. A wording never matches one with different numbers ("llama 5" is not
"llama 6").
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.matching import vocab
from bot.textnorm import normalize

CUTOFF = 90.0  # token_sort_ratio for a close variant
RAREST = 3  # how many of the question's rarest words select candidates
MAX_CANDIDATES = 64


@dataclass(frozen=True)
class Taught:
    model: str | None
    license: str | None
    topic: str


class LearnedIndex:
    def __init__(self) -> None:
        self._exact: dict[str, Taught] = {}
        self._by_word: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._exact)

    def add(self, question: str, taught: Taught) -> None:
        norm = normalize(question)
        if not norm:
            return
        self._exact[norm] = taught
        for word in set(norm.split()):
            if word not in vocab.STOPWORDS:
                self._by_word.setdefault(word, set()).add(norm)

    def lookup(self, norm: str) -> Taught | None:
        hit = self._exact.get(norm)
        if hit is not None or not self._exact:
            return hit
        words = [w for w in set(norm.split()) if w not in vocab.STOPWORDS and w in self._by_word]
        if not words:
            return None
        words.sort(key=lambda w: len(self._by_word[w]))
        candidates: set[str] = set()
        for w in words[:RAREST]:
            candidates |= self._by_word[w]
            if len(candidates) >= MAX_CANDIDATES:
                break
        numbers = _numbers(norm)
        best, best_score = None, CUTOFF
        for other in sorted(candidates)[: MAX_CANDIDATES * 2]:
            if _numbers(other) != numbers:
                continue
            score = fuzz.token_sort_ratio(norm, other)
            if score >= best_score:
                best, best_score = other, score
        return self._exact[best] if best is not None else None


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(t for t in norm.split() if any(c.isdigit() for c in t))
