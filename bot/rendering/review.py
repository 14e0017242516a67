"""Moderator views as Discord embeds and text: the review queue (a page, one entry), the batched
log-channel post of new entries, the knowledge-edit history, /stats and knowledge problems.

Pure functions: rows from Storage (plain dicts) in, ``discord.Embed`` or a string out. Question
text came from users, so it is always escaped (markdown and mentions) and clipped before it is
shown; everything stays inside Discord's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.rendering.embeds import (
    DESCRIPTION_MAX,
    FIELD_VALUE_MAX,
    INFO_COLOUR,
    _add_field,
    clip,
    safe,
)

PAGE_SIZE = 10
CONTENT_MAX = 2000  # Discord's limit for a message's text
QUESTION_IN_LIST = 90  # characters of a question shown in a list line
SORT_LABELS = {"count": "most asked", "newest": "newest"}
STATUS_COLOURS = {
    "open": discord.Colour.orange(),
    "resolved": discord.Colour.green(),
    "dismissed": discord.Colour.dark_grey(),
}


def when(ts: float | None) -> str:
    """A Discord timestamp ("3 hours ago", shown in the reader's own time zone), or "-"."""
    return f"<t:{int(ts)}:R>" if ts else "-"


def quoted(question: str, limit: int = QUESTION_IN_LIST) -> str:
    """A user's question, clipped and made inert, in quotes."""
    return f'"{safe(clip(" ".join(question.split()), limit))}"'


def pages_for(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def queue_line(entry: dict[str, Any]) -> str:
    guess = entry.get("best_guess")
    status = "" if entry.get("status") == "open" else f" [{entry.get('status')}]"
    return f"**#{entry['id']}** ×{entry['count']}{status} {quoted(entry['question'])}" + (
        f" · guess: `{clip(guess, 60)}`" if guess else ""
    )


def queue_page_embed(
    rows: Sequence[dict[str, Any]], *, page: int, total: int, status: str | None, sort: str
) -> discord.Embed:
    """One page of ``/review list``: ``page`` counts from 0."""
    label = status or "all"
    embed = discord.Embed(title=f"Review queue: {label}", colour=STATUS_COLOURS.get(label, INFO_COLOUR))
    if rows:
        embed.description = clip("\n".join(queue_line(r) for r in rows), DESCRIPTION_MAX)
    else:
        embed.description = f"No {label} entries." if total == 0 else "Nothing on this page."
    embed.set_footer(
        text=f"Page {page + 1}/{pages_for(total)} · {total} {label} "
        f"entr{'y' if total == 1 else 'ies'} · sorted by {SORT_LABELS.get(sort, sort)} · "
        "/review show id for details"
    )
    return embed


def unknown_models_embed(
    groups: Sequence[dict[str, Any]], *, page: int, total: int, status: str | None
) -> discord.Embed:
    """One page of ``/review list group:True``: the unknown models asked about, most asked first."""
    label = status or "all"
    embed = discord.Embed(title=f"Unknown models asked about ({label} entries)", colour=INFO_COLOUR)
    lines = [
        f"**{safe(clip(g['unknown_model'], 80))}**: {g['asks']} question{'s' if g['asks'] != 1 else ''}"
        + (f" ({g['entries']} entries)" if g["entries"] != 1 else "")
        for g in groups
    ]
    embed.description = (
        clip("\n".join(lines), DESCRIPTION_MAX)
        if lines
        else ("No entries name a model I don't know." if total == 0 else "Nothing on this page.")
    )
    embed.set_footer(
        text=f"Page {page + 1}/{pages_for(total)} · {total} unknown model{'s' if total != 1 else ''} · "
        "most asked first · add the most asked ones first"
    )
    return embed


def entry_embed(entry: dict[str, Any], *, private: bool = False) -> discord.Embed:
    """Everything known about one queue entry (``/review show``). ``private``: the entry is from
    another server or a DM (the maintainers' queue), so who asked it, where, and which of that
    server's moderators decided it are not shown."""
    status = entry.get("status") or "open"
    embed = discord.Embed(
        title=f"Queue entry #{entry['id']} ({status})", colour=STATUS_COLOURS.get(status, INFO_COLOUR)
    )
    embed.description = clip(safe(" ".join(entry["question"].split())), DESCRIPTION_MAX)
    askers = entry.get("askers")
    _add_field(
        embed,
        "Asked",
        f"{entry['count']} time(s)" + (f" by {askers} member(s)" if askers is not None else ""),
        inline=True,
    )
    _add_field(embed, "Outcome", str(entry.get("outcome") or "-"), inline=True)
    confidence = entry.get("confidence")
    guess = entry.get("best_guess")
    _add_field(
        embed,
        "Best guess",
        (f"`{clip(guess, 100)}`" if guess else "-")
        + (f" ({confidence:.2f})" if confidence is not None else ""),
        inline=True,
    )
    if entry.get("unknown_model"):
        _add_field(embed, "Unknown model", safe(clip(entry["unknown_model"], 200)), inline=True)
    _add_field(embed, "First asked", when(entry.get("first_seen")), inline=True)
    _add_field(embed, "Last asked", when(entry.get("last_seen")), inline=True)
    where = [f"source: {entry.get('source') or 'discord'}"]
    if private:
        where.append("a direct message" if entry.get("guild_id") is None else "another server")
    else:
        if entry.get("channel_id"):
            where.append(f"first in <#{entry['channel_id']}>")
        if entry.get("user_id"):
            where.append(f"first by <@{entry['user_id']}>")
    _add_field(embed, "Where", ", ".join(where))
    if entry.get("forwarded_at"):
        note = entry.get("forward_note")
        _add_field(
            embed,
            "Forwarded to the maintainers",
            when(entry.get("forwarded_at")) + (f": {safe(clip(note, 300))}" if note else ""),
        )
    if status == "resolved":
        target = entry.get("resolution_model") or entry.get("resolution_license")
        _add_field(
            embed, "Resolved as", f"`{target}/{entry.get('resolution_topic')}`" + decided(entry, private)
        )
    elif status == "dismissed":
        _add_field(embed, "Dismissed", f"{entry.get('dismiss_reason') or '-'}" + decided(entry, private))
    if status == "open":
        embed.set_footer(text="/review resolve to teach an answer, /review dismiss to drop it")
    return embed


def decided(entry: dict[str, Any], private: bool = False) -> str:
    by = None if private else entry.get("decided_by")
    return (f" by <@{by}>" if by else "") + (
        f", {when(entry.get('decided_at'))}" if entry.get("decided_at") else ""
    )


def log_batch_text(entries: Sequence[dict[str, Any]], limit: int = CONTENT_MAX) -> str:
    """One log-channel post for a batch of new queue entries; the lines that do not fit are counted."""
    head = (
        f"\N{INBOX TRAY} **{len(entries)} new question{'s' if len(entries) != 1 else ''} "
        "in the review queue** (`/review list`)"
    )
    lines = [head]
    size = len(head)
    for shown, entry in enumerate(entries):
        line = f"• **#{entry['id']}** {quoted(entry['question'], 150)}" + (
            f" · {entry['outcome']}" if entry.get("outcome") else ""
        )
        more = f"\n…and {len(entries) - shown} more"
        if size + 1 + len(line) + len(more) > limit:
            lines.append(more.strip())
            break
        lines.append(line)
        size += 1 + len(line)
    return "\n".join(lines)


def history_embed(
    rows: Sequence[dict[str, Any]],
    model: str | None = None,
    *,
    guild_id: int | None = None,
    reveal: bool = False,
) -> discord.Embed:
    """The audit log, newest first (``/kb history``). Rows not made in server ``guild_id`` (the
    maintainers' changes for everyone) do not say who made them, unless ``reveal`` (the
    maintainers' own server)."""
    title = f"Knowledge history: {model}" if model else "Knowledge history"
    embed = discord.Embed(title=title, colour=INFO_COLOUR)
    if not rows:
        embed.description = "No changes recorded yet."
        return embed
    lines = []
    for row in rows:
        if guild_id is not None and row.get("guild_id") != guild_id and not reveal:
            who = "riderbot's maintainers"
        else:
            who = f"<@{row['user_id']}>" if row.get("user_id") else "the command line"
        subject = f" `{row['model']}`" if row.get("model") else ""
        line = f"{when(row.get('at'))} **{row['action']}**{subject} {safe(clip(row.get('target') or '', 60))} by {who}"
        if row.get("after"):
            before = row.get("before")
            change = f"{safe(clip(before, 120))} → " if before and row["action"] == "edit" else ""
            line += f"\n  {change}{safe(clip(row['after'], 200))}"
        lines.append(line)
    embed.description = clip("\n".join(lines), DESCRIPTION_MAX)
    embed.set_footer(text=f"{len(rows)} most recent change{'s' if len(rows) != 1 else ''}")
    return embed


def stats_embed(text: str, days: int) -> discord.Embed:
    """``format_stats`` output in a code block (the user-asked questions in it stay inert)."""
    inert = text.replace("```", "`\u200b``")
    embed = discord.Embed(title=f"riderbot in this server, last {days} days", colour=INFO_COLOUR)
    embed.description = "```\n" + clip(inert, DESCRIPTION_MAX - 8) + "\n```"
    return embed


def problems_text(problems: Sequence[Any], shown: int = 5, limit: int = FIELD_VALUE_MAX) -> str:
    """The first few problems of a knowledge error, one per line, inert and clipped."""
    lines = [f"• {safe(clip(str(p), 300))}" for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"…and {len(problems) - shown} more (`riderbot kb validate` lists them all)")
    return clip("\n".join(lines), limit)
