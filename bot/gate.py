"""The gate every proposed knowledge change passes before it is saved (issue 12).

Two checks, both refusing with a reason a moderator can act on:

- ``alias_problem``: an alias made only of words riderbot reads in ordinary questions is refused:
  English stopwords and common words (the stopwords-iso list, from the ``stopwordsiso`` package),
  and the knowledge's own vocabulary (topic phrasings, licence words, question forms, model markers,
  places, uses...). ``alias:use`` on Llama 2 would otherwise turn every "can I use X" into a Llama 2
  question.
- ``EvalGate``: the project's written eval sets (knowledge/eval/*.yaml, not the real questions
  under eval/real/) are answered before and after the change, question by question. A question
  that was right and is not any more, or a new wrong confident answer, refuses the change, and
  those questions are shown. It runs in a thread (a few seconds on the full knowledge).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import stopwordsiso
from rapidfuzz import fuzz

from bot.evaluation import EvalFileError, Item, Report, grade, load_items
from bot.knowledge import KnowledgeBase
from bot.matching import Answer, Matcher
from bot.matching.matcher import Context, Scope
from bot.textnorm import normalize, tokens

log = logging.getLogger("riderbot.gate")

SHOWN = 5  # broken questions listed in a refusal


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English stopwords and common words, as riderbot's tokens (stopwords-iso, via stopwordsiso)."""
    return frozenset(t for word in stopwordsiso.stopwords("en") for t in tokens(word))


_VOCAB: dict[int, tuple[KnowledgeBase, frozenset[str]]] = {}
_VOCAB_LOCK = threading.Lock()


def knowledge_words(kb: KnowledgeBase) -> frozenset[str]:
    """Every word the knowledge itself uses to read questions (not model or licence names)."""
    with _VOCAB_LOCK:
        hit = _VOCAB.get(id(kb))
        if hit is not None and hit[0] is kb:
            return hit[1]
    phrases: list[str] = list(kb.card_phrasings)
    for topic in kb.topics.values():
        phrases += [*topic.phrasings, *topic.weak_phrasings, topic.name]
    for lang in kb.languages.values():
        for group in (
            lang.licence_words,
            lang.chatter,
            lang.follow_up,
            lang.premise,
            lang.code_words,
            lang.weight_words,
            lang.model_markers,
            lang.name_suffixes,
            lang.not_models,
            lang.deictic,
            lang.requests,
            lang.not_licence,
            lang.question_starts,
            lang.asks,
            lang.card,
            lang.split_before,
        ):
            phrases += group
        for group in (*lang.forms.values(), *lang.topics.values()):
            phrases += group
    for use in kb.uses.values():
        phrases += [*use.question, use.name]
    for entry in kb.general.values():
        phrases += entry.phrasings
    for country in kb.places.countries.values():
        phrases += [*country.words, *country.cities, *country.adjectives]
    for region in kb.places.regions.values():
        phrases += region.words
    for group in (*kb.quantities.metrics.values(), *kb.quantities.periods.values()):
        phrases += group
    phrases += list(kb.quantities.multipliers)
    found = frozenset(t for phrase in phrases for t in tokens(phrase) if not any(c.isdigit() for c in t))
    with _VOCAB_LOCK:
        if len(_VOCAB) > 8:
            _VOCAB.clear()
        _VOCAB[id(kb)] = (kb, found)
    return found


def alias_problem(alias: str, kb: KnowledgeBase) -> str | None:
    """Why ``alias`` cannot be a model's alias, or None. An alias whose every word is a common
    English word or a word the knowledge reads in questions would match ordinary questions."""
    toks = tokens(alias)
    if not toks:
        return f"the alias {alias!r} has no letters or digits"
    common, vocab = common_words(), knowledge_words(kb)
    if all(t in common or t in vocab for t in toks):
        which = [t for t in toks if t in vocab and t not in common]
        kind = (
            "a word riderbot reads in questions (" + ", ".join(repr(t) for t in which) + ")"
            if which
            else "a common English word"
        )
        shown = " ".join(toks)
        return (
            f"{shown!r} is {kind}: as an alias it would match ordinary questions. "
            "Give a name people use for this model only, e.g. 'L2-chat' or 'llama2-13b'"
        )
    return None


# -- the eval gate ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A question of the eval a change would break."""

    item: Item
    before: str
    after: str

    def __str__(self) -> str:
        return f'"{self.item.q}" ({self.item.file}): {self.before} before, {self.after} after'


@dataclass(frozen=True)
class Outcome:
    right: bool
    wrong: bool  # a wrong confident answer
    said: str


