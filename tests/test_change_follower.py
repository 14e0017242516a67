"""The bot's change follower: what another process (another shard's process, the CLI) changes in the
shared database reaches this bot within 2 s: a server's alias, a global taught phrasing, a
maintainer's knowledge edit, a watched channel. A failure while applying is logged and retried;
close() stops the follower. Runs on SQLite and, with RIDERBOT_TEST_POSTGRES, on PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest_asyncio

from bot import livekb
from bot.engine import Engine
from bot.knowledge import default_knowledge_dir
from bot.knowledge.edits import alias_edit
from bot.storage import open_storage
from fakediscord import FakeDiscord
from tests.helpers import make_bot

WITHIN = 2.0


async def within(check, seconds: float = WITHIN) -> float:
    """Seconds until ``check()`` is true; fails after ``seconds``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not applied within {seconds} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@pytest_asyncio.fixture
async def two(storage_target, shipped_kb):
    """A running bot and a second Storage on the same database (the other process)."""
    async with FakeDiscord() as fake:
        mine = await open_storage(storage_target)
        other = await open_storage(storage_target)
        bot = make_bot(fake, Engine(shipped_kb), mine)
        try:
            async with fake.run(bot, timeout=10):
                yield fake, bot, other
        finally:
            await other.close()
            await mine.close()


async def test_changes_from_another_process_are_applied_within_2_s(two):
    fake, bot, other = two
    guild = fake.guild_id

    def model_of(question: str, guild_id: int | None = None) -> str | None:
        return bot.engine.ask(question, None, bot.scope_for(guild_id)).model

    assert model_of("is zorblat ok for commercial use", guild) != "mistral-7b"
    await other.add_guild_alias(guild, "mistral-7b", "zorblat", None)
    await within(lambda: model_of("is zorblat ok for commercial use", guild) == "mistral-7b")
    assert model_of("is zorblat ok for commercial use", None) != "mistral-7b"  # that server's only

    taught = "may our frobnozz gadget be sold to customers"
    assert model_of(taught) != "mistral-7b"
    await other.teach(taught, "mistral-7b", None, "commercial-use", guild_id=None, by=None)
    await within(lambda: model_of(taught) == "mistral-7b")

    live = await livekb.load(other, default_knowledge_dir())
    await livekb.save(
        other,
        live,
        lambda live: alias_edit(live.kb, "llama-2", "quuxllama"),
        by=None,
        guild_id=None,
        before=None,
        after="quuxllama",
    )
    await within(lambda: model_of("is quuxllama ok for commercial use") == "llama-2", 5.0)
    assert bot.live is not None and bot.live.signature == (await other.kb_edits_state())[1]
    # the taught phrasing survived the knowledge swap (a new matcher is taught again)
    assert model_of(taught) == "mistral-7b"

    channel = fake.channel_id("general")
    await other.watch(guild, channel)
    await within(lambda: channel in bot.watched)
    await other.unwatch(guild, channel)
    await within(lambda: channel not in bot.watched)
    assert bot.applied_version == await other.change_version()


async def test_a_failure_is_logged_and_retried_and_close_stops_the_follower(two, caplog, monkeypatch):
    fake, bot, other = two
    real = bot.storage.changes_since
    calls = []

    async def flaky(version, limit=1000):
        calls.append(version)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return await real(version, limit)

    monkeypatch.setattr(bot.storage, "changes_since", flaky)
    monkeypatch.setattr("bot.client.FOLLOW_RETRY_SECONDS", 0.05)
    with caplog.at_level(logging.ERROR, logger="riderbot"):
        await other.add_guild_alias(fake.guild_id, "mistral-7b", "blorptron", None)
        await within(
            lambda: (
                bot.engine.ask("blorptron commercial use?", None, bot.scope_for(fake.guild_id)).model
                == "mistral-7b"
            )
        )
    assert "could not apply the changes made by another process" in caplog.text
    follower = bot._follower
    assert follower is not None and not follower.done()
    await bot.close()
    assert follower.done() and follower.cancelled()
    assert "the change follower stopped" not in caplog.text
