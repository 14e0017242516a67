"""Per-server isolation, on both backends: two servers and DMs. Every scoped query sees and
changes only its own scope, and an id from another scope behaves exactly like one that does not
exist (no existence oracle). Privacy: forget_user everywhere, purge_user only in one server."""

from __future__ import annotations

import csv
import io

import pytest

from bot.storage import Asked

A, B = 1111, 2222  # two servers
ALICE, BOB, CAROL = 11, 22, 33


@pytest.fixture
async def seeded(store):
    async def ask(text, guild, user):
        return (await store.log_question(Asked(text, "unanswered", guild, 5, user)))[0]

    ids = {
        "a1": await ask("is xtts ok for commercial use", A, ALICE),
        "a2": await ask("who owns flux images", A, BOB),
        "b1": await ask(
            "is xtts ok for commercial use", B, ALICE
        ),  # the same words in server B: its own entry
        "b2": await ask("can i sell whisper transcripts", B, CAROL),
        "dm": await ask("is xtts ok for commercial use", None, ALICE),
    }
    await ask("who owns flux images", A, ALICE)  # a2 is shared by Bob and Alice in A
    for guild, message, user in ((A, 1, ALICE), (B, 2, ALICE), (None, 3, ALICE)):
        await store.record_answer(message, "q", "llama-2", None, "commercial-use", guild, 5, user)
        await store.record_vote(message, user, helpful=True, guild_id=guild)
        await store.record_event("answered", "llama-2", None, "commercial-use", guild, "discord", 1.0)
    return ids


async def test_each_scope_lists_only_its_own_entries(store, seeded):
    ids = seeded
    assert {r["id"] for r in await store.list_queue(scope=A)} == {ids["a1"], ids["a2"]}
    assert {r["id"] for r in await store.list_queue(scope=B)} == {ids["b1"], ids["b2"]}
    assert {r["id"] for r in await store.list_queue(scope="dms")} == {ids["dm"]}
    assert {r["id"] for r in await store.list_queue(scope="maintainers")} == {ids["dm"]}
    assert len(await store.list_queue(scope="all")) == 5
    assert (
        await store.count_queue(scope=A),
        await store.count_queue(scope=B),
        await store.count_queue(scope="dms"),
    ) == (2, 2, 1)
    assert [r["guild_id"] for r in await store.unannounced(scope=B)] == [B, B]


async def test_a_foreign_id_is_exactly_a_missing_id(store, seeded):
    ids = seeded
    missing = max(ids.values()) + 1000
    for foreign in (ids["b1"], ids["dm"]):
        assert await store.get_entry(foreign, scope=A) is None
        assert await store.resolve(foreign, "llama-2", None, "commercial-use", 9, scope=A) is None
        assert await store.dismiss(foreign, "spam", 9, scope=A) is None
        assert await store.forward(foreign, "please look", 9, scope=A) is None
    for absent in (missing, 0, -1, 2**64):
        assert await store.get_entry(absent, scope=A) is None
        assert await store.dismiss(absent, "spam", 9, scope=A) is None
    # nothing changed in the other scopes, and nothing was learned or audited for A
    assert (await store.get_entry(ids["b1"], scope=B))["status"] == "open"
    assert (await store.get_entry(ids["dm"], scope="dms"))["status"] == "open"
    assert await store.learned(A) == [] and await store.history(scope=A) == []
    await store.mark_announced([ids["b1"]], scope=A)
    assert ids["b1"] in {r["id"] for r in await store.unannounced(scope=B)}


