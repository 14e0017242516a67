"""The phrase lookups the matcher uses for question forms, code words, metrics and the like."""

from __future__ import annotations

import random

from bot.matching.spans import PhraseMap, PhraseSet


def _slow_contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def test_found_in_agrees_with_a_plain_scan():
    rng = random.Random(3)
    vocab = "a b c d e f".split()
    phrases = {tuple(rng.choice(vocab) for _ in range(rng.randint(1, 3))) for _ in range(12)}
    index = PhraseSet(phrases)
    for _ in range(500):
        words = tuple(rng.choice(vocab) for _ in range(rng.randint(0, 8)))
        assert index.found_in(words) == any(_slow_contains(words, p) for p in phrases)
        assert index.found_in(list(words)) == index.found_in(words)


def test_matches_give_positions_values_and_longest_first():
    index: PhraseMap[str] = PhraseMap([(("is", "it"), "short"), (("is", "it", "banned"), "long")])
    found = list(index.matches(("so", "is", "it", "banned")))
    assert found == [(1, ("is", "it", "banned"), "long"), (1, ("is", "it"), "short")]
    assert index.values_in(("is", "it")) == {"short"}
    assert not PhraseSet() and len(index) == 2


def test_a_word_ending_in_a_is_not_a_number(engine):
    """ "vram", "sam", "llama m..." once read as "a m" = one million; only a digit or a number word
    standing alone starts a quantity."""
    finder = engine.matcher.finder
    for q in ("how much vram for llama 2 70b", "is SAM 3 open source", "bert base uncased vocab size?"):
        toks = tuple(q.lower().split())
        assert all(
            x.value != 1_000_000 and x.value != 1_000_000_000 for x in finder.quantities(q, toks, set())
        )
    a_million = finder.quantities("we have a million users", ("we", "have", "a", "million", "users"), set())
    assert [x.value for x in a_million] == [1_000_000]
