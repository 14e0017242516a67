"""Storage for issue 12 and 11, on SQLite and PostgreSQL: knowledge edits stored only on top of what
they were validated against, resolving for everyone, and entries grouped by unknown model."""

from __future__ import annotations

from bot.storage import Asked

A, B = 1001, 1002


async def test_an_edit_is_stored_only_on_top_of_what_it_was_validated_against(store):
    edits, signature = await store.kb_edits_state()
    assert edits == [] and signature == (0, 0)
    payload = {"alias": "l2"}
    version = await store.add_kb_edit(
        "alias", family="llama", model_id="llama-2", payload=payload, by=1, expect=signature, after="l2"
    )
    assert version is not None
    # a second writer validated against the same state: refused, nothing written
    stale = await store.add_kb_edit(
        "alias", family="llama", model_id="llama-2", payload={"alias": "l two"}, by=2, expect=signature
    )
    assert stale is None
    edits, signature = await store.kb_edits_state()
    assert [e["payload"] for e in edits] == [payload] and signature == (edits[0]["id"], 1)
    history = await store.history(limit=10, scope="all")
    assert [(r["action"], r["after"]) for r in history] == [("alias", "l2")]  # one audit row, the edit's
    await store.deactivate_kb_edit(edits[0]["id"], by=1)
    assert (await store.kb_edits_state())[1] == (edits[0]["id"], 0)  # a withdrawal changes it too


async def test_resolving_for_everyone_teaches_every_server(store):
    here, _ = await store.log_question(Asked("is the thing ok", "unanswered", A))
    there, _ = await store.log_question(Asked("is their thing ok", "unanswered", B))
    await store.resolve(here, "llama-2", None, "commercial-use", 5, scope=A)
    await store.resolve(there, "llama-2", None, "commercial-use", 5, scope=B, everyone=True)
    assert await store.learned() == [("is their thing ok", "llama-2", None, "commercial-use")]
    assert [q for q, *_ in await store.learned(A)] == ["is the thing ok", "is their thing ok"]


async def test_entries_are_grouped_by_the_unknown_model_most_asked_first(store):
    for question, guild, model in (
        ("is flux 7 ok commercially", A, "FLUX 7"),
        ("can i sell flux 7 images", A, "flux-7"),
        ("can i sell flux 7 images", A, "flux-7"),  # asked again: count 2
        ("is zorb 2 free", A, "zorb 2"),
        ("is flux 7 fine", B, "flux 7"),  # another server's
        ("is it ok", A, None),
    ):
        await store.log_question(Asked(question, "unanswered", guild, unknown_model=model))
    groups, total = await store.unknown_models(scope=A)
    assert total == 2
    assert [(g["asks"], g["entries"]) for g in groups] == [(3, 2), (1, 1)]
    assert groups[0]["unknown_model"] in ("flux-7", "FLUX 7") and groups[1]["unknown_model"] == "zorb 2"
    assert (await store.unknown_models(scope=B))[0][0]["asks"] == 1
    page, total = await store.unknown_models(scope=A, limit=1, offset=1)
    assert total == 2 and [g["unknown_model"] for g in page] == ["zorb 2"]
