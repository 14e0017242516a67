"""How questions are put, read from knowledge/languages/*.yaml: question forms, chatter, the words that
split one message into several questions, follow-ups, premises, and which language a question is in.

No language rule lives in code: adding a language is a new YAML file (and its tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge import KnowledgeBase
from bot.matching.spans import PhraseMap, PhraseSet
from bot.matching.stem import stem
from bot.textnorm import CJK, fold, is_cjk, tokens

PERMISSION, RESTRICTION, COST, BAN, OPEN = "permission", "restriction", "cost", "ban", "open"
# "do I need to pay" is about cost, "does it forbid" a ban, "can they revoke it" a restriction,
# "how many ... can I" open
FORM_ORDER = (COST, BAN, RESTRICTION, OPEN, PERMISSION)
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
}
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class LanguageTables:
    kb: KnowledgeBase
    forms: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    cjk_forms: list[tuple[str, str]] = field(default_factory=list)
    chatter: set[str] = field(default_factory=set)
    split_re: re.Pattern[str] | None = None
    _split_starts: re.Pattern[str] = re.compile(r"(?!)")
    follow_up: list[tuple[str, ...]] = field(default_factory=list)
    premise: set[str] = field(default_factory=set)
    code_words: PhraseSet = field(default_factory=PhraseSet)
    weight_words: set[str] = field(default_factory=set)
    model_markers: set[str] = field(default_factory=set)
    name_suffixes: set[str] = field(default_factory=set)
    not_models: set[str] = field(default_factory=set)
    deictic: PhraseSet = field(default_factory=PhraseSet)
    requests: set[str] = field(default_factory=set)
    not_licence: PhraseSet = field(default_factory=PhraseSet)
    question_starts: set[str] = field(default_factory=set)
    asks: PhraseSet = field(default_factory=PhraseSet)
    form_index: PhraseMap[str] = field(default_factory=PhraseMap)
    form_by_language: dict[str, PhraseMap[str]] = field(default_factory=dict)
    licence_words: set[str] = field(default_factory=set)
    opposite: PhraseMap[str] = field(default_factory=PhraseMap)
    """Phrasings that ask the opposite of a topic's question ("non-commercial"), by topic."""
    cjk_words: set[str] = field(default_factory=set)
    readable_scripts: set[str] = field(default_factory=set)
    _distinct: dict[str, set[str]] = field(default_factory=dict)
    _follow_up_by_first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        english_words: set[str] = set()
        splits: list[str] = []
        for lang in self.kb.languages.values():
            self.readable_scripts.update(lang.scripts)
            own: list[tuple[int, tuple[str, ...], str]] = []
            for form in FORM_ORDER:
                for phrase in lang.forms.get(form, ()):
                    toks = tokens(phrase)
                    if toks and all(is_cjk(t) for t in toks):
                        self.cjk_forms.append((form, "".join(toks)))
                    elif toks:
                        self.forms.append((form, toks))
                        own.append((FORM_ORDER.index(form), toks, form))
            self.form_by_language[lang.id] = PhraseMap(
                (toks, form) for _, toks, form in sorted(own, key=lambda x: (x[0], -len(x[1])))
            )
            self.chatter.update(" ".join(tokens(c)) or c.strip() for c in lang.chatter)
            splits.extend(lang.split_before)
            self.follow_up.extend(t for t in (tokens(f) for f in lang.follow_up) if t)
            self.premise.update(t for p in lang.premise for t in tokens(p))
            self.code_words.update(t for t in (tokens(w) for w in lang.code_words) if t)
            self.weight_words.update(t for w in lang.weight_words for t in tokens(w))
            self.model_markers.update(t for w in lang.model_markers for t in tokens(w))
            self.name_suffixes.update(t for w in lang.name_suffixes for t in tokens(w))
            self.not_models.update(t for w in lang.not_models for t in tokens(w))
            self.deictic.update(t for t in (tokens(w) for w in lang.deictic) if t)
            self.requests.update(t for w in lang.requests for t in tokens(w))
            self.not_licence.update(
                tuple(stem(x) for x in t) for t in (tokens(w) for w in lang.not_licence) if t
            )
            self.question_starts.update(t for w in lang.question_starts for t in tokens(w)[:1])
            self.asks.update(t for t in (tokens(w) for w in lang.asks) if t)
            self.licence_words.update(t for w in lang.licence_words for t in tokens(w))
            for topic_id, phrasings in lang.opposite.items():
                for phrase in phrasings:
                    if tokens(phrase):
                        self.opposite.add(tokens(phrase), topic_id)
            words = {
                t
                for phrases in (
                    *lang.forms.values(),
                    *lang.topics.values(),
                    *lang.opposite.values(),
                    lang.card,
                    lang.licence_words,
                    lang.chatter,
                    lang.split_before,
                    lang.follow_up,
                    lang.premise,
                    lang.deictic,
                    lang.code_words,
                    lang.weight_words,
                    lang.common_words,
                    lang.question_starts,
                    lang.asks,
                )
                for p in phrases
                for t in tokens(p)
            }
            self.cjk_words.update(w for w in words if is_cjk(w))
            if lang.id == "en":
                english_words = words
            self._distinct[lang.id] = words
        # the topics' own phrasings (knowledge/topics.yaml) are English too: "outputs" in a French
        # phrasing ("outputs pour entrainer") does not make "can i train on llama 2 outputs?" French
        english_words |= {
            t
            for topic in self.kb.topics.values()
            for ph in (*topic.phrasings, *topic.weak_phrasings)
            for t in tokens(ph)
        }
        for lid in self._distinct:
            if lid != "en":
                self._distinct[lid] -= english_words
        # longest first, so "is there a limit" wins over "is it"
        self.forms.sort(key=lambda p: (FORM_ORDER.index(p[0]), -len(p[1])))
        self.cjk_forms.sort(key=lambda p: (FORM_ORDER.index(p[0]), -len(p[1])))
        for form_id, form_words in self.forms:
            self.form_index.add(form_words, form_id)
        self.follow_up.sort(key=len, reverse=True)
        for cue in self.follow_up:
            self._follow_up_by_first.setdefault(cue[0], []).append(cue)
        if splits:
            latin = sorted(
                {" ".join(tokens(s)) for s in splits if tokens(s) and not is_cjk(tokens(s)[0])},
                key=len,
                reverse=True,
            )
            cjk = sorted({s for s in splits if s and is_cjk(s[0])}, key=len, reverse=True)
            alternatives = [r"\b" + r"\s+".join(map(re.escape, s.split())) + r"\b" for s in latin] + list(
                map(re.escape, cjk)
            )
            self.split_re = re.compile("|".join(alternatives), re.IGNORECASE)
            # where a split phrase can start: its first word (a short pattern, quick to scan for);
            # the full pattern is then tried only there
            firsts = sorted({s.split()[0] for s in latin}, key=len, reverse=True)
            starts = [r"\b(?:" + "|".join(map(re.escape, firsts)) + r")\b"] if firsts else []
            self._split_starts = re.compile("|".join(starts + list(map(re.escape, cjk))), re.IGNORECASE)

    # -- the form of a question --------------------------------------------------------------------
    def form(self, toks: tuple[str, ...], text: str, language: str | None = None) -> str | None:
        """permission | restriction | cost | ban | open, or None when the question says nothing about
        it. A question in another language is read with that language's forms first: Vietnamese "bán"
        (sell) is not English "ban"."""
        own = self.form_by_language.get(language) if language and language != "en" else None
        found = own.values_in(toks) if own is not None else set()
        if not found:
            found = self.form_index.values_in(toks)
        if self.cjk_forms and not text.isascii():
            folded = fold(text)
            for form, cjk_phrase in self.cjk_forms:
                if form not in found and cjk_phrase in folded:
                    found.add(form)
        for form in FORM_ORDER:
            if form in found:
                return form
        return None

    def is_question(self, toks: tuple[str, ...], text: str, form: str | None) -> bool:
        """Asked rather than remarked: a question mark, a question form, or a clause that starts like a
        question ("does my licence end if I sue")."""
        if "?" in text or "？" in text or form is not None:
            return True
        clauses = [tokens(c) for c in re.split(r"[,.;:!]", text)]
        return any(c and c[0] in self.question_starts for c in clauses) or self.asks.found_in(toks)

    def is_chatter(self, toks: tuple[str, ...], text: str) -> bool:
        norm = " ".join(toks)
        if not norm:
            return bool(text.strip()) and not _LETTER.search(text)  # emoji, punctuation
        if norm in self.chatter:
            return True
        # "thanks!! lol", "ok cool thanks"
        return all(t in self.chatter for t in toks) and len(toks) <= 4

    def follow_up_prefix(self, toks: tuple[str, ...]) -> int:
        """How many leading tokens are a follow-up cue ("and", "what about", "same for"), 0 if none."""
        if not toks:
            return 0
        for phrase in self._follow_up_by_first.get(toks[0], ()):  # longest first
            if toks[: len(phrase)] == phrase:
                return len(phrase)
        return 0

    def split(self, text: str) -> list[str]:
        """The questions in one message: at question marks, and before "and can I", "also is it"..."""
        pieces = [p for p in re.split(r"[?？]+", text) if p.strip()]
        out: list[str] = []
        for piece in pieces:
            if self.split_re is None:
                out.append(piece)
                continue
            start = end = 0
            for candidate in self._split_starts.finditer(piece):
                if candidate.start() < end:
                    continue
                m = self.split_re.match(piece, candidate.start())
                if m is None or (m.start() > 0 and piece[m.start() - 1] in "-_/.+"):
                    continue  # "command-r-plus can i ...": part of a name, not "plus, can I"
                end = max(m.end(), m.start() + 1)
                if m.start() > start and piece[start : m.start()].strip():
                    out.append(piece[start : m.start()])
                    start = m.start()
            out.append(piece[start:])
        return [p.strip(" ,;.-") for p in out if len(p.strip(" ,;.-")) >= 2]

    # -- which language ----------------------------------------------------------------------------
    def language_of(self, toks: tuple[str, ...], text: str) -> str:
        """The language a question is in: the one whose own words it uses most (English by default)."""
        best, best_hits = "en", 0
        words = set(toks)
        for lid, distinct in self._distinct.items():
            if lid == "en":
                continue
            hits = len(words & distinct)
            if hits > best_hits:
                best, best_hits = lid, hits
        cjk = any(is_cjk(t) for t in toks)
        if best_hits >= (1 if cjk else 2):
            return best
        if cjk:  # CJK text without a known word: guess from the script
            if _SCRIPTS["hangul"].search(text):
                return "ko" if "ko" in self._distinct else best
            if _SCRIPTS["kana"].search(text):
                return "ja" if "ja" in self._distinct else best
            return "zh" if "zh" in self._distinct else best
        return "en"

    def unreadable(self, text: str) -> bool:
        """Mostly letters of a script no language file reads (Cyrillic, Arabic, Thai...)."""
        if text.isascii():
            return False
        letters = _LETTER.findall(text)
        if len(letters) < 4 or not self.readable_scripts:
            return False
        known = sum(
            1 for ch in letters if any(_SCRIPTS[s].match(ch) for s in self.readable_scripts if s in _SCRIPTS)
        )
        return known < len(letters) / 2


CJK_RUN = re.compile(f"[{CJK}]+")
