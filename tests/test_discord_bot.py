"""riderbot end to end: the real discord.py client (RiderBot with its cogs) against the fake Discord
on 127.0.0.1. One bot serves the whole module (with the message-content intent, so watched channels
work); every test resets the cooldowns, checks that nothing it made the bot send could ping anyone,
and that the bot called no unknown route."""

from __future__ import annotations

import time

import discord
import pytest
import pytest_asyncio

from bot.cogs.answering import ASK_RATE, MAX_QUESTION
from bot.cogs.ask import HOW_TO_ASK
from bot.cogs.checks import NOT_MODERATOR
from bot.cogs.views import VOTE_NOT_HELPFUL, VOTE_THANKS, VOTE_TWICE
from bot.engine import Engine
from bot.rendering.common import VERDICT_LABELS
from tests.fake_discord import FakeDiscord
from tests.helpers import (
    assert_no_pings,
    button_rows,
    callback_embed,
    custom_ids,
    embed_of,
    eventually,
    is_ephemeral,
    make_bot,
    mention,
    reply_title,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

VOTES = ["rb:vote:up", "rb:vote:down"]
LLAMA_PICKS = [f"rb:pick:{m}:commercial-use" for m in ("llama-2", "llama-3", "llama-3.1", "llama-3.2", "llama-3.2-vision",
                                                        "llama-3.3", "llama-4", "llama-1")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shipped_kb, tmp_path_factory):
    async with FakeDiscord() as fake:
        fake.add_role("Helper")
        fake.add_user("helper", roles=["Helper"])
        fake.add_user("otherbot", bot=True)
        bot = make_bot(fake, Engine(shipped_kb), tmp_path_factory.mktemp("discord") / "riderbot.db")
        async with fake.run(bot):
            yield fake, bot


@pytest.fixture
def fake(world) -> FakeDiscord:
    return world[0]


@pytest.fixture
def bot(world):
    return world[1]


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def each_test(world):
    fake, bot = world
    bot.reset_limits()
    start = len(fake.requests)
    yield
    assert_no_pings(fake, start)
    fake.assert_no_unexpected_requests()


async def queued(bot, question: str) -> dict | None:
    return next((e for e in await bot.storage.list_queue(limit=1000, scope="all") if e["question"] == question), None)


# -- startup ---------------------------------------------------------------------------------------


async def test_startup_syncs_commands_and_asks_for_the_right_intents(fake, bot):
    assert bot.commands_synced is True
    names = {(c["name"], c.get("type", 1)) for c in fake.global_commands}
    assert names == {("ask", 1), ("license", 1), ("compare", 1), ("topics", 1), ("help", 1), ("config", 1),
                     ("review", 1), ("kb", 1), ("privacy", 1), ("stats", 1), ("Ask riderbot", 3)}
    config = next(c for c in fake.global_commands if c["name"] == "config")
    assert {o["name"] for o in config["options"]} == {"watch", "unwatch", "modrole", "logchannel", "show"}
    assert int(config["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert config["contexts"] == [0]  # guild only
    ask = next(c for c in fake.global_commands if c["name"] == "ask")
    assert set(ask["contexts"]) == {0, 1}  # servers and DMs with the bot
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.guilds and intents.guild_messages and intents.dm_messages and intents.message_content
    assert not intents.members and not intents.presences
    assert bot.allowed_mentions.to_dict() == {"parse": []}  # Discord: replied_user defaults to false


# -- asking ----------------------------------------------------------------------------------------


async def test_mention_gets_a_reply_with_the_verdict(fake, bot):
    ex = await fake.send_message(mention(fake, "can I use gemma 2 in my saas?"), author="alice")
    reply = await ex.reply()
    assert reply["message_reference"]["message_id"] == str(ex.id)
    embed = embed_of(reply)
    assert embed["title"].startswith(reply_title("yes")) and "Gemma" in embed["title"]
    assert "commercial use" in embed["title"]
    assert any(f["name"].startswith("What the licence says") and f["value"].startswith("> ") for f in embed["fields"])
    licence = next(f for f in embed["fields"] if f["name"] == "Licence")
    assert "Gemma" in licence["value"] and "](https://" in licence["value"]
    assert "not legal advice" in embed["footer"]["text"] and "Knowledge as of" in embed["footer"]["text"]
    assert custom_ids(reply) == VOTES
    stored = await eventually(lambda: bot.storage.get_answer(int(reply["id"])))
    assert stored["question"] == "can I use gemma 2 in my saas?" and stored["model"] == "gemma"


async def test_a_dm_is_a_question_without_mentioning(fake):
    ex = await fake.send_message("is mistral 7b free for commercial use", author="bob", dm=True)
    reply = await ex.reply()
    assert "guild_id" not in reply
    assert embed_of(reply)["title"].startswith(reply_title("yes")) and "Mistral 7B" in embed_of(reply)["title"]


async def test_a_bare_mention_explains_how_to_ask(fake):
    ex = await fake.send_message(mention(fake, ""), author="alice")
    assert (await ex.reply())["content"] == HOW_TO_ASK


async def test_a_bare_mention_replying_to_a_question_answers_that_question(fake):
    question = await fake.send_message("can i train my model on llama 2 outputs?", author="bob")
    ex = await fake.send_message(mention(fake, ""), author="alice", reference=question.payload)
    assert embed_of(await ex.reply())["title"].startswith(reply_title("no"))


async def test_slash_ask_answers_publicly_with_embed_and_buttons(fake, bot):
    h = await fake.slash("ask", {"question": "can i train my model on llama 2 outputs?"}, user="alice")
    cb = await h.response()
    assert cb["type"] == 4 and not is_ephemeral(cb)
    embed = callback_embed(cb)
    assert embed["title"].startswith(reply_title("no")) and "Llama 2" in embed["title"]
    assert any("improve any other large language model" in f["value"] for f in embed["fields"])
    assert custom_ids(cb["data"]) == VOTES
    message = await h.message()
    stored = await eventually(lambda: bot.storage.get_answer(int(message["id"])))
    assert (stored["model"], stored["topic"]) == ("llama-2", "outputs-training")


async def test_slash_ask_works_in_dms(fake):
    h = await fake.slash("ask", {"question": "is llama 3.1 ok commercially"}, user="bob", dm=True)
    cb = await h.response()
    assert cb["type"] == 4
    assert callback_embed(cb)["title"].startswith(reply_title("yes"))


async def test_context_menu_answers_the_selected_message_as_a_reply(fake, bot):
    question = await fake.send_message("can i train my model on llama 2 outputs?", author="bob", channel="general")
    await fake.assert_no_bot_message(within=0.05)  # general is not watched: no unprompted answer
    h = await fake.message_command("Ask riderbot", question.payload, user="alice")
    cb = await h.response()
    assert cb["type"] == 5 and is_ephemeral(cb)  # "thinking", only for the one who asked
    reply = await question.reply()
    assert reply["message_reference"]["message_id"] == str(question.id)
    assert embed_of(reply)["title"].startswith(reply_title("no"))
    assert "Answered" in (await h.message())["content"]
    stored = await eventually(lambda: bot.storage.get_answer(int(reply["id"])))
    assert stored["user_id"] == fake.user_id("alice")


async def test_unanswered_is_honest_and_logged(fake, bot):
    ex = await fake.send_message(mention(fake, "is Zorblax-7 ok for commercial use?"), author="alice")
    embed = embed_of(await ex.reply())
    assert "Zorblax-7" in embed["description"] and "don't know" in embed["description"]
    entry = await eventually(lambda: queued(bot, "is Zorblax-7 ok for commercial use?"))
    assert entry["outcome"] == "unanswered" and entry["unknown_model"] == "Zorblax-7"
    assert entry["user_id"] == fake.user_id("alice") and entry["channel_id"] == fake.channel_id("general")


async def test_not_verified_is_unanswered_with_the_official_url(fake):
    h = await fake.slash("ask", {"question": "can i redistribute the llama 1 weights"})
    embed = callback_embed(await h.response())
    assert embed["title"].startswith("\N{BLACK QUESTION MARK ORNAMENT}")
    assert any(f["name"] == "Official text" and f["value"].startswith("https://") for f in embed["fields"])
    assert not custom_ids((await h.response())["data"])  # nothing to vote on


# -- clarify and feedback buttons ------------------------------------------------------------------


async def test_clarify_buttons_answer_for_the_picked_model_in_place(fake, bot):
    h = await fake.slash("ask", {"question": "can i use llama commercially"}, user="alice")
    cb = await h.response()
    assert custom_ids(cb["data"]) == LLAMA_PICKS
    assert all(len(row) <= 5 for row in button_rows(cb["data"]))
    assert [b["label"] for b in button_rows(cb["data"])[0]][:3] == ["Llama 2", "Meta Llama 3", "Llama 3.1"]
    message = await h.message()
    await eventually(lambda: bot.storage.get_answer(int(message["id"])))
    entry = await eventually(lambda: queued(bot, "can i use llama commercially"))
    assert entry["outcome"] == "clarify" and entry["best_guess"] == "llama/commercial-use"

    click = await fake.click("rb:pick:llama-3.1:commercial-use", user="bob")
    update = await click.response()
    assert update["type"] == 7  # the clarify message becomes the answer
    embed = callback_embed(update)
    assert embed["title"].startswith(reply_title("yes")) and "Llama 3.1" in embed["title"]
    assert custom_ids(update["data"]) == VOTES
    assert message["embeds"][0]["title"] == embed["title"]  # edited in place
    stored = await bot.storage.get_answer(int(message["id"]))
    assert (stored["question"], stored["model"]) == ("can i use llama commercially", "llama-3.1")
    assert stored["user_id"] == fake.user_id("alice")  # still the asker's question


async def test_feedback_is_stored_and_a_second_vote_is_refused(fake, bot):
    h = await fake.slash("ask", {"question": "is mistral 7b open source"}, user="alice")
    message = await h.message()
    await eventually(lambda: bot.storage.get_answer(int(message["id"])))

    down = await fake.click("rb:vote:down", message=message, user="bob")
    cb = await down.response()
    assert cb["type"] == 4 and is_ephemeral(cb) and cb["data"]["content"] == VOTE_NOT_HELPFUL
    again = await fake.click("rb:vote:up", message=message, user="bob")
    cb = await again.response()
    assert is_ephemeral(cb) and cb["data"]["content"] == VOTE_TWICE
    up = await fake.click("rb:vote:up", message=message, user="alice")
    assert (await up.response())["data"]["content"] == VOTE_THANKS
    assert await bot.storage.vote_counts(int(message["id"])) == (1, 1)
    entry = await eventually(lambda: queued(bot, "is mistral 7b open source"))
    assert entry["outcome"] == "not-helpful" and entry["best_guess"] == "mistral-7b/open-source-status"


# -- cards -----------------------------------------------------------------------------------------


async def test_license_autocomplete_returns_at_most_25_short_choices(fake):
    everything = await (await fake.autocomplete("license", {"model": ""})).choices()
    assert 0 < len(everything) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in everything)
    llama = await (await fake.autocomplete("license", {"model": "llama 3"})).choices()
    assert 0 < len(llama) <= 25 and llama[0]["value"] == "llama-3"
    gemma = await (await fake.autocomplete("license", {"model": "gemma"})).choices()
    assert {"gemma", "codegemma"} <= {c["value"] for c in gemma}
    assert all(len(c["name"]) <= 100 for c in gemma)  # Gemma's full name is 101 characters
    typo = await (await fake.autocomplete("license", {"model": "mistrall 7b"})).choices()
    assert "mistral-7b" in [c["value"] for c in typo][:3]


async def test_license_card_has_one_line_per_topic(fake, bot):
    cb = await (await fake.slash("license", {"model": "llama-3.1"})).response()
    embed = callback_embed(cb)
    assert embed["title"] == "Llama 3.1" and embed["url"].startswith("https://")
    assert "Llama 3.1 Community License" in embed["description"]
    for topic in bot.engine.kb.topics.values():
        assert f"**{topic.name}**" in embed["description"]
    typed = callback_embed(await (await fake.slash("license", {"model": "meta-llama/Llama-2-7b-hf"})).response())
    assert typed["title"] == "Llama 2"


async def test_license_with_an_unknown_or_ambiguous_name_says_so(fake):
    cb = await (await fake.slash("license", {"model": "frobnicator 9000"})).response()
    assert is_ephemeral(cb) and "frobnicator 9000" in cb["data"]["content"] and "/topics" in cb["data"]["content"]
    cb = await (await fake.slash("license", {"model": "llama"})).response()
    assert is_ephemeral(cb) and "Llama 2" in cb["data"]["content"] and "Llama 4" in cb["data"]["content"]


async def test_compare_shows_one_topic_for_several_models(fake):
    topics = await (await fake.autocomplete("compare", {"topic": "outputs"})).choices()
    assert topics[0]["value"] == "outputs-training"
    models = await (await fake.autocomplete("compare", {"topic": "outputs-training", "models": "Llama 2, llama 3."},
                                            focused="models")).choices()
    assert models and all(c["value"].startswith("Llama 2, ") and len(c["value"]) <= 100 for c in models)
    h = await fake.slash("compare", {"topic": "outputs-training", "models": "Llama 2, Llama 3.1, Mistral 7B"})
    embed = callback_embed(await h.response())
    assert embed["title"].startswith("Training on outputs")
    fields = {f["name"]: f for f in embed["fields"]}
    assert list(fields) == ["Llama 2", "Llama 3.1", "Mistral 7B"]
    assert all(f["inline"] for f in fields.values())
    assert VERDICT_LABELS["no"] in fields["Llama 2"]["value"]
    assert VERDICT_LABELS["conditional"] in fields["Llama 3.1"]["value"]


async def test_compare_names_unknown_models(fake):
    h = await fake.slash("compare", {"topic": "commercial-use", "models": "Llama 2, Frobnicator 9000"})
    cb = await h.response()
    assert is_ephemeral(cb) and "Frobnicator 9000" in cb["data"]["content"]
    many = ", ".join(f"Unknown Model Number {n} " + "x" * 60 for n in range(30))
    cb = await (await fake.slash("compare", {"topic": "commercial-use", "models": many})).response()
    assert is_ephemeral(cb) and len(cb["data"]["content"]) <= 2000


async def test_topics_and_help_list_what_the_bot_knows(fake, bot):
    for command in ("topics", "help"):
        cb = await (await fake.slash(command)).response()
        embed = callback_embed(cb)
        assert is_ephemeral(cb) and "/ask" in embed["description"]
        text = " ".join(f["value"] for f in embed["fields"])
        assert all(t.name in text for t in bot.engine.kb.topics.values())
        assert "Llama 3.1" in text and "Mistral 7B" in text


# -- moderators and watched channels ----------------------------------------------------------------


async def test_config_watch_is_for_moderators_only(fake, bot):
    refused = await (await fake.slash("config watch", {"channel": "bot-commands"}, user="alice")).response()
    assert is_ephemeral(refused) and refused["data"]["content"] == NOT_MODERATOR
    assert fake.channel_id("bot-commands") not in bot.watched

    allowed = await (await fake.slash("config watch", {"channel": "bot-commands"}, user="mod")).response()
    assert is_ephemeral(allowed) and allowed["data"]["content"].startswith("Watching")
    assert fake.channel_id("bot-commands") in await bot.storage.watched_channels(fake.guild_id)

    # a configured moderator role counts too
    refused = await (await fake.slash("config unwatch", {"channel": "bot-commands"}, user="helper")).response()
    assert refused["data"]["content"] == NOT_MODERATOR
    await (await fake.slash("config modrole", {"role": "Helper"}, user="mod")).response()
    unwatched = await (await fake.slash("config unwatch", {"channel": "bot-commands"}, user="helper")).response()
    assert unwatched["data"]["content"].startswith("No longer watching")
    assert fake.channel_id("bot-commands") not in bot.watched
    await (await fake.slash("config modrole", {}, user="mod")).response()  # clear it again
    assert (await bot.storage.guild_settings(fake.guild_id))["moderator_role_id"] is None


async def test_watched_channel_answers_only_answered_outcomes_and_logs_the_rest(fake, bot):
    await (await fake.slash("config watch", {"channel": "bot-commands"}, user="mod")).response()
    try:
        ex = await fake.send_message("is mistral 7b free for commercial use", author="alice", channel="bot-commands")
        reply = await ex.reply()
        assert embed_of(reply)["title"].startswith(reply_title("yes"))

        for question in ("can i use mistral commercially", "how much vram for llama 2 70b", "lol nice"):
            await fake.send_message(question, author="bob", channel="bot-commands")
        # the same answer again within a minute: not posted twice
        await fake.send_message("is Mistral-7B ok for commercial use??", author="bob", channel="bot-commands")
        await fake.assert_no_bot_message(within=0.3)

        clarify = await eventually(lambda: queued(bot, "can i use mistral commercially"))
        assert clarify["outcome"] == "clarify" and clarify["user_id"] == fake.user_id("bob")
        near_miss = await eventually(lambda: queued(bot, "how much vram for llama 2 70b"))
        assert near_miss["outcome"] == "unanswered"
        assert await queued(bot, "lol nice") is None  # chatter is not a licence question

        # another channel's copy of the same answer is fine
        other = await fake.send_message(mention(fake, "is mistral 7b free for commercial use"), channel="general")
        await other.reply()
    finally:
        await (await fake.slash("config unwatch", {"channel": "bot-commands"}, user="mod")).response()


# -- safety and limits ------------------------------------------------------------------------------


async def test_cooldown_message_on_the_sixth_quick_question(fake):
    for n in range(ASK_RATE):
        ex = await fake.send_message(mention(fake, f"is mistral 7b free for commercial use {n}"), author="bob")
        assert embed_of(await ex.reply())["title"].startswith(reply_title("yes"))
    sixth = await fake.send_message(mention(fake, "is llama 3.1 ok commercially"), author="bob")
    reply = await sixth.reply()
    assert "asking quickly" in reply["content"] and not reply["embeds"]
    await fake.send_message(mention(fake, "is llama 3.1 ok commercially"), author="bob")
    await fake.assert_no_bot_message(within=0.15)  # told once, then quiet

    # slash: the same budget per user, told ephemerally
    for _ in range(ASK_RATE):
        cb = await (await fake.slash("ask", {"question": "is llama 3.1 ok commercially"}, user="alice")).response()
        assert not is_ephemeral(cb)
    cb = await (await fake.slash("ask", {"question": "is llama 3.1 ok commercially"}, user="alice")).response()
    assert is_ephemeral(cb) and "asking quickly" in cb["data"]["content"]


async def test_a_question_with_everyone_pings_no_one(fake):
    start = len(fake.requests)
    role = fake.roles["Moderator"]["id"]
    text = mention(fake, f"@everyone @here <@&{role}> <@{fake.user_id('bob')}> can I use gemma 2 in my saas?")
    ex = await fake.send_message(text, author="alice", mention_roles=["Moderator"])
    reply = await ex.reply()
    assert embed_of(reply)["title"].startswith(reply_title("yes"))
    assert reply["mention_everyone"] is False and reply["mentions"] == [] and reply["mention_roles"] == []
    sent = fake.requests_matching("POST", "/channels/{id}/messages")[-1]
    assert sent.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert assert_no_pings(fake, start) >= 1


async def test_user_text_echoed_back_is_escaped(fake):
    ex = await fake.send_message(mention(fake, "can i use __bork-2__ commercially"), author="alice")
    description = embed_of(await ex.reply())["description"]
    assert "\\_\\_bork-2\\_\\_" in description


async def test_a_1001_character_question_is_refused(fake, bot):
    long_question = "can I use llama 3.1 commercially " + "x" * (MAX_QUESTION + 1 - 33)
    assert len(long_question) == MAX_QUESTION + 1
    cb = await (await fake.slash("ask", {"question": long_question}, user="alice")).response()
    assert is_ephemeral(cb) and "1,001 characters" in cb["data"]["content"] and not cb["data"].get("embeds")
    ex = await fake.send_message(mention(fake, long_question), author="alice")
    reply = await ex.reply()
    assert "1,001 characters" in reply["content"] and not reply["embeds"]
    exactly = await (await fake.slash("ask", {"question": long_question[:MAX_QUESTION]}, user="alice")).response()
    assert not is_ephemeral(exactly)


async def test_messages_from_bots_are_ignored(fake, bot):
    await (await fake.slash("config watch", {"channel": "bot-commands"}, user="mod")).response()
    try:
        await fake.send_message(mention(fake, "can I use gemma 2 in my saas?"), author="otherbot")
        await fake.send_message("is mistral 7b free for commercial use", author="otherbot", channel="bot-commands")
        await fake.send_message("is mistral 7b free for commercial use", author="otherbot", dm=True)
        await fake.assert_no_bot_message(within=0.25)
    finally:
        await (await fake.slash("config unwatch", {"channel": "bot-commands"}, user="mod")).response()


# -- a flaky gateway and rate limits -----------------------------------------------------------------


async def test_dropped_gateway_resumes_and_the_bot_still_answers(fake, bot):
    identifies = len(fake.identifies)
    await fake.drop_connection(code=4000)
    ex = await fake.send_message(mention(fake, "can i train my model on llama 2 outputs?"), author="alice")
    payload = await fake.wait_for_resume(timeout=5)
    assert payload["session_id"] == bot.ws.session_id
    assert embed_of(await ex.reply(timeout=5))["title"].startswith(reply_title("no"))
    assert len(fake.identifies) == identifies  # resumed, not re-identified
    after = await fake.send_message(mention(fake, "is mistral 7b free for commercial use"), author="bob")
    assert embed_of(await after.reply())["title"].startswith(reply_title("yes"))


async def test_a_429_on_send_is_retried_and_exactly_one_message_arrives(fake):
    before = len(fake.bot_messages)
    posts_before = len(fake.requests_matching("POST", "/channels/{id}/messages"))
    fake.rate_limit_next("POST", "/channels/{id}/messages", retry_after=0.05)
    started = time.monotonic()
    ex = await fake.send_message(mention(fake, "can I use gemma 2 in my saas?"), author="alice")
    assert embed_of(await ex.reply())["title"].startswith(reply_title("yes"))
    await fake.assert_no_bot_message(within=0.2)
    posts = fake.requests_matching("POST", "/channels/{id}/messages")[posts_before:]
    assert [r.status for r in posts] == [429, 200]
    assert len(fake.bot_messages) == before + 1
    assert time.monotonic() - started < 2


async def test_every_message_the_bot_sent_in_this_module_pings_no_one(fake):
    assert assert_no_pings(fake, 0) >= 30
