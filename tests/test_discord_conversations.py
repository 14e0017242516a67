"""Conversations on Discord (issue 14), end to end: the real discord.py client against the fake
Discord on 127.0.0.1. A follow-up ("and 3.1?", "what about redistribution?") takes what it lacks from
the message it replies to, the member's own last question in the channel, or the thread's starter
question, and never from another member, channel or server. Several questions in one message get
every part."""

from __future__ import annotations

import pytest
import pytest_asyncio

from bot.engine import Engine
from fakediscord import FakeDiscord
from tests.helpers import (
    assert_no_pings,
    callback_embed,
    custom_ids,
    embed_of,
    mention,
    reply_title,
    reset_limits,
    running_bot,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

VOTES = ["rb:vote:up", "rb:vote:down"]
FOLLOWING = "following your earlier question"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shipped_kb, tmp_path_factory):
    async with FakeDiscord() as fake:
        fake.add_user("carol")
        fake.add_forum("help-forum")
        fake.add_guild("Other", ("general",))
        async with running_bot(
            fake, Engine(shipped_kb), tmp_path_factory.mktemp("conversations") / "riderbot.db"
        ) as bot:
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
    reset_limits(bot)  # also forgets every conversation
    start = len(fake.requests)
    yield
    assert_no_pings(fake, start)
    fake.assert_no_unexpected_requests()


async def ask(fake: FakeDiscord, text: str, **kwargs) -> dict:
    """Mention the bot with ``text`` and return its reply."""
    return await (await fake.send_message(mention(fake, text), **kwargs)).reply()


async def reply_to(fake: FakeDiscord, message_id: int) -> dict:
    """The bot's reply to ``message_id`` (the message menu's; not its "thinking" message)."""

    def pred() -> dict | None:
        for msg in fake.bot_messages:
            if (msg.get("message_reference") or {}).get("message_id") == str(message_id):
                return msg
        return None

    return await fake.wait_for(pred, description=f"the reply to {message_id}")


def is_follow_up(embed: dict, reply: str, subject: str, topic: str) -> bool:
    """An answered embed for ``subject`` and ``topic`` that says it followed the earlier question."""
    return (
        embed["title"].startswith(reply_title(reply))
        and subject in embed["title"]
        and topic in embed["title"]
        and FOLLOWING in (embed.get("description") or "")
    )


def not_followed(embed: dict) -> bool:
    """Nothing was taken from a conversation: "and 3.1?" alone is no licence question."""
    return FOLLOWING not in (embed.get("description") or "") and not embed["title"].startswith(
        reply_title("yes")
    )


# -- replies -----------------------------------------------------------------------------------------


async def test_a_reply_to_riderbots_answer_follows_up_on_that_answer(fake):
    first = await ask(fake, "can i train my model on llama 2 outputs?", author="alice")
    assert embed_of(first)["title"].startswith(reply_title("no"))
    # a later question in between: the reply still points at the llama 2 answer
    other = await ask(fake, "is mistral 7b free for commercial use", author="alice")
    assert "Mistral 7B" in embed_of(other)["title"]

    ex = await fake.send_message(mention(fake, "and 3.1?"), author="alice", reference=first)
    second = await ex.reply()
    embed = embed_of(second)
    assert is_follow_up(embed, "yes", "Llama 3.1", "training on outputs"), embed
    assert "Llama 3.1 — training on outputs, following your earlier question" in embed["description"]
    assert custom_ids(second) == VOTES

    # the chain goes on: a reply to the follow-up's answer keeps its model and changes the topic
    third = await (
        await fake.send_message(mention(fake, "what about redistribution?"), author="alice", reference=second)
    ).reply()
    assert is_follow_up(embed_of(third), "yes", "Llama 3.1", "redistribution")

    # riderbot's answer is there for anyone who replies to it
    bobs = await (await fake.send_message(mention(fake, "and 3.1?"), author="bob", reference=first)).reply()
    assert is_follow_up(embed_of(bobs), "yes", "Llama 3.1", "training on outputs")


async def test_a_reply_to_ones_own_question_takes_it_but_not_to_another_members(fake):
    question = await fake.send_message(
        mention(fake, "can i train my model on llama 2 outputs?"), author="alice"
    )
    await question.reply()
    await ask(fake, "is mistral 7b free for commercial use", author="alice")
    own = await (
        await fake.send_message(mention(fake, "and 3.1?"), author="alice", reference=question.payload)
    ).reply()
    assert is_follow_up(embed_of(own), "yes", "Llama 3.1", "training on outputs")
    # Bob replying to Alice's question: her question is not his conversation
    bobs = await (
        await fake.send_message(mention(fake, "and 3.1?"), author="bob", reference=question.payload)
    ).reply()
    assert not_followed(embed_of(bobs))


