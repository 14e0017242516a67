"""Storage part of `riderbot bench`: how long logging an unanswered question takes as the review
queue grows, on SQLite and (when RIDERBOT_BENCH_POSTGRES or RIDERBOT_TEST_POSTGRES names a
server) on PostgreSQL.

For each queue size the database is filled with that many distinct open entries (synthetic
questions from a made-up vocabulary, shaped like real ones: shared common words, rare names,
some numbers), then questions are logged one after another, each awaited to its commit: half are
repeats of a stored question with a typo (they must find their entry through the index), half
are new. Reported: p50 / p99 per call, and how many of the typo'd repeats were grouped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.pgtemp import temporary_database

_SYL = "ka zu ri mo ve ta lo ni qu ex bra dor fen gli hap jor kel mun pix rol sav tek vun wex yor zim".split()
_TEMPLATES = [
    "is {a} ok for commercial use",
    "can i use {a} in my {b} app",
    "does the {a} licence allow {b} {c}",
    "can i fine tune {a} and sell the {b}",
    "who owns the output of {a} {b}",
    "is {a} {n}b allowed for {b} in the eu",
    "can i train {b} on {a} outputs",
    "what is the user limit for {a} {c}",
    "is {a} open source or not {b}",
    "do i need to credit {a} when i ship {b} {c}",
]
TARGET_P99_MS = 2.0  # per logged question, at every size
FLAT_RATIO = 1.5  # p99 at the largest size / p99 at the smallest
# What --quick's 10x regression guard multiplies: the target, or where a backend is today when it
# misses the target (both meet it now: PostgreSQL is two round trips per question).
QUICK_BASELINE_P99 = {"sqlite": TARGET_P99_MS, "postgres": TARGET_P99_MS}


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(_SYL) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def questions(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct questions (no two would group)."""
    rng = random.Random(seed)
    vocab = vocabulary(6000, rng)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        q = rng.choice(_TEMPLATES).format(
            a=rng.choice(vocab), b=rng.choice(vocab), c=rng.choice(vocab), n=rng.randint(1, 400)
        )
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


def typo(question: str, rng: random.Random) -> str:
    words = question.split()
    i = max(range(len(words)), key=lambda k: (len(words[k]), rng.random()))  # the longest word
    w = words[i]
    j = rng.randrange(1, len(w) - 1) if len(w) > 2 else 0
    words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


