"""The resolved knowledge base: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

TOPIC_IDS: tuple[str, ...] = (
    "commercial-use",
    "user-threshold",
    "outputs-training",
    "fine-tuning-derivatives",
    "redistribution",
    "attribution-naming",
    "acceptable-use",
    "geographic-restriction",
    "termination-litigation",
    "output-ownership",
    "open-source-status",
)

VERDICTS: tuple[str, ...] = ("yes", "no", "conditional", "not-addressed", "not-verified")


@dataclass(frozen=True)
class Quote:
    text: str
    source: str


@dataclass(frozen=True)
class Rider:
    verdict: str
    answer: str
    quotes: tuple[Quote, ...] = ()
    details: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    question: str
    phrasings: tuple[str, ...]
    weak_phrasings: tuple[str, ...] = ()


@dataclass(frozen=True)
class License:
    id: str
    name: str
    version: str
    url: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...]
    riders: dict[str, Rider]
    osi_approved: bool | None = None
    file: str = ""


@dataclass(frozen=True)
class Derivative:
    name: str
    aliases: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    family: str
    version: str
    license: str
    aliases: tuple[str, ...]
    riders: dict[str, Rider]
    """Resolved riders: the licence's riders with this model's overrides applied."""
    overrides: frozenset[str] = frozenset()
    released: str | None = None
    notes: tuple[str, ...] = ()
    derivatives: tuple[Derivative, ...] = ()
    license_evidence: tuple[Quote, ...] = ()
    file: str = ""


@dataclass(frozen=True)
class Family:
    id: str
    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]
    file: str = ""
    not_covered: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    topics: dict[str, Topic]
    licenses: dict[str, License]
    models: dict[str, Model]
    families: dict[str, Family]
    sources: dict[str, str] = field(repr=False)
    """Source id -> body text (after the provenance header)."""
    knowledge_date: str = ""
    learned: tuple[tuple[str, str | None, str | None, str], ...] = ()
    """Phrasings taught by moderators: (question, model id, licence id, topic id)."""

    def rider(self, model_id: str | None, license_id: str | None, topic: str) -> Rider | None:
        if model_id is not None:
            return self.models[model_id].riders.get(topic)
        if license_id is not None:
            return self.licenses[license_id].riders.get(topic)
        return None

    def license_of(self, model_id: str) -> License:
        return self.licenses[self.models[model_id].license]
