"""Exact token phrases ("is there a limit", "open source") looked up by their first word.

Finding which of N phrases occur in a question of W words costs W dict lookups plus a comparison per
phrase that starts with one of its words, instead of N x W slice comparisons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class PhraseMap(Generic[T]):
    """Token phrases, each with a value; longest phrases first among those sharing a first word."""

    def __init__(self, items: Iterable[tuple[tuple[str, ...], T]] = ()) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        self._count = 0
        for phrase, value in items:
            self.add(phrase, value)

    def add(self, phrase: tuple[str, ...], value: T) -> None:
        if not phrase:
            return
        bucket = self._by_first.setdefault(phrase[0], [])
        bucket.append((phrase, value))
        bucket.sort(key=lambda item: -len(item[0]))
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        for bucket in self._by_first.values():
            for phrase, _ in bucket:
                yield phrase

    def matches(self, words: Sequence[str]) -> Iterator[tuple[int, tuple[str, ...], T]]:
        """(start, phrase, value) of every occurrence, in the order of the words."""
        by_first = self._by_first
        n = len(words)
        for i, word in enumerate(words):
            bucket = by_first.get(word)
            if bucket is None:
                continue
            for phrase, value in bucket:
                size = len(phrase)
                if size == 1 or (i + size <= n and tuple(words[i : i + size]) == phrase):
                    yield i, phrase, value

    def found_in(self, words: Sequence[str]) -> bool:
        return next(self.matches(words), None) is not None

    def values_in(self, words: Sequence[str]) -> set[T]:
        return {value for _, _, value in self.matches(words)}


class PhraseSet(PhraseMap[None]):
    """Token phrases without values: does any of them occur in the words?"""

    def __init__(self, phrases: Iterable[tuple[str, ...]] = ()) -> None:
        super().__init__((p, None) for p in phrases)

    def update(self, phrases: Iterable[tuple[str, ...]]) -> None:
        for phrase in phrases:
            self.add(phrase, None)
