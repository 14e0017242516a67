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
    """Taught wordings by their exact normalised text, and by (numbers, word) for close variants:
    a wording is only ever compared with wordings that have the same numbers (it could never match
    the others), so a lookup reads at most MAX_CANDIDATES * 2 of them however many are taught."""

    def __init__(self) -> None:
        self._exact: dict[str, Taught] = {}
        # (the wording's numbers, one of its words) -> the wordings, in the order they were taught
        self._by_word: dict[tuple[frozenset[str], str], dict[str, None]] = {}

    def __len__(self) -> int:
        return len(self._exact)

    def add(self, question: str, taught: Taught) -> None:
        norm = normalize(question)
        if not norm:
            return
        self._exact[norm] = taught
        numbers = _numbers(norm)
        for word in set(norm.split()):
            if word not in vocab.STOPWORDS:
                self._by_word.setdefault((numbers, word), {})[norm] = None

    def lookup(self, norm: str) -> Taught | None:
        hit = self._exact.get(norm)
        if hit is not None or not self._exact:
            return hit
        numbers = _numbers(norm)
        found = [
            (len(p), w, p)
            for w in set(norm.split())
            if w not in vocab.STOPWORDS and (p := self._by_word.get((numbers, w))) is not None
        ]
        if not found:
            return None
        found.sort(key=lambda f: f[:2])  # the rarest words first
        candidates: dict[str, None] = {}
        for _, _, posting in found[:RAREST]:
            for other in posting:
                candidates[other] = None
                if len(candidates) >= MAX_CANDIDATES * 2:
                    break
            if len(candidates) >= MAX_CANDIDATES:
                break
        best, best_score = None, CUTOFF
        for other in sorted(candidates):
            score = fuzz.token_sort_ratio(norm, other)
            if score >= best_score:
                best, best_score = other, score
        return self._exact[best] if best is not None else None


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(t for t in norm.split() if any(c.isdigit() for c in t))
