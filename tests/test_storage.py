"""Storage on both backends (SQLite always, PostgreSQL with RIDERBOT_TEST_POSTGRES): migrations,
grouping of repeats (through the index) under concurrency, votes, privacy, retention, expiry and
the cap, bad text, exports, knowledge edits and the change version."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import itertools
import secrets
import sqlite3
import time

import pytest

from bot.storage import MIGRATIONS, SCHEMA_VERSION, Asked, QuestionTooLong, StorageError, open_storage
from bot.storage.schema import index_rows


# -- SQLite specifics ---------------------------------------------------------------------------
async def test_pragmas_and_schema(tmp_path):
    store = await open_storage(tmp_path / "db.sqlite")
    try:
        assert await store.schema_version() == SCHEMA_VERSION
    finally:
        await store.close()
    con = sqlite3.connect(tmp_path / "db.sqlite")
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        con.close()


def _old_database(path, upto: int) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    for number in range(upto):
        for statement in MIGRATIONS[number].statements("sqlite"):
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {upto}")
    con.commit()
    return con


async def test_database_from_the_first_schema_version_migrates_without_loss(tmp_path):
    path = tmp_path / "old.db"
    con = _old_database(path, 1)
    now = time.time()
    con.execute(
        "INSERT INTO queue (question, normalized, first_seen, last_seen, user_id, outcome, count)"
        " VALUES ('is xtts ok commercially', 'is xtts ok commercially', ?, ?, 42, 'unanswered', 3)",
        (now, now),
    )
    con.execute("INSERT INTO votes (message_id, user_id, helpful, created) VALUES (7, 42, 1, ?)", (now,))
    con.execute("INSERT INTO watched_channels (guild_id, channel_id) VALUES (1, 2)")
    con.commit()
    con.close()

    store = await open_storage(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        (entry,) = await store.list_queue("open", scope="all")
        assert (entry["question"], entry["count"], entry["source"]) == (
            "is xtts ok commercially",
            3,
            "discord",
        )
        assert await store.vote_counts(7) == (1, 0)
        assert await store.watched_channels(1) == {2}
        # the old row still groups with a repeat (it was indexed by the migration) and gained an asker row
        queue_id, created = await store.log_question(
            Asked("is XTTS ok commercially?", "unanswered", user_id=5)
        )
        assert (queue_id, created) == (entry["id"], False)
        assert (await store.get_entry(queue_id, scope="dms"))["askers"] == 2
    finally:
        await store.close()


async def test_release_4_splits_entries_asked_in_several_servers(tmp_path):
    """Before per-server isolation one entry collected askers from every server; each server now
    gets its own entry, counted from its own askers, so no server sees another's questions."""
    path = tmp_path / "old.db"
    con = _old_database(path, 3)
    now = time.time()
    con.execute(
        "INSERT INTO queue (id, question, normalized, first_seen, last_seen, guild_id, user_id, outcome, count)"
        " VALUES (1, 'is flux ok', 'is flux ok', ?, ?, 10, 1, 'unanswered', 4)",
        (now, now),
    )
    con.executemany(
        "INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at) VALUES (1, ?, ?, NULL, ?)",
        [(1, 10, now), (2, 10, now), (3, 20, now + 1), (4, 20, now + 2)],
    )
    con.commit()
    con.close()
    store = await open_storage(path)
    try:
        (ten,) = await store.list_queue(scope=10)
        (twenty,) = await store.list_queue(scope=20)
        assert (ten["count"], twenty["count"]) == (2, 2)
        assert (twenty["user_id"], twenty["first_seen"]) == (3, now + 1)
        assert (await store.get_entry(twenty["id"], scope=20))["askers"] == 2
        assert await store.get_entry(twenty["id"], scope=10) is None
        # both are indexed: a repeat in each server finds its own entry
        assert await store.log_question(Asked("is flux ok?", "unanswered", guild_id=20)) == (
            twenty["id"],
            False,
        )
    finally:
        await store.close()