async def test_resolve_and_dismiss_change_only_their_scope_and_teach_that_server(store, seeded):
    ids = seeded
    entry = await store.resolve(ids["a1"], "llama-2", None, "commercial-use", 9, scope=A)
    assert entry["question"] == "is xtts ok for commercial use"
    assert await store.learned(A) == [("is xtts ok for commercial use", "llama-2", None, "commercial-use")]
    assert await store.learned(B) == [] and await store.learned() == []
    assert (await store.get_entry(ids["b1"], scope=B))["status"] == "open"
    assert await store.dismiss(ids["b2"], "off-topic", 8, scope=B) is not None
    assert (await store.get_entry(ids["a2"], scope=A))["status"] == "open"
    # the operator and the maintainers teach everyone
    await store.resolve(ids["dm"], "mistral-7b", None, "commercial-use", None, scope="maintainers")
    assert ("is xtts ok for commercial use", "mistral-7b", None, "commercial-use") in await store.learned(B)
    # audit rows: a server sees its own, not another server's
    assert [h["action"] for h in await store.history(scope=A)] == ["resolve"]
    assert [h["action"] for h in await store.history(scope=B)] == ["dismiss"]
    assert len(await store.history(scope="all")) == 3


async def test_forwarded_entries_join_the_maintainers_queue(store, seeded):
    ids = seeded
    entry = await store.forward(ids["a2"], "we can't answer this one", 9, scope=A)
    assert entry["forward_note"] == "we can't answer this one" and entry["forwarded_by"] == 9
    assert {r["id"] for r in await store.list_queue(scope="maintainers")} == {ids["dm"], ids["a2"]}
    assert (await store.get_entry(ids["a2"], scope="maintainers"))["guild_id"] == A
    assert await store.get_entry(ids["b1"], scope="maintainers") is None  # not forwarded
    assert await store.count_queue(scope="dms") == 1  # forwarding does not make it a DM


async def test_export_and_stats_see_only_their_scope(store, seeded):
    ids = seeded
    rows = list(csv.DictReader(io.StringIO(await store.export_csv(scope=A))))
    assert {int(r["id"]) for r in rows} == {ids["a1"], ids["a2"]}
    (file,) = await store.export_files(scope=B, compress=False)
    assert {int(r["id"]) for r in csv.DictReader(io.StringIO(file.data.decode()))} == {ids["b1"], ids["b2"]}
    a = await store.stats(scope=A)
    assert a["questions"] == 1 and a["feedback"]["helpful"] == 1
    assert {q for _, q, _ in a["top_unanswered"]} == {"is xtts ok for commercial use", "who owns flux images"}
    assert {q for _, q, _ in (await store.stats(scope="dms"))["top_unanswered"]} == {
        "is xtts ok for commercial use"
    }
    everything = await store.stats(scope="all")
    assert everything["questions"] == 3 and everything["feedback"]["helpful"] == 3


async def test_purge_deletes_only_in_that_server(store, seeded):
    ids = seeded
    touched = await store.purge_user(ALICE, A)
    assert touched > 0
    assert await store.get_entry(ids["a1"], scope=A) is None  # only Alice asked it in A
    shared = await store.get_entry(ids["a2"], scope=A)  # Bob asked it too: it stays, without Alice
    assert shared is not None and shared["askers"] == 1
    # server B and her DMs are untouched: same entries, same askers, same votes
    assert (await store.get_entry(ids["b1"], scope=B))["user_id"] == ALICE
    assert (await store.get_entry(ids["dm"], scope="dms"))["askers"] == 1
    assert await store.vote_counts(2) == (1, 0) and await store.vote_counts(3) == (1, 0)
    assert await store.vote_counts(1) == (0, 0) and await store.get_answer(1) is None
    assert await store.get_answer(2) is not None
    # a moderator of B purging someone with nothing in B learns nothing about A
    assert await store.purge_user(BOB, B) == 0


async def test_forget_deletes_everywhere(store, seeded):
    ids = seeded
    await store.forget_user(ALICE)
    for key, scope in (("a1", A), ("b1", B), ("dm", "dms")):
        assert await store.get_entry(ids[key], scope=scope) is None
    assert (await store.get_entry(ids["a2"], scope=A))["askers"] == 1
    assert (await store.get_entry(ids["b2"], scope=B)) is not None
    assert [await store.vote_counts(m) for m in (1, 2, 3)] == [(0, 0)] * 3


async def test_an_unscoped_query_is_refused(store):
    for bad in (None, 0, -5, True, "everyone", 2**63):
        with pytest.raises(ValueError):
            await store.list_queue(scope=bad)
        with pytest.raises(ValueError):
            await store.get_entry(1, scope=bad)
