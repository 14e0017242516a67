"""The review queue: questions the bot could not answer, grouped, per server.

Tables: ``queue`` (one row per open question per server, with a repeat counter), ``askers`` (one
row per ask: who, where, when; for privacy requests), ``queue_terms`` (the grouping index of open
entries, see bot/storage/grouping.py).

Every read and change takes a scope (see core.scope_where): a server's moderators see and change
only that server's entries, and an id from another server behaves exactly like an id that does not
exist. The maintainers' queue is the DM entries plus the entries a server forwarded to them.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.storage import grouping
from bot.storage.core import Scope, scope_where, valid_id
from bot.storage.errors import QuestionTooLong
from bot.storage.schema import index_rows
from bot.storage.sql import Ops, all_, dollar_placeholders, many, one, placeholders, run, val
from bot.storage.sql import rows as rows_

MAX_QUESTION_CHARS = 1000  # Discord's limit for a slash-command option; longer questions are refused
QUEUE_STATUSES = ("open", "resolved", "dismissed")
TRIM_EVERY = 500  # new entries between two checks of the queue's expiry and size cap
EXPORT_FIELDS = [
    "id",
    "status",
    "count",
    "question",
    "outcome",
    "best_guess",
    "confidence",
    "unknown_model",
    "first_seen",
    "last_seen",
    "resolution_model",
    "resolution_license",
    "resolution_topic",
    "dismiss_reason",
    "guild_id",
    "forwarded_at",
    "forward_note",
]
EXPORT_CHUNK = 1000
DISCORD_UPLOAD_LIMIT = 10 * 1024 * 1024


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


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: a complete CSV (with its header), gzip-compressed when asked."""

    filename: str
    data: bytes
    rows: int


def check_question(question: str) -> None:
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(
            f"the question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}"
        )
    if not question.strip():
        raise ValueError("the question is empty")


