"""The moderator views' pure rendering (bot.rendering.review): limits, escaping, truncation."""

from __future__ import annotations

from bot.knowledge.loader import Problem
from bot.rendering.review import (
    entry_embed,
    history_embed,
    log_batch_text,
    pages_for,
    problems_text,
    queue_line,
    queue_page_embed,
    stats_embed,
)


def entry(n: int, question: str = "is __bark__ ok for @everyone commercially", **extra) -> dict:
    return {
        "id": n,
        "question": question,
        "count": 1,
        "status": "open",
        "outcome": "unanswered",
        "best_guess": None,
        **extra,
    }


def test_queue_lines_escape_and_clip_what_users_typed():
    line = queue_line(entry(7, best_guess="llama/commercial-use"))
    assert line.startswith("**#7** ×1 ") and "\\_\\_bark\\_\\_" in line and "@\u200beveryone" in line
    assert line.endswith("· guess: `llama/commercial-use`")
    long = queue_line(entry(8, "why " * 200))
    assert len(long) < 200 and "…" in long
    assert (pages_for(0), pages_for(10), pages_for(11)) == (1, 1, 2)
    page = queue_page_embed([], page=0, total=0, status="dismissed", sort="count")
    assert page.description == "No dismissed entries." and page.footer.text.startswith(
        "Page 1/1 · 0 dismissed entries"
    )


def test_a_log_batch_stays_under_2000_characters_and_counts_the_rest():
    text = log_batch_text([entry(n, f"question number {n} " + "x" * 120) for n in range(1, 101)])
    assert len(text) <= 2000 and text.startswith("\N{INBOX TRAY} **100 new questions")
    assert text.splitlines()[-1].startswith("…and ") and text.splitlines()[-1].endswith(" more")
    shown = len(text.splitlines()) - 2
    assert text.splitlines()[-1] == f"…and {100 - shown} more"
    assert "1 new question in" in log_batch_text([entry(1)])


def test_stats_keep_questions_inside_the_code_block():
    embed = stats_embed("Most asked unanswered: #1 x2 '```@everyone'", 30)
    assert embed.description.startswith("```\n") and embed.description.endswith("\n```")
    assert embed.description.count("```") == 2


def test_entry_history_and_problems_render_within_limits():
    shown = entry_embed(
        entry(
            3,
            status="dismissed",
            dismiss_reason="spam",
            decided_by=42,
            decided_at=1e9,
            askers=2,
            first_seen=1e9,
            last_seen=1e9,
        )
    )
    fields = {f.name: f.value for f in shown.fields}
    assert fields["Dismissed"].startswith("spam by <@42>") and fields["Asked"] == "1 time(s) by 2 member(s)"
    rows = [
        {
            "at": 1e9,
            "user_id": None,
            "action": "edit",
            "model": "llama-2",
            "target": "llama-2 commercial-use",
            "before": "old " * 100,
            "after": "new **bold** " * 100,
        }
        for _ in range(40)
    ]
    history = history_embed(rows)
    assert len(history.description) <= 4096 and "the command line" in history.description
    assert "\\*\\*bold\\*\\*" in history.description
    assert history_embed([]).description == "No changes recorded yet."
    problems = [Problem(f"models/x{n}.yaml", "m", "aliases", "bad") for n in range(8)]
    text = problems_text(problems)
    assert text.count("•") == 5 and text.endswith("…and 3 more (`riderbot kb validate` lists them all)")
