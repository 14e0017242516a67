"""An Answer as plain text, for `riderbot ask` and the console."""

from __future__ import annotations

import textwrap

from bot.knowledge import KnowledgeBase
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.rendering.common import (
    DISCLAIMER,
    VERDICT_LABELS,
    clarify_text,
    license_line,
    subject_name,
    topic_name,
    unanswered_text,
)


def render_text(kb: KnowledgeBase, answer: Answer, width: int = 88) -> str:
    wrap = textwrap.TextWrapper(width=width)
    lines: list[str] = []
    if answer.status == ANSWERED:
        subject = subject_name(kb, answer)
        lines.append(
            f"{VERDICT_LABELS[answer.verdict or '']}: {subject}, {topic_name(kb, answer.topic).lower()}"
        )
        if answer.based_on:
            lines.append(
                wrap.fill(f"(Answering for {subject}, the base model whose licence binds {answer.based_on}.)")
            )
        lines.append("")
        lines.append(wrap.fill(answer.answer or ""))
        if answer.details:
            lines.append("")
            lines.append(wrap.fill(answer.details))
        for quote in answer.quotes:
            lines.append("")
            quoted = textwrap.fill(" ".join(quote.text.split()), width=width - 2)
            lines.extend("> " + line for line in quoted.splitlines())
            lines.append(f"  (source: {quote.source})")
        if answer.model:
            for note in kb.models[answer.model].notes:
                lines.append("")
                lines.append(wrap.fill(f"Note: {note}"))
        lines.append("")
        lines.append(f"Licence: {license_line(kb, answer.license or '')}")
        lines.append(f"Official text: {answer.url}")
    elif answer.status == CLARIFY:
        lines.append(wrap.fill(clarify_text(kb, answer)))
        for c in answer.candidates:
            verdict = VERDICT_LABELS.get(c.verdict or "", "?")
            lines.append(
                f'  - {kb.models[c.model].name}: {verdict}  (ask: "{kb.models[c.model].name} {topic_name(kb, c.topic).lower()}")'
            )
    else:
        lines.append(wrap.fill(unanswered_text(kb, answer)))
        if answer.url:
            lines.append(f"Official text: {answer.url}")
    lines.append("")
    lines.append(f"{DISCLAIMER} Knowledge as of {kb.knowledge_date}.")
    return "\n".join(lines)
