"""Wording shared by every renderer, so the console and Discord say the same thing.

An answer starts with its direct reply ("Yes —", "No —", "It depends —") or, for an open question,
the fact itself ("700 million monthly active users —"); a licence card shows what each topic means for
the user (allowed, restricted, forbidden, not addressed) with a mark that matches it.
"""

from __future__ import annotations

import re

from bot.knowledge import KnowledgeBase
from bot.matching import Answer
from bot.matching.answer import DEPENDS, NO, YES

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
REPLY_EMOJI = {
    YES: "\N{WHITE HEAVY CHECK MARK}",
    NO: "\N{NO ENTRY}",
    DEPENDS: "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}",
    None: "\N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16}",
}
MEANING_EMOJI = {
    "allowed": "\N{WHITE HEAVY CHECK MARK}",
    "restricted": "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}",
    "forbidden": "\N{NO ENTRY}",
    "not-addressed": "\N{HEAVY MINUS SIGN}",
    "unknown": "\N{BLACK QUESTION MARK ORNAMENT}",
}
DISCLAIMER = "Legal information, not legal advice: check the official text for your case."
GENERAL_LABEL = "General information (not about one model)"
LANGUAGES_READ = "English, 中文, 日本語, 한국어, Tiếng Việt, Español, Português, Français, Deutsch, Italiano"


def subject_name(kb: KnowledgeBase, answer: Answer) -> str:
    if answer.model and answer.model in kb.models:
        return kb.models[answer.model].name
    if answer.family and answer.family in kb.families:
        return kb.families[answer.family].name
    if answer.license and answer.license in kb.licenses:
        return kb.licenses[answer.license].name
    if answer.general:
        return GENERAL_LABEL
    return "?"


def license_line(kb: KnowledgeBase, license_id: str) -> str:
    lic = kb.licenses[license_id]
    return f"{lic.name} ({lic.version})"


def topic_name(kb: KnowledgeBase, topic: str | None) -> str:
    return kb.topics[topic].name if topic and topic in kb.topics else "licence"


def opening(answer: Answer) -> str:
    """The first words of an answer: its lead and body, "No — at $2M you are above ..."."""
    body = (answer.answer or "").strip()
    if answer.lead:
        return f"{answer.lead} — {body}" if body else answer.lead
    return body[:1].upper() + body[1:]


def headline(kb: KnowledgeBase, answer: Answer) -> str:
    """A title that starts with the same words as the answer: "No — Llama 2, training on outputs"."""
    subject = subject_name(kb, answer)
    what = "licence" if answer.card else topic_name(kb, answer.topic).lower()
    about = f"{subject}, {what}" if answer.topic or answer.card else subject
    if answer.general:
        about = GENERAL_LABEL
    return f"{answer.lead} — {about}" if answer.lead else about


def mark(answer: Answer) -> str:
    return REPLY_EMOJI.get(answer.reply, REPLY_EMOJI[None])


def card_lines(
    kb: KnowledgeBase, model_id: str | None, license_id: str | None = None
) -> list[tuple[str, str, str]]:
    """(mark, topic name, what it means) for each topic of a model's (or licence's) licence."""
    riders = kb.models[model_id].riders if model_id else kb.licenses[license_id or ""].riders
    out = []
    for topic in kb.topics.values():
        rider = riders.get(topic.id)
        if rider is None:
            continue
        meaning = topic.meanings.get(rider.verdict, "unknown")
        label = topic.card_labels.get(rider.verdict, VERDICT_LABELS.get(rider.verdict, rider.verdict))
        out.append((MEANING_EMOJI[meaning], topic.name, label))
    return out


def candidate_label(c_reply: str | None, c_verdict: str | None) -> str:
    if c_reply is not None:
        return {YES: "Yes", NO: "No", DEPENDS: "It depends"}[c_reply]
    return VERDICT_LABELS.get(c_verdict or "", "?")


# Said instead of "I've logged the question ..." when the question could not be stored (the database
# is locked, read-only, full or gone): a reply never claims a question is kept when it is not
NOT_LOGGED = (
    "I could not log the question: my database is not working right now (the error has been "
    "reported), so please ask again later."
)
_LOGGED = re.compile(r"(; |(?<=\.) )I've logged the question so maintainers can [^.]*\.")


def unanswered_text(kb: KnowledgeBase, answer: Answer, *, logged: bool = True) -> str:
    """One or two sentences saying honestly why there is no answer; ``logged=False`` when the
    question could not be stored, so the reply does not claim it was."""
    text = _unanswered_text(kb, answer)
    if logged:
        return text
    return _LOGGED.sub(lambda m: (". " if m.group(1) == "; " else " ") + NOT_LOGGED, text)


def _unanswered_text(kb: KnowledgeBase, answer: Answer) -> str:
    if answer.reason == "not-verified" and (answer.model or answer.license):
        return (
            f"I don't know yet: the licence text for {subject_name(kb, answer)} has not been verified, "
            f"so I won't claim an answer about {topic_name(kb, answer.topic).lower()}. "
            + (answer.answer or "")
        ).strip()
    if answer.reason == "not-covered":
        licence = (
            f" (it is said to be under the {answer.note}, which I have not verified)" if answer.note else ""
        )
        return (
            f'I know the name "{answer.unknown_model}", but I have not verified its licence terms{licence}, so I '
            "won't claim an answer. Check its official page below; I've logged the question so maintainers can "
            "add it."
        )
    if answer.reason == "language":
        return (
            f"I can't read that language yet. I understand questions in {LANGUAGES_READ}; my answers are in "
            "English."
        )
    if answer.reason == "chatter":
        return 'Happy to help! Ask me about an AI model\'s licence, e.g. "can I use Llama 3.1 commercially?".'
    if answer.unknown_model:
        text = (
            f"I don't know the model \"{answer.unknown_model}\", so I can't tell you its licence terms. "
            "I've logged the question so maintainers can add it."
        )
        if answer.general == "code-vs-weights" and "code-vs-weights" in kb.general:
            text += " In general: " + kb.general["code-vs-weights"].answer
        return text
    if answer.reason in ("no-topic", "not-a-licence-question", "off-topic"):
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
    if answer.topic is None:
        return "Which one do you mean? Pick a model to see its licence:"
    return f"Which one do you mean? {topic_name(kb, answer.topic)} differs between versions:"


def topic_example(kb: KnowledgeBase, topic: str | None) -> str:
    examples = {
        "commercial-use": "can I use Llama 3.1 commercially?",
        "outputs-training": "can I train my model on Llama 2 outputs?",
        "geographic-restriction": "is Llama 3.2 vision restricted in the EU?",
    }
    return examples.get(topic or "", "is Mistral 7B free for commercial use?")
