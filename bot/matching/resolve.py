"""One resolver for a name typed on its own: a slash-command option (`/license model:`), a name in
`/compare models:`, a model argument of `riderbot kb` or `review resolve`.

It uses the matcher's own alias index and typo rules, so a name means the same thing everywhere: "gemma"
is the Gemma family (ambiguous) in `/license` exactly as in a question, "llama 5" is unknown (never
Llama 2), a not-covered name is reported as such. Pure: no I/O, no Discord.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.matching import kinds
from bot.textnorm import normalize, tokens

if TYPE_CHECKING:
    from bot.matching.matcher import Matcher

MODEL, FAMILY, LICENSE, NOT_COVERED, UNKNOWN = "model", "family", "license", "not-covered", "unknown"
"""What a name resolves to (Resolution.kind); derivatives resolve as models, series as families."""
FUZZY_CUTOFF = 86.0  # WRatio a near miss must reach to count as that name
FUZZY_MARGIN = 8.0  # ... and by how much it must beat the best other model


@dataclass(frozen=True)
class Resolution:
    """What a name resolves to. ``kind`` is one of model | family | license | not-covered | unknown;
    ``ids`` holds the model id (model), the member ids (family or series), the licence id (license)."""

    kind: str
    text: str
    ids: tuple[str, ...] = ()
    name: str | None = None  # display name of the family / series / not-covered entry
    url: str | None = None  # official link of a not-covered entry
    suggestions: tuple[str, ...] = field(default=())  # model ids close to an unknown or ambiguous name

    @property
    def model(self) -> str | None:
        return self.ids[0] if self.kind == MODEL else None


def resolve(matcher: Matcher, text: str) -> Resolution:
    kb = matcher.kb
    text = " ".join(text.split())
    toks = tokens(text)
    if not toks:
        return Resolution(UNKNOWN, text)
    hit = matcher.alias_target(toks)
    if hit is not None:  # before ids: "gemma" is the family's name although a model has that id
        return _from_alias(matcher, text, hit)
    if text in kb.models:  # an autocomplete value
        return Resolution(MODEL, text, (text,), kb.models[text].name)
    if text in kb.licenses:
        return Resolution(LICENSE, text, (text,), kb.licenses[text].name)
    hit = matcher.alias_target(tuple(matcher.correct(t) for t in toks))
    if hit is not None:
        return _from_alias(matcher, text, hit)
    # a near miss of a model name, but never across versions: "llama 5" is not "llama 2"
    query = normalize(text)
    numbers = _numbers(query)
    keys = [k for k in matcher.model_alias_keys() if _numbers(k) == numbers]
    hits = process.extract(query, keys, scorer=fuzz.WRatio, limit=8, score_cutoff=FUZZY_CUTOFF)
    found = list(dict.fromkeys(matcher.model_alias_keys()[k] for k, _, _ in hits))
    if found:
        best = hits[0][1]
        runner_up = max((s for k, s, _ in hits if matcher.model_alias_keys()[k] != found[0]), default=0.0)
        if len(found) == 1 or best - runner_up >= FUZZY_MARGIN:
            return Resolution(MODEL, text, (found[0],), kb.models[found[0]].name)
    return Resolution(UNKNOWN, text, suggestions=tuple(found[:5]))


def _from_alias(matcher: Matcher, text: str, hit: tuple[str, str, str | None]) -> Resolution:
    kb = matcher.kb
    kind, target, label = hit
    if kind in (kinds.MODEL, kinds.DERIVATIVE):
        return Resolution(MODEL, text, (target,), kb.models[target].name)
    if kind == kinds.LICENSE:
        return Resolution(LICENSE, text, (target,), kb.licenses[target].name)
    if kind == kinds.FAMILY:
        family = kb.families[target]
        if len(family.members) == 1:
            return Resolution(MODEL, text, family.members, kb.models[family.members[0]].name)
        return Resolution(FAMILY, text, family.members, family.name)
    if kind == kinds.SERIES:
        family = kb.families[target]
        series = next(s for s in family.series if s.name == label)
        if len(series.members) == 1:
            return Resolution(MODEL, text, series.members, kb.models[series.members[0]].name)
        return Resolution(FAMILY, text, series.members, series.name)
    if kind == kinds.NOT_COVERED:
        family = kb.families[target]
        entry = next(n for n in family.not_covered if n.name == label)
        return Resolution(NOT_COVERED, text, (), entry.name, entry.url)
    return Resolution(UNKNOWN, text)  # pragma: no cover - every alias kind is handled above


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(t for t in norm.split() if any(c.isdigit() for c in t))
