"""Phrasings as bags of stems: a phrasing matches a question when all its stems are in it, close
together, in any order ("outputs to train" matches "train on its outputs").

One index serves the topics, the licence-card phrasings and the general entries. Built once; looking
up a question costs a few dict lookups per word, whatever the number of phrasings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.matching import vocab
from bot.matching.stem import stem

GENERIC_WEIGHT = 0.3
_QUANTITY_TOKEN = re.compile(r"^\d+(?:\.\d+)?[mk]$")
_GENERIC_STEMS = frozenset(stem(t) for t in ("license", "model", "use", "it", "its"))


def topic_stem(token: str) -> str:
    """Stems for phrase matching; any "200m"/"10k" is the same quantity word, so "200m users" and
    "700m users" are one phrasing."""
    return "<qty>" if _QUANTITY_TOKEN.match(token) else stem(token)


def stem_weight(s: str) -> float:
    if s in vocab.STOPWORDS:
        return 0.1
    return GENERIC_WEIGHT if s in _GENERIC_STEMS else 1.0


@dataclass(frozen=True)
class _Phrasing:
    stems: frozenset[str]
    label: str
    weak: bool
    key: frozenset[str]  # the stems it is indexed by: its content words (all stems if it has none)


@dataclass(frozen=True)
class Hit:
    label: str
    score: float  # the weight of the distinct question words its matched phrasings cover
    weak_only: bool
    stems: frozenset[str]


class PhraseIndex:
    def __init__(self) -> None:
        self._phrasings: list[_Phrasing] = []
        self._by_stem: dict[str, list[int]] = {}
        self._stale = False
        self.words: set[str] = set()

    def add(self, toks: Iterable[str], label: str, weak: bool = False) -> None:
        toks = tuple(toks)
        self.words.update(toks)
        stems = frozenset(topic_stem(t) for t in toks)
        if not stems:
            return
        # indexed by content words only: "in my app" is found through "app", so the stopwords every
        # question has ("my", "the", "to") do not make every question count hundreds of phrasings
        key = frozenset(s for s in stems if s not in vocab.STOPWORDS) or stems
        self._phrasings.append(_Phrasing(stems, label, weak, key))
        self._stale = True

    def _build(self) -> None:
        """Each phrasing is listed under the rarest of its key stems only (it needs all of them), so a
        question looks at the few phrasings its rarest words could complete, not at every phrasing
        that shares a common word like "use"."""
        frequency: dict[str, int] = {}
        for p in self._phrasings:
            for s in p.key:
                frequency[s] = frequency.get(s, 0) + 1
        by_stem: dict[str, list[int]] = {}
        for index, p in enumerate(self._phrasings):
            rarest = min(p.key, key=lambda s: (frequency[s], s))
            by_stem.setdefault(rarest, []).append(index)
        self._by_stem = by_stem  # one assignment: a reader in another thread sees the old or the new
        self._stale = False

    def __len__(self) -> int:
        return len(self._phrasings)

    def match(self, words: list[str]) -> dict[str, Hit]:
        """Every label whose phrasings match, with its score (strong phrasings only, when any match)."""
        if self._stale:
            self._build()
        positions: dict[str, list[int]] = {}
        for i, t in enumerate(words):
            positions.setdefault(topic_stem(t), []).append(i)
        present = positions.keys()
        strong: dict[str, set[str]] = {}
        weak: dict[str, set[str]] = {}
        for s in positions:
            for index in self._by_stem.get(s, ()):
                p = self._phrasings[index]
                if p.stems <= present and _close_together(p.stems, positions):
                    (weak if p.weak else strong).setdefault(p.label, set()).update(p.stems)
        out = {}
        for label in {*strong, *weak}:
            used = strong.get(label) or weak[label]
            out[label] = Hit(
                label,
                sum(stem_weight(s) for s in used),
                label not in strong,
                frozenset(strong.get(label, set()) | weak.get(label, set())),
            )
        return out


def _close_together(stems: frozenset[str], positions: dict[str, list[int]]) -> bool:
    """The words of a phrasing must be near each other (any order): "outputs to train" matches
    "train on its outputs" but not a question that says "output" at one end and "train" at the other."""
    if len(stems) == 1:
        return True
    limit = 2 * len(stems) + 2
    for first in sorted(stems):  # every word may anchor the window (a fixed order, so results never vary)
        others = [s for s in stems if s != first]
        for start in positions[first]:
            if all(any(abs(p - start) <= limit for p in positions[s]) for s in others):
                return True
    return False