# -- one channel, several members; channels; servers ---------------------------------------------------


async def test_two_members_interleaving_in_one_channel_keep_their_own_conversations(fake, bot):
    await ask(fake, "can i train my model on llama 2 outputs?", author="alice")
    await ask(fake, "is mistral 7b free for commercial use", author="bob")
    alices = embed_of(await ask(fake, "and 3.1?", author="alice"))
    assert is_follow_up(alices, "yes", "Llama 3.1", "training on outputs")
    bobs = embed_of(await ask(fake, "what about redistribution?", author="bob"))
    assert is_follow_up(bobs, "yes", "Mistral 7B", "redistribution")
    assert "Llama" not in bobs["title"]
    # Carol asked nothing: neither conversation is hers
    assert not_followed(embed_of(await ask(fake, "and 3.1?", author="carol")))
    # nor is Alice's in another channel, or in another server with a channel of the same name
    assert not_followed(embed_of(await ask(fake, "and 3.1?", author="alice", channel="bot-commands")))
    assert not_followed(embed_of(await ask(fake, "and 3.1?", author="alice", channel="Other/general")))


async def test_a_dm_is_a_conversation_and_stays_in_the_dm(fake):
    first = await (await fake.send_message("is llama 2 ok commercially?", author="bob", dm=True)).reply()
    assert embed_of(first)["title"].startswith(reply_title("yes"))
    follow = await (await fake.send_message("and 3.1?", author="bob", dm=True)).reply()
    assert "guild_id" not in follow
    assert is_follow_up(embed_of(follow), "yes", "Llama 3.1", "commercial use")
    assert not_followed(embed_of(await ask(fake, "and 3.1?", author="bob")))  # not in the server


# -- threads ---------------------------------------------------------------------------------------------


async def test_in_a_thread_another_member_follows_up_on_the_starter_question(fake):
    post = await fake.create_post(
        "help-forum",
        "Llama outputs?",
        mention(fake, "can i train my model on llama 2 outputs?"),
        author="alice",
    )
    starter = await post.reply()
    assert embed_of(starter)["title"].startswith(reply_title("no"))
    bobs = await ask(fake, "and 3.1?", author="bob", channel=post.channel_id)
    assert bobs["channel_id"] == str(post.channel_id)
    assert is_follow_up(embed_of(bobs), "yes", "Llama 3.1", "training on outputs")
    # Bob's own follow-up is his conversation in the thread now; Carol still gets the starter's
    assert is_follow_up(
        embed_of(await ask(fake, "what about redistribution?", author="bob", channel=post.channel_id)),
        "yes",
        "Llama 3.1",
        "redistribution",
    )
    carols = embed_of(await ask(fake, "what about redistribution?", author="carol", channel=post.channel_id))
    assert is_follow_up(carols, "yes", "Llama 2", "redistribution") and "3.1" not in carols["title"]
    # the thread's starter is not the forum's, nor the server's
    assert not_followed(embed_of(await ask(fake, "and 3.1?", author="carol")))


# -- slash, the message menu, watched channels -------------------------------------------------------


async def test_slash_ask_follows_up_on_the_members_last_question(fake):
    await (
        await fake.slash("ask", {"question": "is mistral 7b free for commercial use"}, user="alice")
    ).response()
    cb = await (await fake.slash("ask", {"question": "what about redistribution?"}, user="alice")).response()
    assert is_follow_up(callback_embed(cb), "yes", "Mistral 7B", "redistribution")
    other = await (await fake.slash("ask", {"question": "what about redistribution?"}, user="bob")).response()
    assert FOLLOWING not in (callback_embed(other).get("description") or "")


async def test_the_message_menu_answers_a_follow_up_in_its_authors_conversation(fake):
    question = await fake.send_message("can i train my model on llama 2 outputs?", author="alice")
    await (await fake.message_command("Ask riderbot", question.payload, user="bob")).response()
    assert embed_of(await reply_to(fake, question.id))["title"].startswith(reply_title("no"))
    follow = await fake.send_message("and 3.1?", author="alice")
    await (await fake.message_command("Ask riderbot", follow.payload, user="bob")).response()
    embed = embed_of(await reply_to(fake, follow.id))
    assert is_follow_up(embed, "yes", "Llama 3.1", "training on outputs")
    # Carol's "and 3.1?" asked through the menu has no conversation of hers to follow
    carols = await fake.send_message("and 3.1?", author="carol")
    await (await fake.message_command("Ask riderbot", carols.payload, user="alice")).response()
    assert not_followed(embed_of(await reply_to(fake, carols.id)))