# -- both backends --------------------------------------------------------------------------------
async def test_migrations_run_once_and_reopen_keeps_data(storage_target):
    store = await open_storage(storage_target)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        queue_id, _ = await store.log_question(Asked("is xtts ok commercially", "unanswered", guild_id=1))
    finally:
        await store.close()
    again = await open_storage(storage_target)
    try:
        assert await again.schema_version() == SCHEMA_VERSION
        assert (await again.get_entry(queue_id, scope=1))["count"] == 1
    finally:
        await again.close()


async def test_thousand_concurrent_unanswered_questions_all_recorded_with_right_counts(store):
    distinct = [f"is model{i:03d}x ok for commercial use" for i in range(100)]
    asks = [
        Asked(distinct[i % 100] + ("?" if i % 3 else ""), "unanswered", user_id=i + 1) for i in range(1000)
    ]
    results = await asyncio.gather(*(store.log_question(a) for a in asks))
    assert len(results) == 1000
    rows = await store.list_queue("open", limit=1000, scope="all")
    assert len(rows) == 100
    assert sorted(r["count"] for r in rows) == [10] * 100
    assert sum(created for _, created in results) == 100
    assert await store._raw("UPDATE askers SET asked_at = asked_at") == 1000  # every ask has its row


async def test_near_duplicates_group_but_different_questions_do_not(store):
    async def log(text: str, guild: int | None = 1) -> int:
        return (await store.log_question(Asked(text, "unanswered", guild_id=guild)))[0]

    a = await log("can i use xtts commercially")
    assert await log("Can I use XTTS commercially??") == a  # case and punctuation
    assert await log("commercially, can i use xtts") == a  # word order
    assert await log("can i use xtts comercially") == a  # a typo
    assert await log("can i use xtt commercially") == a  # a typo in the rare word
    assert await log("who owns images made with flux") != a
    five = await log("can i use llama 5 commercially")
    assert await log("can i use llama 6 commercially") != five  # a different number never groups
    assert await log("can i use llama 5 commercially?") == five
    assert await log("can i use xtts commercially", guild=2) != a  # another server: its own entry
    assert await log("can i use xtts commercially", guild=None) not in (a,)
    assert (await store.get_entry(a, scope=1))["count"] == 5


async def test_grouping_finds_the_entry_among_many_similar_ones(store):
    """The index caps how many rows each word reads: the right entry is still found when many
    open entries share the question's common words."""
    rows = [
        Asked(f"is {w} ok for commercial use", "unanswered", guild_id=1)
        for w in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")
        for _ in range(1)
    ]
    rows += [
        Asked(f"is zorblax{i} model ok for commercial use", "unanswered", guild_id=1) for i in range(200)
    ]
    ids = [qid for qid, _ in await asyncio.gather(*(store.log_question(a) for a in rows))]
    target = ids[3]  # "is delta ok for commercial use"
    assert (await store.log_question(Asked("is delta ok for comercial use", "unanswered", guild_id=1)))[
        0
    ] == target
    assert (await store.log_question(Asked("delta ok for commercial use?", "unanswered", guild_id=1)))[
        0
    ] == target


async def test_a_one_word_typo_is_grouped_when_every_word_is_common(store):
    """Drop-one keys: when thousands of open entries share every word of a question (six words out
    of a vocabulary of twelve, each word in half of them), the per-word probes read an arbitrary slice, yet a repeat with one
    word mistyped is still found: it shares the key of its other five words with its entry."""
    vocab = ["harbour", "lantern", "meadows", "orchard", "pebbles", "quartzy",
             "riddles", "saffron", "thimble", "umbrels", "velvety", "willowy"]  # fmt: skip
    texts = [" ".join(c) for c in itertools.combinations(vocab, 6)]  # 924: each word in 462 of them
    ids = []
    for start in range(0, len(texts), 500):
        batch = [Asked(t, "unanswered", guild_id=1) for t in texts[start : start + 500]]
        ids += [qid for qid, _ in await asyncio.gather(*(store.log_question(a) for a in batch))]
    assert len(set(ids)) == len(texts) == 924  # different words: different questions
    for index in (7, 500, len(texts) - 1):
        words = texts[index].split()
        words[2] = words[2][:-1] + "x"  # one letter wrong
        again, created = await store.log_question(Asked(" ".join(words), "unanswered", guild_id=1))
        assert (again, created) == (ids[index], False)


