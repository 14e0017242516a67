"""Issue 13, "a question that cannot be stored gets a reply that says so": with the database locked
by another connection for longer than the busy timeout, or deleted while the bot runs, a mention
and a /ask are still answered, the reply says the question could NOT be logged (never "I've logged
it"), the storage logs the failure at ERROR, and `riderbot health` fails until a write works again.
Also: invalid Unicode in a Discord message (a lone surrogate) is cleaned and drops no stats row."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.engine import Engine
from bot.health import run_health
from bot.rendering.common import NOT_LOGGED
from bot.settings import Settings
from bot.storage import Storage
from fakediscord import FakeDiscord
from tests.helpers import embed_of, make_bot, mention, reply_title
from tests.test_storage_faults import delete_database, locked

LOGGED = "I've logged the question"


@pytest.fixture
def engine(shipped_kb):
    return Engine(shipped_kb)


async def _health(settings: Settings, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = await run_health(settings, settings.knowledge_dir)
    return code, capsys.readouterr().out


async def test_a_question_that_cannot_be_stored_gets_a_reply_that_says_so(engine, tmp_path, caplog, capsys):
    db, health = tmp_path / "riderbot.db", tmp_path / "riderbot.health"
    settings = Settings(db_path=db, health_file=health, health_max_age=5, db_timeout=0.3)
    storage = await Storage.open(db, busy_timeout=0.3)
    caplog.set_level(logging.INFO)
    try:
        async with FakeDiscord(heartbeat_interval_ms=150, default_timeout=5) as fake:
            async with fake.run(make_bot(fake, engine, storage, health_file=health)):
                ok = await (await fake.send_message(mention(fake, "is zq1x ok for commercial use?"))).reply()
                assert LOGGED in embed_of(ok)["description"]
                assert await storage.count_queue(scope="all") == 1

                # another process holds the database for longer than the busy timeout (issue: 25 s)
                with locked(db):
                    ex = await fake.send_message(
                        mention(fake, "is zq2x ok for commercial use?"), author="bob"
                    )
                    text = embed_of(await ex.reply())["description"]
                    assert NOT_LOGGED in text and LOGGED not in text
                    h = await fake.slash("ask", {"question": "can I sell things made with zq3x?"}, user="bob")
                    text = embed_of(await h.message())["description"]
                    assert NOT_LOGGED in text and LOGGED not in text
                    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                    assert errors and "locked by another process" in errors[0].getMessage()
                    assert all(r.name == "riderbot.storage" and not r.exc_info for r in errors)
                    ack = fake.heartbeat_acks
                    await fake.wait_for(lambda: fake.heartbeat_acks > ack + 1, description="a heartbeat ACK")
                    await asyncio.sleep(0.6)  # the bot notices the ACK (ACK_POLL_SECONDS) and writes the file
                    code, out = await _health(settings, capsys)
                    assert code == 1 and "FAIL storage: the bot cannot write to its database" in out, out

                # the lock is gone: stored and "logged" again, and health recovers
                again = await (
                    await fake.send_message(mention(fake, "is zq4x ok for commercial use?"))
                ).reply()
                assert LOGGED in embed_of(again)["description"]
                await asyncio.sleep(0.8)
                code, out = await _health(settings, capsys)
                assert code == 0, out
                assert {e["question"] for e in await storage.list_queue(limit=10, scope="all")} == {
                    "is zq1x ok for commercial use?",
                    "is zq4x ok for commercial use?",
                }

                # the database is deleted while the bot runs
                caplog.clear()
                delete_database(db)
                ex = await fake.send_message(mention(fake, "is zq5x ok for commercial use?"), author="mod")
                text = embed_of(await ex.reply())["description"]
                assert NOT_LOGGED in text and LOGGED not in text
                errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                assert len(errors) == 1 and "was deleted while riderbot was running" in errors[0].getMessage()
                await asyncio.sleep(0.8)
                assert "the bot cannot write to its database" in (await _health(settings, capsys))[1]
    finally:
        await storage.close()


async def test_a_lone_surrogate_in_a_message_is_cleaned_and_drops_no_row(engine, tmp_path):
    """The fake sends the gateway event as JSON with a "\\ud800" escape, which discord.py turns into a
    lone surrogate: the answer, the queue entry and every stats event of the batch are still written."""
    db = tmp_path / "riderbot.db"
    storage = await Storage.open(db)
    try:
        async with FakeDiscord(default_timeout=5) as fake:
            async with fake.run(make_bot(fake, engine, storage)) as bot:
                bot.get_cog("Ask").cooldown.rate = 1000
                questions = [f"is mistral 7b free for commercial use? #{i}" for i in range(37)]
                questions += [
                    "is \ud800 mistral 7b free for commercial use?",
                    "is zq9x\udcff ok for commercial use?",
                ]
                exchanges = [await fake.send_message(mention(fake, q)) for q in questions]
                await fake.wait_for(lambda: len(fake.bot_messages) >= 39, description="39 replies")
                by_question = {
                    (m.get("message_reference") or {}).get("message_id"): m for m in fake.bot_messages
                }
                replies = [by_question[str(ex.id)] for ex in exchanges]
                assert embed_of(replies[-2])["title"].startswith(reply_title("yes"))
                assert 'model "zq9x\ufffd"' in embed_of(replies[-1])["description"]  # echoed, cleaned
            entry = (await storage.list_queue(limit=10, scope="all"))[0]
            assert entry["question"] == "is zq9x\ufffd ok for commercial use?"
        await storage.flush()
        assert (await storage.stats(scope="all"))["questions"] == 39  # no row of the batch was dropped
        assert storage.health_problem is None
    finally:
        await storage.close()
