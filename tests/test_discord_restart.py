"""riderbot across restarts and configurations, against the fake Discord on 127.0.0.1: buttons on
messages sent before a restart still work, commands are synced only when they changed, the dev
guild gets its own copy, and without the message-content intent mentions, DMs and slash commands
still work while watched channels stay silent."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from bot.cogs.config import NO_CONTENT_INTENT
from bot.cogs.views import VOTE_THANKS, VOTE_TWICE
from bot.engine import Engine
from bot.health import heartbeat_age
from bot.storage import Storage
from tests.fake_discord import FakeDiscord
from tests.helpers import callback_embed, custom_ids, embed_of, eventually, make_bot, mention, reply_title


@pytest_asyncio.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def engine(shipped_kb):
    """Its own engine: a bot teaches the matcher phrasings stored in its database."""
    return Engine(shipped_kb)


async def test_buttons_work_after_a_restart_and_commands_are_synced_once(fake, engine, tmp_path):
    db = tmp_path / "riderbot.db"
    first = make_bot(fake, engine, db)
    async with fake.run(first):
        assert first.commands_synced is True
        answer = await (await fake.slash("ask", {"question": "is mistral 7b free for commercial use"})).message()
        clarify = await (await fake.slash("ask", {"question": "can i use llama commercially"})).message()
        await eventually(lambda: first.storage.get_answer(int(answer["id"])))
        await eventually(lambda: first.storage.get_answer(int(clarify["id"])))
        await (await fake.click("rb:vote:up", message=answer, user="bob")).response()
    assert first.is_closed() and first.storage is None  # storage closed with the bot
    puts = len(fake.requests_matching("PUT", "/applications/{id}/commands"))
    assert puts == 1

    second = make_bot(fake, engine, db)  # a new process: same database, nothing in memory
    async with fake.run(second):
        assert second.commands_synced is False  # same commands: no sync on this start
        assert len(fake.requests_matching("PUT", "/applications/{id}/commands")) == puts

        vote = await (await fake.click("rb:vote:up", message=answer, user="alice")).response()
        assert vote["data"]["content"] == VOTE_THANKS
        again = await (await fake.click("rb:vote:down", message=answer, user="bob")).response()
        assert again["data"]["content"] == VOTE_TWICE  # bob voted before the restart
        assert await second.storage.vote_counts(int(answer["id"])) == (2, 0)

        pick = await (await fake.click("rb:pick:llama-2:commercial-use", message=clarify, user="alice")).response()
        assert pick["type"] == 7
        assert callback_embed(pick)["title"].startswith(reply_title("yes"))
        assert custom_ids(pick["data"]) == ["rb:vote:up", "rb:vote:down"]
        stored = await second.storage.get_answer(int(clarify["id"]))
        assert (stored["question"], stored["model"]) == ("can i use llama commercially", "llama-2")
    fake.assert_no_unexpected_requests()


async def test_dev_guild_gets_a_copy_of_the_commands(fake, engine, tmp_path):
    bot = make_bot(fake, engine, tmp_path / "riderbot.db", dev_guild=fake.guild_id)
    async with fake.run(bot):
        assert bot.commands_synced is True
        assert not fake.requests_matching("PUT", "/applications/{id}/commands")
        names = {c["name"] for c in fake.guild_commands[fake.guild_id]}
        assert {"ask", "license", "compare", "topics", "help", "config", "review", "kb", "privacy", "stats",
                "Ask riderbot"} == names
        cb = await (await fake.slash("ask", {"question": "can I use gemma 2 in my saas?"})).response()
        assert cb["type"] == 4 and fake.interactions[-1].payload["data"]["guild_id"] == str(fake.guild_id)
    fake.assert_no_unexpected_requests()


async def test_without_the_message_content_intent(fake, engine, tmp_path):
    bot = make_bot(fake, engine, tmp_path / "riderbot.db", message_content=False)
    async with fake.run(bot):
        assert not bot.intents.message_content
        watch = await (await fake.slash("config watch", {"channel": "general"}, user="mod")).response()
        assert watch["data"]["content"].endswith(NO_CONTENT_INTENT)

        # Discord blanks the text of other messages: the watched channel stays silent
        await fake.send_message("is mistral 7b free for commercial use", author="alice", channel="general")
        await fake.assert_no_bot_message(within=0.2)
        # mentions, DMs and slash commands still work
        ex = await fake.send_message(mention(fake, "can I use gemma 2 in my saas?"), author="alice")
        assert embed_of(await ex.reply())["title"].startswith(reply_title("yes"))
        dm = await fake.send_message("can i train my model on llama 2 outputs?", author="bob", dm=True)
        assert embed_of(await dm.reply())["title"].startswith(reply_title("no"))
        cb = await (await fake.slash("ask", {"question": "is llama 3.1 ok commercially"})).response()
        assert callback_embed(cb)["title"].startswith(reply_title("yes"))
    fake.assert_no_unexpected_requests()


async def test_health_heartbeat_is_written_while_connected(fake, engine, tmp_path):
    health = tmp_path / "riderbot.health"
    bot = make_bot(fake, engine, tmp_path / "riderbot.db", health_file=health)
    async with fake.run(bot):
        await fake.wait_for(lambda: health.exists(), description="the health file")
        assert heartbeat_age(health) < 5  # what `riderbot health` (the Docker HEALTHCHECK) checks
        health.unlink()
        await fake.drop_connection()
        await fake.wait_for_resume()
        await fake.wait_for(lambda: health.exists(), description="a heartbeat after RESUME")


async def test_close_lets_work_in_flight_finish_before_closing_the_database(fake, engine, tmp_path):
    bot = make_bot(fake, engine, tmp_path / "riderbot.db")
    async with fake.run(bot):
        entered, release = asyncio.Event(), asyncio.Event()

        async def answering():
            async with bot.busy():
                entered.set()
                await release.wait()
                await bot.storage.set_meta("in-flight", "finished")

        work = asyncio.create_task(answering())
        await entered.wait()
        closing = asyncio.create_task(bot.close())  # what SIGTERM does in `riderbot run`
        await asyncio.sleep(0.1)
        assert not closing.done() and bot.storage is not None
        release.set()
        await work
        await closing
        assert bot.storage is None and bot.is_closed()
    storage = await Storage.open(tmp_path / "riderbot.db")
    assert await storage.get_meta("in-flight") == "finished"
    await storage.close()
