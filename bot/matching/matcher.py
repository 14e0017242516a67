"""Where a question is matched: a message in, one Answer out (with one part per question it holds).

Pure: the Matcher is built once from a KnowledgeBase (precomputed indexes) and `match()` does no I/O.
The steps for each question in a message:

1. Tokenise (bot.textnorm.Tokenizer: accents folded, CJK split by the knowledge's own phrases) and
   correct typos token by token against the names and phrasings riderbot knows (rapidfuzz Levenshtein;
   numbers are never "corrected", and a word followed by a version or size gets one edit at most, so
   "ministral 8b" is not "mistral 8b").
2. Find mentions of models, families, series, licences and not-covered names through one dict of every
   alias keyed by its tokens. A family word inside another hyphenated name ("Linq-Embed-Mistral",
   "GPT-NeoX") is not that family: the whole name is an unknown model.
3. Find the topic (phrasings as bags of stems, bot.matching.phrases), the question's form (permission,
   restriction, open: knowledge/languages/), the facts it states (numbers, places, uses:
   bot.matching.facts), a licence it asserts ("X is MIT, right?") and whether it leans on the code's
   licence instead of the weights'.
4. Decide: an answer with its direct reply (bot.matching.reply), a licence card (a model and no topic),
   one answer for a whole family when every member agrees, a comparison (several models), a clarify
   question, a general entry, or unanswered. A question with no model or no topic takes what is missing
   from the conversation it belongs to (`Context`), and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.knowledge import TOPIC_IDS, KnowledgeBase
from bot.matching import vocab
from bot.matching.answer import ANSWERED, CLARIFY, LEADS, NO, UNANSWERED, YES, Answer, Candidate
from bot.matching.facts import FactFinder, Facts
from bot.matching.kinds import DERIVATIVE, FAMILY, KIND_RANK, LICENSE, MODEL, NOT_COVERED, SERIES
from bot.matching.language import LanguageTables
from bot.matching.learned import LearnedIndex, Taught
from bot.matching.phrases import PhraseIndex, topic_stem
from bot.matching.reply import Outcome, Replier, strip_yes_no
from bot.matching.resolve import Resolution, resolve
from bot.matching.spans import PhraseSet
from bot.matching.stem import stem
from bot.textnorm import CJK, Tokenizer, is_cjk, tokens

_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
_SIZE = re.compile(r"^\d+(?:\.\d+)?[bmkt]$|^\d+x\d*[bmk]?$|^\d+(?:\.\d+)?(?:bit|gb|mb|k)$")
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
    ("fine", "tuned", "on"),
    ("finetuned", "on"),
    ("distilled", "from"),
    ("merge", "of"),
)
_BASED_ON_FIRST = frozenset(p[0] for p in _BASED_ON)
_QUOTE_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_LONG_QUOTE = re.compile(r"[\"“][^\"”]{40,}[\"”]")
_CAMEL = re.compile(r"[a-z][A-Z]")
_VERSIONISH = re.compile(r"^v\d+(?:\.\d+)*$|^r\d+$")
_JOINED = re.compile(r"[A-Za-z0-9][-_/.][A-Za-z0-9]")
_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_STRIP = ".,;:!?()[]{}\"'`*<>|"
ANSWER_THRESHOLD = 0.5
_TECH_PHRASES = PhraseSet(vocab.TECH_PHRASES)
SHORT_FOLLOW_UP = 6  # tokens: "and llama 3.1?" takes the earlier topic, a longer question needs its own
LONG_STATEMENT = 12  # tokens: a longer remark with no question mark and no question form is not a question


@dataclass(frozen=True)
class Mention:
    kind: str
    target: str  # model id, licence id or family id
    start: int
    end: int
    label: str | None = None  # derivative, series or not-covered name


@dataclass(frozen=True)
class Context:
    """What a follow-up can take from the conversation it belongs to: the subject and the topic of the
    question before it (a model, a licence or a family), with a display name for the "assumed" line."""

    model: str | None = None
    license: str | None = None
    family: str | None = None
    members: tuple[str, ...] = ()
    topic: str | None = None
    form: str | None = None
    """How the question was put (permission, restriction...): "1.5B MAU, can we use llama 3.1?" then
    "and qwen3?" asks the same thing, so it gets the same kind of reply."""
    facts: Facts = field(default_factory=Facts)
    """What the question said about the asker (a number, a place, a use), for a follow-up that says none."""

    @classmethod
    def of(cls, answer: Answer) -> Context | None:
        """The context an answer leaves behind (None when it named nothing to follow up on)."""
        first = answer.parts[-1] if answer.parts else answer
        asked = first.asked() if callable(first.asked) else first.asked
        form, facts = asked if asked is not None else (None, Facts())
        if first.model or first.license or first.family or first.candidates:
            members = tuple(c.model for c in first.candidates) if first.candidates else ()
            return cls(
                first.model,
                first.license if not first.model else None,
                first.family,
                members,
                first.topic,
                form,
                facts,
            )
        if first.topic:
            return cls(topic=first.topic, form=form, facts=facts)
        return None

    @property
    def has_subject(self) -> bool:
        return bool(self.model or self.license or self.family or self.members)


@dataclass
class Scope:
    """A server's own additions, taught by its moderators: aliases and wordings that apply there only."""

    aliases: dict[tuple[str, ...], str] = field(default_factory=dict)  # tokens -> model id
    learned: LearnedIndex = field(default_factory=LearnedIndex)

    def add_alias(self, alias: str, model_id: str) -> None:
        toks = tokens(alias)
        if toks:
            self.aliases[toks] = model_id

    def learn(self, question: str, model_id: str | None, license_id: str | None, topic: str) -> None:
        self.learned.add(question, Taught(model_id, license_id, topic))


@dataclass
class _Parsed:
    text: str
    toks: tuple[str, ...]
    words: list[str]
    word_of: list[int]
    mentions: list[Mention]
    fuzzy: bool
    language: str = "en"