async def test_resolved_entries_leave_the_index(store):
    qid, _ = await store.log_question(Asked("is flux ok for commercial use", "unanswered", guild_id=1))
    await store.resolve(qid, "mistral-7b", None, "commercial-use", 5, scope=1)
    again, created = await store.log_question(
        Asked("is flux ok for commercial use", "unanswered", guild_id=1)
    )
    assert created and again != qid


async def test_a_repeat_of_an_entry_resolved_meanwhile_makes_a_new_entry(store, monkeypatch):
    """On PostgreSQL the grouping probe and the write are two statements without a transaction
    around them: a moderator can resolve the entry the probe found in between. The bump must then
    not touch the resolved entry: the question gets an entry of its own."""
    import bot.storage.queue as queue

    qid, _ = await store.log_question(Asked("is flux ok for commercial use", "unanswered", guild_id=1))
    await store.resolve(qid, "mistral-7b", None, "commercial-use", 5, scope=1)

    def stale_probe(norm, guild_id):  # what the probe saw before the resolve committed
        return qid
        yield  # pragma: no cover - makes this a statement generator

    monkeypatch.setattr(queue, "_find_similar", stale_probe)
    monkeypatch.setattr(queue, "_find_similar_pg", stale_probe)
    again, created = await store.log_question(
        Asked("is flux ok for commercial use", "unanswered", guild_id=1, user_id=7)
    )
    assert created and again != qid
    old = await store.get_entry(qid, scope=1)
    assert old["status"] == "resolved" and old["count"] == 1
    new = await store.get_entry(again, scope=1)
    assert new["status"] == "open" and new["count"] == 1


@pytest.mark.parametrize("setting, sqlite_level, postgres_commit", [(None, 1, "off"), ("full", 2, "on")])
async def test_riderbot_db_sync_means_the_same_on_both_backends(
    storage_target, backend, monkeypatch, setting, sqlite_level, postgres_commit
):
    """normal (the default): a commit survives riderbot being killed, not a crash of the machine
    (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off); full: it is on disk."""
    if setting:
        monkeypatch.setenv("RIDERBOT_DB_SYNC", setting)
    storage = await open_storage(storage_target)
    try:
        if backend == "sqlite":
            level = await storage.driver.call(
                lambda: storage.driver._conn.execute("PRAGMA synchronous").fetchone()[0]
            )
            assert level == sqlite_level
        else:
            assert await storage.driver.pool.fetchval("SHOW synchronous_commit") == postgres_commit
    finally:
        await storage.close()
    monkeypatch.setenv("RIDERBOT_DB_SYNC", "sometimes")
    with pytest.raises(StorageError, match="RIDERBOT_DB_SYNC must be normal or full"):
        await open_storage(storage_target)


def test_the_postgresql_grouping_probe_has_one_shape():
    """One statement text whatever the question (its words travel as arrays), so PostgreSQL
    prepares and plans it once per connection; a text that varied with the question would be
    planned again for every question (about 1 ms here)."""
    from bot.storage import grouping
    from bot.storage.queue import _find_similar_pg

    questions = [
        "ok?",
        "can i use xtts commercially",
        "is llama 3.1 405b allowed for commercial use in the eu with 800m monthly users",
        " ".join(f"word{chr(97 + i)}x" for i in range(30)),
        "商用できますか qwen",
    ]
    shapes = {next(_find_similar_pg(grouping.normalized(q), 1)).sql for q in questions}
    assert len(shapes) == 1


