"""Model, licence and topic names typed into slash-command options (not an extension).

What a typed name MEANS is decided by one resolver, the matcher's (``Matcher.resolve``), the same
one that reads names in questions: "gemma" is the Gemma family in ``/license`` exactly as in "can I
use gemma commercially?", "llama 5" is unknown (never Llama 2), "SDXL Turbo" is not covered.
``model_for`` / ``license_for`` / ``models_for`` turn its ``Resolution`` into ids or a
``LookupFailed`` whose message is shown to the user as is.

Autocomplete only *ranks* suggestions (fuzzily, best first, at most 25); the value of a suggestion
is ``id:<id>``, so a picked suggestion means exactly that model or licence. The app-command
transformers wrap both, like RoboDanny's converters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from bot.errors import LookupFailed
from bot.knowledge import KnowledgeBase
from bot.matching.resolve import FAMILY, LICENSE, MODEL, NOT_COVERED, Resolution
from bot.rendering.embeds import clip, safe, short_name
from bot.textnorm import normalize

if TYPE_CHECKING:
    from bot.client import RiderBot
    from bot.matching import Matcher

MAX_CHOICES = 25
CHOICE_MAX = 100  # Discord's limit for a choice's name and value
FUZZY_CUTOFF = 60.0
TOPIC_CUTOFF = 86.0
ID_PREFIX = "id:"  # the value of an autocomplete suggestion: an exact id, not a name to resolve
NAMES_SHOWN = 10


def _echo(text: str) -> str:
    """What the user typed, safe to show back (escaped, clipped)."""
    return safe(clip(" ".join(text.split()), 100))


def exact_id(text: str, ids: Mapping[str, Any]) -> str | None:
    """The id of a picked autocomplete suggestion (``id:llama-2``), if it still exists."""
    text = text.strip()
    if text.startswith(ID_PREFIX) and text[len(ID_PREFIX) :] in ids:
        return text[len(ID_PREFIX) :]
    return None


def names(kb: KnowledgeBase, model_ids: tuple[str, ...] | list[str]) -> str:
    shown = [short_name(kb.models[m].name) for m in model_ids[:NAMES_SHOWN] if m in kb.models]
    more = len(model_ids) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def ambiguous(kb: KnowledgeBase, found: Resolution) -> str:
    return f'"{_echo(found.text)}" could be several models: {names(kb, found.ids)}. Pick one.'


def not_a_model(kb: KnowledgeBase, found: Resolution) -> str:
    """Why a name that is not exactly one model cannot be used where a model is needed."""
    if found.kind == FAMILY:
        return ambiguous(kb, found)
    if found.kind == LICENSE:
        return (
            f'"{_echo(found.text)}" is a licence ({safe(found.name or "")}), not a model: '
            "give a model name, e.g. Llama 3.1."
        )
    if found.kind == NOT_COVERED:
        link = f" Its official terms: <{found.url}>" if found.url else ""
        return (
            f'I don\'t cover "{_echo(found.text)}" ({safe(found.name or "")}): nobody has verified the '
            f"text that governs it, so I won't guess.{link}"
        )
    if not found.text.strip():
        return "Give me a model name, e.g. Llama 3.1."
    hint = f" Did you mean {names(kb, found.suggestions)}?" if found.suggestions else ""
    return f'I don\'t know a model called "{_echo(found.text)}".{hint} `/topics` lists the models I know.'


def model_for(matcher: Matcher, text: str) -> str:
    """One model id for ``text``, or LookupFailed saying what it is instead."""
    picked = exact_id(text, matcher.kb.models)
    if picked is not None:
        return picked
    found = matcher.resolve(text)
    if found.kind == MODEL:
        return found.ids[0]
    raise LookupFailed(not_a_model(matcher.kb, found))


def license_for(matcher: Matcher, text: str) -> str:
    """One licence id for ``text`` (its id, name or an alias), or LookupFailed."""
    kb = matcher.kb
    picked = exact_id(text, kb.licenses)
    if picked is not None:
        return picked
    found = matcher.resolve(text)
    if found.kind == LICENSE:
        return found.ids[0]
    if found.kind == MODEL:
        model = kb.models[found.ids[0]]
        raise LookupFailed(
            f'"{_echo(text)}" is a model ({safe(short_name(model.name))}); its licence is '
            f"{safe(kb.licenses[model.license].name)}. Give a licence, or use the model option."
        )
    raise LookupFailed(f'I don\'t know a licence called "{_echo(text)}"; pick one from the list.')


def models_for(matcher: Matcher, text: str) -> tuple[list[str], list[str]]:
    """(model ids, messages for the names that did not resolve) for a comma-separated list.
    A family stands for its members ("llama" compares every Llama)."""
    models: list[str] = []
    problems: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        picked = exact_id(part, matcher.kb.models)
        found = matcher.resolve(part) if picked is None else Resolution(MODEL, part, (picked,))
        if found.kind in (MODEL, FAMILY):
            models.extend(found.ids)
        else:
            problems.append(not_a_model(matcher.kb, found))
    return list(dict.fromkeys(models)), problems


# -- autocomplete: ranking only ------------------------------------------------------------------------


class ModelIndex:
    """A fuzzy ranking of model names for autocomplete over one KnowledgeBase (never decides)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.names: dict[str, str] = {}  # normalised alias -> model id
        for model in kb.models.values():
            for alias in (model.id, model.name, short_name(model.name), *model.aliases):
                key = normalize(alias)
                if key:
                    self.names.setdefault(key, model.id)
            for derivative in model.derivatives:  # "Code Llama" -> the model whose licence binds it
                for alias in (derivative.name, *derivative.aliases):
                    if normalize(alias):
                        self.names.setdefault(normalize(alias), model.id)
        self.families: dict[str, tuple[str, ...]] = {}
        for family in kb.families.values():
            for alias in (family.id, family.name, short_name(family.name), *family.aliases):
                if normalize(alias):
                    self.families.setdefault(normalize(alias), family.members)
        self._keys = list(self.names)
        self._by_name = sorted(kb.models, key=lambda m: kb.models[m].name.lower())

    def search(self, text: str, limit: int = MAX_CHOICES) -> list[str]:
        """Model ids matching what was typed so far, best first."""
        query = normalize(text)
        if not query:
            return self._by_name[:limit]
        found: list[str] = []
        if query in self.names:
            found.append(self.names[query])
        found.extend(self.families.get(query, ()))
        found.extend(m for key, m in self.names.items() if key.startswith(query))
        found.extend(m for key, m in self.names.items() if query in key)
        hits = process.extract(
            query, self._keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=FUZZY_CUTOFF
        )
        found.extend(self.names[key] for key, _, _ in hits)
        return list(dict.fromkeys(found))[:limit]

    def choices(self, text: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=clip(self.kb.models[m].name, CHOICE_MAX), value=ID_PREFIX + m)
            for m in self.search(text)
        ]


