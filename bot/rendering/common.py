"""Wording shared by every renderer, so the console and Discord say the same thing."""

from __future__ import annotations

from bot.knowledge import KnowledgeBase
from bot.matching import Answer

VERDICT_LABELS = {
    "yes": "Yes",
    "no": "No",
    "conditional": "With conditions",
    "not-addressed": "Not addressed by the licence",
    "not-verified": "Not verified",
}
VERDICT_EMOJI = {
    "yes": "\N{WHITE HEAVY CHECK MARK}",
    "no": "\N{NO ENTRY}",
    "conditional": "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}",
    "not-addressed": "\N{WHITE QUESTION MARK ORNAMENT}",
    "not-verified": "\N{BLACK QUESTION MARK ORNAMENT}",
}
DISCLAIMER = "Legal information, not legal advice: check the official text for your case."


def subject_name(kb: KnowledgeBase, answer: Answer) -> str:
    if answer.model:
        return kb.models[answer.model].name
    if answer.license:
        return kb.licenses[answer.license].name
    return "?"


def license_line(kb: KnowledgeBase, license_id: str) -> str:
    lic = kb.licenses[license_id]
    return f"{lic.name} ({lic.version})"


def topic_name(kb: KnowledgeBase, topic: str | None) -> str:
    return kb.topics[topic].name if topic and topic in kb.topics else "licence"


def unanswered_text(kb: KnowledgeBase, answer: Answer) -> str:
    """One or two sentences saying honestly why there is no answer."""
    if answer.reason == "not-verified" and answer.model:
        return (
            f"I don't know yet: the licence text for {subject_name(kb, answer)} has not been verified, "
            f"so I won't claim an answer about {topic_name(kb, answer.topic).lower()}. "
            + (answer.answer or "")
        ).strip()
    if answer.unknown_model:
        return (
            f"I don't know the model \"{answer.unknown_model}\", so I can't tell you its licence terms. "
            "I've logged the question so maintainers can add it."
        )
    if answer.reason in ("no-topic", "not-a-licence-question"):
        return (
            "That doesn't look like a licence question I can answer. Ask me about commercial use, "
            "user limits, training on outputs, fine-tuning, redistribution, attribution, acceptable use, "
            "regions, termination, output ownership or open-source status of a model."
        )
    return (
        "I'm not sure enough to answer that. I've logged the question so maintainers can improve my answers."
    )


def clarify_text(kb: KnowledgeBase, answer: Answer) -> str:
    if not answer.candidates:
        return f'Which model do you mean? Ask again with the model name, e.g. "{topic_example(kb, answer.topic)}".'
    return f"Which one do you mean? {topic_name(kb, answer.topic)} differs between versions:"


def topic_example(kb: KnowledgeBase, topic: str | None) -> str:
    examples = {
        "commercial-use": "can I use Llama 3.1 commercially?",
        "outputs-training": "can I train my model on Llama 2 outputs?",
        "geographic-restriction": "is Llama 3.2 vision restricted in the EU?",
    }
    return examples.get(topic or "", "is Mistral 7B free for commercial use?")