async def test_questions_over_1000_characters_are_refused(store):
    with pytest.raises(QuestionTooLong):
        await store.log_question(Asked("x" * 1001, "unanswered"))
    with pytest.raises(ValueError):
        await store.log_question(Asked("   ", "unanswered"))
    assert await store.count_queue(scope="all") == 0
    await store.log_question(Asked("y" * 1000, "unanswered"))
    assert await store.count_queue(scope="all") == 1


async def test_one_vote_per_user_and_not_helpful_goes_to_review(store):
    await store.record_answer(
        100, "llama 2 outputs to train?", "llama-2", "llama-2-community", "outputs-training", 1, 2, 3
    )
    assert await store.record_vote(100, 9, helpful=False) is True
    assert await store.record_vote(100, 9, helpful=True) is False
    assert await store.vote_counts(100) == (0, 1)
    (entry,) = await store.list_queue("open", scope=1)
    assert entry["outcome"] == "not-helpful" and entry["best_guess"] == "llama-2/outputs-training"


async def test_forget_user_and_retention(store):
    mine, _ = await store.log_question(Asked("only i asked about xtts", "unanswered", user_id=1))
    shared, _ = await store.log_question(Asked("is flux ok commercially", "unanswered", user_id=1))
    await store.log_question(Asked("is flux ok commercially", "unanswered", user_id=2))
    await store.forget_user(1)
    assert await store.get_entry(mine, scope="all") is None
    entry = await store.get_entry(shared, scope="all")
    assert entry is not None and entry["user_id"] is None and entry["askers"] == 1

    await store.dismiss(shared, "off-topic", by=None, scope="all")
    await store._raw("UPDATE queue SET decided_at = ? WHERE id = ?", time.time() - 10 * 86400, shared)
    assert await store.apply_retention(30) == 0
    assert await store.apply_retention(5) == 1
    assert await store.get_entry(shared, scope="all") is None


async def test_stats_per_guild_count_only_that_guilds_feedback(store):
    await store.record_answer(1, "q1", "llama-2", None, "commercial-use", 10, 1, 5)
    await store.record_answer(2, "q2", "llama-2", None, "commercial-use", 20, 2, 6)
    await store.record_vote(1, 7, helpful=True)
    await store.record_vote(2, 7, helpful=False)
    assert (await store.stats(scope=10))["feedback"] == {"helpful": 1, "not_helpful": 0, "helpful_ratio": 1.0}
    assert (await store.stats(scope="all"))["feedback"]["not_helpful"] == 1


async def test_stats_numbers(store):
    for outcome, model, guild, ms in [
        ("answered", "llama-2", 1, 1.0),
        ("answered", "llama-2", 1, 3.0),
        ("unanswered", None, 1, 2.0),
        ("clarify", None, 2, 9.0),
    ]:
        await store.record_event(outcome, model, None, "commercial-use", guild, "discord", ms)
    one = await store.stats(scope=1)
    assert one["questions"] == 3 and one["top_models"] == [("llama-2", 2)] and one["median_ms"] == 2.0
    assert one["shares"] == {"answered": 0.667, "clarify": 0.0, "unanswered": 0.333}
    assert (await store.stats(scope="all"))["questions"] == 4