class Matcher:
    """Indexes over one KnowledgeBase; `match(question)` answers one message."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.lang = LanguageTables(kb)
        cjk = set(self.lang.cjk_words)
        for topic in kb.topics.values():
            cjk.update(t for p in (*topic.phrasings, *topic.weak_phrasings) for t in tokens(p) if is_cjk(t))
        for words in kb.quantities.metrics.values():
            cjk.update(t for w in words for t in tokens(w) if is_cjk(t))
        cjk.update(m for m in kb.quantities.multipliers if is_cjk(m))
        cjk.update(
            t
            for syms, _ in kb.quantities.currencies.values()
            for sym in syms
            for t in tokens(sym)
            if is_cjk(t)
        )
        cjk.update(
            t
            for c in kb.places.countries.values()
            for w in (*c.words, *c.cities, *c.adjectives)
            for t in tokens(w)
            if is_cjk(t)
        )
        cjk.update(t for r in kb.places.regions.values() for w in r.words for t in tokens(w) if is_cjk(t))
        cjk.update(t for w in kb.places.who_words for t in tokens(w) if is_cjk(t))  # 公司 in 我们公司在北京
        cjk.update(t for g in kb.general.values() for ph in g.phrasings for t in tokens(ph) if is_cjk(t))
        cjk.update(t for u in kb.uses.values() for w in u.question for t in tokens(w) if is_cjk(t))
        cjk.update(t for m in kb.models.values() for a in m.aliases for t in tokens(a) if is_cjk(t))
        cjk.update(t for f in kb.families.values() for a in f.aliases for t in tokens(a) if is_cjk(t))
        self.tokenizer = Tokenizer(cjk)
        self.finder = FactFinder(kb)
        self.replier = Replier(kb, self.finder)

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
        self._lengths_by_first = _lengths(self._aliases)
        self._family_alias_tokens = PhraseSet(
            t for f in kb.families.values() for t in (tokens(a) for a in (f.id, *f.aliases)) if t
        )

        self.topics = PhraseIndex()
        for topic in kb.topics.values():
            for text in topic.phrasings:
                self.topics.add(self.tokenizer.tokens(text), topic.id)
            for text in topic.weak_phrasings:
                self.topics.add(self.tokenizer.tokens(text), topic.id, weak=True)
        weak_keys = {
            (topic.id, frozenset(map(topic_stem, self.tokenizer.tokens(t))))
            for topic in kb.topics.values()
            for t in topic.weak_phrasings
        }
        for lang in kb.languages.values():
            # an opposite phrasing ("non-commercial", "非商用") asks about its topic too
            for tid, phrasings in (*lang.topics.items(), *lang.opposite.items()):
                for text in phrasings:
                    toks = self.tokenizer.tokens(text)
                    # "fine tune" in another language's list is still the weak English phrasing
                    self.topics.add(toks, tid, weak=(tid, frozenset(map(topic_stem, toks))) in weak_keys)
        self.cards = PhraseIndex()
        for text in (*kb.card_phrasings, *(p for lang in kb.languages.values() for p in lang.card)):
            self.cards.add(self.tokenizer.tokens(text), "card")
        self.general = PhraseIndex()
        for entry in kb.general.values():
            for text in entry.phrasings:
                self.general.add(self.tokenizer.tokens(text), entry.id)

        alias_words = {t for key in self._aliases for t in key}
        source_words: set[str] = set()
        for body in kb.sources.values():
            source_words.update(tokens(body))
        place_words = {
            t
            for c in kb.places.countries.values()
            for w in (*c.words, *c.cities, *c.adjectives)
            for t in tokens(w)
        }
        self._known = frozenset(
            source_words
            | self.topics.words
            | self.cards.words
            | self.general.words
            | vocab.CHAT_WORDS
            | vocab.STOPWORDS
            | vocab.TECH_CUES
            | alias_words
            | place_words
            | self.lang.name_suffixes
            | self.lang.not_models
            | self.lang.licence_words
            # the words that say what a number counts ("earning 200k per month", "500k users")
            | {
                t
                for w in (*kb.quantities.earning, *(x for ws in kb.quantities.metrics.values() for x in ws))
                for t in tokens(w)
            }
        )
        # Typo targets, bucketed by first letter: a typo rarely changes the first letter, and scoring one
        # bucket instead of the whole vocabulary keeps the cost flat as the knowledge base grows.
        self._correctable: dict[str, list[str]] = {}
        phrase_words = self.topics.words | self.cards.words | self.general.words
        for t in sorted(
            {t for t in alias_words if t.isascii() and t.isalpha() and len(t) >= 4}
            | {t for t in phrase_words if t.isascii() and t.isalpha() and len(t) >= 5}
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
        self._learned = LearnedIndex()
        for question, model_id, license_id, topic_id in kb.learned:
            self.learn(question, model_id, license_id, topic_id)

    # -- names on their own (bot.matching.resolve) ---------------------------------------------------
    def alias_target(self, toks: tuple[str, ...]) -> tuple[str, str, str | None] | None:
        """(kind, target, label) of the alias spelled exactly by these tokens, or None."""
        return self._aliases.get(toks)

    def correct(self, token: str) -> str:
        """The token with a typo corrected against the known names and phrasings (or unchanged)."""
        return self._correct(token, False)

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
        if current is None or KIND_RANK[kind] > KIND_RANK[current[0]]:
            self._aliases[toks] = (kind, target, label)

    def learn(self, question: str, model_id: str | None, license_id: str | None, topic: str) -> None:
        """Teach an exact wording (from the review queue): it and close variants answer as given."""
        self._learned.add(question, Taught(model_id, license_id, topic))

    def _correct_uncached(self, token: str, strict: bool) -> str:
        if len(token) < 4 or not token.isascii() or not token.isalpha() or token in self._known:
            return token
        limit = 1 if strict else 2  # before a version or size, a different name is likelier than a typo
        hit = process.extractOne(
            token, self._correctable.get(token[0], ()), scorer=Levenshtein.distance, score_cutoff=limit
        )
        if hit is None:
            return token
        # two edits only for long words, or when the first two letters agree ("lisence" -> "license",
        # but "morning" is not "merging")
        if hit[1] == 2 and len(token) < 9 and hit[0][:2] != token[:2]:
            return token
        return hit[0] if len(token) >= 7 or hit[1] <= 1 else token

    # -- matching ----------------------------------------------------------------------------------
    def match(self, question: str, context: Context | None = None, scope: Scope | None = None) -> Answer:
        """The answer to one message. A message with several questions gets one part per question
        (`Answer.parts`, the top-level answer being the first); each part may take what it lacks from
        the one before it, and the first from ``context``."""
        text = _unquoted(question)
        if self.lang.unreadable(text):
            return Answer(UNANSWERED, question, reason="language", language="other")
        pieces = self.lang.split(text) or [text]
        if len(pieces) > 1:
            pieces = self._attach_statements(text, pieces, scope)
        whole = self._parse(text, scope) if len(pieces) > 1 else None
        if (
            whole is not None
            and any(m.kind in (MODEL, DERIVATIVE) for m in whole.mentions)
            and self._premise(whole.toks, whole.mentions, whole)[1] is not None
        ):
            pieces = [text]  # "is the code MIT? does that cover the weights of X": one question about X
        if len(pieces) > 1:
            parts: list[Answer] = []
            ctx = context
            for piece in pieces:
                answer = self._match_one(piece, ctx, scope, question)
                parts.append(answer)
                ctx = Context.of(answer) or ctx
            # a part that only sets the scene ("we are based on llama 3.1 now, but ...") is not a question
            meaningful = [
                p
                for p in parts
                if p.topic or p.general or p.candidates or p.unknown_model or (p.card and p.reply is not None)
            ]
            distinct = {(p.model, p.license, p.family, p.topic, p.card) for p in meaningful}
            if len(meaningful) > 1 and len(distinct) > 1:
                merged = tuple(replace(p, question=question) for p in meaningful)
                return replace(merged[0], parts=merged)
            if meaningful:  # one question, with scene-setting around it: answer the question itself
                return replace(meaningful[0], question=question)
        return self._match_one(text, context, scope, question)

    def _attach_statements(self, text: str, pieces: list[str], scope: Scope | None) -> list[str]:
        """A piece that only states a fact and names nothing ("is sd 3.5 ok for commercial use? we have
        500k MAU") belongs to the question before it, not a question of its own."""
        out = [pieces[0]]
        at = text.find(pieces[0]) + len(pieces[0])
        for piece in pieces[1:]:
            start = text.find(piece, at)
            end = start + len(piece) if start >= 0 else at
            asked = text[end : end + 2].lstrip()[:1] in ("?", "？")
            at = max(at, end)
            p = self._parse(piece, scope)
            statement = (
                not asked
                and not p.mentions
                and self.lang.form(p.toks, piece, p.language) is None
                and not self.lang.is_question(p.toks, piece, None)
                and not self.lang.follow_up_prefix(p.toks)
            )
            if statement:
                out[-1] = f"{out[-1]}, {piece}"
            else:
                out.append(piece)
        return out

    def _parse(self, text: str, scope: Scope | None) -> _Parsed:
        words: list[str] = []
        word_of: list[int] = []
        raw: list[str] = []
        for chunk in _words(text):
            toks = self.tokenizer.tokens(chunk)
            if not toks:
                continue
            words.append(chunk.strip(_STRIP))
            raw.extend(toks)
            word_of.extend([len(words) - 1] * len(toks))
        language = self.lang.language_of(tuple(raw), text)
        if language != "en":  # "wann" is German, not a typo of "Wan"
            corrected = tuple(raw)
        else:
            corrected = tuple(
                self._correct(t, i + 1 < len(raw) and _is_number_or_size(raw[i + 1]))
                for i, t in enumerate(raw)
            )
        # a word written with accents is not a model's name: Vietnamese "phí" (a fee) is not Phi
        accented = {i for i, w in enumerate(word_of) if _ACCENTED.search(words[w])}
        mentions = [
            m for m in self._find_mentions(corrected, scope) if accented.isdisjoint(range(m.start, m.end))
        ]
        return _Parsed(text, corrected, words, word_of, mentions, corrected != tuple(raw), language)

    def _match_one(self, text: str, context: Context | None, scope: Scope | None, original: str) -> Answer:
        p = self._parse(text, scope)
        toks = p.toks
        # typo correction (English only) may have changed the words the language was read from
        language = self.lang.language_of(toks, text) if p.fuzzy else p.language
        note = self.kb.languages[language].answer_note if language in self.kb.languages else None
        answer = self._decide(p, context, scope, original)
        if answer.reply in (YES, NO) and self._asks_the_opposite(toks, answer.topic):
            # "is Command R non-commercial?" asks the opposite of "can it be used commercially?"
            flipped = NO if answer.reply == YES else YES
            answer = replace(answer, reply=flipped, lead=LEADS[flipped])
        if answer.asked is None:  # computed only if a follow-up needs it (Context.of)
            # set in place on the answer just built (dataclasses.replace would copy all 30 fields)
            object.__setattr__(answer, "asked", lambda: self._asked(p, context))
        if language != "en":
            answer = replace(answer, language=language, language_note=note)
        return answer

    def _asked(self, p: _Parsed, context: Context | None) -> tuple[str | None, Facts]:
        """The form and the facts of a question, for the follow-ups after it (a follow-up that states
        none keeps the ones it followed)."""
        covered = {i for m in p.mentions for i in range(m.start, m.end)}
        form = self.lang.form(p.toks[self.lang.follow_up_prefix(p.toks) :], p.text, p.language)
        facts = self.finder.find(p.text, p.toks, covered, p.language)
        if context is not None:
            if self._find_topic(list(p.toks))[0] is None:
                form = form or context.form
            if not (facts.quantities or facts.places or facts.uses):
                facts = context.facts
        return form, facts

    def _asks_the_opposite(self, toks: tuple[str, ...], topic: str | None) -> bool:
        """The question asks its topic the other way round ("is it non-commercial?", "is it
        research only?"), and does not also ask it the usual way ("can I use it commercially, or is it
        non-commercial only?" is still a commercial-use question)."""
        spans = [(i, len(phrase)) for i, phrase, tid in self.lang.opposite.matches(toks) if tid == topic]
        if not spans:
            return False
        inside = {i + k for i, n in spans for k in range(n)}
        hit = self.topics.match([t for i, t in enumerate(toks) if i not in inside]).get(topic or "")
        return hit is None or hit.weak_only

    def _decide(self, p: _Parsed, context: Context | None, scope: Scope | None, question: str) -> Answer:
        kb = self.kb
        toks = p.toks
        taught = self._lookup_learned(" ".join(toks), scope)
        if taught is not None:
            if taught.model is not None and taught.model in kb.models or taught.license in kb.licenses:
                return self._answer(
                    question,
                    taught.model,
                    taught.license,
                    taught.topic,
                    None,
                    Facts(),
                    0.95,
                    reason="learned",
                )

        mentions, compound = self._drop_compounds(p)
        covered_tokens = {i for m in mentions if m.kind != LICENSE for i in range(m.start, m.end)}
        rest = [t for i, t in enumerate(toks) if i not in covered_tokens]
        licence_tokens = {i for m in mentions if m.kind == LICENSE for i in range(m.start, m.end)}
        # a licence's own name ("FLUX.1 [dev] Non-Commercial License") is not the topic, unless nothing else is
        # ("the llama 3.2 acceptable use policy?")
        # a short question's "?" says it asks something (tokens drop it); a long remark ending in "?"
        # ("would you want to ... for our startup?") does not make a weak word its topic
        asked = ("?" in p.text or "\uff1f" in p.text) and _length(toks) <= SHORT_QUESTION
        topic, topic_conf, why_not = self._find_topic(
            [t for i, t in enumerate(toks) if i not in covered_tokens and i not in licence_tokens], asked
        )
        if topic is None and licence_tokens:
            topic, topic_conf, why_not = self._find_topic(rest, asked)
        topic_from_context = False
        cue = self.lang.follow_up_prefix(toks)
        form = self.lang.form(
            toks[cue:], p.text, p.language
        )  # "what about redistribution?" is not an open question
        # numbers inside names are no quantities: "llama 2", and "llama 2 license", "Apache 2.0"
        facts = self.finder.find(p.text, toks, covered_tokens | licence_tokens, p.language)
        if context is not None and (cue or len(toks) <= SHORT_FOLLOW_UP):
            # "and qwen3?" after "1.5B MAU, can we use llama 3.1?": the same question, for qwen3 (a
            # follow-up with a topic of its own, "does it have a user cap?", is put its own way)
            if topic is None:
                form = form or context.form
            if not (facts.quantities or facts.places or facts.uses):
                facts = context.facts
        card_cue = bool(self.cards.match(rest))
        general_hits = self.general.match(list(toks))
        general_id = (
            max(general_hits.values(), key=lambda h: (h.score, h.label)).label if general_hits else None
        )

        models = _unique(m.target for m in mentions if m.kind in (MODEL, DERIVATIVE))
        licenses = _unique(m.target for m in mentions if m.kind == LICENSE)
        groups = self._groups(mentions, models)
        not_covered = next((m for m in mentions if m.kind == NOT_COVERED), None)
        named = {
            i for m in mentions for i in range(m.start, m.end)
        }  # licences too: "chatglm3-6b license" is known
        unknown = compound or (
            None if not_covered else self._unknown_name(p, named, strict=bool(models or groups))
        )
        if unknown is not None and not compound and (models or groups) and _BASED_ON_FIRST.intersection(toks):
            unknown = None  # "LLaVA based on Llama 2": the base's terms, said to be for the derivative
        version_unknown = self._unknown_version(toks, mentions)
        if version_unknown is not None:
            unknown, models, groups = version_unknown, [], []

        if (
            not models
            and len(groups) == 1
            and groups[0][0] is not None
            and not_covered is None
            and unknown is None
        ):
            hinted = self._member_hint(groups[0][0], toks)
            if hinted is not None:
                models, groups = [hinted], []
        based_on = next((m.label for m in mentions if m.kind == DERIVATIVE), None)
        models, based_on = self._based_on(p, mentions, models, based_on)

        asserted, code_licence = self._premise(toks, mentions, p)
        licence_words = any(t in vocab.LICENSE_WORDS or t in self.lang.licence_words for t in toks)
        stems = [stem(t) for t in toks]
        if (
            (self.lang.not_licence.found_in(stems) and not (licence_words and form is not None))
            or (self.lang.requests.intersection(toks) and form is None)
            or (_length(toks) > LONG_STATEMENT and not self.lang.is_question(toks, p.text, form))
        ):
            # "does it support whisper large-v3?", "please make SVD open source", a long remark without a
            # question: not something riderbot was asked
            return Answer(
                UNANSWERED,
                question,
                reason="off-topic" if not models else "not-a-licence-question",
                best_guess=None,
            )
        confidence = topic_conf * (0.9 if p.fuzzy else 1.0)
        guess = (
            "/".join(
                x for x in ((models or licenses or [g[0] for g in groups if g[0]] or [""])[0], topic) if x
            )
            or None
        )

        # -- names riderbot knows but has not verified, and names it does not know ----------------------
        if not_covered is not None and (not models or not based_on):
            fam = kb.families[not_covered.target]
            entry = next(n for n in fam.not_covered if n.name == not_covered.label)
            return Answer(
                UNANSWERED,
                question,
                topic=topic,
                unknown_model=entry.name,
                reason="not-covered",
                not_covered_url=entry.url,
                url=entry.url,
                confidence=confidence,
                best_guess=guess,
                facts=_facts_json(facts),
                note=entry.license_name,
            )
        if unknown is not None:
            notes: list[str] = []
            if asserted is not None or code_licence is not None:
                lic = kb.licenses[asserted or code_licence or ""]
                if topic is not None and topic in lic.riders and lic.riders[topic].verdict != "not-verified":
                    rider = lic.riders[topic]
                    notes.append(
                        f"If {unknown}'s own model card really puts its weights under the {lic.name}: "
                        f"{strip_yes_no(rider.answer)}"
                    )
            general = (
                "code-vs-weights" if code_licence is not None or general_id == "code-vs-weights" else None
            )
            return Answer(
                UNANSWERED,
                question,
                topic=topic,
                unknown_model=unknown,
                reason="unknown-model",
                confidence=confidence,
                best_guess=guess,
                notes=tuple(notes),
                general=general,
                premise=kb.licenses[asserted].name if asserted else None,
                facts=_facts_json(facts),
            )

        # -- "the code is MIT, does that cover the weights?": the general answer, never the code's licence --
        if (
            not models
            and not groups
            and (code_licence is not None or (general_id == "code-vs-weights" and not licenses))
        ):
            return self._general(question, "code-vs-weights", form)
        # -- "is it Apache 2?", "are the weights MIT?": a licence named for a model the question does not name --
        weights = any(t in self.lang.weight_words for t in toks)
        code = self.lang.code_words.found_in(toks)
        generic = [
            m for m in mentions if m.kind == LICENSE and not self._names_a_family(toks[m.start : m.end])
        ]
        if (
            not models
            and not groups
            and generic
            and unknown is None
            and (
                weights
                or self.lang.deictic.found_in(toks)
                or any(_SIZE.match(t) for t in toks)
                or self._licence_asserted(toks, mentions)
            )
        ):
            if weights and (code or general_id == "code-vs-weights"):
                return self._general(question, "code-vs-weights", form)
            return Answer(
                CLARIFY,
                question,
                topic=topic,
                confidence=confidence,
                reason="no-model",
                best_guess=guess,
                premise=kb.licenses[licenses[0]].name,
            )
        # -- nothing named: the conversation, a general entry, or nothing ----------------------------------
        if not models and not groups and not licenses:
            bare = self._bare_version_in_context(toks, context)
            if bare is not None:  # "and 3.1?": another member of the conversation's family
                models = [bare]
                if topic is None and context is not None and context.topic:
                    topic, confidence = context.topic, 0.8
                    topic_from_context = True
        if not models and not groups and not licenses:
            if (
                context is not None
                and context.has_subject
                and (topic is not None or self._is_follow_up(toks))
            ):
                if topic is None and context.topic is not None and self._is_follow_up(toks):
                    topic, confidence = context.topic, 0.8
                if topic is not None:
                    return self._from_context(question, context, topic, form, facts, confidence)
            if general_id is not None:
                return self._general(question, general_id, form)
            if self.lang.is_chatter(toks, p.text):
                return Answer(UNANSWERED, question, reason="chatter")
            bare = self._bare_version_in_context(toks, context)
            if bare is not None:
                models = [bare]
                if topic is None and context is not None and context.topic:
                    topic, confidence = context.topic, 0.8
            elif topic is None and not (facts.places and form is not None and why_not == "no-topic"):
                reason = why_not if why_not != "no-topic" else "off-topic"
                return Answer(UNANSWERED, question, reason=reason, confidence=confidence, best_guess=guess)
            else:
                if topic is None:  # "any limitation for china?": a place and a question, no model named
                    topic, confidence = "geographic-restriction", 0.7
                if confidence < ANSWER_THRESHOLD:
                    return Answer(
                        UNANSWERED,
                        question,
                        topic=topic,
                        confidence=confidence,
                        reason="unsure",
                        best_guess=guess,
                    )
                return Answer(
                    CLARIFY,
                    question,
                    topic=topic,
                    confidence=confidence,
                    reason="no-model",
                    best_guess=guess,
                    facts=_facts_json(facts),
                )

        assumed = "topic" if topic_from_context else None
        # -- a subject and no topic: a card, the conversation's topic, or a how-to question -------------------
        if topic is None:
            if why_not == "not-a-licence-question":
                return Answer(
                    UNANSWERED,
                    question,
                    model=models[0] if len(models) == 1 else None,
                    reason=why_not,
                    best_guess=guess,
                )
            if context is not None and context.topic and self._is_follow_up(toks) and not card_cue:
                topic, confidence = context.topic, 0.8
                assumed = "topic"
            elif facts.uses:
                topic, confidence = "acceptable-use", 0.7
            elif facts.quantities:
                topic, confidence = "user-threshold", 0.7
            elif facts.places:
                topic, confidence = "geographic-restriction", 0.7
            elif general_id is not None and not models:
                return self._general(question, general_id, form)
            elif models and (asserted is not None or code_licence is not None):
                return self._card(question, models[0], None, asserted, code_licence)
            elif (
                not self._bare(rest)
                and not (card_cue and self._bare(rest, allow=2))
                # "I just want to ask about the license from meta to use the LLaMa 4": about its licence
                and not (
                    licence_words and self.lang.is_question(toks, p.text, form) and self._bare(rest, allow=5)
                )
            ):
                # "how much VRAM for llama 2 70b": a model in a question that is not about its licence
                return Answer(
                    UNANSWERED,
                    question,
                    model=models[0] if len(models) == 1 else None,
                    reason="not-a-licence-question",
                    best_guess=guess,
                )
            else:
                if len(models) == 1:
                    return self._card(question, models[0], None, asserted, code_licence)
                if not models and licenses and not groups:
                    return self._card(question, None, licenses[0], None, None)
                if groups and not models:
                    members = groups[0][1]
                    return self._clarify(
                        question,
                        list(members),
                        None,
                        0.7,
                        "family",
                        guess,
                        family=groups[0][0] if len(groups) == 1 else None,
                    )
                return self._clarify(question, models, None, 0.7, "several-models", guess)
        if confidence < ANSWER_THRESHOLD and assumed is None:
            return Answer(
                UNANSWERED, question, topic=topic, confidence=confidence, reason="unsure", best_guess=guess
            )

        # -- one model ------------------------------------------------------------------------------------
        if len(models) == 1:
            extra = self._premise_notes(models[0], asserted, code_licence, opening=True)
            answer = self._answer(
                question,
                models[0],
                None,
                topic,
                form,
                facts,
                confidence,
                based_on=based_on,
                notes=extra,
                asserted=asserted,
            )
            if assumed == "topic":
                answer = replace(answer, assumed=self._assumed_line(answer, "topic"))
            return answer
        # -- several models: side by side -----------------------------------------------------------------
        if len(models) > 1:
            return self._compare(question, models, topic, form, facts, confidence)
        # -- a family or series ----------------------------------------------------------------------------
        if groups:
            family_id, members = (
                groups[0] if len(groups) == 1 else (None, tuple(m for g in groups for m in g[1]))
            )
            if len(members) == 1 and not (family_id and kb.families[family_id].not_covered):
                return self._answer(question, members[0], None, topic, form, facts, confidence * 0.95)
            if (
                len(members) == 1
            ):  # "ChatGLM": riderbot knows ChatGLM3-6B, but ChatGLM-6B and others are not verified
                return self._clarify(
                    question, list(members), topic, confidence, "family", guess, family=family_id
                )
            return self._family(
                question, family_id, members, topic, form, facts, confidence, guess, asserted=asserted
            )
        if len(licenses) == 1:
            return self._answer(question, None, licenses[0], topic, form, facts, confidence)
        return Answer(
            UNANSWERED,
            question,
            topic=topic,
            confidence=confidence,
            reason="several-licenses",
            best_guess=guess,
        )

    # -- pieces of a decision ----------------------------------------------------------------------------
    def _lookup_learned(self, norm: str, scope: Scope | None) -> Taught | None:
        if scope is not None:
            hit = scope.learned.lookup(norm)
            if hit is not None:
                return hit
        return self._learned.lookup(norm)

    def _find_mentions(self, toks: tuple[str, ...], scope: Scope | None) -> list[Mention]:
        found: list[Mention] = []
        n = len(toks)
        scoped = scope.aliases if scope is not None and scope.aliases else None
        scoped_lengths = _lengths({k: None for k in scoped}) if scoped else {}
        for i in range(n):
            lengths = sorted(
                {*self._lengths_by_first.get(toks[i], ()), *scoped_lengths.get(toks[i], ())}, reverse=True
            )
            for length in lengths:
                if i + length > n:
                    continue
                span = toks[i : i + length]
                hit = self._aliases.get(span)
                if hit is not None:
                    found.append(Mention(hit[0], hit[1], i, i + length, hit[2]))
                    break
                if scoped and span in scoped and scoped[span] in self.kb.models:
                    found.append(Mention(MODEL, scoped[span], i, i + length))
                    break
        found.sort(key=lambda m: (-(m.end - m.start), -KIND_RANK[m.kind], m.start))
        taken: set[int] = set()
        chosen = []
        for m in found:
            covered = range(m.start, m.end)
            if taken.isdisjoint(covered):
                chosen.append(m)
                taken.update(covered)
        chosen.sort(key=lambda m: m.start)
        return chosen

    def _drop_compounds(self, p: _Parsed) -> tuple[list[Mention], str | None]:
        """A family or model word inside a longer hyphenated name ("Linq-Embed-Mistral", "GPT-SoVITS",
        "Llama-3.1-Nemotron-70B") is part of another model's name: drop the mention and return the name."""
        kept: list[Mention] = []
        compound: str | None = None
        covered = {i for m in p.mentions for i in range(m.start, m.end)}
        for m in p.mentions:
            if m.kind not in (MODEL, DERIVATIVE, FAMILY, SERIES):
                kept.append(m)
                continue
            bad_word = None
            for wid in dict.fromkeys(p.word_of[i] for i in range(m.start, m.end)):
                word = p.words[wid]
                name_part = word.rsplit("/", 1)[-1]
                n_name = len(self.tokenizer.tokens(name_part)) or 1
                indices = [j for j, w in enumerate(p.word_of) if w == wid][-n_name:]
                for j in indices:
                    t = p.toks[j]
                    if j in covered or not t.isascii() or not t.isalpha() or len(t) < 2:
                        continue
                    if t in self.lang.name_suffixes or t in vocab.STOPWORDS:
                        continue
                    bad_word = word
                    break
                if bad_word:
                    break
            if bad_word is None:
                kept.append(m)
            elif compound is None:
                compound = bad_word
        return kept, compound

    def _groups(self, mentions: list[Mention], models: list[str]) -> list[tuple[str | None, tuple[str, ...]]]:
        """Family and series mentions as (family id, members), leaving out families a named model belongs to."""
        out: list[tuple[str | None, tuple[str, ...]]] = []
        for m in mentions:
            if m.kind == FAMILY:
                fam = self.kb.families[m.target]
                if any(self.kb.models[x].family == fam.id for x in models):
                    continue
                out.append((fam.id, fam.members))
            elif m.kind == SERIES:
                fam = self.kb.families[m.target]
                series = next(s for s in fam.series if s.name == m.label)
                if any(x in series.members for x in models):
                    continue
                out.append((fam.id, series.members))
        unique: dict[tuple[str, ...], tuple[str | None, tuple[str, ...]]] = {}
        for g in out:
            unique.setdefault(g[1], g)
        return list(unique.values())

    def _find_topic(self, rest: list[str], asked: bool = False) -> tuple[str | None, float, str]:
        hits = self.topics.match(rest)
        if not hits:
            return None, 0.0, "no-topic"
        words = set(rest)
        intent = asked or bool(words & vocab.INTENT) or bool(words & self.lang.licence_words)
        licence_words = bool(words & vocab.LICENSE_WORDS) or bool(words & self.lang.licence_words)
        candidates = [h for h in hits.values() if not h.weak_only or intent]
        if not candidates:
            return None, 0.0, "not-a-licence-question"
        order = {t: i for i, t in enumerate(TOPIC_IDS)}
        candidates.sort(key=lambda h: (h.weak_only, -h.score, order[h.label]))
        best = candidates[0]
        # "how do I fine-tune llama 3 with LoRA" is a how-to question, not a licence question: a weak topic
        # next to technical words, or any topic inside a how-to phrase, needs an explicit licence word.
        tech = {t for t in words if t in vocab.TECH_CUES and stem(t) not in best.stems}
        how_to = _TECH_PHRASES.found_in(rest)
        if not licence_words and (how_to or (tech and best.weak_only)):
            return None, 0.0, "not-a-licence-question"
        confidence = min(1.0, 0.45 + 0.35 * best.score)
        if best.weak_only:
            confidence = min(confidence, 0.6)
        if (
            len(candidates) > 1
            and candidates[1].score >= best.score
            and candidates[1].weak_only == best.weak_only
        ):
            confidence *= 0.85
        return best.label, confidence, ""

    def _unknown_name(self, p: _Parsed, covered: set[int], strict: bool = False) -> str | None:
        """The first word shaped like a model name that riderbot does not know: digits and letters
        ("XTTS-v2"), a hyphenated or slashed name with an unknown part, CamelCase ("ChatGLM"), capitals
        ("DBRX"), or a word before "model"/"weights". Ordinary words ("today", "since") never are."""
        covered_words = {p.word_of[i] for i in covered}
        for wid, word in enumerate(p.words):
            if wid in covered_words or not word:
                continue
            wtoks = self.tokenizer.tokens(word)
            alpha = [t for t in wtoks if t.isascii() and t.isalpha() and len(t) >= 2]
            if not alpha or all(t in self.lang.not_models for t in alpha):
                continue
            # a typo of a known word ("fine-tunning") is no unknown name
            unknown_part = any(t not in self._known and self._correct(t, False) == t for t in alpha)
            has_digit = any(any(c.isdigit() for c in t) for t in wtoks) and not all(
                _is_number_or_size(t) or t in vocab.STOPWORDS for t in wtoks
            )
            if has_digit:  # "XTTS-v2", "Foo-7B"; a known name with a digit only when joined to something
                if unknown_part or _JOINED.search(word):
                    return word
                continue
            if not unknown_part:
                continue
            if _JOINED.search(word):
                return word
            # beside a known model, only a name that looks like a model's: "XTTS-v2", "Foo-7B", "Bar model"
            if not strict and (
                (len(word) >= 4 and _CAMEL.search(word))
                or (word.isupper() and len(alpha[0]) >= 4 and word.isalpha())
            ):
                return word
            if len(word) >= 3 and self._marked(p.words, wid):
                return word
        return None

    def _marked(self, words: list[str], wid: int) -> bool:
        """ "Zephyr model", "Ministral 8B": a word right before "model" or a version or size."""
        next_word = words[wid + 1].lower() if wid + 1 < len(words) else ""
        next_toks = self.tokenizer.tokens(next_word)
        return (
            next_word in self.lang.model_markers
            or (bool(next_toks) and next_toks[0] in self.lang.model_markers)
            or (bool(next_toks) and all(_SIZE.match(t) or t == "v" for t in next_toks))
        )

    def _unknown_version(self, toks: tuple[str, ...], mentions: list[Mention]) -> str | None:
        """ "llama 5", "phi-3": a known name followed by a version number no alias has is a different
        model, never a typo for the one riderbot knows."""
        for mention in mentions:
            if (
                mention.kind in (FAMILY, MODEL, SERIES)
                and mention.end < len(toks)
                and _is_version(toks, mention.end)
            ):
                return " ".join(toks[mention.start : mention.end + 1])
        return None

    def _member_hint(self, family_id: str, toks: tuple[str, ...]) -> str | None:
        """ "deepseek ... r1": a family name plus a member's distinguishing words picks that member."""
        hits = {m for hint, m in self._family_hints.get(family_id, ()) if _contains(toks, hint)}
        return hits.pop() if len(hits) == 1 else None

    def _based_on(
        self, p: _Parsed, mentions: list[Mention], models: list[str], based_on: str | None
    ) -> tuple[list[str], str | None]:
        """ "LLaVA based on Llama 2": the name right after "based on" is the base whose terms bind the
        name before it. "We are based on llama 3.1, but can I train on llama 2 outputs?": the name before
        is no model, so the base is context and the question is about the other model."""
        toks = p.toks
        if not _BASED_ON_FIRST.intersection(toks):
            return models, based_on
        for phrase in _BASED_ON:
            for i in range(len(toks) - len(phrase) + 1):
                if toks[i : i + len(phrase)] != phrase:
                    continue
                after = [m for m in mentions if m.start >= i + len(phrase) and m.kind in (MODEL, DERIVATIVE)]
                if not after or after[0].start > i + len(phrase) + 1:
                    continue
                base = after[0].target
                others = [m for m in models if m != base]
                if others:
                    # "LLaVA 1.5 (based on Llama 2)": a model riderbot knows is answered as itself, its base's
                    # terms included; "we are based on llama 3.1, can I train on llama 2 outputs": the other model
                    return others, based_on
                subject = self._subject_before(p, i)  # "LLaVA based on Llama 2" with LLaVA unknown: the base
                return [base], subject or based_on
        return models, based_on

    def _subject_before(self, p: _Parsed, i: int) -> str | None:
        """The model name right before "based on" (a mention or a model-shaped word), or None for "we",
        "our app", "it"."""
        if i == 0:
            return None
        j = i - 1
        if p.toks[j] in ("is", "which", "that", "was", "are", "a", "one"):
            j -= 1
            if j >= 0 and p.toks[j] in ("which", "that"):
                j -= 1
        if j < 0:
            return None
        t = p.toks[j]
        if t in vocab.STOPWORDS or t in vocab.CHAT_WORDS and t not in self.kb.models:
            for m in p.mentions:
                if m.end == j + 1 and m.kind in (MODEL, DERIVATIVE):
                    return self.kb.models[m.target].name
            return None
        word = p.words[p.word_of[j]]
        return word or None

    def _premise(
        self, toks: tuple[str, ...], mentions: list[Mention], p: _Parsed
    ) -> tuple[str | None, str | None]:
        """(the licence the question asserts for the model, the licence it says the code or repo has)."""
        asserted = code = None
        subjects = [m for m in mentions if m.kind in (MODEL, DERIVATIVE, FAMILY, SERIES)]
        for lic in (m for m in mentions if m.kind == LICENSE):
            window = toks[max(0, lic.start - 4) : lic.start]
            if self.lang.code_words.found_in(window):
                code = code or lic.target
                continue
            after = toks[lic.end : lic.end + 1]
            before_subject = any(s.end <= lic.start and lic.start - s.end <= 6 for s in subjects) or (
                not subjects and any(w for w in p.words[: p.word_of[lic.start]] if w)
            )
            cue = (
                any(t in self.lang.premise for t in window)
                or any(s.end == lic.start for s in subjects)
                or (after and after[0] in ("licensed", "license", "licenced"))
            )
            if cue and (before_subject or after and after[0] in ("licensed", "licenced")):
                asserted = asserted or lic.target
        return asserted, code

    def _names_a_family(self, span: tuple[str, ...]) -> bool:
        """A licence named after its models ("the llama 2 license", "gemma terms") is about them, unlike
        a generic one (Apache 2.0, MIT, CC BY-NC)."""
        return self._family_alias_tokens.found_in(span)

    def _licence_asserted(self, toks: tuple[str, ...], mentions: list[Mention]) -> bool:
        """ "the license is MIT", "看协议是Apache-2.0": a licence stated for something the question does not name."""
        words = vocab.LICENSE_WORDS | self.lang.licence_words | {"license", "licensed"}
        for lic in (m for m in mentions if m.kind == LICENSE):
            window = toks[max(0, lic.start - 3) : lic.start]
            if any(t in words for t in window) and any(t in self.lang.premise for t in window):
                return True
        return False

    def _premise_notes(
        self, model_id: str, asserted: str | None, code: str | None, *, opening: bool = False
    ) -> tuple[str, ...]:
        """Notes on the licences a question names for a model: a wrong asserted licence (unless the
        answer's ``opening`` corrects it already) and a code licence that does not cover the weights."""
        kb = self.kb
        model = kb.models[model_id]
        own = kb.licenses[model.license]
        ok = {model.license}
        base = model.base
        while base is not None and base in kb.models:
            ok.add(kb.models[base].license)
            base = kb.models[base].base
        notes = []
        if asserted is not None and asserted not in ok and not opening:
            notes.append(
                f"Careful: {model.name} is not under {_the(kb.licenses[asserted].name)}; its weights are "
                f"under {_the(own.name)}, and that is what this answer is about."
            )
        if code is not None:
            if code in ok:
                notes.append(
                    f"{model.name}'s weights are under {_the(own.name)} as well, but it is the weights' "
                    "licence that decides, not the repository's."
                )
            else:
                notes.append(
                    f"{_the(kb.licenses[code].name).capitalize()} of the code does not cover the weights: "
                    f"{model.name}'s weights are under {_the(own.name)}."
                )
        return tuple(notes)

    def _bare(self, rest: list[str], allow: int = 0) -> bool:
        """A name with nothing else that matters ("olmo 2?", "google/gemma-2-9b-it", "llama 3 pls"), or with
        at most ``allow`` other words: no technical word, no content word beyond chat."""
        if any(t in vocab.TECH_CUES for t in rest) or _TECH_PHRASES.found_in(rest):
            return False
        content = [
            t
            for t in rest
            if t not in vocab.STOPWORDS
            and t not in self.cards.words
            and t not in self.lang.chatter
            and not _is_number_or_size(t)
        ]
        return len(content) <= allow

    def _is_follow_up(self, toks: tuple[str, ...]) -> bool:
        return self.lang.follow_up_prefix(toks) > 0 or len(toks) <= SHORT_FOLLOW_UP

    def _bare_version(self, toks: tuple[str, ...]) -> str | None:
        content = [t for t in toks if t not in vocab.STOPWORDS and not self.lang.follow_up_prefix((t,))]
        versions = [t for t in content if _NUMBER.match(t) or _SIZE.match(t)]
        return versions[0] if versions else None

    def _bare_version_in_context(self, toks: tuple[str, ...], context: Context | None) -> str | None:
        """ "and 3.1?", "what about the 2b?", "and the 3.2 vision ones?", "and v3?" after a question about
        a model of one family: the family's member those words name (with the family's name before
        them), if any."""
        if context is None:
            return None
        family_id = context.family or (
            self.kb.models[context.model].family if context.model in self.kb.models else None
        )
        if family_id is None or family_id not in self.kb.families:
            return None
        cue = self.lang.follow_up_prefix(toks)
        rest = [t for t in toks[cue:] if t not in vocab.STOPWORDS and t not in self.lang.chatter]
        if len(rest) > 1 and rest[0] in ("v", "r") and _NUMBER.match(rest[1]):  # "v3" is ("v", "3")
            rest = [rest[0] + rest[1], *rest[2:]] if (rest[0] + rest[1],) in self._aliases else rest
        if not rest or not (
            _NUMBER.match(rest[0])
            or _SIZE.match(rest[0])
            or _VERSIONISH.match(rest[0])
            or rest[0] in ("v", "r")
        ):
            return None
        fam = self.kb.families[family_id]
        for alias in sorted({fam.id, *fam.aliases}, key=len):
            base = tokens(alias)
            for n in range(min(len(rest), 4), 0, -1):
                hit = self._aliases.get((*base, *rest[:n]))
                if hit is not None and hit[0] in (MODEL, DERIVATIVE) and hit[1] in fam.members:
                    return hit[1]
        return None

    # -- building answers ----------------------------------------------------------------------------
    def answer_for(
        self,
        question: str,
        model_id: str | None,
        license_id: str | None,
        topic: str | None,
        reason: str = "picked",
    ) -> Answer:
        """The answer for a model (or licence) and topic already chosen, e.g. by a clarify button; no
        topic gives the licence card."""
        if topic is None:
            return self._card(question, model_id, license_id if model_id is None else None, None, None)
        return self._answer(question, model_id, license_id, topic, None, Facts(), 1.0, reason=reason)

    def _answer(
        self,
        question: str,
        model_id: str | None,
        license_id: str | None,
        topic: str,
        form: str | None,
        facts: Facts,
        confidence: float,
        based_on: str | None = None,
        reason: str | None = None,
        notes: tuple[str, ...] = (),
        asserted: str | None = None,
    ) -> Answer:
        kb = self.kb
        lic = kb.licenses[license_id] if license_id else kb.license_of(model_id or "")
        subject = kb.models[model_id].name if model_id else lic.name
        outcome = self.replier.decide(model_id, None if model_id else lic.id, topic, form, facts, subject)
        premise = kb.licenses[asserted].name if asserted and self._wrong_premise(model_id, asserted) else None
        if not outcome.verified:
            rider = kb.rider(model_id, None if model_id else lic.id, topic)
            return Answer(
                UNANSWERED,
                question,
                model=model_id,
                license=lic.id,
                topic=topic,
                verdict="not-verified",
                answer=rider.answer if rider else None,
                url=lic.url,
                confidence=confidence,
                reason="not-verified" if rider else "no-rider",
                best_guess=f"{model_id or lic.id}/{topic}",
            )
        return self._from_outcome(
            question, model_id, lic.id, outcome, confidence, based_on, reason, notes, premise
        )

    def _from_outcome(
        self,
        question: str,
        model_id: str | None,
        license_id: str,
        outcome: Outcome,
        confidence: float,
        based_on: str | None = None,
        reason: str | None = None,
        notes: tuple[str, ...] = (),
        premise: str | None = None,
    ) -> Answer:
        lic = self.kb.licenses[license_id]
        reply, lead, body = outcome.reply, outcome.lead, outcome.body
        if premise is not None and model_id is not None:
            # a wrong premise is corrected first ("CogVideoX-5B is MIT so ...?": no, it is not MIT),
            # then the topic is answered under the licence that really applies
            reply, lead, body = (
                NO,
                LEADS[NO],
                self._premise_opening(
                    f"{self.kb.models[model_id].name} is not",
                    premise,
                    f"its weights are under {_the(lic.name)}",
                    outcome,
                ),
            )
        return Answer(
            ANSWERED,
            question,
            model=model_id,
            license=lic.id,
            topic=outcome.topic,
            verdict=outcome.verdict,
            answer=body,
            details=outcome.details,
            note=outcome.note,
            quotes=outcome.quotes,
            url=lic.url,
            confidence=confidence,
            based_on=based_on,
            reason=reason,
            best_guess=f"{model_id or lic.id}/{outcome.topic}",
            reply=reply,
            lead=lead,
            notes=(*notes, *outcome.notes),
            premise=premise,
            facts=outcome.facts,
        )

    def _card(
        self,
        question: str,
        model_id: str | None,
        license_id: str | None,
        asserted: str | None,
        code: str | None,
    ) -> Answer:
        kb = self.kb
        lic = kb.licenses[license_id] if license_id else kb.license_of(model_id or "")
        notes = self._premise_notes(model_id, asserted, code) if model_id else ()
        reply = None
        if model_id and (asserted or code):  # "X is Apache, right?" / "the repo is MIT, are the weights too?"
            said = asserted or code
            model = kb.models[model_id]
            reply = "yes" if said == model.license else "no"
        subject = kb.models[model_id].name if model_id else lic.name
        lead = LEADS[reply] if reply else f"{subject}: {lic.name}"
        body = (
            f"{subject} is under the {lic.name} ({lic.version})."
            if model_id
            else f"The {lic.name} ({lic.version})."
        )
        if reply == "no" and asserted is not None:  # the correction is the answer itself
            body = f"{subject} is under the {lic.name} ({lic.version}), not the {kb.licenses[asserted].name}."
            notes = self._premise_notes(model_id, None, code) if model_id else ()
        evidence = kb.models[model_id].license_evidence if model_id else ()
        return Answer(
            ANSWERED,
            question,
            model=model_id,
            license=lic.id,
            topic=None,
            answer=body,
            url=lic.url,
            confidence=0.9,
            card=True,
            reply=reply,
            lead=lead,
            notes=notes,
            quotes=evidence[:1],
            premise=kb.licenses[asserted].name if asserted and reply == "no" else None,
            best_guess=f"{model_id or lic.id}/card",
        )

    def _general(self, question: str, entry_id: str, form: str | None = None) -> Answer:
        entry = self.kb.general[entry_id]
        reply = entry.replies.get(form or "", entry.reply) if form != "open" else None
        return Answer(
            ANSWERED,
            question,
            general=entry_id,
            answer=entry.answer,
            details=entry.details,
            quotes=entry.quotes,
            reply=reply,
            lead=LEADS[reply] if reply else None,
            confidence=0.8,
            reason="general",
            best_guess=f"general/{entry_id}",
        )

    def _from_context(
        self, question: str, context: Context, topic: str, form: str | None, facts: Facts, confidence: float
    ) -> Answer:
        if context.model is not None and context.model in self.kb.models:
            answer = self._answer(question, context.model, None, topic, form, facts, max(confidence, 0.8))
        elif context.license is not None and context.license in self.kb.licenses:
            answer = self._answer(question, None, context.license, topic, form, facts, max(confidence, 0.8))
        else:
            members = context.members or (self.kb.families[context.family].members if context.family else ())
            answer = self._family(question, context.family, tuple(members), topic, form, facts, 0.8, None)
        return replace(answer, assumed=self._assumed_line(answer, "model"))

    def _assumed_line(self, answer: Answer, what: str) -> str:
        kb = self.kb
        subject = (
            kb.models[answer.model].name
            if answer.model
            else kb.licenses[answer.license].name
            if answer.license
            else kb.families[answer.family].name
            if answer.family
            else ""
        )
        topic = kb.topics[answer.topic].name.lower() if answer.topic in kb.topics else ""
        return f"{subject} — {topic}, following your earlier question" if subject and topic else ""

    def _family(
        self,
        question: str,
        family_id: str | None,
        members: tuple[str, ...],
        topic: str,
        form: str | None,
        facts: Facts,
        confidence: float,
        guess: str | None,
        asserted: str | None = None,
    ) -> Answer:
        """One answer for the whole family when every member gives the same reply; else ask which. A
        licence the question asserts that no member is under is corrected first."""
        kb = self.kb
        outcomes = {m: self.replier.decide(m, None, topic, form, facts, kb.models[m].name) for m in members}
        replies = {o.reply for o in outcomes.values()}
        verified = all(o.verified for o in outcomes.values())
        candidates = tuple(Candidate(m, topic, o.verdict, o.reply) for m, o in outcomes.items())
        same = (
            verified
            and len(replies) == 1
            and (None not in replies or len({o.verdict for o in outcomes.values()}) == 1)
        )
        if not same or len(members) < 2:
            return self._clarify(
                question,
                list(members),
                topic,
                confidence,
                "family",
                guess,
                family=family_id,
                outcomes=outcomes,
            )
        first = outcomes[members[0]]
        name = kb.families[family_id].name if family_id else "these models"
        names = ", ".join(kb.models[m].name for m in members)
        body = f"the same for every {name} model I know ({names}): {first.body}"
        quotes: list = []
        seen_licences: set[str] = set()
        for m in members:
            lid = kb.models[m].license
            if lid not in seen_licences and outcomes[m].quotes:
                seen_licences.add(lid)
                quotes.append(outcomes[m].quotes[0])
        lic = kb.license_of(members[0])
        reply, lead, premise = first.reply, first.lead, None
        if asserted is not None and all(self._wrong_premise(m, asserted) for m in members):
            premise = kb.licenses[asserted].name
            own = _unique(_the(kb.license_of(m).name) for m in members)
            under = (
                f"they are under {own[0]}"
                if len(own) == 1
                else f"they are under {', '.join(own[:-1])} or {own[-1]}"
            )
            body = self._premise_opening(
                f"none of the {name} models I know is", premise, under, replace(first, body=body)
            )
            reply, lead = NO, LEADS[NO]
        return Answer(
            ANSWERED,
            question,
            topic=first.topic,
            verdict=first.verdict,
            answer=body,
            premise=premise,
            quotes=tuple(quotes[:3]),
            url=lic.url,
            confidence=confidence,
            family=family_id,
            members=candidates,
            reply=reply,
            lead=lead,
            reason="family",
            best_guess=f"{family_id}/{topic}",
            facts=first.facts,
            details=None if len(seen_licences) > 1 else first.details,
        )

    def _wrong_premise(self, model_id: str | None, asserted: str) -> bool:
        """The asserted licence is neither the model's nor (for a fine-tune) its base's."""
        if model_id is None:
            return False
        kb = self.kb
        ok = set()
        current: str | None = model_id
        while current is not None and current in kb.models and current not in ok:
            ok.add(current)
            current = kb.models[current].base
        return asserted not in {kb.models[m].license for m in ok}

    def _premise_opening(self, subject: str, premise: str, really: str, outcome: Outcome) -> str:
        """ "CogVideoX-5B is not under the MIT License: its weights are under the CogVideoX License.
        On commercial use: yes — free, once you register ..." (after the reply's "No —")."""
        topic = self.kb.topics[outcome.topic].name.lower() if outcome.topic in self.kb.topics else "this"
        said = (outcome.body or "").strip()
        if outcome.lead:
            said = f"{outcome.lead[:1].lower()}{outcome.lead[1:]} — {said}" if said else outcome.lead
        return f"{subject} under {_the(premise)}: {really}. On {topic}: {said}"

    def _compare(
        self, question: str, models: list[str], topic: str, form: str | None, facts: Facts, confidence: float
    ) -> Answer:
        parts = tuple(self._answer(question, m, None, topic, form, facts, confidence) for m in models[:10])
        if any(p.status != ANSWERED for p in parts):
            return self._clarify(question, models, topic, confidence, "several-models", None)
        return replace(parts[0], compare=True, parts=parts)

    def _clarify(
        self,
        question: str,
        models: list[str],
        topic: str | None,
        confidence: float,
        reason: str,
        guess: str | None,
        family: str | None = None,
        outcomes: dict[str, Outcome] | None = None,
    ) -> Answer:
        candidates = []
        for m in models:
            rider = self.kb.models[m].riders.get(topic) if topic else None
            out = outcomes.get(m) if outcomes else None
            candidates.append(
                Candidate(
                    m,
                    topic,
                    out.verdict if out else rider.verdict if rider else None,
                    out.reply if out else None,
                )
            )
        return Answer(
            CLARIFY,
            question,
            topic=topic,
            candidates=tuple(candidates),
            confidence=confidence,
            reason=reason,
            best_guess=guess,
            family=family,
        )


def _lengths(aliases: Iterable[tuple[str, ...]]) -> dict[str, tuple[int, ...]]:
    out: dict[str, set[int]] = {}
    for key in aliases:
        out.setdefault(key[0], set()).add(len(key))
    return {first: tuple(sorted(ls, reverse=True)) for first, ls in out.items()}


_URL_HOST = re.compile(r"https?://(?:www\.)?[^/\s]+/?", re.IGNORECASE)
# a repository link names its repository: "github.com/facebookresearch/llama/blob/main/LICENSE" is
# facebookresearch/llama (a file path inside it is no model name); a Hugging Face link likewise
_REPO_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|huggingface\.co|hf\.co|gitee\.com|modelscope\.cn(?:/models)?)/"
    r"(?:(?:datasets|spaces)/)?([^/\s)\]]+/[^/\s)\]?#]+)[^\s)\]]*",
    re.IGNORECASE,
)


