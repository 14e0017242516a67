"""Where a question is matched: question text in, one Answer out.

Pure: the Matcher is built once from a KnowledgeBase (precomputed indexes) and `match()` does no
I/O. The steps:

1. Normalise the question into tokens (bot.textnorm) and correct typos token by token against the
   vocabulary of aliases and topic phrasings (rapidfuzz Levenshtein, cached).
2. Find mentions of models, derivatives, families and licences: every alias is a key of one
   dict (its token tuple); for each question token we try only the alias lengths that start with
   that word, so it costs a few dict lookups per token however large the knowledge base. Longest,
   most specific mentions win.
3. Find the topic: every phrasing is a bag of stems; a phrasing matches when all its stems are in
   the question. Specific phrasings outweigh generic ones; weak phrasings need a permission word.
4. Decide the outcome: answered (one model or licence, one topic, confident), clarify (the topic
   is clear but the model is a family, several models, or missing) or unanswered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.knowledge import TOPIC_IDS, KnowledgeBase
from bot.matching import vocab
from bot.matching.answer import ANSWERED, CLARIFY, UNANSWERED, Answer, Candidate
from bot.matching.kinds import DERIVATIVE, FAMILY, KIND_RANK, LICENSE, MODEL, NOT_COVERED, SERIES
from bot.matching.resolve import Resolution, resolve
from bot.matching.stem import stem
from bot.textnorm import normalize, tokens

_KIND_RANK = KIND_RANK
_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
_SIZE = re.compile(r"^\d+(?:\.\d+)?[bmk]$|^\d+x$")
_BASED_ON = (
    ("based", "on"),
    ("built", "on"),
    ("derived", "from"),
    ("fine", "tune", "of"),
    ("finetune", "of"),
    ("finetuned", "from"),
    ("fine", "tuned", "from"),
    ("trained", "from"),
    ("on", "top", "of"),
)
_BASED_ON_FIRST = frozenset(p[0] for p in _BASED_ON)
GENERIC_WEIGHT = 0.3
ANSWER_THRESHOLD = 0.5
LEARNED_CUTOFF = 90.0


@dataclass(frozen=True)
class Mention:
    kind: str
    target: str  # model id, licence id or family id
    start: int
    end: int
    label: str | None = None  # derivative name


@dataclass(frozen=True)
class _Phrasing:
    stems: frozenset[str]
    weight: float
    topic: str
    weak: bool
    key: frozenset[str]  # the stems it is indexed by: its content words (all stems if it has none)


class Matcher:
    """Indexes over one KnowledgeBase; `match(question)` answers one question."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        # Every alias as its token tuple -> (kind, target, label); a question is scanned by looking up
        # each of its token spans of an alias length: a few dict lookups per token, whatever the size
        # of the knowledge base.
        self._aliases: dict[tuple[str, ...], tuple[str, str, str | None]] = {}
        self._model_keys: dict[str, str] | None = None
        family_names = {
            f.id: {tokens(a) for a in f.aliases} for f in kb.families.values() if len(f.members) > 1
        }
        for m in kb.models.values():
            # a model whose id is also its family's name ("gemma") is not what the bare name means:
            # the bare name asks which member, like "llama" does
            own_id = () if tokens(m.id) in family_names.get(m.family, set()) else (m.id,)
            for alias in (*own_id, m.name, *m.aliases):
                self._add_alias(alias, MODEL, m.id)
            for d in m.derivatives:
                for alias in (d.name, *d.aliases):
                    self._add_alias(alias, DERIVATIVE, m.id, d.name)
        for lic in kb.licenses.values():
            for alias in (lic.name, *lic.aliases):
                self._add_alias(alias, LICENSE, lic.id)
        for fam in kb.families.values():
            for alias in fam.aliases:
                self._add_alias(alias, FAMILY, fam.id)
            for series in fam.series:
                for alias in series.aliases:
                    self._add_alias(alias, SERIES, fam.id, series.name)
            for nc in fam.not_covered:
                for alias in (nc.name, *nc.aliases):
                    self._add_alias(alias, NOT_COVERED, fam.id, nc.name)
        lengths: dict[str, set[int]] = {}
        for key in self._aliases:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths_by_first = {first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()}

        self._phrasings: list[_Phrasing] = []
        self._by_stem: dict[str, list[int]] = {}
        phrase_words: set[str] = set()
        for topic in kb.topics.values():
            for weak, texts in ((False, topic.phrasings), (True, topic.weak_phrasings)):
                for text in texts:
                    toks = tokens(text)
                    phrase_words.update(toks)
                    self._add_phrasing(toks, topic.id, weak)

        alias_words = {t for key in self._aliases for t in key}
        source_words: set[str] = set()
        for body in kb.sources.values():
            source_words.update(tokens(body))
        self._known = frozenset(
            source_words | phrase_words | vocab.CHAT_WORDS | vocab.STOPWORDS | alias_words
        )
        # Typo targets, bucketed by first letter: a typo rarely changes the first letter, and scoring one
        # bucket instead of the whole vocabulary keeps the cost flat as the knowledge base grows.
        self._correctable: dict[str, list[str]] = {}
        for t in sorted(
            {t for t in alias_words if t.isalpha() and len(t) >= 4}
            | {t for t in phrase_words if t.isalpha() and len(t) >= 5}
        ):
            self._correctable.setdefault(t[0], []).append(t)
        self._correct = lru_cache(maxsize=65536)(self._correct_uncached)
        # For each family, the words that set a member apart once the family name is stripped from its
        # aliases ("deepseek r1" -> "r 1"); numbers alone are not enough ("llama ... 2" stays a family).
        self._family_hints: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for fam in kb.families.values():
            prefixes = [tokens(a) for a in fam.aliases]
            for member in fam.members:
                m = kb.models[member]
                for alias in (m.name, *m.aliases):
                    toks = tokens(alias)
                    for prefix in prefixes:
                        rest = toks[len(prefix) :]
                        if (
                            prefix
                            and toks[: len(prefix)] == prefix
                            and rest
                            and any(c.isalpha() for c in rest[0])
                        ):
                            self._family_hints.setdefault(fam.id, []).append((rest, member))
        self._learned: dict[str, tuple[str | None, str | None, str]] = {}
        for question, model_id, license_id, topic_id in kb.learned:
            self.learn(question, model_id, license_id, topic_id)

    # -- names on their own (bot.matching.resolve) ---------------------------------------------------
    def alias_target(self, toks: tuple[str, ...]) -> tuple[str, str, str | None] | None:
        """(kind, target, label) of the alias spelled exactly by these tokens, or None."""
        return self._aliases.get(toks)

    def correct(self, token: str) -> str:
        """The token with a typo corrected against the known names and phrasings (or unchanged)."""
        return self._correct(token)

    def model_alias_keys(self) -> dict[str, str]:
        """Every model alias, normalised, -> model id (for near-miss lookups of a whole name)."""
        if self._model_keys is None:
            self._model_keys = {
                " ".join(k): target
                for k, (kind, target, _) in self._aliases.items()
                if kind in (MODEL, DERIVATIVE)
            }
        return self._model_keys

    def resolve(self, text: str) -> Resolution:
        """What a name typed on its own means (see bot.matching.resolve)."""
        return resolve(self, text)

    # -- building ----------------------------------------------------------------------------------
    def _add_alias(self, alias: str, kind: str, target: str, label: str | None = None) -> None:
        toks = tokens(alias)
        if not toks:
            return
        current = self._aliases.get(toks)
        if current is None or _KIND_RANK[kind] > _KIND_RANK[current[0]]:
            self._aliases[toks] = (kind, target, label)

    def _add_phrasing(self, toks: tuple[str, ...], topic: str, weak: bool) -> None:
        stems = frozenset(_topic_stem(t) for t in toks)
        if not stems:
            return
        weight = sum(_stem_weight(s) for s in stems)
        # indexed by content words only: "in my app" is found through "app", so the stopwords every
        # question has ("my", "the", "to") do not make every question count hundreds of phrasings
        key = frozenset(s for s in stems if s not in vocab.STOPWORDS) or stems
        index = len(self._phrasings)
        self._phrasings.append(_Phrasing(stems, weight, topic, weak, key))
        for s in key:
            self._by_stem.setdefault(s, []).append(index)

    def learn(self, question: str, model_id: str | None, license_id: str | None, topic: str) -> None:
        """Teach an exact wording (from the review queue): it and close variants answer as given."""
        self._learned[normalize(question)] = (model_id, license_id, topic)

    def _correct_uncached(self, token: str) -> str:
        if len(token) < 4 or not token.isalpha() or token in self._known:
            return token
        hit = process.extractOne(
            token, self._correctable.get(token[0], ()), scorer=Levenshtein.distance, score_cutoff=2
        )
        if hit is None:
            return token
        # two edits only for long words, or when the first two letters agree ("lisence" -> "license",
        # but "morning" is not "merging")
        if hit[1] == 2 and len(token) < 9 and hit[0][:2] != token[:2]:
            return token
        return hit[0] if len(token) >= 7 or hit[1] <= 1 else token

    # -- matching ----------------------------------------------------------------------------------
    def match(self, question: str) -> Answer:
        raw = tokens(question)
        toks = tuple(self._correct(t) for t in raw)
        fuzzy = toks != raw

        learned = self._match_learned(" ".join(toks))
        if learned is not None:
            model_id, license_id, learned_topic = learned
            return self._answer(
                question, model_id, license_id, learned_topic, confidence=0.95, reason="learned"
            )

        mentions = self._find_mentions(toks)
        used: set[int] = set()
        for mention in mentions:
            if mention.kind != LICENSE:  # licence names carry topic words ("acceptable use policy")
                used.update(range(mention.start, mention.end))
        rest = [(i, t) for i, t in enumerate(toks) if i not in used]
        topic, topic_conf, why_not = self._find_topic([t for _, t in rest])

        models = _unique(m.target for m in mentions if m.kind in (MODEL, DERIVATIVE))
        licenses = _unique(m.target for m in mentions if m.kind == LICENSE)
        families = _unique(
            m.target
            for m in mentions
            if m.kind == FAMILY and not any(self.kb.models[x].family == m.target for x in models)
        )
        unknown = self._unknown_name(question, toks, mentions, rest)
        not_covered = next((m.label for m in mentions if m.kind == NOT_COVERED), None)
        if not_covered is not None:  # "sdxl turbo": looks like a model we know, but is not covered
            unknown, models, families, licenses = not_covered, [], [], []
        if (
            unknown is not None
            and models
            and any(m.kind == MODEL and " ".join(toks[m.start : m.end + 1]) == unknown for m in mentions)
        ):
            models, families = [], []
        if not models and len(families) == 1:
            hinted = self._member_hint(families[0], toks)
            if hinted is not None:
                models, families, unknown = [hinted], [], None
        based_on = next((m.label for m in mentions if m.kind == DERIVATIVE), None)

        if len(models) > 1:
            base = self._based_on_target(toks, mentions)
            if base is not None:
                based_on = next(
                    (
                        m.label or self.kb.models[m.target].name
                        for m in mentions
                        if m.kind in (MODEL, DERIVATIVE) and m.target != base
                    ),
                    based_on,
                )
                models = [base]
        elif len(models) == 1 and based_on is None and self._based_on_target(toks, mentions) == models[0]:
            based_on = _subject_before_based_on(question)

        subjects: list[str | None] = [*(models or licenses or families), None]
        guess = "/".join(x for x in (subjects[0], topic) if x) or None
        confidence = topic_conf * (0.9 if fuzzy else 1.0)

        if topic is None and models and licenses and why_not == "no-topic":
            topic, confidence = "open-source-status", 0.7
        if topic is None:
            return Answer(
                UNANSWERED,
                question,
                model=models[0] if len(models) == 1 else None,
                unknown_model=unknown if not models else None,
                confidence=confidence,
                reason=why_not,
                best_guess=guess,
            )
        if confidence < ANSWER_THRESHOLD:
            return Answer(
                UNANSWERED, question, topic=topic, confidence=confidence, reason="unsure", best_guess=guess
            )

        if len(models) == 1:
            return self._answer(question, models[0], None, topic, confidence, based_on=based_on)
        if len(models) > 1:
            return self._clarify(question, models, topic, confidence, "several-models", guess)
        if families and unknown is None:
            family = self.kb.families[families[0]]
            if len(families) == 1 and len(family.members) == 1:
                return self._answer(question, family.members[0], None, topic, confidence * 0.95)
            members = [m for f in families for m in self.kb.families[f].members]
            return self._clarify(question, members, topic, confidence, "family", guess)
        if len(licenses) == 1 and unknown is None:
            return self._answer(question, None, licenses[0], topic, confidence)
        if unknown is not None:
            return Answer(
                UNANSWERED,
                question,
                topic=topic,
                unknown_model=unknown,
                confidence=confidence,
                reason="unknown-model",
                best_guess=guess,
            )
        if licenses:
            return Answer(
                UNANSWERED,
                question,
                topic=topic,
                confidence=confidence,
                reason="several-licenses",
                best_guess=guess,
            )
        return self._clarify(question, [], topic, confidence, "no-model", guess)

    def _match_learned(self, norm: str) -> tuple[str | None, str | None, str] | None:
        if not self._learned:
            return None
        hit = self._learned.get(norm)
        if hit is not None:
            return hit
        best = process.extractOne(
            norm, list(self._learned), scorer=fuzz.token_sort_ratio, score_cutoff=LEARNED_CUTOFF
        )
        return self._learned[best[0]] if best else None

    def _find_mentions(self, toks: tuple[str, ...]) -> list[Mention]:
        found: list[Mention] = []
        n = len(toks)
        for i in range(n):
            for length in self._lengths_by_first.get(toks[i], ()):
                if i + length <= n:
                    hit = self._aliases.get(toks[i : i + length])
                    if hit is not None:
                        found.append(Mention(hit[0], hit[1], i, i + length, hit[2]))
                        break
        found.sort(key=lambda m: (-(m.end - m.start), -_KIND_RANK[m.kind], m.start))
        taken: set[int] = set()
        chosen = []
        for m in found:
            span = range(m.start, m.end)
            if taken.isdisjoint(span):
                chosen.append(m)
                taken.update(span)
        chosen.sort(key=lambda m: m.start)
        return chosen

    def _find_topic(self, rest: list[str]) -> tuple[str | None, float, str]:
        positions: dict[str, list[int]] = {}
        for i, t in enumerate(rest):
            positions.setdefault(_topic_stem(t), []).append(i)
        counts: dict[int, int] = {}
        for s in positions:
            for index in self._by_stem.get(s, ()):
                counts[index] = counts.get(index, 0) + 1
        # A topic's score is the weight of the distinct question words its matched phrasings cover,
        # counting strong phrasings only when there are any: more evidence, higher score.
        strong: dict[str, set[str]] = {}
        weak: dict[str, set[str]] = {}
        for index, count in counts.items():
            p = self._phrasings[index]
            if (
                count == len(p.key)
                and (p.key is p.stems or p.stems <= positions.keys())
                and _close_together(p.stems, positions)
            ):
                (weak if p.weak else strong).setdefault(p.topic, set()).update(p.stems)
        if not strong and not weak:
            return None, 0.0, "no-topic"
        used_stems = {t: strong.get(t, set()) | weak.get(t, set()) for t in {*strong, *weak}}
        weak_only = {t: t not in strong for t in used_stems}
        scores = {t: sum(_stem_weight(s) for s in (strong.get(t) or weak[t])) for t in used_stems}
        words = set(rest)
        intent = bool(words & vocab.INTENT) or "?" in "".join(rest)
        licence_words = bool(words & vocab.LICENSE_WORDS)
        candidates = [t for t in scores if not weak_only[t] or intent]
        if not candidates:
            return None, 0.0, "not-a-licence-question"
        order = {t: i for i, t in enumerate(TOPIC_IDS)}
        candidates.sort(key=lambda t: (weak_only[t], -scores[t], order[t]))
        topic = candidates[0]
        # "how do I fine-tune llama 3 with LoRA" is a how-to question, not a licence question: a weak topic
        # next to technical words, or any topic inside a how-to phrase, needs an explicit licence word.
        tech = {t for t in words if t in vocab.TECH_CUES and stem(t) not in used_stems[topic]}
        how_to = _has_phrase(rest, vocab.TECH_PHRASES)
        if not licence_words and (how_to or (tech and weak_only[topic])):
            return None, 0.0, "not-a-licence-question"
        score = scores[topic]
        confidence = min(1.0, 0.45 + 0.35 * score)
        if weak_only[topic]:
            confidence = min(confidence, 0.6)
        if (
            len(candidates) > 1
            and scores[candidates[1]] >= score
            and weak_only[candidates[1]] == weak_only[topic]
        ):
            confidence *= 0.85
        return topic, confidence, ""

    def _unknown_name(
        self, question: str, toks: tuple[str, ...], mentions: list[Mention], rest: list[tuple[int, str]]
    ) -> str | None:
        for mention in mentions:
            # "llama 5", "phi-3": a known name followed by a version number that no alias has is a
            # different model, never a typo for the one we know
            if mention.kind in (FAMILY, MODEL) and mention.end < len(toks) and _is_version(toks, mention.end):
                return " ".join(toks[mention.start : mention.end + 1])
        if mentions:  # a known model, family or licence was named: other odd words are not model names
            return None
        for _, tok in rest:
            if tok in self._known or _NUMBER.match(tok) or _SIZE.match(tok) or len(tok) < 2:
                continue
            if not any(c.isalpha() for c in tok):
                continue
            return _original_word(question, tok)
        return None

    def _member_hint(self, family_id: str, toks: tuple[str, ...]) -> str | None:
        """ "deepseek ... r1": a family name plus a member's distinguishing words picks that member."""
        hits = {m for hint, m in self._family_hints.get(family_id, ()) if _contains(toks, hint)}
        return hits.pop() if len(hits) == 1 else None

    def _based_on_target(self, toks: tuple[str, ...], mentions: list[Mention]) -> str | None:
        if not _BASED_ON_FIRST.intersection(toks):
            return None
        for phrase in _BASED_ON:
            for i in range(len(toks) - len(phrase) + 1):
                if toks[i : i + len(phrase)] == phrase:
                    after = [
                        m for m in mentions if m.start >= i + len(phrase) and m.kind in (MODEL, DERIVATIVE)
                    ]
                    if after:
                        return after[0].target
        return None

    # -- building answers ----------------------------------------------------------------------------
    def answer_for(
        self, question: str, model_id: str | None, license_id: str | None, topic: str, reason: str = "picked"
    ) -> Answer:
        """The answer for a model (or licence) and topic already chosen, e.g. by a clarify button."""
        return self._answer(question, model_id, license_id, topic, confidence=1.0, reason=reason)

    def _answer(
        self,
        question: str,
        model_id: str | None,
        license_id: str | None,
        topic: str,
        confidence: float,
        based_on: str | None = None,
        reason: str | None = None,
    ) -> Answer:
        lic = self.kb.licenses[license_id] if license_id else self.kb.license_of(model_id or "")
        rider = self.kb.rider(model_id, lic.id if model_id is None else None, topic)
        if rider is None:
            return Answer(
                UNANSWERED,
                question,
                model=model_id,
                license=lic.id,
                topic=topic,
                url=lic.url,
                confidence=confidence,
                reason="no-rider",
                best_guess=f"{model_id or lic.id}/{topic}",
            )
        status = UNANSWERED if rider.verdict == "not-verified" else ANSWERED
        return Answer(
            status,
            question,
            model=model_id,
            license=lic.id,
            topic=topic,
            verdict=rider.verdict,
            answer=rider.answer,
            details=rider.details,
            note=rider.note,
            quotes=rider.quotes,
            url=lic.url,
            confidence=confidence,
            based_on=based_on,
            reason="not-verified" if status == UNANSWERED else reason,
            best_guess=f"{model_id or lic.id}/{topic}",
        )

    def _clarify(
        self, question: str, models: list[str], topic: str, confidence: float, reason: str, guess: str | None
    ) -> Answer:
        candidates = tuple(
            Candidate(
                m,
                topic,
                self.kb.models[m].riders[topic].verdict if topic in self.kb.models[m].riders else None,
            )
            for m in models
        )
        return Answer(
            CLARIFY,
            question,
            topic=topic,
            candidates=candidates,
            confidence=confidence,
            reason=reason,
            best_guess=guess,
        )