async def test_a_watched_channel_answers_a_follow_up(fake, bot):
    await (await fake.slash("config watch", {"channel": "bot-commands"}, user="mod")).response()
    try:
        first = await fake.send_message(
            "can i train my model on llama 2 outputs?", author="alice", channel="bot-commands"
        )
        assert embed_of(await first.reply())["title"].startswith(reply_title("no"))
        follow = await fake.send_message("and 3.1?", author="alice", channel="bot-commands")
        reply = await follow.reply()
        assert is_follow_up(embed_of(reply), "yes", "Llama 3.1", "training on outputs")
        assert f"rb:remove:{fake.user_id('alice')}" in custom_ids(reply)
        # Bob's bare "and 3.1?" has no conversation: riderbot stays quiet, as with any unsure message
        await fake.send_message("and 3.1?", author="bob", channel="bot-commands")
        await fake.assert_no_bot_message(within=0.2)
    finally:
        await (await fake.slash("config unwatch", {"channel": "bot-commands"}, user="mod")).response()


# -- clarify picks ----------------------------------------------------------------------------------------


async def test_a_clarify_pick_sets_the_model_a_follow_up_takes(fake):
    h = await fake.slash("ask", {"question": "can i use llama commercially"}, user="alice")
    clarify = await h.message()
    assert "rb:pick:llama-2:commercial-use" in custom_ids(clarify)
    await (await fake.click("rb:pick:llama-2:commercial-use", message=clarify, user="alice")).response()
    follow = embed_of(await ask(fake, "what about redistribution?", author="alice"))
    assert is_follow_up(follow, "yes", "Llama 2", "redistribution")
    # a reply to the picked answer takes the pick too
    replied = await (
        await fake.send_message(mention(fake, "can i fine-tune it?"), author="bob", reference=clarify)
    ).reply()
    assert "Llama 2" in embed_of(replied)["title"] and FOLLOWING in embed_of(replied)["description"]


async def test_without_a_pick_the_follow_up_is_still_about_the_whole_family(fake):
    await (await fake.slash("ask", {"question": "can i use llama commercially"}, user="alice")).response()
    follow = await ask(fake, "what about redistribution?", author="alice")
    assert "Llama 2" not in embed_of(follow)["title"]


# -- several questions in one message ---------------------------------------------------------------------


async def test_every_question_of_a_message_gets_its_embed(fake):
    reply = await ask(fake, "can I use Qwen2.5-7B in my app and can I fine-tune it?", author="alice")
    embeds = reply["embeds"]
    assert [e["title"][:6] for e in embeds] == ["1/2 · ", "2/2 · "]
    assert "commercial use" in embeds[0]["title"] and "fine-tuning" in embeds[1]["title"].lower()
    assert sum(len(e.get("title", "")) + len(e.get("description", "")) for e in embeds) <= 6000
    assert custom_ids(reply) == VOTES


async def test_a_pick_in_a_message_of_several_questions_answers_only_its_part(fake):
    reply = await ask(fake, "can i use llama commercially and can i fine-tune qwen 2.5 7b?", author="alice")
    assert len(reply["embeds"]) == 2 and "Qwen" in reply["embeds"][1]["title"]
    ids = custom_ids(reply)
    assert ids[:2] == VOTES and "rb:pick:llama-3.1:commercial-use:1" in ids
    update = await (
        await fake.click("rb:pick:llama-3.1:commercial-use:1", message=reply, user="alice")
    ).response()
    embeds = update["data"]["embeds"]
    assert len(embeds) == 2
    assert embeds[0]["title"].startswith("1/2 · ") and "Llama 3.1" in embeds[0]["title"]
    assert embeds[1]["title"] == reply["embeds"][1]["title"]  # the other part is untouched
    assert custom_ids(update["data"]) == VOTES
    follow = embed_of(await ask(fake, "what about redistribution?", author="alice"))
    assert is_follow_up(follow, "yes", "Llama 3.1", "redistribution")


async def test_a_message_menu_on_a_message_of_several_questions_shows_every_part(fake):
    question = await fake.send_message("is llama 3 open source? and does it have a user cap?", author="bob")
    await (await fake.message_command("Ask riderbot", question.payload, user="alice")).response()
    reply = await reply_to(fake, question.id)
    assert len(reply["embeds"]) == 2