class EvalGate:
    """The written eval sets of one knowledge folder, ready to compare two matchers on."""

    def __init__(self, eval_dir: Path | None):
        self.eval_dir = eval_dir
        self._items: list[Item] | None = None
        self._lock = threading.Lock()

    def items(self, kb: KnowledgeBase) -> list[Item]:
        """The written sets' questions (read once; an unreadable set is logged and skipped)."""
        with self._lock:
            if self._items is None:
                self._items = _written_items(self.eval_dir, kb)
            return self._items

    def outcomes(
        self, matcher: Matcher, scope: Scope | None = None, items: list[Item] | None = None
    ) -> list[Outcome]:
        items = self.items(matcher.kb) if items is None else items
        return [_outcome(item, answer, matcher.kb) for item, answer in _answers(items, matcher, scope)]

    def check(
        self,
        before: Matcher,
        after: Matcher,
        *,
        scope_before: Scope | None = None,
        scope_after: Scope | None = None,
        near: str | None = None,
        old: list[Outcome] | None = None,
    ) -> list[Broken]:
        """The questions that were right with ``before`` and are not with ``after``, and the new
        wrong confident answers. ``near``: the change only teaches this wording, so only the
        questions (and dialogues) that could match it are asked (see ``could_match``). ``old``:
        ``before``'s outcomes, when the caller has them already (all the items, no ``near``)."""
        items = self.items(before.kb)
        if near is not None:
            items, old = could_match(items, near), None
        if not items:
            return []
        old = old if old is not None else self.outcomes(before, scope_before, items)
        new = self.outcomes(after, scope_after, items)
        return [
            Broken(item, was.said, now.said)
            for item, was, now in zip(items, old, new, strict=True)
            if (was.right and not now.right) or (now.wrong and not was.wrong)
        ]


@lru_cache(maxsize=8)
def gate_for(eval_dir: Path) -> EvalGate:
    """One EvalGate per eval folder (its questions are read once)."""
    return EvalGate(eval_dir)


def refusal(broken: Sequence[Broken], shown: int = SHOWN) -> str:
    """What a moderator is told when the eval refuses a change."""
    lines = [
        f"it would break {len(broken)} question(s) of riderbot's eval that are answered right now "
        "(or answer them wrongly with confidence):"
    ]
    lines += [f"• {b}" for b in broken[:shown]]
    if len(broken) > shown:
        lines.append(f"…and {len(broken) - shown} more (`riderbot eval -v` with the change lists them all)")
    return "\n".join(lines)


def candidate_matcher(
    kb: KnowledgeBase, learned: Iterable[tuple[str, str | None, str | None, str]]
) -> Matcher:
    """A matcher for ``kb`` taught the global phrasings (as Engine.teach does)."""
    matcher = Matcher(kb)
    for question, model, license_id, topic in learned:
        if (
            (model is None or model in kb.models)
            and (license_id is None or license_id in kb.licenses)
            and topic in kb.topics
        ):
            matcher.learn(question, model, license_id, topic)
    return matcher


NEAR = 75.0  # token_set_ratio below which a question cannot reach a taught wording


def could_match(items: list[Item], question: str) -> list[Item]:
    """The items a newly taught ``question`` could change. A taught wording answers a message (or
    one of its parts) whose normalised text has a token_sort_ratio of 90 or more with it
    (bot.matching.learned); such a message has a token_set_ratio of well over NEAR with it, so the
    others are answered exactly as before and need not be asked. Dialogues are kept whole."""
    wanted = normalize(question)
    if not wanted:
        return []
    hit = {
        (i.dialogue if i.dialogue is not None else id(i))
        for i in items
        if fuzz.token_set_ratio(normalize(i.q), wanted) >= NEAR
    }
    return [i for i in items if (i.dialogue if i.dialogue is not None else id(i)) in hit]


def _written_items(eval_dir: Path | None, kb: KnowledgeBase) -> list[Item]:
    if eval_dir is None or not eval_dir.is_dir():
        return []
    items: list[Item] = []
    for path in sorted(eval_dir.glob("*.yaml")):
        try:
            items.extend(i for i in load_items(path, kb) if not i.real)
        except EvalFileError as exc:
            log.warning("the eval gate skips %s: %s", path.name, str(exc).splitlines()[0])
    return items


def _answers(items: list[Item], matcher: Matcher, scope: Scope | None) -> Iterable[tuple[Item, Answer]]:
    context: Context | None = None
    last = None
    for item in items:
        if item.dialogue is None:
            yield item, matcher.match(item.q, None, scope)
            continue
        if item.dialogue != last or item.turn == 0:
            context = None
        answer = matcher.match(item.q, context, scope)
        context = Context.of(answer) or context
        last = item.dialogue
        yield item, answer


def _outcome(item: Item, answer: Answer, kb: KnowledgeBase) -> Outcome:
    report = Report()
    grade(item, answer, report, kb)
    right = bool(report.in_scope_right or report.clarify_right or report.abstained)
    subject = answer.model or answer.license or answer.family or answer.general or "-"
    said = f"{answer.status} {subject}" + (f"/{answer.topic}" if answer.topic else "")
    return Outcome(right, bool(report.wrong_confident), said)