_QUANTITY_TOKEN = re.compile(r"^\d+(?:\.\d+)?[mk]$")


def _topic_stem(token: str) -> str:
    """Stems for topic matching; any "200m"/"10k" is the same quantity word, so "200m users" and
    "700m users" are one phrasing."""
    return "<qty>" if _QUANTITY_TOKEN.match(token) else stem(token)


_GENERIC_STEMS = frozenset(stem(t) for t in ("license", "model", "use", "it", "its"))


def _stem_weight(s: str) -> float:
    if s in vocab.STOPWORDS:
        return 0.1
    return GENERIC_WEIGHT if s in _GENERIC_STEMS else 1.0


_QUANTITY = frozenset(
    "k m million millions billion thousand hundred users user mau maus dollars usd eur gb mb tokens percent".split()
)


def _is_version(toks: tuple[str, ...], i: int) -> bool:
    """Is toks[i] a version number ("3", "3.5", "2407") rather than a quantity ("700 million")?"""
    tok = toks[i]
    if not _NUMBER.match(tok) or (i + 1 < len(toks) and toks[i + 1] in _QUANTITY):
        return False
    return "." in tok or tok.startswith("0") or len(tok) <= 2 or len(tok) == 4


def _close_together(stems: frozenset[str], positions: dict[str, list[int]]) -> bool:
    """The words of a phrasing must be near each other (any order): "outputs to train" matches
    "train on its outputs" but not a question that says "output" at one end and "train" at the other."""
    if len(stems) == 1:
        return True
    limit = 2 * len(stems) + 2
    first, *others = stems
    for start in positions[first]:
        if all(any(abs(p - start) <= limit for p in positions[s]) for s in others):
            return True
    return False


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def _has_phrase(words: list[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == phrase:
                return True
    return False


_BASED_ON_RE = re.compile(
    r"([\w.\-/]+(?:\s+[\w.\-/]+)?)\s+(?:is\s+|which\s+is\s+|that\s+is\s+)?"
    r"(?:based\s+on|built\s+on|derived\s+from|fine-?tuned\s+from|a\s+fine-?tune\s+of|trained\s+from)\b",
    re.IGNORECASE,
)


def _subject_before_based_on(question: str) -> str | None:
    """The name in "LLaVA based on Llama 2": the one or two words before "based on"."""
    m = _BASED_ON_RE.search(question)
    if not m:
        return None
    words = [w for w in m.group(1).split() if normalize(w) not in vocab.STOPWORDS | vocab.CHAT_WORDS]
    return " ".join(words) or None


def _original_word(question: str, token: str) -> str:
    for word in question.split():
        if token in normalize(word).split():
            return word.strip(".,;:!?()[]{}\"'`*")
    return token