async def fill(store: Any, texts: list[str], guild_id: int | None = 1) -> None:
    """Insert open entries directly (with their index rows), in big transactions."""
    from bot.storage.grouping import normalized
    from bot.storage.schema import index_rows
    from bot.storage.sql import many, val

    now = time.time()
    start = (await store._read(lambda: _max_id())) or 0

    def body(chunk: list[str], first: int):
        rows, terms = [], []
        for k, text in enumerate(chunk):
            norm = normalized(text)
            qid = first + k
            rows.append((qid, text, norm, now, now, guild_id, "unanswered", 1))
            terms.extend(index_rows(qid, norm, guild_id))
        yield many(
            "INSERT INTO queue (id, question, normalized, first_seen, last_seen, guild_id, outcome, announced)"
            " VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
        yield many(
            "INSERT INTO queue_terms (gkey, numsig, term, nlen, queue_id) VALUES (?,?,?,?,?)"
            " ON CONFLICT DO NOTHING",
            terms,
        )
        if store.dialect == "postgres":
            yield val("SELECT setval('queue_id_seq', (SELECT MAX(id) FROM queue))")

    step = 5000
    for offset in range(0, len(texts), step):
        await store._write(lambda o=offset: body(texts[o : o + step], start + o + 1))
    if store.dialect == "sqlite":  # as a running bot's database would be: its WAL checkpointed
        await store.driver.call(
            lambda: store.driver._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        )
    else:
        # as a running bot's database would be: vacuumed and analysed, the fill's WAL checkpointed
        # (a checkpoint during the measurement would be the fill's cost, not logging's)
        async with store.driver.pool.acquire() as con:  # outside a transaction, as VACUUM must be
            await con.execute("VACUUM ANALYZE")
            with contextlib.suppress(Exception):  # CHECKPOINT needs a superuser or pg_checkpoint
                await con.execute("CHECKPOINT")


def _max_id():
    from bot.storage.sql import val

    return (yield val("SELECT MAX(id) FROM queue"))


async def measure(
    store: Any, stored: list[str], fresh: list[str], samples: int, seed: int = 3
) -> dict[str, Any]:
    from bot.storage import Asked

    rng = random.Random(seed)
    latencies, grouped, repeats = [], 0, 0
    for i in range(samples):
        if i % 2 == 0:
            text, repeat = typo(rng.choice(stored), rng), True
        else:
            text, repeat = fresh[i // 2], False
        start = time.perf_counter()
        _, created = await store.log_question(Asked(text, "unanswered", guild_id=1))
        latencies.append(time.perf_counter() - start)
        if repeat:
            repeats += 1
            grouped += not created
    latencies.sort()
    return {
        "p50_ms": round(1000 * statistics.median(latencies), 3),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
        "grouped": round(grouped / repeats, 3) if repeats else None,
    }


async def bench_backend(backend: str, sizes: tuple[int, ...], samples: int) -> list[dict[str, Any]]:
    from bot.storage import open_storage

    results = []
    biggest = max(sizes)
    texts = questions(biggest + samples, seed=11)
    stored_all, fresh = texts[:biggest], texts[biggest:]
    for size in sizes:
        with _database(backend) as target:
            store = await open_storage(target, queue_max_open=0, queue_expire_days=0)
            try:
                start = time.perf_counter()
                await fill(store, stored_all[:size])
                fill_s = time.perf_counter() - start
                # warm up (statement caches, the OS page cache)
                await measure(store, stored_all[:size], questions(60, seed=size + 5), 60, seed=99)
                row = await measure(store, stored_all[:size], fresh, samples)
            finally:
                await store.close()
        results.append({"backend": backend, "open_entries": size, "fill_s": round(fill_s, 2), **row})
    return results


class _database:
    def __init__(self, backend: str):
        self.backend = backend

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="riderbot-bench-db-")
            return str(Path(self._tmp.name) / "bench.db")
        url = postgres_url()
        assert url is not None, "the PostgreSQL storage bench needs RIDERBOT_TEST_POSTGRES"
        self._ctx = temporary_database(url)
        return self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.backend == "sqlite":
            self._tmp.cleanup()
        else:
            self._ctx.__exit__(*exc)


def postgres_url() -> str | None:
    return os.environ.get("RIDERBOT_BENCH_POSTGRES") or os.environ.get("RIDERBOT_TEST_POSTGRES")


def run_storage_bench(quick: bool = False) -> dict[str, Any]:
    sizes = (1000, 5000) if quick else (1000, 10_000, 100_000)
    samples = 200 if quick else 1000
    rows = asyncio.run(bench_backend("sqlite", sizes, samples))
    skipped = None
    if postgres_url():
        try:
            rows += asyncio.run(bench_backend("postgres", sizes, samples))
        except ImportError as exc:  # asyncpg missing from a custom install
            skipped = str(exc)
    else:
        skipped = "set RIDERBOT_BENCH_POSTGRES=postgresql://... to include PostgreSQL"
    return {"rows": rows, "postgres_skipped": skipped}


def storage_checks(report: dict[str, Any], slack: float) -> list[dict[str, Any]]:
    checks = []
    by_backend: dict[str, list[dict[str, Any]]] = {}
    for row in report["rows"]:
        by_backend.setdefault(row["backend"], []).append(row)
    for backend, rows in by_backend.items():
        rows.sort(key=lambda r: r["open_entries"])
        big, small = rows[-1], rows[0]
        limit = (TARGET_P99_MS if slack == 1.0 else QUICK_BASELINE_P99.get(backend, TARGET_P99_MS)) * slack
        checks.append(
            {
                "check": f"log question p99 at {big['open_entries']:,} open ({backend}, ms)",
                "value": big["p99_ms"],
                "target": TARGET_P99_MS,
                "limit": limit,
                "ok": big["p99_ms"] <= limit,
            }
        )
        ratio = round(big["p99_ms"] / small["p99_ms"], 2) if small["p99_ms"] else 0.0
        flat = FLAT_RATIO * slack
        if slack == 1.0:  # --quick's sizes are too close (and its p99 too noisy) to judge flatness
            checks.append(
                {
                    "check": f"log question p99 {big['open_entries']:,} vs {small['open_entries']:,} open "
                    f"({backend})",
                    "value": ratio,
                    "target": FLAT_RATIO,
                    "limit": flat,
                    "ok": ratio <= flat,
                }
            )
        checks.append(
            {
                "check": f"typo'd repeats grouped ({backend})",
                "value": big["grouped"],
                "target": 0.95,
                "limit": 0.95 / slack,
                "ok": (big["grouped"] or 0) >= 0.95 / slack,
            }
        )
    return checks


def format_storage(report: dict[str, Any]) -> list[str]:
    lines = [
        "| storage | open entries | fill | log question p50 | p99 | typo'd repeats grouped |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['backend']} | {r['open_entries']:,} | {r['fill_s']:.1f} s | {r['p50_ms']:.3f} ms | "
            f"{r['p99_ms']:.3f} ms | {100 * (r['grouped'] or 0):.0f}% |"
        )
    if report.get("postgres_skipped"):
        lines.append(f"\nPostgreSQL storage rows skipped: {report['postgres_skipped']}")
    return lines