async def test_bad_unicode_is_cleaned_and_never_drops_a_batch(store):
    """A lone surrogate (what a broken client can send) becomes U+FFFD; a row the database still
    refuses is dropped alone, and the rest of its batch is written."""
    bad = "is \ud800 xtts ok\x00 commercially"
    await store.record_answer(1, bad, None, None, None, 1, 2, 3)
    await store.record_answer(2, "fine " + "\U0001f600", None, None, None, 1, 2, 3)
    await store.record_answer(2**70, "an id no database takes", None, None, None, 1, 2, 3)  # refused row
    await store.record_event("answered", "\udcff", None, None, 1, "discord", 1.0)
    await store.flush()
    assert (await store.get_answer(1))["question"] == "is \ufffd xtts ok\ufffd commercially"
    assert (await store.get_answer(2))["question"].endswith("\U0001f600")
    assert (await store.stats(scope=1))["top_models"] == [("\ufffd", 1)]
    qid, _ = await store.log_question(Asked(bad, "unanswered", guild_id=1, best_guess="\udfff"))
    entry = await store.get_entry(qid, scope=1)
    assert "\ufffd" in entry["question"] and entry["best_guess"] == "\ufffd"
    assert store.health_problem is None  # a refused row is not a broken database


async def test_queue_expiry_and_cap(storage_target):
    store = await open_storage(storage_target, queue_expire_days=30, queue_max_open=5)
    try:
        ids = []
        for i in range(8):
            qid, _ = await store.log_question(
                Asked(f"is model{i} ok for commercial use", "unanswered", guild_id=1)
            )
            ids.append(qid)
        for _ in range(3):  # the first two are asked more: they stay
            for qid in ids[:2]:
                await store.log_question(
                    Asked(f"is model{ids.index(qid)} ok for commercial use", "unanswered", guild_id=1)
                )
        await store._raw("UPDATE queue SET last_seen = ? WHERE id = ?", time.time() - 40 * 86400, ids[7])
        removed = await store.trim_queue()
        assert removed == 3  # one expired, then the two least asked, oldest first, over the cap
        left = {r["id"] for r in await store.list_queue(limit=100, scope="all")}
        assert left == {ids[0], ids[1], ids[4], ids[5], ids[6]}
        # the index forgot the removed entries: asking again creates a new one
        assert (await store.log_question(Asked("is model2 ok for commercial use", "unanswered", guild_id=1)))[
            1
        ]
    finally:
        await store.close()


async def test_export_files_are_gzipped_and_split_under_the_limit(store):
    for i in range(300):
        await store._write(lambda i=i: _insert_entry(f"question number {i} about {secrets.token_hex(100)}"))
    (single,) = await store.export_files(scope="all")
    assert single.filename == "riderbot-review.csv.gz" and single.rows == 300
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(single.data).decode())))
    assert len(rows) == 300 and rows[0]["question"].startswith("question number 0")
    parts = await store.export_files(scope="all", max_bytes=8192)
    assert len(parts) > 1 and all(len(p.data) <= 8192 for p in parts)
    assert parts[0].filename == f"riderbot-review-1-of-{len(parts)}.csv.gz"
    seen = [r["id"] for p in parts for r in csv.DictReader(io.StringIO(gzip.decompress(p.data).decode()))]
    assert seen == [r["id"] for r in rows] and sum(p.rows for p in parts) == 300
    plain = await store.export_files(scope="all", compress=False, max_bytes=20_000)
    assert all(len(p.data) <= 20_000 and p.filename.endswith(".csv") for p in plain)
    assert sum(p.rows for p in plain) == 300


def _insert_entry(question: str, guild_id: int | None = None):
    from bot.storage.grouping import normalized
    from bot.storage.sql import many, val

    now = time.time()
    norm = normalized(question)
    qid = yield val(
        "INSERT INTO queue (question, normalized, first_seen, last_seen, guild_id, outcome) VALUES (?,?,?,?,?,?)"
        " RETURNING id",
        question,
        norm,
        now,
        now,
        guild_id,
        "unanswered",
    )
    yield many(
        "INSERT INTO queue_terms (gkey, numsig, term, nlen, queue_id) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
        index_rows(qid, norm, guild_id),
    )
    return qid