# "llama2/3", "qwen 2.5/3": two versions of one name, asked about together
_SLASH_VERSIONS = re.compile(
    r"\b([a-z][a-z-]*[a-z])[ -]?(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)(?![\w./])", re.IGNORECASE
)


def _unquoted(question: str) -> str:
    """The question without lines quoted from elsewhere ("> Yes, Llama 3.2 can be used ...") or long
    quoted passages: a message that quotes riderbot's answer back is about what it asks, not the quote.
    A link keeps only its path: "https://huggingface.co/google/gemma-2-9b-it" names google/gemma-2-9b-it."""
    stripped = _LONG_QUOTE.sub(" ", _QUOTE_LINE.sub(" ", question))
    stripped = _REPO_URL.sub(r" \1 ", stripped if stripped.strip() else question)
    stripped = _URL_HOST.sub(" ", stripped)
    stripped = _SLASH_VERSIONS.sub(r"\1 \2 and \1 \3", stripped)
    return stripped if stripped.strip() else question


_QUANTITY = frozenset(
    "k m million millions billion thousand hundred users user mau maus dollars usd eur gb mb tokens percent".split()
)


def _is_number_or_size(tok: str) -> bool:
    return bool(_NUMBER.match(tok) or _SIZE.match(tok))


def _is_version(toks: tuple[str, ...], i: int) -> bool:
    """Is toks[i] a version number ("3", "3.5", "2407") rather than a quantity ("700 million")?"""
    tok = toks[i]
    if not _NUMBER.match(tok) or (i + 1 < len(toks) and toks[i + 1] in _QUANTITY):
        return False
    return "." in tok or tok.startswith("0") or len(tok) <= 2 or len(tok) == 4


