"""An Answer as plain text, for `riderbot ask` and the console."""

from __future__ import annotations

import textwrap

from bot.knowledge import KnowledgeBase
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.rendering.common import (
    DISCLAIMER,
    candidate_label,
    card_lines,
    clarify_text,
    headline,
    license_line,
    opening,
    subject_name,
    topic_name,
    unanswered_text,
)


def render_text(kb: KnowledgeBase, answer: Answer, width: int = 88) -> str:
    """One answer, or every part of a message that asked several questions."""
    if answer.parts and answer.compare:
        lines = [f"{topic_name(kb, answer.topic)}, side by side:", ""]
        for part in answer.parts:
            lines.append(f"== {subject_name(kb, part)} ==")
            lines.extend(_body(kb, part, width))
            lines.append("")
        return "\n".join([*lines, _footer(kb)])
    if answer.parts:
        lines = []
        for i, part in enumerate(answer.parts, 1):
            lines.append(f"[{i}/{len(answer.parts)}]")
            lines.extend(_body(kb, part, width))
            lines.append("")
        return "\n".join([*lines, _footer(kb)])
    return "\n".join([*_body(kb, answer, width), "", _footer(kb)])


def _footer(kb: KnowledgeBase) -> str:
    return f"{DISCLAIMER} Knowledge as of {kb.knowledge_date}."


def _body(kb: KnowledgeBase, answer: Answer, width: int) -> list[str]:
    wrap = textwrap.TextWrapper(width=width)
    lines: list[str] = []

    def para(text: str | None) -> None:
        if text:
            lines.append("")
            lines.append(wrap.fill(text))

    if answer.status == ANSWERED:
        lines.append(wrap.fill(opening(answer)))
        if answer.assumed:
            lines.append(f"({answer.assumed})")
        lines.append(f"[{headline(kb, answer)}]")
        if answer.based_on:
            para(f"(Answering for {subject_name(kb, answer)}, the base model whose licence binds {answer.based_on}.)")
        for note in answer.notes:
            para(note)
        if answer.card:
            lines.append("")
            for mark, topic, label in card_lines(kb, answer.model, answer.license):
                lines.append(f"  {mark} {topic}: {label}")
        para(answer.details)
        if answer.members:
            lines.append("")
            for c in answer.members:
                lic = kb.license_of(c.model)
                lines.append(f"  - {kb.models[c.model].name}: {candidate_label(c.reply, c.verdict)} ({lic.name})")
        for quote in answer.quotes:
            lines.append("")
            quoted = textwrap.fill(" ".join(quote.text.split()), width=width - 2)
            lines.extend("> " + line for line in quoted.splitlines())
            lines.append(f"  (source: {quote.source})")
        if answer.model:
            for note in kb.models[answer.model].notes:
                para(f"Note: {note}")
        if answer.license:
            lines.append("")
            lines.append(f"Licence: {license_line(kb, answer.license)}")
        if answer.url:
            lines.append(f"Official text: {answer.url}")
    elif answer.status == CLARIFY:
        lines.append(wrap.fill(clarify_text(kb, answer)))
        for c in answer.candidates:
            name = kb.models[c.model].name
            topic = f" {topic_name(kb, c.topic).lower()}" if c.topic else " licence"
            lines.append(f"  - {name}: {candidate_label(c.reply, c.verdict)}  (ask: \"{name}{topic}\")")
    else:
        lines.append(wrap.fill(unanswered_text(kb, answer)))
        for note in answer.notes:
            para(note)
        if answer.url:
            lines.append(f"Official page: {answer.url}" if answer.reason == "not-covered" else f"Official text: {answer.url}")
    if answer.language_note:
        lines.append("")
        lines.append(answer.language_note)
    return lines
