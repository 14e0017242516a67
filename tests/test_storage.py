"""Storage: migrations, grouping of repeats under concurrency, votes, privacy, retention."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from bot.storage import MIGRATIONS, SCHEMA_VERSION, Asked, Storage


async def test_pragmas_and_schema(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        async with store.db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with store.db.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
        async with store.db.execute("PRAGMA busy_timeout") as cur:
            assert (await cur.fetchone())[0] >= 1000
    finally:
        await store.close()


async def test_database_from_the_first_schema_version_migrates_without_loss(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    now = time.time()
    con.execute("INSERT INTO queue (question, normalized, first_seen, last_seen, user_id, outcome, count)"
                " VALUES ('is xtts ok commercially', 'is xtts ok commercially', ?, ?, 42, 'unanswered', 3)", (now, now))
    con.execute("INSERT INTO votes (message_id, user_id, helpful, created) VALUES (7, 42, 1, ?)", (now,))
    con.execute("INSERT INTO watched_channels (guild_id, channel_id) VALUES (1, 2)")
    con.commit()
    con.close()

    store = await Storage.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        (entry,) = await store.list_queue("open")
        assert (entry["question"], entry["count"], entry["source"]) == ("is xtts ok commercially", 3, "discord")
        assert await store.vote_counts(7) == (1, 0)
        assert await store.watched_channels(1) == {2}
        # the old row still groups with a repeat, and gained an asker row from the migration
        queue_id, created = await store.log_question(Asked("is XTTS ok commercially?", "unanswered", user_id=5))
        assert (queue_id, created) == (entry["id"], False)
        assert (await store.get_entry(queue_id))["askers"] == 2
    finally:
        await store.close()


async def test_thousand_concurrent_unanswered_questions_all_recorded_with_right_counts(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        distinct = [f"is model{i:03d}x ok for commercial use" for i in range(100)]
        asks = [Asked(distinct[i % 100] + ("?" if i % 3 else ""), "unanswered", user_id=i) for i in range(1000)]
        results = await asyncio.gather(*(store.log_question(a) for a in asks))
        assert len(results) == 1000
        rows = await store.list_queue("open", limit=1000)
        assert len(rows) == 100
        assert sorted(r["count"] for r in rows) == [10] * 100
        assert sum(created for _, created in results) == 100
        async with store.db.execute("SELECT COUNT(*) FROM askers") as cur:
            assert (await cur.fetchone())[0] == 1000
    finally:
        await store.close()


async def test_near_duplicates_group_but_different_questions_do_not(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        a, _ = await store.log_question(Asked("can i use xtts commercially", "unanswered"))
        b, _ = await store.log_question(Asked("Can I use XTTS commercially??", "unanswered"))
        c, _ = await store.log_question(Asked("who owns images made with flux", "unanswered"))
        assert a == b != c
    finally:
        await store.close()


async def test_one_vote_per_user_and_not_helpful_goes_to_review(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        await store.record_answer(100, "llama 2 outputs to train?", "llama-2", "llama-2-community", "outputs-training", 1, 2, 3)
        assert await store.record_vote(100, 9, helpful=False) is True
        assert await store.record_vote(100, 9, helpful=True) is False
        assert await store.vote_counts(100) == (0, 1)
        (entry,) = await store.list_queue("open")
        assert entry["outcome"] == "not-helpful" and entry["best_guess"] == "llama-2/outputs-training"
    finally:
        await store.close()


async def test_forget_user_and_retention(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        mine, _ = await store.log_question(Asked("only i asked about xtts", "unanswered", user_id=1))
        shared, _ = await store.log_question(Asked("is flux ok commercially", "unanswered", user_id=1))
        await store.log_question(Asked("is flux ok commercially", "unanswered", user_id=2))
        await store.forget_user(1)
        assert await store.get_entry(mine) is None
        entry = await store.get_entry(shared)
        assert entry is not None and entry["user_id"] is None and entry["askers"] == 1

        await store.dismiss(shared, "off-topic", by=None)
        await store.db.execute("UPDATE queue SET decided_at = ? WHERE id = ?", (time.time() - 10 * 86400, shared))
        await store.db.commit()
        assert await store.apply_retention(30) == 0
        assert await store.apply_retention(5) == 1
        assert await store.get_entry(shared) is None
    finally:
        await store.close()


async def test_stats_per_guild_count_only_that_guilds_feedback(tmp_path):
    store = await Storage.open(tmp_path / "db.sqlite")
    try:
        await store.record_answer(1, "q1", "llama-2", None, "commercial-use", 10, 1, 5)
        await store.record_answer(2, "q2", "llama-2", None, "commercial-use", 20, 2, 6)
        await store.record_vote(1, 7, helpful=True)
        await store.record_vote(2, 7, helpful=False)
        assert (await store.stats(guild_id=10))["feedback"] == {"helpful": 1, "not_helpful": 0, "helpful_ratio": 1.0}
        assert (await store.stats())["feedback"]["not_helpful"] == 1
    finally:
        await store.close()
