"""Where an answer becomes a Discord embed.

Pure functions: an Answer (or a model, a topic) and the KnowledgeBase in, a ``discord.Embed`` out.
No I/O, no bot state. The wording is shared with the console (bot.rendering.common); this module
only decides the layout and keeps every embed inside Discord's limits:
title 256, description 4096, field name 256, field value 1024, footer 2048, 25 fields, 6000 in all.

Long text is cut at a word boundary with "…"; a cut quote also links the full official text.
Text that came from the user (an unknown model name, a "based on" subject) is escaped for markdown
and mentions before it is shown.
"""

from __future__ import annotations

import dataclasses
import re

import discord

from bot.knowledge import KnowledgeBase, Model, Quote
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.rendering.common import (
    DISCLAIMER,
    REPLY_EMOJI,
    VERDICT_EMOJI,
    VERDICT_LABELS,
    candidate_label,
    card_lines,
    clarify_text,
    headline,
    license_line,
    mark,
    opening,
    subject_name,
    topic_name,
    unanswered_text,
)

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
FIELDS_MAX = 25
TOTAL_MAX = 6000
ELLIPSIS = "…"

MAX_QUOTES = 3  # quotes shown in one answer; the rest are a click away in the official text
COMPARE_MAX_MODELS = 10

REPLY_COLOURS = {
    "yes": discord.Colour.green(),
    "no": discord.Colour.red(),
    "depends": discord.Colour.gold(),
    None: discord.Colour.blurple(),
}
VERDICT_COLOURS = {
    "yes": discord.Colour.green(),
    "no": discord.Colour.red(),
    "conditional": discord.Colour.gold(),
    "not-addressed": discord.Colour.light_grey(),
    "not-verified": discord.Colour.dark_grey(),
}
CLARIFY_COLOUR = discord.Colour.blurple()
UNANSWERED_COLOUR = discord.Colour.dark_grey()
INFO_COLOUR = discord.Colour.blurple()

_TRAILING = ",;:-–— "


# -- text helpers --------------------------------------------------------------------------------


def safe(text: str) -> str:
    """User-supplied text, made inert: no markdown, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def clip(text: str, limit: int, suffix: str = "") -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending in "…" + ``suffix``
    when it had to be cut. Text that fits is returned unchanged."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - len(suffix)
    if room <= 0:
        return (ELLIPSIS + suffix)[:limit]
    cut = text[:room]
    if not text[room].isspace():  # cut inside a word: back up to the last space
        head = cut.rsplit(None, 1)[0] if " " in cut.strip() else ""
        if len(head) >= room // 2:  # but don't throw most of the text away for one enormous "word"
            cut = head
    return cut.rstrip(_TRAILING).rstrip() + ELLIPSIS + suffix


def short_name(name: str) -> str:
    """ "Gemma (Gemma 1, 1.1, 2, ...)" -> "Gemma": the name without its parenthesised detail."""
    return re.sub(r"\s*\(.*\)\s*$", "", name).strip() or name


def quote_block(text: str, limit: int, url: str | None) -> str:
    """A verbatim quote as a markdown quote block of at most ``limit`` characters. A quote that has
    to be cut ends at a word boundary with "…" and, on its own line, a link to the full text."""
    flat = " ".join(text.split())
    whole = "> " + discord.utils.escape_markdown(flat)
    if len(whole) <= limit:
        return whole
    more = f"\n[Read the full text]({url})" if url else ""
    room = limit - len(more) - 2
    # escaping can only lengthen the text: shrink the raw cut until the escaped one fits
    n = room
    while n > 0:
        cut = clip(flat, n)
        escaped = discord.utils.escape_markdown(cut[: -len(ELLIPSIS)]) + ELLIPSIS
        if len(escaped) <= room:
            return "> " + escaped + more
        n -= max(1, len(escaped) - room)
    return ("> " + ELLIPSIS + more)[:limit]


def footer_text(kb: KnowledgeBase, extra: str = "") -> str:
    text = f"{extra} " if extra else ""
    return clip(f"{text}{DISCLAIMER} Knowledge as of {kb.knowledge_date}.", FOOTER_MAX)


def verdict_line(verdict: str | None) -> str:
    """ "✅ Yes": the emoji and label of a verdict, the thing a reader scans for."""
    v = verdict or ""
    return f"{VERDICT_EMOJI.get(v, '')} {VERDICT_LABELS.get(v, 'Unknown')}".strip()


class _Embed(discord.Embed):
    """An embed that knows its share of a message's 6000 characters (a message may carry several)."""

    total = TOTAL_MAX