class QueueStore:
    # -- logging a question ----------------------------------------------------------------------
    async def log_question(self, asked: Asked) -> tuple[int, bool]:
        """Record a question; a repeat (same or nearly the same wording, same numbers, same server)
        bumps the count of the open entry instead. Returns (queue id, whether a new entry was
        created) once it is committed. Raises QuestionTooLong over 1,000 characters and
        StorageError when it could not be stored.

        On PostgreSQL it runs without a transaction when it is the only write waiting (two round
        trips instead of four): the grouping probe, then one statement. That is safe because this
        process's writes run one at a time and a server's questions all arrive through the process
        that has its shard; DMs and the command line can, at worst, make a repeat asked at the
        same moment through two processes a second entry."""
        check_question(asked.question)
        norm = grouping.normalized(asked.question)
        queue_id, created = await self._write(
            lambda: self._log_body(asked, norm, time.time()), autocommit=self.dialect == "postgres"
        )
        if created:
            self._created_since_trim += 1
            if self._created_since_trim >= TRIM_EVERY:
                self._created_since_trim = 0
                asyncio.get_running_loop().create_task(self._trim_quietly())
        return queue_id, created

    def _log_body(self, asked: Asked, norm: str, now: float) -> Ops:
        if self.dialect == "postgres":
            return (yield from _log_body_pg(asked, norm, now))
        existing = yield from _find_similar(norm, asked.guild_id)
        if existing is not None and (
            yield run(
                _BUMP_SQL, now, asked.best_guess, _float(asked.confidence), asked.unknown_model, existing
            )
        ):
            queue_id, created = existing, False
        else:
            queue_id = yield val(f"{_INSERT_SQL} RETURNING id", *_entry_values(asked, norm, now))
            yield many(
                "INSERT INTO queue_terms (gkey, numsig, term, nlen, queue_id) VALUES (?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                index_rows(queue_id, norm, asked.guild_id),
            )
            created = True
        yield run(
            "INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at) VALUES (?,?,?,?,?)",
            queue_id,
            asked.user_id,
            asked.guild_id,
            asked.channel_id,
            now,
        )
        return queue_id, created

    # -- reading ---------------------------------------------------------------------------------
    async def list_queue(
        self,
        status: str | None = "open",
        sort: str = "count",
        limit: int = 20,
        offset: int = 0,
        *,
        scope: Scope,
    ) -> list[dict[str, Any]]:
        """Entries in ``scope``, most asked first (``sort="count"``) or newest first."""
        where, args = _queue_where(scope, status)
        order = "count DESC, last_seen DESC, id" if sort == "count" else "last_seen DESC, id DESC"
        limit, offset = _clamp(limit, 0, 100_000), _clamp(offset, 0, 10**12)
        return await self._read(
            lambda: _rows(
                f"SELECT * FROM queue WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", *args, limit, offset
            )
        )

    async def count_queue(self, status: str | None = "open", *, scope: Scope) -> int:
        where, args = _queue_where(scope, status)
        return await self._read(lambda: _value(f"SELECT COUNT(*) FROM queue WHERE {where}", *args))

    async def get_entry(self, queue_id: int, *, scope: Scope) -> dict[str, Any] | None:
        """The entry with its number of distinct askers, or None when there is no such entry in
        ``scope`` (another server's id is the same as a missing one)."""
        if not valid_id(queue_id):
            scope_where(scope)  # still refuse a bad scope
            return None
        return await self._read(lambda: _get_entry(queue_id, scope))

    async def unknown_models(
        self, status: str | None = "open", *, scope: Scope, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Entries grouped by the unknown model they ask about, most asked first (so maintainers
        add the most-asked models first): ``[{unknown_model, asks, entries,
        last_seen}]`` for one page, and how many groups there are. Spellings that normalise alike
        ("FLUX.1-dev", "flux.1 dev") are one group, named by its most asked spelling."""
        where, args = _queue_where(scope, status)
        rows = await self._read(
            lambda: _rows(
                "SELECT unknown_model, SUM(count) AS asks, COUNT(*) AS entries, MAX(last_seen) AS last_seen,"
                f" MIN(id) AS first_id FROM queue WHERE {where} AND unknown_model IS NOT NULL"
                " GROUP BY unknown_model",
                *args,
            )
        )
        groups: dict[str, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: (-r["asks"], r["first_id"])):
            key = grouping.normalized(row["unknown_model"]) or row["unknown_model"]
            group = groups.setdefault(
                key,
                {"unknown_model": row["unknown_model"], "asks": 0, "entries": 0, "last_seen": 0.0},
            )
            group["asks"] += row["asks"]
            group["entries"] += row["entries"]
            group["last_seen"] = max(group["last_seen"], row["last_seen"] or 0.0)
        ordered = sorted(groups.values(), key=lambda g: (-g["asks"], -g["last_seen"], g["unknown_model"]))
        limit, offset = _clamp(limit, 0, 100_000), _clamp(offset, 0, 10**12)
        return ordered[offset : offset + limit], len(ordered)

    # -- deciding --------------------------------------------------------------------------------
    async def resolve(
        self,
        queue_id: int,
        model: str | None,
        license: str | None,
        topic: str,
        by: int | None,
        *,
        scope: Scope,
        everyone: bool = False,
    ) -> dict | None:
        """Link a queued question to an answer; its wording becomes a taught phrasing: for that
        server when a server's moderator resolves it in its scope, for everyone when the
        maintainers (``everyone=True``, or the maintainers' scope) or the operator do. Returns the
        entry as it was, or None when it is not in ``scope``."""
        if not valid_id(queue_id):
            scope_where(scope)
            return None
        result = await self._write(
            lambda: self._resolve_body(queue_id, model, license, topic, by, scope, everyone)
        )
        if result is not None:
            self._saw_version(result[1])
            return result[0]
        return None

    def _resolve_body(
        self,
        queue_id: int,
        model: str | None,
        license: str | None,
        topic: str,
        by: int | None,
        scope: Scope,
        everyone: bool = False,
    ) -> Ops:
        entry = yield from _get_entry(queue_id, scope)
        if entry is None:
            return None
        now = time.time()
        yield run(
            "UPDATE queue SET status = 'resolved', resolution_model = ?, resolution_license = ?,"
            " resolution_topic = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            model,
            license,
            topic,
            by,
            now,
            queue_id,
        )
        yield run("DELETE FROM queue_terms WHERE queue_id = ?", queue_id)
        teach_guild = entry["guild_id"] if isinstance(scope, int) and not everyone else None
        yield run(
            "INSERT INTO learned (question, model, license, topic, created_by, created_at, guild_id)"
            " VALUES (?,?,?,?,?,?,?)",
            entry["question"],
            model,
            license,
            topic,
            by,
            now,
            teach_guild,
        )
        yield from self._audit_body(
            by,
            "resolve",
            model,
            f"queue #{queue_id}",
            entry["question"],
            f"{model or license}/{topic}",
            entry["guild_id"],
        )
        version = yield from self._bump("learned", teach_guild)
        return entry, version

    async def dismiss(self, queue_id: int, reason: str, by: int | None, *, scope: Scope) -> dict | None:
        if not valid_id(queue_id):
            scope_where(scope)
            return None
        return await self._write(lambda: self._dismiss_body(queue_id, reason, by, scope))

    def _dismiss_body(self, queue_id: int, reason: str, by: int | None, scope: Scope) -> Ops:
        entry = yield from _get_entry(queue_id, scope)
        if entry is None:
            return None
        yield run(
            "UPDATE queue SET status = 'dismissed', dismiss_reason = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            reason,
            by,
            time.time(),
            queue_id,
        )
        yield run("DELETE FROM queue_terms WHERE queue_id = ?", queue_id)
        yield from self._audit_body(
            by, "dismiss", None, f"queue #{queue_id}", entry["question"], reason, entry["guild_id"]
        )
        return entry

    async def forward(self, queue_id: int, note: str | None, by: int | None, *, scope: Scope) -> dict | None:
        """Forward an entry to the maintainers (it joins ``scope="maintainers"``) with a note.
        Returns the entry as it is now, or None when it is not in ``scope``."""
        if not valid_id(queue_id):
            scope_where(scope)
            return None
        return await self._write(lambda: self._forward_body(queue_id, note, by, scope))

    def _forward_body(self, queue_id: int, note: str | None, by: int | None, scope: Scope) -> Ops:
        entry = yield from _get_entry(queue_id, scope)
        if entry is None:
            return None
        yield run(
            "UPDATE queue SET forwarded_at = ?, forwarded_by = ?, forward_note = ? WHERE id = ?",
            time.time(),
            by,
            note,
            queue_id,
        )
        yield from self._audit_body(by, "forward", None, f"queue #{queue_id}", None, note, entry["guild_id"])
        return (yield from _get_entry(queue_id, scope))

    # -- the log-channel announcer ----------------------------------------------------------------
    async def unannounced(
        self, *, scope: Scope, limit: int = 500, shards: tuple[int, Iterable[int]] | None = None
    ) -> list[dict[str, Any]]:
        """Open entries in ``scope`` not yet posted to a log channel, oldest first (at most ``limit``).
        ``shards`` = (shard count, shard ids): only the servers on those shards (``(guild_id >> 22) %
        count``, as Discord splits them) and, with shard 0, the DMs: each process of a sharded bot
        announces its own servers' entries, so none is posted twice."""
        where, args = scope_where(scope, forwarded="forwarded_at")
        if shards is not None:
            count, ids = shards[0], sorted({int(i) for i in shards[1]})
            if count < 1 or not ids:
                raise ValueError(f"shards must be (count, ids), not {shards!r}")
            where += f" AND (((guild_id / 4194304) % ?) IN ({placeholders(len(ids))})"
            where += " OR guild_id IS NULL)" if 0 in ids else ")"
            args = [*args, count, *ids]
        return await self._read(
            lambda: _rows(
                f"SELECT * FROM queue WHERE announced = 0 AND status = 'open' AND {where} ORDER BY id LIMIT ?",
                *args,
                _clamp(limit, 0, 10_000),
            )
        )

    async def mark_announced(self, ids: Iterable[int], *, scope: Scope) -> None:
        where, args = scope_where(scope, forwarded="forwarded_at")
        ids = [i for i in ids if valid_id(i)]
        if not ids:
            return

        def body() -> Ops:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                yield run(
                    f"UPDATE queue SET announced = 1 WHERE id IN ({placeholders(len(chunk))}) AND {where}",
                    *chunk,
                    *args,
                )

        await self._write(body)

    # -- export ----------------------------------------------------------------------------------
    async def export_csv(self, status: str | None = None, *, scope: Scope) -> str:
        """The queue in ``scope`` as one CSV text, in id order. For a queue too big for one Discord
        upload use export_files()."""
        rows = await self._export_rows(status, scope)
        return await asyncio.to_thread(_csv_text, rows)

    async def export_files(
        self,
        status: str | None = None,
        *,
        scope: Scope,
        compress: bool = True,
        max_bytes: int = DISCORD_UPLOAD_LIMIT - 512 * 1024,
        basename: str = "riderbot-review",
    ) -> list[ExportFile]:
        """The queue in ``scope`` as one or more CSV files (each complete, with its header), gzip-
        compressed unless ``compress=False``, none larger than ``max_bytes`` (default: safely under
        Discord's 10 MiB upload limit). Files are named ``basename.csv[.gz]``, or
        ``basename-1-of-3.csv.gz``... when split. The CPU work runs in a thread."""
        rows = await self._export_rows(status, scope)
        return await asyncio.to_thread(_export_files, rows, compress, max(4096, max_bytes), basename)

    async def _export_rows(self, status: str | None, scope: Scope) -> list[dict[str, Any]]:
        where, args = _queue_where(scope, status)
        out: list[dict[str, Any]] = []
        last = 0
        while True:  # in chunks, so the database (and the event loop) serve others in between
            chunk = await self._read(
                lambda last=last: _rows(
                    f"SELECT * FROM queue WHERE {where} AND id > ? ORDER BY id LIMIT ?",
                    *args,
                    last,
                    EXPORT_CHUNK,
                )
            )
            out.extend(chunk)
            if len(chunk) < EXPORT_CHUNK:
                return out
            last = chunk[-1]["id"]
            await asyncio.sleep(0)

    # -- expiry and the size cap ---------------------------------------------------------------------
    async def trim_queue(self, now: float | None = None) -> int:
        """Delete open entries not asked for RIDERBOT_QUEUE_EXPIRE_DAYS, then, over
        RIDERBOT_QUEUE_MAX_OPEN open entries, the least asked (oldest first). Returns how many."""
        now = time.time() if now is None else now
        return await self._write(lambda: self._trim_body(now))

    async def _trim_quietly(self) -> None:
        import logging

        try:
            removed = await self.trim_queue()
        except Exception as exc:  # logged by the writer when it is the database
            logging.getLogger("riderbot.storage").debug("queue trim failed: %s", exc)
            return
        if removed:
            logging.getLogger("riderbot.storage").info(
                "review queue: removed %d expired or surplus entries", removed
            )

    def _trim_body(self, now: float) -> Ops:
        removed = 0
        if self.queue_expire_days > 0:
            removed += yield run(
                "DELETE FROM queue WHERE status = 'open' AND last_seen < ?",
                now - self.queue_expire_days * 86400,
            )
        if self.queue_max_open > 0:
            total = yield val("SELECT COUNT(*) FROM queue WHERE status = 'open'")
            excess = (total or 0) - self.queue_max_open
            if excess > 0:
                removed += yield run(
                    "DELETE FROM queue WHERE id IN (SELECT id FROM queue WHERE status = 'open'"
                    " ORDER BY count, last_seen, id LIMIT ?)",
                    excess,
                )
        return removed


# -- statement generators -----------------------------------------------------------------------------
DROP_PROBE = 999  # the probe number of the drop-one keys in _find_similar


_BUMP_SQL = (
    "UPDATE queue SET count = count + 1, last_seen = ?, best_guess = COALESCE(?, best_guess),"
    " confidence = COALESCE(?, confidence), unknown_model = COALESCE(unknown_model, ?)"
    " WHERE id = ? AND status = 'open'"
)
_INSERT_SQL = (
    "INSERT INTO queue (question, normalized, first_seen, last_seen, guild_id, channel_id, user_id,"
    " outcome, best_guess, confidence, unknown_model, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _entry_values(asked: Asked, norm: str, now: float) -> tuple[Any, ...]:
    return (
        asked.question,
        norm,
        now,
        now,
        asked.guild_id,
        asked.channel_id,
        asked.user_id,
        asked.outcome,
        asked.best_guess,
        _float(asked.confidence),
        asked.unknown_model,
        asked.source,
    )


def _find_similar(norm: str, guild_id: int | None) -> Ops:
    """The open entry of this server that ``norm`` repeats, through the grouping index (SQLite:
    statements cost no round trip there, so the probes are one UNION and the texts a second read)."""
    gkey, sig = grouping.guild_key(guild_id), grouping.number_signature(norm)
    low, high = grouping.length_window(grouping.length(norm))
    terms = grouping.terms(norm)[: 1 + grouping.MAX_TERMS]
    parts, args = [], []
    n = grouping.length(norm)
    half = grouping.TERM_LIMIT // 2
    for i, term in enumerate(terms):
        if i == 0:
            parts.append(
                "SELECT queue_id, 0 AS t FROM (SELECT queue_id FROM queue_terms"
                " WHERE gkey = ? AND numsig = ? AND term = ? AND nlen = ? LIMIT 1) AS t0"
            )
            args += [gkey, sig, term, n]
            continue
        # the entries with this word whose length is nearest the question's: half longer, half shorter
        parts.append(
            f"SELECT queue_id, {i} AS t FROM (SELECT queue_id FROM queue_terms WHERE gkey = ? AND numsig = ?"
            f" AND term = ? AND nlen BETWEEN ? AND ? ORDER BY nlen LIMIT {half}) AS a{i}"
        )
        parts.append(
            f"SELECT queue_id, {i} AS t FROM (SELECT queue_id FROM queue_terms WHERE gkey = ? AND numsig = ?"
            f" AND term = ? AND nlen BETWEEN ? AND ? ORDER BY nlen DESC LIMIT {half}) AS b{i}"
        )
        args += [gkey, sig, term, n, high, gkey, sig, term, low, n - 1]
    # one word mistyped: the entry shares the key of the other words
    drop = grouping.drop_one_terms(norm)
    if drop:
        # always DROP_ONE_MAX keys (repeats are harmless), so the statement has one shape
        drop += [drop[0]] * (grouping.DROP_ONE_MAX - len(drop))
        parts.append(
            f"SELECT queue_id, {DROP_PROBE} AS t FROM (SELECT queue_id FROM queue_terms WHERE gkey = ?"
            f" AND numsig = ? AND term IN ({placeholders(len(drop))}) AND nlen BETWEEN ? AND ?"
            f" LIMIT {grouping.DROP_ONE_LIMIT}) AS d"
        )
        args += [gkey, sig, *drop, low, high]
    # a typo in a rare word leaves its start: probe the first letters of the longest words too
    # (two ranges, before and after the word itself: a filter skipping it would walk every entry
    # that has the word, thousands for a common one)
    for k, (word, start, end) in enumerate(_prefix_probes(terms)):
        parts.append(
            f"SELECT queue_id, {len(terms) + k} AS t FROM (SELECT queue_id FROM ("
            "SELECT * FROM (SELECT term, nlen, queue_id FROM queue_terms WHERE gkey = ? AND numsig = ?"
            f" AND term >= ? AND term < ? ORDER BY term, nlen, queue_id LIMIT {grouping.TERM_LIMIT})"
            " UNION ALL SELECT * FROM (SELECT term, nlen, queue_id FROM queue_terms WHERE gkey = ?"
            f" AND numsig = ? AND term > ? AND term < ? ORDER BY term, nlen, queue_id LIMIT {grouping.TERM_LIMIT})"
            f") ORDER BY term, nlen, queue_id LIMIT {grouping.TERM_LIMIT}) AS p{k}"
        )
        args += [gkey, sig, start, word, gkey, sig, word, end]
    hits = yield rows_(" UNION ALL ".join(parts), *args)  # (entry id, probe number)
    score = _scores(hits)
    if not score:
        return None
    best = _best(score)
    found = yield rows_(
        f"SELECT id, normalized, status FROM queue WHERE id IN ({placeholders(len(best))})", *best
    )
    return _pick(norm, score, found)


def _prefix_probes(terms: list[str]) -> list[tuple[str, str, str]]:
    """(word, first letters, the key just after them) for the longest two words of 6+ letters."""
    out = []
    for word in (w for w in terms[1:3] if len(w) >= grouping.PREFIX_MIN):
        start = word[: grouping.PREFIX]
        out.append((word, start, start[:-1] + chr(ord(start[-1]) + 1)))
    return out


def _scores(hits: Iterable[tuple[int, int]]) -> dict[int, float]:
    """Rank the entries found by the words they share, a word weighing 1 / (entries found with
    it): a rare word (a model name) outweighs common ones, and a word whose probe hit its cap (so
    the list is an arbitrary slice) only breaks ties. ``hits``: (entry id, probe number)."""
    hits = list(hits)
    half = grouping.TERM_LIMIT // 2
    sizes: dict[int, int] = {}
    for _, t in hits:
        sizes[t] = sizes.get(t, 0) + 1
    weights = {
        t: 1000.0 if t == 0 else 100.0 if t == DROP_PROBE else (1.0 if k < half else 0.001) / k
        for t, k in sizes.items()
    }
    score: dict[int, float] = {}
    for queue_id, t in hits:
        score[queue_id] = score.get(queue_id, 0.0) + weights[t]
    return score


def _best(score: dict[int, float]) -> list[int]:
    return sorted(score, key=lambda q: (-score[q], q))[: grouping.CANDIDATES]


def _pick(norm: str, score: dict[int, float], found: Iterable[tuple[int, str, str]]) -> int | None:
    """The open entry among ``found`` (id, normalized text, status) that ``norm`` repeats."""
    wanted = grouping.sorted_text(norm)
    candidates: dict[int, str] = {}
    for queue_id, text, status in sorted(found):
        if status != "open":
            continue
        if score[queue_id] >= 1000.0 and grouping.sorted_text(text) == wanted:
            return queue_id
        candidates[queue_id] = text
    return grouping.best_match(norm, candidates)


# PostgreSQL: each statement is a round trip, so a logged question is two of them: this probe and one
# write, each its own transaction (no BEGIN, no COMMIT). The probe has one shape whatever the question (its
# words are arrays, each probed through LATERAL), so its plan is prepared once and cached; it ranks
# the entries as _scores does and returns the best ones with their texts.
_PROBE_PG = """
WITH hits AS (
  SELECT p.t, h.queue_id FROM unnest($3::int[], $4::text[], $5::int[], $6::int[], $7::int[]) AS p(t, term, lo, hi, lim)
  CROSS JOIN LATERAL (SELECT queue_id FROM queue_terms WHERE gkey = $1 AND numsig = $2 AND term = p.term
    AND nlen BETWEEN p.lo AND p.hi ORDER BY nlen LIMIT p.lim) AS h
  UNION ALL
  SELECT p.t, h.queue_id FROM unnest($8::int[], $9::text[], $10::int[], $11::int[]) AS p(t, term, lo, hi)
  CROSS JOIN LATERAL (SELECT queue_id FROM queue_terms WHERE gkey = $1 AND numsig = $2 AND term = p.term
    AND nlen BETWEEN p.lo AND p.hi ORDER BY nlen DESC LIMIT $12) AS h
  UNION ALL
  (SELECT $13::int, h.queue_id FROM unnest($14::text[]) AS p(term)
   CROSS JOIN LATERAL (SELECT queue_id FROM queue_terms WHERE gkey = $1 AND numsig = $2 AND term = p.term
     AND nlen BETWEEN $15 AND $16 LIMIT $17) AS h LIMIT $17)
  UNION ALL
  SELECT p.t, h.queue_id FROM unnest($18::int[], $19::text[], $20::text[], $21::text[]) AS p(t, lo, hi, word)
  CROSS JOIN LATERAL (SELECT queue_id FROM (
    (SELECT queue_id FROM queue_terms WHERE gkey = $1 AND numsig = $2 AND term >= p.lo AND term < p.word
     ORDER BY term, nlen, queue_id LIMIT $22)
    UNION ALL
    (SELECT queue_id FROM queue_terms WHERE gkey = $1 AND numsig = $2 AND term > p.word AND term < p.hi
     ORDER BY term, nlen, queue_id LIMIT $22)) AS r LIMIT $22) AS h
),
sized AS (SELECT t, queue_id, count(*) OVER (PARTITION BY t) AS k FROM hits),
scored AS (
  SELECT queue_id, sum(CASE WHEN t = 0 THEN 1000 WHEN t = $13 THEN 100 WHEN k < $12 THEN 1.0 / k ELSE 0.001 / k END)
    AS score
  FROM sized GROUP BY queue_id ORDER BY score DESC, queue_id LIMIT $23)
SELECT s.queue_id, s.score::float8, q.normalized, q.status FROM scored s JOIN queue q ON q.id = s.queue_id
"""


def _find_similar_pg(norm: str, guild_id: int | None) -> Ops:
    """The same probes and ranking as _find_similar, in one PostgreSQL statement."""
    gkey, sig, n = grouping.guild_key(guild_id), grouping.number_signature(norm), grouping.length(norm)
    low, high = grouping.length_window(n)
    terms = grouping.terms(norm)[: 1 + grouping.MAX_TERMS]
    half = grouping.TERM_LIMIT // 2
    words = list(enumerate(terms[1:], 1))
    up = (
        [0] + [i for i, _ in words],
        terms[:1] + [w for _, w in words],
        [n] * len(terms),
        [n] + [high] * len(words),
        [1] + [half] * len(words),
    )
    down = ([i for i, _ in words], [w for _, w in words], [low] * len(words), [n - 1] * len(words))
    prefixes = _prefix_probes(terms)
    found = yield rows_(
        _PROBE_PG,
        gkey,
        sig,
        *up,
        *down,
        half,
        DROP_PROBE,
        grouping.drop_one_terms(norm),
        low,
        high,
        grouping.DROP_ONE_LIMIT,
        [len(terms) + k for k in range(len(prefixes))],
        [start for _, start, _ in prefixes],
        [end for _, _, end in prefixes],
        [word for word, _, _ in prefixes],
        grouping.TERM_LIMIT,
        grouping.CANDIDATES,
    )
    score = {queue_id: points for queue_id, points, _, _ in found}
    return _pick(norm, score, ((queue_id, text, status) for queue_id, _, text, status in found))


_NEW_ENTRY_PG = f"""
WITH q AS ({dollar_placeholders(_INSERT_SQL)} RETURNING id),
terms AS (INSERT INTO queue_terms (gkey, numsig, term, nlen, queue_id)
  SELECT $13, $14, t.term, $15, q.id FROM q, unnest($16::text[]) AS t(term)),
asker AS (INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at) SELECT id, $7, $5, $6, $3 FROM q)
SELECT id FROM q
"""
_REPEAT_PG = f"""
WITH bumped AS ({dollar_placeholders(_BUMP_SQL)} RETURNING id)
INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at) SELECT id, $6, $7, $8, $1 FROM bumped
"""


def _log_body_pg(asked: Asked, norm: str, now: float) -> Ops:
    """Run without a transaction (log_question): the probe reads, then one statement bumps the entry
    found, if it is still open (a moderator may have resolved it in between), or adds a new one."""
    existing = yield from _find_similar_pg(norm, asked.guild_id)
    if existing is not None and (
        yield run(
            _REPEAT_PG,
            now,
            asked.best_guess,
            _float(asked.confidence),
            asked.unknown_model,
            existing,
            asked.user_id,
            asked.guild_id,
            asked.channel_id,
        )
    ):
        return existing, False
    queue_id = yield val(
        _NEW_ENTRY_PG,
        *_entry_values(asked, norm, now),
        grouping.guild_key(asked.guild_id),
        grouping.number_signature(norm),
        grouping.length(norm),
        list(dict.fromkeys(grouping.index_terms(norm))),  # distinct: the insert has no ON CONFLICT (cheaper)
    )
    return queue_id, True


def _get_entry(queue_id: int, scope: Scope) -> Ops:
    where, args = scope_where(scope, forwarded="forwarded_at")
    entry = yield one(f"SELECT * FROM queue WHERE id = ? AND {where}", queue_id, *args)
    if entry is None:
        return None
    entry["askers"] = (
        yield val("SELECT COUNT(DISTINCT user_id) FROM askers WHERE queue_id = ?", queue_id)
    ) or 0
    return entry


def _queue_where(scope: Scope, status: str | None) -> tuple[str, list[Any]]:
    where, args = scope_where(scope, forwarded="forwarded_at")
    if status:
        if status not in QUEUE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(QUEUE_STATUSES)}, not {status!r}")
        where += " AND status = ?"
        args = [*args, status]
    return where, args


def _rows(sql: str, *args: Any) -> Ops:
    return (yield all_(sql, *args))


def _value(sql: str, *args: Any) -> Ops:
    return (yield val(sql, *args))


def _clamp(value: Any, low: int, high: int) -> int:
    return max(low, min(int(value), high))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def iso(ts: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


def _csv_lines(rows: list[dict[str, Any]]) -> tuple[str, list[str]]:
    def line(values: list[Any]) -> str:
        buf = io.StringIO()
        csv.writer(buf).writerow(values)
        return buf.getvalue()

    header = line(EXPORT_FIELDS)
    lines = []
    for row in rows:
        out = dict(row)
        for key in ("first_seen", "last_seen", "forwarded_at"):
            out[key] = iso(out.get(key))
        lines.append(line(["" if out.get(f) is None else out.get(f) for f in EXPORT_FIELDS]))
    return header, lines


def _csv_text(rows: list[dict[str, Any]]) -> str:
    header, lines = _csv_lines(rows)
    return header + "".join(lines)


def _export_files(
    rows: list[dict[str, Any]], compress: bool, max_bytes: int, basename: str
) -> list[ExportFile]:
    header, lines = _csv_lines(rows)
    parts: list[tuple[bytes, int]] = []
    head = header.encode("utf-8")
    if not compress:
        current, size, count = [head], len(head), 0
        for text in lines:
            data = text.encode("utf-8")
            if count and size + len(data) > max_bytes:
                parts.append((b"".join(current), count))
                current, size, count = [head], len(head), 0
            current.append(data)
            size += len(data)
            count += 1
        parts.append((b"".join(current), count))
    else:
        parts = _gzip_parts(head, [t.encode("utf-8") for t in lines], max_bytes)
    suffix = ".csv.gz" if compress else ".csv"
    if len(parts) == 1:
        return [ExportFile(basename + suffix, parts[0][0], parts[0][1])]
    return [
        ExportFile(f"{basename}-{i}-of-{len(parts)}{suffix}", data, n) for i, (data, n) in enumerate(parts, 1)
    ]


def _gzip_parts(head: bytes, rows: list[bytes], max_bytes: int) -> list[tuple[bytes, int]]:
    """Gzip files of at most ``max_bytes``. Rows go in batches; before each batch the stream is
    flushed, so its exact size is known, and the batch's uncompressed size bounds what it can add
    (deflate never expands by more than a few bytes per 64 KiB). A batch that might not fit goes
    row by row, and a row that might not fit starts the next file."""
    parts: list[tuple[bytes, int]] = []
    slack = 64  # gzip trailer and block framing

    def start() -> tuple[io.BytesIO, gzip.GzipFile]:
        buf = io.BytesIO()
        gz = gzip.GzipFile(fileobj=buf, mode="wb", mtime=0)
        gz.write(head)
        return buf, gz

    buf, gz = start()
    count = i = 0
    while i < len(rows):
        batch = rows[i : i + 256]
        gz.flush()
        if buf.tell() + sum(map(len, batch)) + slack <= max_bytes:
            gz.write(b"".join(batch))
            count += len(batch)
            i += len(batch)
            continue
        if count and buf.tell() + len(rows[i]) + slack > max_bytes:
            gz.close()
            parts.append((buf.getvalue(), count))
            buf, gz = start()
            count = 0
        gz.write(rows[i])
        count += 1
        i += 1
    gz.close()
    parts.append((buf.getvalue(), count))
    return parts