_INDEXES: dict[int, tuple[KnowledgeBase, ModelIndex]] = {}


def model_index(kb: KnowledgeBase) -> ModelIndex:
    """The index for this KnowledgeBase, built once (a reload makes a new one)."""
    cached = _INDEXES.get(id(kb))
    if cached is None or cached[0] is not kb:
        _INDEXES.clear()
        cached = (kb, ModelIndex(kb))
        _INDEXES[id(kb)] = cached
    return cached[1]


def model_list_choices(kb: KnowledgeBase, text: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated list of models: completes the last name."""
    head, _, last = text.rpartition(",")
    prefix = ", ".join(p.strip() for p in head.split(",") if p.strip())
    out = []
    for model_id in model_index(kb).search(last):
        name = short_name(kb.models[model_id].name)
        value = f"{prefix}, {name}" if prefix else name
        if len(value) <= CHOICE_MAX:
            out.append(app_commands.Choice(name=value, value=value))
    return out[:MAX_CHOICES]


def license_choices(kb: KnowledgeBase, text: str) -> list[app_commands.Choice[str]]:
    query = normalize(text)
    found = [
        lic
        for lic in sorted(kb.licenses.values(), key=lambda lic: lic.name.lower())
        if not query or any(query in normalize(n) for n in (lic.id, lic.name, *lic.aliases))
    ]
    return [
        app_commands.Choice(name=clip(lic.name, CHOICE_MAX), value=ID_PREFIX + lic.id)
        for lic in found[:MAX_CHOICES]
    ]


# -- topics (not names of things: a short fixed list) -------------------------------------------------


def resolve_topic(kb: KnowledgeBase, text: str) -> str:
    text = text.strip()
    if text in kb.topics:
        return text
    names_ = {normalize(t.name): t.id for t in kb.topics.values()} | {
        normalize(t.id): t.id for t in kb.topics.values()
    }
    query = normalize(text)
    if query in names_:
        return names_[query]
    hit = process.extractOne(query, list(names_), scorer=fuzz.WRatio, score_cutoff=TOPIC_CUTOFF)
    if hit:
        return names_[hit[0]]
    raise LookupFailed(f'I don\'t know the topic "{_echo(text)}". `/topics` lists them.')


def topic_choices(kb: KnowledgeBase, text: str) -> list[app_commands.Choice[str]]:
    query = normalize(text)
    topics = list(kb.topics.values())
    if query:
        scored = [
            (
                max(
                    fuzz.partial_ratio(query, normalize(t.name)),
                    fuzz.partial_ratio(query, normalize(t.question)),
                ),
                t,
            )
            for t in topics
        ]
        topics = [t for score, t in sorted(scored, key=lambda p: -p[0]) if score >= FUZZY_CUTOFF]
    return [app_commands.Choice(name=clip(t.name, CHOICE_MAX), value=t.id) for t in topics[:MAX_CHOICES]]


# -- transformers ---------------------------------------------------------------------------------------


class ModelTransformer(app_commands.Transformer):
    """``model: app_commands.Transform[str, ModelTransformer]``: autocomplete, then the resolver."""

    async def transform(self, interaction: discord.Interaction[RiderBot], value: str) -> str:  # type: ignore[override]
        return model_for(interaction.client.engine.matcher, value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[RiderBot], value: str
    ) -> list[app_commands.Choice[str]]:
        return model_index(interaction.client.engine.kb).choices(value)


class LicenseTransformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction[RiderBot], value: str) -> str:  # type: ignore[override]
        return license_for(interaction.client.engine.matcher, value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[RiderBot], value: str
    ) -> list[app_commands.Choice[str]]:
        return license_choices(interaction.client.engine.kb, value)


class TopicTransformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction[RiderBot], value: str) -> str:  # type: ignore[override]
        return resolve_topic(interaction.client.engine.kb, value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[RiderBot], value: str
    ) -> list[app_commands.Choice[str]]:
        return topic_choices(interaction.client.engine.kb, value)
