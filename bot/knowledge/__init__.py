"""Knowledge loading and validation: YAML files in, a frozen KnowledgeBase out.

Nothing here knows about Discord or matching. `load_knowledge(path)` raises `KnowledgeError`
with every problem found (file, entry, field, message).
"""

from bot.knowledge.loader import KnowledgeError, Problem, default_knowledge_dir, load_knowledge
from bot.knowledge.model import (
    TOPIC_IDS,
    VERDICTS,
    Derivative,
    Family,
    GeneralEntry,
    KnowledgeBase,
    Language,
    License,
    Model,
    NotCovered,
    Quote,
    Rider,
    Series,
    Threshold,
    Topic,
)

__all__ = [
    "TOPIC_IDS",
    "VERDICTS",
    "Derivative",
    "Family",
    "GeneralEntry",
    "KnowledgeBase",
    "Language",
    "KnowledgeError",
    "License",
    "Model",
    "NotCovered",
    "Problem",
    "Quote",
    "Rider",
    "Series",
    "Threshold",
    "Topic",
    "default_knowledge_dir",
    "load_knowledge",
]
