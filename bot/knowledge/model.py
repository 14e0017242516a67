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
REPLIES: tuple[str, ...] = ("yes", "no", "depends")
QUESTION_FORMS: tuple[str, ...] = ("permission", "restriction", "cost")
"""How a yes/no question is put: "can I / may I / is it ok to" asks for a permission, "is there a
limit / is it banned / do I have to" asks whether a restriction exists, "do I have to pay" whether use
costs anything. Open questions ("what", "who", "how many") have no yes/no reply."""
MODEL_KINDS: tuple[str, ...] = (
    "llm",
    "code",
    "vision-language",
    "reasoning",
    "safety",
    "embedding",
    "reranker",
    "image",
    "video",
    "3d",
    "speech-recognition",
    "tts",
    "music",
    "audio",
    "vision",
    "translation",
    "other",
)
THRESHOLD_METRICS: tuple[str, ...] = (
    "monthly-active-users",
    "daily-active-users",
    "annual-revenue",
    "monthly-revenue",
    "monthly-visits",
)


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
    reply: dict[str, str] = field(default_factory=dict)
    """Overrides of the topic's verdict -> reply rule for this rider, by question form."""
    excluded_regions: tuple[str, ...] = ()
    """Region ids (knowledge/places.yaml) whose residents or companies this licence withholds rights from."""
    excluded_scope: str | None = None
    """Set when the exclusion covers only some of the licence's models ("the multimodal models")."""
    more_places: bool = False
    """The text may exclude places beyond excluded_regions (a supported-countries list)."""


@dataclass(frozen=True)
class Threshold:
    """A number in a licence above which its grant ends or a duty starts (Llama's 700M MAU)."""

    metric: str  # one of THRESHOLD_METRICS
    value: float
    quote: Quote
    currency: str | None = None  # for revenue: ISO code, e.g. USD
    when: str | None = None  # when it is measured ("in the month before the release date")
    who: str | None = None  # who is counted ("you and your affiliates")
    above: str = ""  # what happens above it, in our words


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    question: str
    phrasings: tuple[str, ...]
    weak_phrasings: tuple[str, ...] = ()
    replies: dict[str, dict[str, str]] = field(default_factory=dict)
    """question form -> verdict -> reply ("yes" | "no" | "depends")."""
    form: str = "permission"
    """The form of the topic's own question: how a question that names no form is read."""
    card_labels: dict[str, str] = field(default_factory=dict)
    """verdict -> what it means for the user, in a few words ("allowed, with conditions")."""
    meanings: dict[str, str] = field(default_factory=dict)
    """verdict -> allowed | restricted | forbidden | not-addressed | unknown (the mark shown beside it)."""
    open_leads: dict[str, str] = field(default_factory=dict)
    """verdict -> how an open question's answer starts ("You do")."""


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
    thresholds: tuple[Threshold, ...] = ()


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
    base: str | None = None
    """The model this one was fine-tuned or distilled from: its terms apply as well."""
    kind: str | None = None
    url: str | None = None
    """The model's official page (model card), when known."""
    maintainer_entered: bool = False
    """Added from Discord or the CLI by a maintainer; its evidence text is not yet in sources/."""
    evidence_url: str | None = None


@dataclass(frozen=True)
class NotCovered:
    """A name riderbot knows but whose terms it has not verified: it says so and links the official page."""

    name: str
    url: str
    aliases: tuple[str, ...] = ()
    license_name: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Series:
    """A named group inside a family ("Qwen2.5", "Mistral Large"): asking about it offers its members."""

    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    id: str
    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]
    file: str = ""
    not_covered: tuple[NotCovered, ...] = ()
    series: tuple[Series, ...] = ()


MEANINGS: tuple[str, ...] = ("allowed", "restricted", "forbidden", "not-addressed", "unknown")


@dataclass(frozen=True)
class Country:
    id: str
    name: str
    words: tuple[str, ...]
    cities: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()
    """"German", "Dutch": a place only next to a word for who is asking (Places.who_words)."""


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    words: tuple[str, ...]
    members: frozenset[str]


@dataclass(frozen=True)
class Places:
    regions: dict[str, Region] = field(default_factory=dict)
    countries: dict[str, Country] = field(default_factory=dict)
    case_sensitive: frozenset[str] = frozenset()
    """Words that are places only when typed in capitals ("US" but not "us")."""
    who_words: tuple[str, ...] = ()
    not_places: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """language -> place words that are ordinary words in that language."""


@dataclass(frozen=True)
class Use:
    """A use people ask about ("military"), and how a policy clause names it."""

    id: str
    name: str
    question: tuple[str, ...]
    policy: tuple[str, ...]
    qualified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quantities:
    margin: float = 0.2
    metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    common_words: tuple[str, ...] = ()
    """Everyday words of the language ("el", "que", "podemos", "und", "nicht"), used only to tell which
    language a question is in."""
    multipliers: dict[str, float] = field(default_factory=dict)
    periods: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """monthly | yearly -> the words for that period after a sum of money."""
    earning: tuple[str, ...] = ()
    """Words for earning right before a number ("we make 3 million a year"): with a period after it,
    the number is revenue even without a currency."""
    currencies: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    """ISO code -> (symbols and words, value of one unit in US dollars)."""


@dataclass(frozen=True)
class GeneralEntry:
    """A reviewed answer to a general question that names no model (knowledge/general.yaml)."""

    id: str
    question: str
    answer: str
    phrasings: tuple[str, ...]
    reply: str | None = None
    details: str | None = None
    quotes: tuple[Quote, ...] = ()
    replies: dict[str, str] = field(default_factory=dict)
    """question form -> reply, where the entry's own `reply` does not fit ("can I use it commercially?")."""


@dataclass(frozen=True)
class Language:
    """How questions are put in one language (knowledge/languages/<id>.yaml)."""

    id: str
    name: str
    scripts: tuple[str, ...]
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    card: tuple[str, ...] = ()
    answer_note: str | None = None
    licence_words: tuple[str, ...] = ()
    chatter: tuple[str, ...] = ()
    split_before: tuple[str, ...] = ()
    follow_up: tuple[str, ...] = ()
    premise: tuple[str, ...] = ()
    code_words: tuple[str, ...] = ()
    weight_words: tuple[str, ...] = ()
    model_markers: tuple[str, ...] = ()
    name_suffixes: tuple[str, ...] = ()
    not_models: tuple[str, ...] = ()
    deictic: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()
    not_licence: tuple[str, ...] = ()
    question_starts: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    common_words: tuple[str, ...] = ()
    """Everyday words of the language ("el", "que", "podemos", "und", "nicht"), used only to tell which
    language a question is in."""
    opposite: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """topic -> phrasings that ask the opposite of the topic's question ("is it non-commercial?",
    "is it closed source?"): the direct reply is the other way round."""
    multipliers: dict[str, float] = field(default_factory=dict)
    """Number words that mean something else in this language ("mil" is a thousand in Spanish and
    Portuguese, a million in English slang): they override quantities.yaml's multipliers."""


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
    card_phrasings: tuple[str, ...] = ()
    places: Places = field(default_factory=Places)
    quantities: Quantities = field(default_factory=Quantities)
    uses: dict[str, Use] = field(default_factory=dict)
    general: dict[str, GeneralEntry] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)

    def rider(self, model_id: str | None, license_id: str | None, topic: str) -> Rider | None:
        if model_id is not None:
            return self.models[model_id].riders.get(topic)
        if license_id is not None:
            return self.licenses[license_id].riders.get(topic)
        return None

    def license_of(self, model_id: str) -> License:
        return self.licenses[self.models[model_id].license]
