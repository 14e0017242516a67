"""Usage statistics as text (shared by `riderbot stats` and the moderator `/stats`)."""

from __future__ import annotations

from typing import Any


def format_stats(data: dict[str, Any]) -> str:
    shares = data["shares"]
    fb = data["feedback"]
    lines = [
        f"Last {data['days']} days: {data['questions']} questions "
        f"({100 * shares['answered']:.0f}% answered, {100 * shares['clarify']:.0f}% clarify, "
        f"{100 * shares['unanswered']:.0f}% unanswered)"
        + (f", median matching time {data['median_ms']} ms" if data.get("median_ms") is not None else ""),
    ]
    if data["per_day"]:
        lines.append("Per day: " + ", ".join(f"{day}: {n}" for day, n in list(data["per_day"].items())[-14:]))
    if data["top_models"]:
        lines.append("Top models: " + ", ".join(f"{m} ({n})" for m, n in data["top_models"]))
    if data["top_topics"]:
        lines.append("Top topics: " + ", ".join(f"{t} ({n})" for t, n in data["top_topics"]))
    if data["top_unanswered"]:
        lines.append(
            "Most asked unanswered: "
            + "; ".join(f"#{i} x{n} {q[:60]!r}" for i, q, n in data["top_unanswered"])
        )
    ratio = "no votes yet" if fb["helpful_ratio"] is None else f"{100 * fb['helpful_ratio']:.0f}% helpful"
    lines.append(f"Feedback: {fb['helpful']} helpful, {fb['not_helpful']} not helpful ({ratio})")
    return "\n".join(lines)
