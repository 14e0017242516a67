"""Model and topic names typed into slash-command options (not an extension).

``ModelIndex`` is a fuzzy name lookup over one KnowledgeBase: ``search`` feeds autocomplete (best
first, at most 25) and ``resolve`` turns what the user typed (an autocomplete value, an alias, a
repo id, a near miss) into one model id, or raises ``LookupFailed`` with a message for the user.
The app-command transformers wrap it, like RoboDanny's converters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.rendering.embeds import clip, safe, short_name
from bot.textnorm import normalize

if TYPE_CHECKING:
    from bot.client import RiderBot

MAX_CHOICES = 25
CHOICE_MAX = 100  # Discord's limit for a choice's name and value
FUZZY_CUTOFF = 60.0
RESOLVE_CUTOFF = 86.0


class LookupFailed(app_commands.AppCommandError):
    """A name the bot could not resolve; the message is shown to the user as is."""


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(t for t in norm.split() if any(c.isdigit() for c in t))


class ModelIndex:
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
                if normalize(alias) and normalize(alias) not in self.names:
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
        hits = process.extract(query, self._keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=FUZZY_CUTOFF)
        found.extend(self.names[key] for key, _, _ in hits)
        return list(dict.fromkeys(found))[:limit]

    def resolve(self, text: str) -> str:
        """One model id for ``text``, or LookupFailed saying what went wrong."""
        text = text.strip()
        if text in self.kb.models:
            return text
        query = normalize(text)
        if not query:
            raise LookupFailed("Give me a model name, e.g. Llama 3.1.")
        if query in self.names:
            return self.names[query]
        if query in self.families:
            raise LookupFailed(self._ambiguous(text, self.families[query]))
        numbers = _numbers(query)
        # never resolve across versions: "llama 5" is not "llama 2"
        keys = [k for k in self._keys if _numbers(k) == numbers] or ([] if numbers else self._keys)
        hits = process.extract(query, keys, scorer=fuzz.WRatio, limit=5, score_cutoff=RESOLVE_CUTOFF)
        models = list(dict.fromkeys(self.names[k] for k, _, _ in hits))
        if len(models) == 1 or (models and hits[0][1] - max((s for k, s, _ in hits if self.names[k] != models[0]),
                                                         default=0) >= 8):
            return models[0]
        if len(models) > 1:
            raise LookupFailed(self._ambiguous(text, models))
        raise LookupFailed(f"I don't know a model called \"{safe(clip(text, 100))}\". "
                           "`/topics` lists the models I know.")

    def _ambiguous(self, text: str, models: tuple[str, ...] | list[str]) -> str:
        names = ", ".join(short_name(self.kb.models[m].name) for m in models[:10] if m in self.kb.models)
        return f"\"{safe(clip(text, 100))}\" could be several models: {names}. Pick one."

    def choices(self, text: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=clip(self.kb.models[m].name, CHOICE_MAX), value=m)
                for m in self.search(text)]


_INDEXES: dict[int, tuple[KnowledgeBase, ModelIndex]] = {}


def model_index(kb: KnowledgeBase) -> ModelIndex:
    """The index for this KnowledgeBase, built once (a reload makes a new one)."""
    cached = _INDEXES.get(id(kb))
    if cached is None or cached[0] is not kb:
        _INDEXES.clear()
        cached = (kb, ModelIndex(kb))
        _INDEXES[id(kb)] = cached
    return cached[1]


def resolve_topic(kb: KnowledgeBase, text: str) -> str:
    text = text.strip()
    if text in kb.topics:
        return text
    names = {normalize(t.name): t.id for t in kb.topics.values()} | {normalize(t.id): t.id for t in kb.topics.values()}
    query = normalize(text)
    if query in names:
        return names[query]
    hit = process.extractOne(query, list(names), scorer=fuzz.WRatio, score_cutoff=RESOLVE_CUTOFF)
    if hit:
        return names[hit[0]]
    raise LookupFailed(f"I don't know the topic \"{safe(clip(text, 100))}\". `/topics` lists them.")


def topic_choices(kb: KnowledgeBase, text: str) -> list[app_commands.Choice[str]]:
    query = normalize(text)
    topics = list(kb.topics.values())
    if query:
        scored = [(max(fuzz.partial_ratio(query, normalize(t.name)), fuzz.partial_ratio(query, normalize(t.question))), t)
                  for t in topics]
        topics = [t for score, t in sorted(scored, key=lambda p: -p[0]) if score >= FUZZY_CUTOFF]
    return [app_commands.Choice(name=clip(t.name, CHOICE_MAX), value=t.id) for t in topics[:MAX_CHOICES]]


class ModelTransformer(app_commands.Transformer):
    """``model: app_commands.Transform[str, ModelTransformer]``: autocomplete + fuzzy resolve to an id."""

    async def transform(self, interaction: discord.Interaction[RiderBot], value: str) -> str:  # type: ignore[override]
        return model_index(interaction.client.engine.kb).resolve(value)

    async def autocomplete(self, interaction: discord.Interaction[RiderBot],  # type: ignore[override]
                           value: str) -> list[app_commands.Choice[str]]:
        return model_index(interaction.client.engine.kb).choices(value)


class TopicTransformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction[RiderBot], value: str) -> str:  # type: ignore[override]
        return resolve_topic(interaction.client.engine.kb, value)

    async def autocomplete(self, interaction: discord.Interaction[RiderBot],  # type: ignore[override]
                           value: str) -> list[app_commands.Choice[str]]:
        return topic_choices(interaction.client.engine.kb, value)


def model_list_choices(kb: KnowledgeBase, text: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated list of models: completes the last name."""
    head, _, last = text.rpartition(",")
    prefix = ", ".join(p.strip() for p in head.split(",") if p.strip())
    index = model_index(kb)
    out = []
    for model_id in index.search(last):
        name = short_name(kb.models[model_id].name)
        value = f"{prefix}, {name}" if prefix else name
        if len(value) <= CHOICE_MAX:
            out.append(app_commands.Choice(name=value, value=value))
    return out[:MAX_CHOICES]


def resolve_models(kb: KnowledgeBase, text: str) -> tuple[list[str], list[str]]:
    """(model ids, messages for the names that did not resolve) for a comma-separated list."""
    index = model_index(kb)
    models: list[str] = []
    problems: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            models.append(index.resolve(part))
        except LookupFailed as exc:
            problems.append(str(exc))
    return list(dict.fromkeys(models)), problems
