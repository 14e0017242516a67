"""Facts a question states about the asker: a number (users, revenue), a place, a use.

Built once from the knowledge's data files (quantities.yaml, places.yaml, uses.yaml); `find` is pure.
The matcher compares them with a licence's structured thresholds, excluded regions and policy clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge import KnowledgeBase, Quote
from bot.matching.spans import PhraseMap
from bot.matching.stem import stem
from bot.textnorm import collapse_ws, fold, is_cjk, tokens

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_WORD_NUMBERS = {
    "a": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "five": 5.0,
    "ten": 10.0,
    "half a": 0.5,
    "a few": 3.0,
}


_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Quantity:
    metric: str  # monthly-active-users | daily-active-users | users | annual-revenue | monthly-revenue | monthly-visits
    value: float  # a count, or US dollars for revenue
    text: str  # as the asker wrote it ("800M monthly users")
    currency: str | None = None  # the currency the asker used, for revenue


@dataclass(frozen=True)
class Place:
    text: str  # as the asker wrote it
    countries: frozenset[str]
    name: str


@dataclass(frozen=True)
class Facts:
    quantities: tuple[Quantity, ...] = ()
    places: tuple[Place, ...] = ()
    uses: tuple[str, ...] = ()  # use ids from uses.yaml

    @property
    def countries(self) -> frozenset[str]:
        out: set[str] = set()
        for p in self.places:
            out |= p.countries
        return frozenset(out)


@dataclass(frozen=True)
class PolicyClause:
    quote: Quote
    qualified: bool  # the clause forbids a qualified form of the use ("unlicensed practice of ... medical")


@dataclass
class FactFinder:
    kb: KnowledgeBase
    _metric_words: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    _place_words: dict[tuple[str, ...], tuple[str, frozenset[str], bool]] = field(default_factory=dict)
    _use_terms: dict[tuple[str, ...], str] = field(default_factory=dict)
    _policy: dict[tuple[tuple[str, ...], str], PolicyClause | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        q = self.kb.quantities
        self._cjk_metrics: list[tuple[str, str]] = []
        for metric, words in q.metrics.items():
            for w in words:
                toks = tokens(w)
                if toks and all(is_cjk(t) for t in toks):
                    self._cjk_metrics.append(("".join(toks), metric))
                elif toks:
                    self._metric_words.append((toks, metric))
        self._cjk_metrics.sort(key=lambda p: -len(p[0]))
        self._monthly = [t for t in (tokens(w) for w in q.periods.get("monthly", ())) if t]
        self._periods = [t for words in q.periods.values() for t in (tokens(w) for w in words) if t]
        self._earning = [t for t in (tokens(w) for w in q.earning) if t]
        self._metric_words.sort(key=lambda p: -len(p[0]))
        self._metric_index: PhraseMap[tuple[int, str]] = PhraseMap(
            (phrase, (rank, metric)) for rank, (phrase, metric) in enumerate(self._metric_words)
        )
        self._language_multipliers = {lid: lang.multipliers for lid, lang in self.kb.languages.items()}
        mult_words = set(q.multipliers).union(*(m.keys() for m in self._language_multipliers.values()))
        mults = sorted(mult_words, key=len, reverse=True)
        symbols = sorted({s for syms, _ in q.currencies.values() for s in syms}, key=len, reverse=True)
        cur = "|".join(re.escape(s) for s in symbols) or r"(?!x)x"
        mult = "|".join(re.escape(m) for m in mults) or r"(?!x)x"
        self._currency_of = {s: code for code, (syms, _) in q.currencies.items() for s in syms}
        # a number written as a word counts only with a multiplier right after it ("a million users"):
        # without a digit or such a word there is no quantity to look for
        self._word_quantity_re = re.compile(
            rf"(?<![a-z])(?:half a|a few|a|one|two|three|five|ten)\s?(?:{mult})(?![a-z0-9])", re.IGNORECASE
        )
        # where a quantity can start: a digit, or a number word with its multiplier; a currency
        # written before it is looked for right there (scanning the whole pattern at every position
        # of every question was the matcher's slowest step)
        self._quantity_starts = re.compile(
            rf"\d|(?<![a-z])(?:half a|a few|a|one|two|three|five|ten)\s?(?:{mult})(?![a-z0-9])", re.IGNORECASE
        )
        self._currency_before = re.compile(rf"(?:{cur})\s?$", re.IGNORECASE)
        self._currency_len = max((len(sym) for sym in symbols), default=0) + 1
        self._quantity_re = re.compile(
            rf"(?P<cur1>{cur})?\s?(?P<num>{_NUMBER}|half a|a few|a|one|two|three|five|ten)\s?(?P<mult>{mult})?(?![a-z0-9])"
            rf"\s?(?P<cur2>{cur})?(?![a-z])",
            re.IGNORECASE,
        )
        places = self.kb.places
        for region in places.regions.values():
            for w in region.words:
                self._add_place(w, region.name, region.members, False)
        for country in places.countries.values():
            for w in (*country.words, *country.cities):
                self._add_place(w, country.name, frozenset({country.id}), False)
            for w in country.adjectives:
                self._add_place(w, country.name, frozenset({country.id}), True)
        self._case_sensitive = {tokens(w): w for w in places.case_sensitive}
        self._who = {tokens(w) for w in places.who_words}
        self._place_lengths = sorted({len(k) for k in self._place_words}, reverse=True)
        self._place_firsts = {k[0] for k in self._place_words}
        self._ordinary = {lang: {tokens(w) for w in words} for lang, words in places.not_places.items()}
        for use in self.kb.uses.values():
            for term in use.question:
                toks = tuple(stem(t) for t in tokens(term))
                if toks:
                    self._use_terms.setdefault(toks, use.id)
        self._use_lengths = sorted({len(k) for k in self._use_terms}, reverse=True)
        self._use_firsts = {k[0] for k in self._use_terms}

    def _add_place(self, word: str, name: str, countries: frozenset[str], adjective: bool) -> None:
        toks = tokens(word)
        if toks and toks not in self._place_words:
            self._place_words[toks] = (name, countries, adjective)

    # -- finding facts in a question ----------------------------------------------------------------
    def find(
        self, text: str, toks: tuple[str, ...], skip: set[int] | None = None, language: str = "en"
    ) -> Facts:
        """Facts in ``text`` (its matching tokens ``toks``); token positions in ``skip`` (model names:
        "8B" in "Llama 3.1 8B" is a size, not a quantity) are ignored."""
        return Facts(
            self.quantities(text, toks, skip or set(), language),
            self.places(text, toks, skip or set(), language),
            self.uses(toks),
        )

    def quantities(
        self, text: str, toks: tuple[str, ...], skip: set[int], language: str = "en"
    ) -> tuple[Quantity, ...]:
        low = fold(text).lower()
        if not _DIGIT.search(low) and not self._word_quantity_re.search(low):
            return ()
        skipped = {toks[i] for i in skip}
        out: list[Quantity] = []
        for m in self._quantity_matches(low):
            raw_num, mult = m.group("num"), (m.group("mult") or "").lower()
            currency_sym = (m.group("cur1") or m.group("cur2") or "").lower()
            if not mult and not currency_sym and raw_num in _WORD_NUMBERS:
                continue  # "a", "one" alone are words, not quantities
            if raw_num in _WORD_NUMBERS and not mult:
                continue
            piece = m.group(0).strip()
            if tokens(piece) and set(tokens(piece)) <= skipped and not currency_sym:
                continue  # a model size ("8b"), part of a model name
            own = self._language_multipliers.get(language, {})
            value = _parse_number(raw_num) * own.get(mult, self.kb.quantities.multipliers.get(mult, 1.0))
            before = tokens(low[max(0, m.start() - 40) : m.start()])[-4:]
            after = tokens(low[m.end() : m.end() + 50])[:5]
            metric = self._metric(before, after, bool(currency_sym)) or self._cjk_metric(
                low, m.start(), m.end()
            )
            if metric is None:
                continue
            currency = self._currency_of.get(currency_sym) if currency_sym else None
            if metric.endswith("revenue"):
                currency = currency or "USD"
                value *= self.kb.quantities.currencies.get(currency, ((), 1.0))[1]
            out.append(Quantity(metric, value, piece, currency))
        return tuple(out)

    def _quantity_matches(self, low: str) -> list[re.Match[str]]:
        """The quantity pattern's matches, left to right and not overlapping, tried only where a
        quantity can start (and where a currency symbol stands right before that)."""
        out: list[re.Match[str]] = []
        end = 0
        for start in self._quantity_starts.finditer(low):
            at = start.start()
            if at < end:
                continue
            m = None
            head_from = max(end, at - self._currency_len)
            before = self._currency_before.search(low, head_from, at)
            if before is not None:
                m = self._quantity_re.match(low, before.start())
                if m is not None and m.end() <= at:
                    m = None
            if m is None:
                m = self._quantity_re.match(low, at)
            if m is None or m.end() == m.start():
                continue
            out.append(m)
            end = m.end()
        return out

    def _metric(self, before: tuple[str, ...], after: tuple[str, ...], money: bool) -> str | None:
        """What a number counts, from the words right after it ("800M monthly users") or right before it
        ("revenue of 2M", "MAU: 800m"). Money, or a number next to "revenue", is revenue: monthly when
        a monthly period follows ("$20M a month"), else annual."""

        def find(words: tuple[str, ...], at_start: bool) -> str | None:
            # the longest metric phrase (then the first listed) that stands where it counts
            best: tuple[int, str] | None = None
            for i, phrase, ranked in self._metric_index.matches(words):
                if (i <= 3 if at_start else i + len(phrase) >= len(words) - 2) and (
                    best is None or ranked < best
                ):
                    best = ranked
            return best[1] if best else None

        metric = find(after, True) or find(before, False)
        if metric is None and any(before[-len(v) :] == v for v in self._earning):
            # "we make 3 million a year": earned, with a period, is revenue ("make 1000 images" is not)
            if any(_contains(after[:4], p) for p in self._periods):
                metric = "annual-revenue"
        revenue = metric in ("annual-revenue", "monthly-revenue")
        if not (money or revenue):
            return metric
        if metric == "monthly-revenue" or any(_contains(after[:4], p) for p in self._monthly):
            return "monthly-revenue"
        if money or revenue:
            return "annual-revenue"
        return None

    def _cjk_metric(self, low: str, start: int, end: int) -> str | None:
        """ "50万月活", "月活超过1亿": a CJK metric word right after the number, or shortly before it."""
        if low.isascii():
            return None
        after, before = low[end : end + 12].lstrip(), low[max(0, start - 10) : start]
        for phrase, metric in self._cjk_metrics:
            if after.startswith(phrase) or phrase in before:
                return metric
        return None

    def places(
        self, text: str, toks: tuple[str, ...], skip: set[int], language: str = "en"
    ) -> tuple[Place, ...]:
        out: list[Place] = []
        ordinary = self._ordinary.get(language, set())
        firsts = self._place_firsts
        i, n = 0, len(toks)
        while i < n:
            if toks[i] not in firsts:
                i += 1
                continue
            for length in self._place_lengths:
                key = toks[i : i + length]
                hit = (
                    self._place_words.get(key)
                    if i + length <= n and not skip.intersection(range(i, i + length))
                    else None
                )
                if hit is None:
                    continue
                name, countries, adjective = hit
                if key in ordinary:
                    continue
                if key in self._case_sensitive and not re.search(
                    rf"(?<![A-Za-z]){re.escape(self._case_sensitive[key])}(?![A-Za-z])", text
                ):
                    continue
                if adjective and not self._next_to_who(toks, i, i + length):
                    continue
                out.append(Place(" ".join(key), countries, name))
                i += length - 1
                break
            i += 1
        return tuple(out)

    def _next_to_who(self, toks: tuple[str, ...], start: int, end: int) -> bool:
        around = [toks[max(0, start - 3) : start], toks[end : end + 3]]
        return any(_contains(part, who) for part in around for who in self._who)

    def uses(self, toks: tuple[str, ...]) -> tuple[str, ...]:
        stems = tuple(stem(t) for t in toks)
        found: list[str] = []
        for i in range(len(stems)):
            if stems[i] not in self._use_firsts:
                continue
            for length in self._use_lengths:
                use = self._use_terms.get(stems[i : i + length])
                if use is not None and use not in found:
                    found.append(use)
                    break
        return tuple(found)

    # -- what a licence's policy says about a use ----------------------------------------------------
    def policy_clause(self, sources: tuple[str, ...], use_id: str) -> PolicyClause | None:
        """The clause of these acceptable-use texts (the sources an acceptable-use rider quotes) that
        names the use, if any: the line (or sentence) that contains one of the use's policy words,
        quoted verbatim."""
        key = (sources, use_id)
        if key not in self._policy:
            self._policy[key] = self._find_clause(sources, use_id)
        return self._policy[key]

    def _find_clause(self, sources: tuple[str, ...], use_id: str) -> PolicyClause | None:
        use = self.kb.uses[use_id]
        found: list[PolicyClause] = []
        for source in dict.fromkeys(sources):
            for clause in _clauses(self.kb.sources.get(source, "")):
                low = fold(clause).lower()
                if any(re.search(rf"(?<![a-z]){re.escape(term)}", low) for term in use.policy):
                    qualified = any(re.search(rf"(?<![a-z]){re.escape(q)}", low) for q in use.qualified)
                    found.append(PolicyClause(Quote(text=clause, source=source), qualified))
        # the most specific clause: an outright ban before a qualified one, then the shortest
        return min(found, key=lambda c: (c.qualified, len(c.quote.text)), default=None)


def _clauses(body: str) -> list[str]:
    """A policy text as clauses: its lines, with list markers left in place (quotes stay verbatim);
    a very long line is split into sentences."""
    out: list[str] = []
    for line in body.splitlines():
        line = line.strip()
        if len(line) < 12:
            continue
        if len(line) > 600:
            out.extend(s.strip() for s in re.split(r"(?<=[.;])\s+", line) if len(s.strip()) >= 12)
        else:
            out.append(line)
    return [collapse_ws(c) for c in out]


def _parse_number(raw: str) -> float:
    if raw in _WORD_NUMBERS:
        return _WORD_NUMBERS[raw]
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
