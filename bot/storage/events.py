"""Events and statistics: one row per question asked, with its outcome, model, topic, server and
timing, *without* the question text or the asker (write-behind, see core.flush)."""

from __future__ import annotations

import time
from typing import Any

from bot.storage.core import Scope, scope_where
from bot.storage.sql import Ops, all_, one, val


class EventsStore:
    async def record_event(
        self,
        outcome: str,
        model: str | None,
        license: str | None,
        topic: str | None,
        guild_id: int | None,
        source: str,
        millis: float | None,
    ) -> None:
        self._check_open()
        now = time.time()
        self._pending_events.append(
            (
                now,
                time.strftime("%Y-%m-%d", time.gmtime(now)),
                outcome,
                model,
                license,
                topic,
                guild_id,
                source,
                None if millis is None else float(millis),
            )
        )
        self._schedule_flush()

    async def stats(self, days: int = 30, *, scope: Scope) -> dict[str, Any]:
        """Questions per day, outcome shares, top models and topics, top unanswered, feedback
        ratio and median answer time, for ``scope`` over the last ``days`` days."""
        await self.flush()
        days = max(1, min(int(days), 36_500))
        since = time.time() - days * 86400
        data = await self._read(lambda: _stats(since, scope))
        up, down = await self.feedback_counts(scope=scope)
        total = sum(data["outcomes"].values())
        outcomes = data.pop("outcomes")
        return {
            "days": days,
            "questions": total,
            "per_day": data["per_day"],
            "shares": {
                k: round(outcomes.get(k, 0) / total, 3) if total else 0.0
                for k in ("answered", "clarify", "unanswered")
            },
            "top_models": data["top_models"],
            "top_topics": data["top_topics"],
            "top_unanswered": data["top_unanswered"],
            "feedback": {
                "helpful": up,
                "not_helpful": down,
                "helpful_ratio": round(up / (up + down), 3) if up + down else None,
            },
            "median_ms": data["median_ms"],
        }


def _stats(since: float, scope: Scope) -> Ops:
    where, args = scope_where(scope)
    where = f"at >= ? AND {where}"
    args = [since, *args]
    per_day = {
        r["day"]: r["n"]
        for r in (
            yield all_(
                f"SELECT day, COUNT(*) AS n FROM events WHERE {where} GROUP BY day ORDER BY day", *args
            )
        )
    }
    outcomes = {
        r["outcome"]: r["n"]
        for r in (
            yield all_(f"SELECT outcome, COUNT(*) AS n FROM events WHERE {where} GROUP BY outcome", *args)
        )
    }
    top_models = [
        (r["name"], r["n"])
        for r in (
            yield all_(
                f"SELECT COALESCE(model, license) AS name, COUNT(*) AS n FROM events WHERE {where} AND outcome = 'answered'"
                " GROUP BY COALESCE(model, license) ORDER BY n DESC, name LIMIT 5",
                *args,
            )
        )
    ]
    top_topics = [
        (r["topic"], r["n"])
        for r in (
            yield all_(
                f"SELECT topic, COUNT(*) AS n FROM events WHERE {where} AND topic IS NOT NULL"
                " GROUP BY topic ORDER BY n DESC, topic LIMIT 5",
                *args,
            )
        )
    ]
    q_where, q_args = scope_where(scope, forwarded="forwarded_at")
    top_unanswered = [
        (r["id"], r["question"], r["count"])
        for r in (
            yield all_(
                f"SELECT id, question, count FROM queue WHERE status = 'open' AND {q_where}"
                " ORDER BY count DESC, last_seen DESC, id LIMIT 5",
                *q_args,
            )
        )
    ]
    timed = (yield val(f"SELECT COUNT(*) FROM events WHERE {where} AND millis IS NOT NULL", *args)) or 0
    median = None
    if timed:
        row = yield one(
            f"SELECT millis FROM events WHERE {where} AND millis IS NOT NULL ORDER BY millis"
            " LIMIT 1 OFFSET ?",
            *args,
            timed // 2,
        )
        median = round(row["millis"], 2) if row else None
    return {
        "per_day": per_day,
        "outcomes": outcomes,
        "top_models": top_models,
        "top_topics": top_topics,
        "top_unanswered": top_unanswered,
        "median_ms": median,
    }