def _facts_json(facts: Facts) -> dict:
    out: dict = {}
    if facts.quantities:
        q = facts.quantities[0]
        out["quantity"] = {"metric": q.metric, "value": q.value, "text": q.text}
    if facts.places:
        out["place"] = sorted(facts.countries)
    if facts.uses:
        out["use"] = facts.uses[0]
    return out


_CJK_RUN = re.compile(f"([{CJK}]+)")


def _words(text: str) -> list[str]:
    """The question's words: split at spaces, and where CJK text meets Latin text ("visionはEUで使える"
    is "vision", "は", "EU", "で使える"), since CJK needs no spaces between a name and what follows."""
    out: list[str] = []
    for chunk in text.split():
        if chunk.isascii():
            out.append(chunk)
        else:
            out.extend(piece for piece in _CJK_RUN.split(chunk) if piece)
    return out


SHORT_QUESTION = 12  # words


def _length(toks: tuple[str, ...]) -> float:
    """A question's length in words: a CJK token is a character or a word of the vocabulary, so two
    CJK characters count as about one word."""
    return sum(len(t) / 2 if is_cjk(t) else 1 for t in toks)


def _the(name: str) -> str:
    """ "the MIT License", "The CogVideoX License" as it stands (no "the The ...")."""
    return f"the {name[4:]}" if name.lower().startswith("the ") else f"the {name}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _contains(words: tuple[str, ...] | list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    words = tuple(words)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