def _budget_left(embed: discord.Embed) -> int:
    return getattr(embed, "total", TOTAL_MAX) - len(embed)


def _add_field(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> bool:
    """Add a field if it fits in what is left of the 6000-character total; False if it did not."""
    if len(embed.fields) >= FIELDS_MAX:
        return False
    name = clip(name, FIELD_NAME_MAX)
    value = clip(value, FIELD_VALUE_MAX)
    if len(name) + len(value) > _budget_left(embed):
        return False
    embed.add_field(name=name, value=value, inline=inline)
    return True


def _set_description(embed: discord.Embed, text: str, suffix: str = "") -> None:
    """Set the description last, with whatever room the title, fields and footer left."""
    room = min(DESCRIPTION_MAX, _budget_left(embed))
    embed.description = clip(text, max(room, 0), suffix) if text else None


def _new_embed(total: int, **kwargs) -> discord.Embed:
    embed = _Embed(**kwargs)
    embed.total = total
    return embed


# -- answers ---------------------------------------------------------------------------------------

MAX_PARTS = 5  # questions answered in one message (each its own embed, sharing the 6000 characters)


def answer_embeds(kb: KnowledgeBase, answer: Answer, *, logged: bool = True) -> list[discord.Embed]:
    """The embeds for one message: one, or one per question when the message held several (at most
    MAX_PARTS, all within the 6000 characters a message may carry). ``logged=False``: the question
    could not be stored, and an unanswered reply says so instead of "I've logged it"."""
    if answer.parts and answer.compare:
        return [
            compare_embed(kb, answer.topic or "", [p.model for p in answer.parts if p.model], answer=answer)
        ]
    if answer.parts:
        parts = answer.parts[:MAX_PARTS]
        share = TOTAL_MAX // len(parts) - 10
        embeds = [
            answer_embed(kb, p, total=share, index=(i, len(parts)), logged=logged)
            for i, p in enumerate(parts, 1)
        ]
        if len(answer.parts) > MAX_PARTS:
            embeds[-1].set_footer(
                text=footer_text(kb, f"I answered the first {MAX_PARTS} questions; ask the rest again.")
            )
        return embeds
    return [answer_embed(kb, answer, logged=logged)]


def answer_embed(
    kb: KnowledgeBase,
    answer: Answer,
    *,
    total: int = TOTAL_MAX,
    index: tuple[int, int] | None = None,
    logged: bool = True,
) -> discord.Embed:
    """The embed for any outcome: answered, clarify or unanswered (``logged``: see answer_embeds)."""
    answer = _escaped(answer)
    if answer.status == ANSWERED and answer.parts and not index:
        return answer_embeds(kb, answer, logged=logged)[0]
    if answer.status == ANSWERED:
        return answered_embed(kb, answer, total=total, index=index)
    if answer.status == CLARIFY:
        return clarify_embed(kb, answer, total=total)
    return unanswered_embed(kb, answer, total=total, logged=logged)


def _escaped(answer: Answer) -> Answer:
    """The fields of an Answer that echo the user's own words, escaped."""
    changes: dict[str, str] = {}
    if answer.unknown_model:
        changes["unknown_model"] = safe(answer.unknown_model)
    if answer.based_on:
        changes["based_on"] = safe(answer.based_on)
    return dataclasses.replace(answer, **changes) if changes else answer  # type: ignore[arg-type]


def answered_embed(
    kb: KnowledgeBase, answer: Answer, *, total: int = TOTAL_MAX, index: tuple[int, int] | None = None
) -> discord.Embed:
    subject = subject_name(kb, answer)
    title = headline(kb, answer)
    if short_name(subject) != subject:
        title = title.replace(subject, short_name(subject), 1)
    prefix = f"{index[0]}/{index[1]} · " if index and index[1] > 1 else ""
    embed = _new_embed(
        total,
        title=clip(f"{prefix}{mark(answer)} {title}", TITLE_MAX),
        url=answer.url,
        colour=REPLY_COLOURS.get(answer.reply, INFO_COLOUR),
    )
    if short_name(subject) != subject:  # "Gemma (Gemma 1, 1.1, 2, ...)": say which models it covers
        embed.set_author(name=clip(subject, AUTHOR_MAX))
    embed.set_footer(text=footer_text(kb, answer.language_note or ""))
    if answer.license:
        lic = kb.licenses[answer.license]
        _add_field(embed, "Licence", f"[{license_line(kb, lic.id)}]({lic.url})")
    if answer.card:
        card = "\n".join(
            f"{m} **{t}**: {label}" for m, t, label in card_lines(kb, answer.model, answer.license)
        )
        _add_field(embed, "At a glance", card)
    if answer.members:
        lines = [
            f"• **{short_name(kb.models[c.model].name)}**: {candidate_label(c.reply, c.verdict)}"
            for c in answer.members
            if c.model in kb.models
        ]
        _add_field(embed, "Per model", "\n".join(lines))
    notes = kb.models[answer.model].notes if answer.model else ()
    # leave room for the short answer: it matters more than a third quote or a note
    reserve = min(len(answer.answer or "") + 200 + sum(len(n) for n in answer.notes), 1400)
    for quote in answer.quotes[:MAX_QUOTES]:
        room = min(FIELD_VALUE_MAX, _budget_left(embed) - reserve - 40)
        if room < 200:
            break
        _add_field(embed, _quote_title(kb, quote), quote_block(quote.text, room, answer.url))
    for note in notes:
        if _budget_left(embed) - reserve < 300:
            break
        _add_field(embed, "Note", note)

    lines = [opening(answer)]
    if answer.assumed:
        lines.append(f"*({answer.assumed})*")
    if answer.based_on:
        lines.append(f"*Answering for {subject}, the base model whose licence binds {answer.based_on}.*")
    lines.extend(answer.notes)
    if answer.details:
        lines.append(answer.details)
    _set_description(embed, "\n\n".join(lines))
    return embed


def _quote_title(kb: KnowledgeBase, quote: Quote) -> str:
    return f"What the licence says ({quote.source})"


def clarify_embed(kb: KnowledgeBase, answer: Answer, *, total: int = TOTAL_MAX) -> discord.Embed:
    embed = _new_embed(
        total,
        title=clip(topic_name(kb, answer.topic) if answer.topic else "Which model?", TITLE_MAX),
        colour=CLARIFY_COLOUR,
    )
    embed.set_footer(text=footer_text(kb, "Pick a model below." if answer.candidates else ""))
    lines = [clarify_text(kb, answer)]
    for c in answer.candidates:
        name = kb.models[c.model].name if c.model in kb.models else c.model
        if c.topic:
            emoji = REPLY_EMOJI.get(c.reply) if c.reply else VERDICT_EMOJI.get(c.verdict or "", "")
            lines.append(f"• **{short_name(name)}**: {emoji} {candidate_label(c.reply, c.verdict)}".rstrip())
        else:
            lines.append(
                f"• **{short_name(name)}**: {kb.license_of(c.model).name}"
                if c.model in kb.models
                else f"• {name}"
            )
    _set_description(embed, "\n".join(lines))
    return embed


def unanswered_embed(
    kb: KnowledgeBase, answer: Answer, *, total: int = TOTAL_MAX, logged: bool = True
) -> discord.Embed:
    if answer.reason == "not-verified" and (answer.model or answer.license):
        title = f"{verdict_line('not-verified')}: {subject_name(kb, answer)}, {topic_name(kb, answer.topic).lower()}"
    elif answer.reason == "not-covered":
        title = f"{VERDICT_EMOJI['not-verified']} Not verified: {answer.unknown_model}"
    else:
        title = "I can't answer that one"
    embed = _new_embed(total, title=clip(title, TITLE_MAX), url=answer.url, colour=UNANSWERED_COLOUR)
    embed.set_footer(text=footer_text(kb, answer.language_note or ""))
    if answer.url:
        _add_field(embed, "Official page" if answer.reason == "not-covered" else "Official text", answer.url)
    _set_description(embed, "\n\n".join([unanswered_text(kb, answer, logged=logged), *answer.notes]))
    return embed


# -- licence cards, comparisons, help -----------------------------------------------------------


def license_card(kb: KnowledgeBase, model_id: str) -> discord.Embed:
    """One model's licence at a glance: licence name and version, link, one line per topic."""
    model = kb.models[model_id]
    lic = kb.licenses[model.license]
    embed = discord.Embed(title=clip(model.name, TITLE_MAX), url=lic.url, colour=INFO_COLOUR)
    embed.set_footer(text=footer_text(kb, "Ask /ask for the clause behind a line."))
    for note in model.notes:
        if not _add_field(embed, "Note", note):
            break
    lines = [f"**Licence:** [{license_line(kb, lic.id)}]({lic.url})", ""]
    lines.extend(f"{m} **{topic}**: {label}" for m, topic, label in card_lines(kb, model_id))
    if model.base and model.base in kb.models:
        base = kb.models[model.base]
        lines.extend(["", f"Built on **{base.name}**, whose {kb.license_of(base.id).name} applies as well."])
    _set_description(embed, "\n".join(lines))
    return embed


def compare_embed(
    kb: KnowledgeBase, topic_id: str, model_ids: list[str], answer: Answer | None = None
) -> discord.Embed:
    """The same topic for several models, side by side (inline fields). With the Answer of a question
    that compared them ("llama 3 vs llama 3.1 on outputs"), each model's direct reply leads its field."""
    topic = kb.topics[topic_id]
    models = list(dict.fromkeys(model_ids))[:COMPARE_MAX_MODELS]
    replies = {p.model: p for p in answer.parts} if answer is not None else {}
    embed = discord.Embed(title=clip(f"{topic.name}: side by side", TITLE_MAX), colour=INFO_COLOUR)
    embed.set_footer(text=footer_text(kb))
    _set_description(embed, topic.question)
    per_field = min(FIELD_VALUE_MAX, (_budget_left(embed) - 100) // max(len(models), 1) - 60)
    for model_id in models:
        model = kb.models[model_id]
        lic = kb.licenses[model.license]
        rider = model.riders.get(topic_id)
        part = replies.get(model_id)
        if part is not None:
            head = f"{mark(part)} {part.lead or ''}".strip()
            body = clip(part.answer or "", max(per_field - len(head) - 90, 20))
            _add_field(
                embed,
                short_name(model.name),
                f"{head}\n{body}\n[{clip(lic.name, 80)}]({lic.url})",
                inline=True,
            )
            continue
        head = f"{verdict_line(rider.verdict if rider else None)}"
        link = f"\n[{clip(lic.name, 80)}]({lic.url})"
        body = clip(
            rider.answer if rider else "No rider for this topic.",
            max(per_field - len(head) - len(link) - 1, 20),
        )
        _add_field(embed, short_name(model.name), f"{head}\n{body}{link}", inline=True)
    return embed


def topics_embed(kb: KnowledgeBase) -> discord.Embed:
    """What the bot knows and how to ask it."""
    embed = discord.Embed(title="What riderbot knows", colour=INFO_COLOUR)
    embed.set_footer(text=footer_text(kb))
    topic_lines = [f"**{t.name}**: {t.question}" for t in kb.topics.values()]
    for chunk in _chunks(topic_lines, FIELD_VALUE_MAX):
        _add_field(embed, "Topics", chunk)
    family_lines = []
    for family in sorted(kb.families.values(), key=lambda f: f.name.lower()):
        names = ", ".join(short_name(kb.models[m].name) for m in family.members if m in kb.models)
        family_lines.append(f"**{short_name(family.name)}**: {names}")
    for chunk in _chunks(family_lines, FIELD_VALUE_MAX):
        if not _add_field(embed, f"Models ({len(kb.models)})", chunk):
            break
    _set_description(
        embed,
        "Ask me whether a model's licence allows something, and I quote the clause that says so.\n"
        "• `/ask question:` e.g. *can I use Llama 3.1 outputs to train my model?*\n"
        "• Mention me with a question, or DM me.\n"
        "• Right-click a message → **Apps** → **Ask riderbot**.\n"
        "• `/license model:` one model's licence at a glance; "
        "`/compare topic: models:` one topic for several models.",
    )
    return embed


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines with newlines into pieces of at most ``limit`` characters (long lines are clipped)."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def model_label(model: Model, limit: int = 100) -> str:
    """A model's display name cut to ``limit`` (autocomplete choices: 100, buttons: 80)."""
    return clip(model.name, limit)
