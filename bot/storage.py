"""Storage: the one module that talks to SQLite (through aiosqlite).

Holds what the bot learns at run time: the review queue of questions it could not answer,
feedback votes, answers sent (so a vote can be tied to its question), watched channels and
guild settings, phrasings taught by moderators, and the audit log of knowledge edits.

The schema is versioned with numbered migrations (PRAGMA user_version); a database from an
older version is upgraded in place at open. WAL mode, a busy timeout and foreign keys are on.
All writes go through one lock, so "find a similar question, then count it or insert it" is
atomic even with many concurrent askers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
from rapidfuzz import fuzz, process

from bot.textnorm import normalize

GROUP_SIMILARITY = 92.0
FLUSH_DELAY = 0.25  # seconds: buffered answer/event rows are written at most this late
_ANSWER_COLUMNS = ("message_id", "question", "model", "license", "topic", "guild_id", "channel_id", "user_id", "created")  # token_sort_ratio at which two questions count as the same one

MIGRATIONS: list[str] = [
    # 1: the first release: review queue, votes, watched channels
    """
    CREATE TABLE queue (
        id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        normalized TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        count INTEGER NOT NULL DEFAULT 1,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_id INTEGER,
        outcome TEXT NOT NULL,
        best_guess TEXT,
        confidence REAL,
        unknown_model TEXT
    );
    CREATE INDEX queue_status ON queue(status, last_seen);
    CREATE TABLE votes (
        message_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        helpful INTEGER NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (message_id, user_id)
    );
    CREATE TABLE watched_channels (
        guild_id INTEGER NOT NULL,
        channel_id INTEGER PRIMARY KEY
    );
    """,
    # 2: resolutions, answers sent, guild settings, taught phrasings, audit log, per-asker rows
    """
    ALTER TABLE queue ADD COLUMN source TEXT NOT NULL DEFAULT 'discord';
    ALTER TABLE queue ADD COLUMN resolution_model TEXT;
    ALTER TABLE queue ADD COLUMN resolution_license TEXT;
    ALTER TABLE queue ADD COLUMN resolution_topic TEXT;
    ALTER TABLE queue ADD COLUMN dismiss_reason TEXT;
    ALTER TABLE queue ADD COLUMN decided_by INTEGER;
    ALTER TABLE queue ADD COLUMN decided_at REAL;
    ALTER TABLE queue ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE askers (
        queue_id INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
        user_id INTEGER,
        guild_id INTEGER,
        channel_id INTEGER,
        asked_at REAL NOT NULL
    );
    CREATE INDEX askers_user ON askers(user_id);
    INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at)
        SELECT id, user_id, guild_id, channel_id, first_seen FROM queue;
    CREATE TABLE answers (
        message_id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT,
        guild_id INTEGER,
        channel_id INTEGER,
        user_id INTEGER,
        created REAL NOT NULL
    );
    ALTER TABLE votes ADD COLUMN queue_id INTEGER REFERENCES queue(id) ON DELETE SET NULL;
    CREATE TABLE guild_settings (
        guild_id INTEGER PRIMARY KEY,
        moderator_role_id INTEGER,
        log_channel_id INTEGER
    );
    CREATE TABLE learned (
        id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT NOT NULL,
        created_by INTEGER,
        created_at REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        user_id INTEGER,
        action TEXT NOT NULL,
        model TEXT,
        target TEXT,
        before TEXT,
        after TEXT
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """,
    # 3: one row per question asked, without its text or asker, for `riderbot stats` and /stats
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        day TEXT NOT NULL,
        outcome TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT,
        guild_id INTEGER,
        source TEXT NOT NULL,
        millis REAL
    );
    CREATE INDEX events_day ON events(day);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
QUEUE_STATUSES = ("open", "resolved", "dismissed")


@dataclass(frozen=True)
class Asked:
    """One question the bot could not answer (or that was voted not helpful)."""

    question: str
    outcome: str  # unanswered | clarify | not-helpful
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    best_guess: str | None = None
    confidence: float | None = None
    unknown_model: str | None = None
    source: str = "discord"


class Storage:
    def __init__(self, db: aiosqlite.Connection, path: Path):
        self.db = db
        self.path = path
        self._lock = asyncio.Lock()
        self._open_norms: dict[int, str] = {}
        self._pending_answers: dict[int, tuple] = {}
        self._pending_events: list[tuple] = []
        self._flush_task: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), timeout=10)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA busy_timeout=10000")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA synchronous=NORMAL")
        store = cls(db, path)
        await store._migrate()
        async with db.execute("SELECT id, normalized FROM queue WHERE status = 'open'") as cur:
            store._open_norms = {row["id"]: row["normalized"] async for row in cur}
        return store

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            (version,) = await cur.fetchone()
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"database schema version {version} is newer than this riderbot ({SCHEMA_VERSION})")
        for number in range(version, SCHEMA_VERSION):
            await self.db.executescript("BEGIN;\n" + MIGRATIONS[number] + f"\nPRAGMA user_version = {number + 1};\nCOMMIT;")

    async def close(self) -> None:
        if self._flush_task is not None and not self._flush_task.done():
            self._flush_task.cancel()
        await self.flush()
        await self.db.close()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            return (await cur.fetchone())[0]

    # -- review queue --------------------------------------------------------------------------
    async def log_question(self, asked: Asked) -> tuple[int, bool]:
        """Record a question; a repeat (same or nearly the same wording) bumps the count of the open
        entry instead. Returns (queue id, whether a new entry was created)."""
        norm = normalize(asked.question) or asked.question.strip().lower()
        now = time.time()
        async with self._lock:
            existing = self._similar(norm)
            if existing is not None:
                await self.db.execute(
                    "UPDATE queue SET count = count + 1, last_seen = ?, best_guess = COALESCE(?, best_guess),"
                    " confidence = COALESCE(?, confidence), unknown_model = COALESCE(unknown_model, ?) WHERE id = ?",
                    (now, asked.best_guess, asked.confidence, asked.unknown_model, existing),
                )
                queue_id, created = existing, False
            else:
                cur = await self.db.execute(
                    "INSERT INTO queue (question, normalized, first_seen, last_seen, guild_id, channel_id, user_id,"
                    " outcome, best_guess, confidence, unknown_model, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (asked.question, norm, now, now, asked.guild_id, asked.channel_id, asked.user_id, asked.outcome,
                     asked.best_guess, asked.confidence, asked.unknown_model, asked.source),
                )
                queue_id, created = cur.lastrowid, True
                self._open_norms[queue_id] = norm
            await self.db.execute(
                "INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at) VALUES (?,?,?,?,?)",
                (queue_id, asked.user_id, asked.guild_id, asked.channel_id, now),
            )
            await self.db.commit()
        return queue_id, created

    def _similar(self, norm: str) -> int | None:
        """An open entry with the same wording, or nearly the same (typos, punctuation, word order),
        but never one that differs in a number: "llama 5" and "llama 6" are different questions."""
        numbers = _numbers(norm)
        same_numbers = {}
        for queue_id, other in self._open_norms.items():
            if other == norm:
                return queue_id
            if _numbers(other) == numbers:
                same_numbers[queue_id] = other
        if not same_numbers:
            return None
        hit = process.extractOne(norm, same_numbers, scorer=fuzz.token_sort_ratio, score_cutoff=GROUP_SIMILARITY)
        return hit[2] if hit else None

    async def list_queue(self, status: str | None = "open", sort: str = "count", limit: int = 20,
                         offset: int = 0) -> list[dict[str, Any]]:
        order = "count DESC, last_seen DESC" if sort == "count" else "last_seen DESC"
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        async with self.db.execute(f"SELECT * FROM queue {where} ORDER BY {order}, id LIMIT ? OFFSET ?",
                                   [*args, limit, offset]) as cur:
            return [dict(row) async for row in cur]

    async def count_queue(self, status: str | None = "open") -> int:
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        async with self.db.execute(f"SELECT COUNT(*) FROM queue {where}", args) as cur:
            return (await cur.fetchone())[0]

    async def get_entry(self, queue_id: int) -> dict[str, Any] | None:
        async with self.db.execute("SELECT * FROM queue WHERE id = ?", (queue_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        entry = dict(row)
        async with self.db.execute("SELECT COUNT(DISTINCT user_id) FROM askers WHERE queue_id = ?", (queue_id,)) as cur:
            entry["askers"] = (await cur.fetchone())[0]
        return entry

    async def resolve(self, queue_id: int, model: str | None, license: str | None, topic: str, by: int | None) -> dict | None:
        """Link a queued question to an answer; its wording becomes a taught phrasing."""
        async with self._lock:
            entry = await self.get_entry(queue_id)
            if entry is None:
                return None
            now = time.time()
            await self.db.execute(
                "UPDATE queue SET status='resolved', resolution_model=?, resolution_license=?, resolution_topic=?,"
                " decided_by=?, decided_at=? WHERE id=?", (model, license, topic, by, now, queue_id))
            await self.db.execute(
                "INSERT INTO learned (question, model, license, topic, created_by, created_at) VALUES (?,?,?,?,?,?)",
                (entry["question"], model, license, topic, by, now))
            await self._audit(by, "resolve", model, f"queue #{queue_id}", entry["question"], f"{model or license}/{topic}")
            await self.db.commit()
            self._open_norms.pop(queue_id, None)
        return entry

    async def dismiss(self, queue_id: int, reason: str, by: int | None) -> dict | None:
        async with self._lock:
            entry = await self.get_entry(queue_id)
            if entry is None:
                return None
            await self.db.execute("UPDATE queue SET status='dismissed', dismiss_reason=?, decided_by=?, decided_at=? WHERE id=?",
                                  (reason, by, time.time(), queue_id))
            await self._audit(by, "dismiss", None, f"queue #{queue_id}", entry["question"], reason)
            await self.db.commit()
            self._open_norms.pop(queue_id, None)
        return entry

    async def export_csv(self, status: str | None = None) -> str:
        rows = await self.list_queue(status, sort="count", limit=1_000_000)
        out = io.StringIO()
        fields = ["id", "status", "count", "question", "outcome", "best_guess", "confidence", "unknown_model",
                  "first_seen", "last_seen", "resolution_model", "resolution_license", "resolution_topic", "dismiss_reason"]
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            row["first_seen"] = _iso(row["first_seen"])
            row["last_seen"] = _iso(row["last_seen"])
            writer.writerow(row)
        return out.getvalue()

    async def unannounced(self) -> list[dict[str, Any]]:
        async with self.db.execute("SELECT * FROM queue WHERE announced = 0 AND status = 'open' ORDER BY id") as cur:
            return [dict(row) async for row in cur]

    async def mark_announced(self, ids: Iterable[int]) -> None:
        async with self._lock:
            await self.db.executemany("UPDATE queue SET announced = 1 WHERE id = ?", [(i,) for i in ids])
            await self.db.commit()

    async def learned(self) -> list[tuple[str, str | None, str | None, str]]:
        async with self.db.execute("SELECT question, model, license, topic FROM learned ORDER BY id") as cur:
            return [(r["question"], r["model"], r["license"], r["topic"]) async for r in cur]

    # -- answers and votes ----------------------------------------------------------------------
    async def record_answer(self, message_id: int, question: str, model: str | None, license: str | None,
                            topic: str | None, guild_id: int | None, channel_id: int | None, user_id: int | None) -> None:
        """Remember the question behind an answer message (write-behind: see flush())."""
        self._pending_answers[message_id] = (message_id, question, model, license, topic, guild_id, channel_id, user_id,
                                             time.time())
        self._schedule_flush()

    async def get_answer(self, message_id: int) -> dict[str, Any] | None:
        pending = self._pending_answers.get(message_id)
        if pending is not None:
            return dict(zip(_ANSWER_COLUMNS, pending, strict=True))
        async with self.db.execute("SELECT * FROM answers WHERE message_id = ?", (message_id,)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else None

    # -- write-behind for high-volume rows -------------------------------------------------------
    # Every answered question adds an `answers` row and an `events` row. Writing them one commit at a
    # time cost a fifth of the bot's throughput under a burst, so they are buffered and written in
    # one transaction FLUSH_DELAY later (or at close). Review-queue entries and votes, which must
    # never be lost, are still written at once.
    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        await self.flush()

    async def flush(self) -> None:
        if not self._pending_answers and not self._pending_events:
            return
        async with self._lock:
            answers, self._pending_answers = list(self._pending_answers.values()), {}
            events, self._pending_events = self._pending_events, []
            if answers:
                await self.db.executemany(
                    "INSERT OR REPLACE INTO answers (message_id, question, model, license, topic, guild_id, channel_id,"
                    " user_id, created) VALUES (?,?,?,?,?,?,?,?,?)", answers)
            if events:
                await self.db.executemany(
                    "INSERT INTO events (at, day, outcome, model, license, topic, guild_id, source, millis)"
                    " VALUES (?,?,?,?,?,?,?,?,?)", events)
            await self.db.commit()

    async def record_vote(self, message_id: int, user_id: int, helpful: bool, guild_id: int | None = None,
                          channel_id: int | None = None) -> bool:
        """Store one vote per user per answer; False if this user already voted on it. A "not
        helpful" vote also puts the question into the review queue."""
        async with self._lock:
            cur = await self.db.execute(
                "INSERT OR IGNORE INTO votes (message_id, user_id, helpful, created) VALUES (?,?,?,?)",
                (message_id, user_id, int(helpful), time.time()))
            await self.db.commit()
            if cur.rowcount == 0:
                return False
        if not helpful:
            answer = await self.get_answer(message_id)
            if answer is not None:
                guess = f"{answer['model'] or answer['license']}/{answer['topic']}"
                queue_id, _ = await self.log_question(Asked(answer["question"], "not-helpful", guild_id, channel_id, user_id,
                                                            best_guess=guess))
                async with self._lock:
                    await self.db.execute("UPDATE votes SET queue_id = ? WHERE message_id = ? AND user_id = ?",
                                          (queue_id, message_id, user_id))
                    await self.db.commit()
        return True

    async def vote_counts(self, message_id: int) -> tuple[int, int]:
        async with self.db.execute("SELECT SUM(helpful), SUM(1 - helpful) FROM votes WHERE message_id = ?", (message_id,)) as cur:
            up, down = await cur.fetchone()
        return up or 0, down or 0

    # -- guild settings -----------------------------------------------------------------------
    async def watch(self, guild_id: int, channel_id: int) -> bool:
        async with self._lock:
            cur = await self.db.execute("INSERT OR IGNORE INTO watched_channels (guild_id, channel_id) VALUES (?, ?)",
                                        (guild_id, channel_id))
            await self.db.commit()
            return cur.rowcount > 0

    async def unwatch(self, guild_id: int, channel_id: int) -> bool:
        async with self._lock:
            cur = await self.db.execute("DELETE FROM watched_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id))
            await self.db.commit()
            return cur.rowcount > 0

    async def watched_channels(self, guild_id: int | None = None) -> set[int]:
        sql, args = ("SELECT channel_id FROM watched_channels WHERE guild_id = ?", (guild_id,)) if guild_id else (
            "SELECT channel_id FROM watched_channels", ())
        async with self.db.execute(sql, args) as cur:
            return {row[0] async for row in cur}

    async def guild_settings(self, guild_id: int) -> dict[str, Any]:
        async with self.db.execute("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else {"guild_id": guild_id, "moderator_role_id": None, "log_channel_id": None}

    async def set_guild_setting(self, guild_id: int, key: str, value: int | None) -> None:
        if key not in ("moderator_role_id", "log_channel_id"):
            raise ValueError(key)
        async with self._lock:
            await self.db.execute("INSERT OR IGNORE INTO guild_settings (guild_id) VALUES (?)", (guild_id,))
            await self.db.execute(f"UPDATE guild_settings SET {key} = ? WHERE guild_id = ?", (value, guild_id))
            await self.db.commit()

    async def log_channels(self) -> dict[int, int]:
        async with self.db.execute("SELECT guild_id, log_channel_id FROM guild_settings WHERE log_channel_id IS NOT NULL") as cur:
            return {row[0]: row[1] async for row in cur}

    # -- audit ----------------------------------------------------------------------------------
    async def _audit(self, user_id: int | None, action: str, model: str | None, target: str, before: str | None,
                     after: str | None) -> None:
        await self.db.execute("INSERT INTO audit (at, user_id, action, model, target, before, after) VALUES (?,?,?,?,?,?,?)",
                              (time.time(), user_id, action, model, target, before, after))

    async def audit(self, user_id: int | None, action: str, model: str | None, target: str, before: str | None,
                    after: str | None) -> None:
        async with self._lock:
            await self._audit(user_id, action, model, target, before, after)
            await self.db.commit()

    async def history(self, model: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "SELECT * FROM audit" + (" WHERE model = ?" if model else "") + " ORDER BY id DESC LIMIT ?"
        async with self.db.execute(sql, (model, limit) if model else (limit,)) as cur:
            return [dict(row) async for row in cur]

    # -- privacy and retention -------------------------------------------------------------------
    async def forget_user(self, user_id: int) -> int:
        """Delete what is stored about one user: their asks, votes and answers; queue entries only
        they asked are removed, shared ones lose the user's id. Returns rows touched."""
        await self.flush()
        async with self._lock:
            touched = 0
            cur = await self.db.execute(
                "DELETE FROM queue WHERE id IN (SELECT queue_id FROM askers GROUP BY queue_id"
                " HAVING SUM(user_id IS NOT ?) = 0)", (user_id,))
            touched += cur.rowcount
            for sql in ("DELETE FROM askers WHERE user_id = ?", "UPDATE queue SET user_id = NULL WHERE user_id = ?",
                        "DELETE FROM votes WHERE user_id = ?", "DELETE FROM answers WHERE user_id = ?"):
                cur = await self.db.execute(sql, (user_id,))
                touched += cur.rowcount
            await self.db.commit()
            async with self.db.execute("SELECT id, normalized FROM queue WHERE status = 'open'") as c:
                self._open_norms = {row["id"]: row["normalized"] async for row in c}
        return touched

    async def apply_retention(self, days: int) -> int:
        """Remove resolved or dismissed queue entries decided more than `days` days ago."""
        await self.flush()
        if days <= 0:
            return 0
        cutoff = time.time() - days * 86400
        async with self._lock:
            cur = await self.db.execute("DELETE FROM queue WHERE status != 'open' AND COALESCE(decided_at, last_seen) < ?", (cutoff,))
            await self.db.execute("DELETE FROM answers WHERE created < ?", (cutoff,))
            await self.db.commit()
            return cur.rowcount

    # -- stats -----------------------------------------------------------------------------------
    async def record_event(self, outcome: str, model: str | None, license: str | None, topic: str | None,
                           guild_id: int | None, source: str, millis: float | None) -> None:
        now = time.time()
        self._pending_events.append(
            (now, time.strftime("%Y-%m-%d", time.gmtime(now)), outcome, model, license, topic, guild_id, source, millis))
        self._schedule_flush()

    async def stats(self, days: int = 30, guild_id: int | None = None) -> dict[str, Any]:
        """Questions per day, outcome shares, top models and topics, top unanswered, feedback ratio."""
        await self.flush()
        since = time.time() - days * 86400
        where, args = "WHERE at >= ?", [since]
        if guild_id is not None:
            where += " AND guild_id = ?"
            args.append(guild_id)

        async def rows(sql: str, extra: tuple = ()) -> list[Any]:
            async with self.db.execute(sql, (*args, *extra)) as cur:
                return list(await cur.fetchall())

        per_day = {r[0]: r[1] for r in await rows(f"SELECT day, COUNT(*) FROM events {where} GROUP BY day ORDER BY day")}
        outcomes = {r[0]: r[1] for r in await rows(f"SELECT outcome, COUNT(*) FROM events {where} GROUP BY outcome")}
        total = sum(outcomes.values())
        top_models = [(r[0], r[1]) for r in await rows(
            f"SELECT COALESCE(model, license), COUNT(*) c FROM events {where} AND outcome = 'answered'"
            " GROUP BY 1 ORDER BY c DESC LIMIT 5")]
        top_topics = [(r[0], r[1]) for r in await rows(
            f"SELECT topic, COUNT(*) c FROM events {where} AND topic IS NOT NULL GROUP BY topic ORDER BY c DESC LIMIT 5")]
        q_where = "WHERE status = 'open'" + (" AND guild_id = ?" if guild_id is not None else "")
        async with self.db.execute(f"SELECT id, question, count FROM queue {q_where} ORDER BY count DESC, last_seen DESC LIMIT 5",
                                   (guild_id,) if guild_id is not None else ()) as cur:
            top_unanswered = [(r[0], r[1], r[2]) for r in await cur.fetchall()]
        up, down = await self.feedback_counts(guild_id)
        millis = [r[0] for r in await rows(f"SELECT millis FROM events {where} AND millis IS NOT NULL ORDER BY millis")]
        return {
            "days": days,
            "questions": total,
            "per_day": per_day,
            "shares": {k: round(outcomes.get(k, 0) / total, 3) if total else 0.0 for k in ("answered", "clarify", "unanswered")},
            "top_models": top_models,
            "top_topics": top_topics,
            "top_unanswered": top_unanswered,
            "feedback": {"helpful": up, "not_helpful": down, "helpful_ratio": round(up / (up + down), 3) if up + down else None},
            "median_ms": round(millis[len(millis) // 2], 2) if millis else None,
        }

    async def feedback_counts(self, guild_id: int | None = None) -> tuple[int, int]:
        """Helpful / not helpful votes, all servers or one (through the answer each vote is on)."""
        sql, args = "SELECT SUM(helpful), SUM(1 - helpful) FROM votes", ()
        if guild_id is not None:
            sql += " WHERE message_id IN (SELECT message_id FROM answers WHERE guild_id = ?)"
            args = (guild_id,)
        async with self.db.execute(sql, args) as cur:
            up, down = await cur.fetchone()
        return up or 0, down or 0

    async def get_meta(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._lock:
            await self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            await self.db.commit()

    async def integrity_ok(self) -> bool:
        async with self.db.execute("PRAGMA integrity_check") as cur:
            return (await cur.fetchone())[0] == "ok"


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(t for t in norm.split() if any(c.isdigit() for c in t))


def _iso(ts: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""