async def test_kb_edits_learned_aliases_and_the_change_version(store):
    start = await store.change_version()
    v1 = await store.add_kb_edit(
        "answer",
        family="llama",
        model_id="llama-2",
        payload={"topic": "commercial-use", "answer": "Yes, below 700M users."},
        by=7,
        base_hash="abc",
        before="old text",
        after="Yes, below 700M users.",
    )
    v2 = await store.add_kb_edit("alias", family="llama", model_id="llama-2", payload={"alias": "l2"}, by=8)
    assert start < v1 < v2 == await store.change_version()
    edits = await store.kb_edits()
    assert [e["kind"] for e in edits] == ["answer", "alias"] and edits[0]["payload"][
        "topic"
    ] == "commercial-use"
    assert edits[0]["base_hash"] == "abc"
    history = await store.history("llama-2", scope="all")
    assert [h["action"] for h in history] == ["alias", "edit"]  # each edit came with its audit row
    assert await store.deactivate_kb_edit(edits[1]["id"], by=8) > v2
    assert [e["kind"] for e in await store.kb_edits()] == ["answer"]

    v3 = await store.add_guild_alias(1, "llama-2", "the og  llama", by=3)
    assert v3 is not None and await store.add_guild_alias(1, "mistral-7b", "the og llama", by=3) is None
    await store.add_guild_alias(2, "mistral-7b", "mistie", by=4)
    assert [(a["model"], a["alias"]) for a in await store.guild_aliases(1)] == [("llama-2", "the og llama")]
    assert len(await store.guild_aliases()) == 2
    assert await store.remove_guild_alias(2, "mistie", by=4) is not None
    assert await store.remove_guild_alias(2, "mistie", by=4) is None

    await store.teach("is the thing ok", "llama-2", None, "commercial-use", guild_id=None, by=1)
    await store.teach("is our thing ok", "mistral-7b", None, "commercial-use", guild_id=5, by=1)
    assert [q for q, *_ in await store.learned()] == ["is the thing ok"]
    assert [q for q, *_ in await store.learned(5)] == ["is the thing ok", "is our thing ok"]
    assert [q for q, *_ in await store.learned(6)] == ["is the thing ok"]
    kinds = [c["kind"] for c in await store.changes_since(start)]
    assert kinds == ["kb", "kb", "kb", "alias", "alias", "alias", "learned", "learned"]
    versions = [c["version"] for c in await store.changes_since(start)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


async def test_settings_changes_bump_the_version_and_wait_for_change_returns(store):
    before = await store.change_version()
    waiter = asyncio.create_task(store.wait_for_change(before, timeout=5))
    await asyncio.sleep(0.05)
    assert await store.watch(1, 2) is True and await store.watch(1, 2) is False
    assert await asyncio.wait_for(waiter, 2) > before
    await store.set_guild_setting(1, "log_channel_id", 99)
    assert await store.log_channels() == {1: 99}
    assert await store.wait_for_change(before + 1, timeout=0.01) >= before + 2
    assert (
        await store.wait_for_change(await store.change_version(), timeout=0.05)
        == await store.change_version()
    )


async def test_unannounced_entries_are_split_by_shard_like_discord_splits_servers(store):
    """Each process of a sharded bot announces only its own servers' new entries (DMs: shard 0's)."""
    on0, on1 = (10 << 22) + 5, (11 << 22) + 7  # (guild_id >> 22) % 2: 0 and 1
    for n, guild in enumerate((on0, on1, None)):
        await store.log_question(Asked(f"is model {n} ok", "unanswered", guild, 1 if guild else None, 2))
    guilds = lambda rows: sorted((r["guild_id"] or 0) for r in rows)  # noqa: E731
    assert guilds(await store.unannounced(scope="all", shards=(2, [0]))) == [0, on0]
    assert guilds(await store.unannounced(scope="all", shards=(2, [1]))) == [on1]
    assert guilds(await store.unannounced(scope="all", shards=(2, (0, 1)))) == [0, on0, on1]
    assert guilds(await store.unannounced(scope="all")) == [0, on0, on1]
    assert guilds(await store.unannounced(scope=on1, shards=(2, [0]))) == []
