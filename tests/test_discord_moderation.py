"""Moderation end to end (the real RiderBot against the fake Discord on 127.0.0.1): the review
queue (/review), teaching and live knowledge edits (/kb), the log channel, privacy (/privacy) and
/stats. One bot serves the module; its engine reads a COPY of the knowledge folder (never the
shipped files), and its log channel posts every ``INTERVAL`` seconds instead of every minute.
Every test checks that nothing the bot sent could ping anyone and that it called no unknown route.
The fake's one server is the maintainer server (a one-community deployment), so its moderators are
riderbot's maintainers; two servers and who may do what: test_discord_servers.py."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import time
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from bot.cogs.checks import NOT_MAINTAINER, NOT_MODERATOR
from bot.cogs.privacy import FORGET_CANCELLED, NOT_YOURS
from bot.engine import Engine
from bot.knowledge import default_knowledge_dir
from bot.matching.reply import strip_yes_no
from bot.storage import Asked, Storage
from fakediscord import FakeDiscord
from tests.helpers import (
    assert_no_pings,
    callback_embed,
    custom_ids,
    embed_of,
    eventually,
    is_ephemeral,
    make_bot,
    mention,
    reply_title,
    reset_limits,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

INTERVAL = 0.5  # the log channel's batching interval in these tests (60 s in production)

# every command that only moderators may use, with options that would otherwise succeed
MODERATOR_COMMANDS = [
    ("review list", {}),
    ("review show", {"id": 1}),
    ("review resolve", {"id": 1, "topic": "commercial-use", "model": "llama-2"}),
    ("review dismiss", {"id": 1, "reason": "spam"}),
    ("review export", {}),
    ("review forward", {"id": 1, "note": "a note"}),
    ("kb alias", {"model": "llama-2", "alias": "sneaky llama"}),
    ("kb unalias", {"alias": "sneaky llama"}),
    ("kb edit", {"model": "llama-2", "topic": "commercial-use"}),
    (
        "kb add-model",
        {
            "family": "llama",
            "id": "llama-sneaky",
            "name": "Sneaky Llama",
            "license": "llama-2-community",
            "evidence-url": "https://example.org/sneaky",
            "evidence-line": "Sneaky Llama is under the Llama 2 licence",
        },
    ),
    ("kb reload", {}),
    ("kb history", {}),
    ("privacy purge", {"user": "bob"}),
    ("stats", {}),
    ("config logchannel", {"channel": "general"}),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("moderation")
    knowledge = root / "knowledge"
    shutil.copytree(default_knowledge_dir(), knowledge, ignore=shutil.ignore_patterns("eval"))
    async with FakeDiscord() as fake:
        fake.add_user("carol")
        fake.add_user("dave")
        storage = await Storage.open(root / "riderbot.db")
        bot = make_bot(fake, Engine.from_folder(knowledge), storage, maintainer_guild=fake.guild_id)
        bot.log_batch_seconds = INTERVAL
        async with fake.run(bot):
            cb = await (await fake.slash("config logchannel", {"channel": "mod-log"}, user="mod")).response()
            assert is_ephemeral(cb) and f"<#{fake.channel_id('mod-log')}>" in cb["data"]["content"]
            yield fake, bot, knowledge
        await storage.close()


@pytest.fixture
def fake(world) -> FakeDiscord:
    return world[0]


@pytest.fixture
def bot(world):
    return world[1]


@pytest.fixture
def knowledge(world) -> Path:
    return world[2]


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def each_test(world):
    fake, bot, _ = world
    reset_limits(bot)
    start = len(fake.requests)
    yield
    assert_no_pings(fake, start)
    fake.assert_no_unexpected_requests()


# -- helpers ---------------------------------------------------------------------------------------


async def queued(bot, question: str) -> dict | None:
    return next(
        (
            e
            for e in await bot.storage.list_queue(status=None, limit=10_000, scope="all")
            if e["question"] == question
        ),
        None,
    )


async def seed(fake, bot, question: str, user: str = "alice", guild: bool = True) -> int:
    """A queue entry as if ``user`` had asked ``question`` in #general (without the round trip)."""
    queue_id, _ = await bot.storage.log_question(
        Asked(
            question,
            "unanswered",
            fake.guild_id if guild else None,
            fake.channel_id("general") if guild else None,
            fake.user_id(user),
        )
    )
    return queue_id


async def no_backlog(bot) -> bool:
    return not await bot.storage.unannounced(scope="all")


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def log_posts(fake, since: int = 0) -> list[dict]:
    channel = str(fake.channel_id("mod-log"))
    return [m for m in fake.bot_messages[since:] if m["channel_id"] == channel]


async def log_post_containing(fake, text: str, since: int = 0) -> dict:
    return await fake.wait_for(
        lambda: next((m for m in log_posts(fake, since) if text in m["content"]), None),
        description=f"a log-channel post containing {text!r}",
    )


async def ask(fake, question: str, user: str = "alice") -> dict:
    return embed_of(await (await fake.send_message(mention(fake, question), author=user)).reply())


async def reply_text(interaction) -> str:
    """The text a moderator finally sees (after a deferral too)."""
    return (await interaction.message())["content"]


def text_input(modal: dict) -> dict:
    def walk(components):
        for c in components:
            yield c
            yield from walk(c.get("components", []))
            if c.get("component"):
                yield from walk([c["component"]])

    return next(c for c in walk(modal["components"]) if c.get("type") == 4)


# -- commands and permissions ------------------------------------------------------------------------


async def test_the_moderation_commands_are_synced_with_a_moderator_hint(fake):
    commands = {c["name"]: c for c in fake.global_commands}
    subs = {
        name: {o["name"] for o in commands[name].get("options", []) if o["type"] == 1}
        for name in ("review", "kb", "privacy", "config")
    }
    assert subs["review"] == {"list", "show", "resolve", "dismiss", "export", "forward"}
    assert subs["kb"] == {"alias", "unalias", "edit", "add-model", "reload", "history"}
    assert subs["privacy"] == {"forget", "purge"}
    assert "logchannel" in subs["config"]
    for name in ("review", "kb", "stats"):  # hidden from members in Discord's UI, checked in code anyway
        assert int(commands[name]["default_member_permissions"]) == 1 << 5  # Manage Server
        assert commands[name]["contexts"] == [0]
    assert commands["privacy"].get("default_member_permissions") is None  # /privacy forget is for everyone
    assert set(commands["privacy"]["contexts"]) == {0, 1}
    # the refusal test below covers every moderator command there is
    listed = {name for name, _ in MODERATOR_COMMANDS}
    assert {f"{g} {s}" for g in ("review", "kb") for s in subs[g]} | {"stats", "privacy purge"} <= listed


async def test_a_non_moderator_is_refused_every_moderator_command(fake, bot, knowledge):
    entry_id = await seed(fake, bot, "is the refusal model 1 ok for commercial use")
    before_files = snapshot(knowledge)
    before_kb, before_history = bot.engine.kb, await bot.storage.history(limit=1000, scope="all")
    modals, log_channel = (
        len(fake.modals),
        (await bot.storage.guild_settings(fake.guild_id))["log_channel_id"],
    )
    for name, options in MODERATOR_COMMANDS:
        options = {k: (entry_id if k == "id" else v) for k, v in options.items()}
        cb = await (await fake.slash(name, options, user="alice")).response()
        assert cb["type"] == 4 and is_ephemeral(cb), name
        maintainers_only = name in ("kb edit", "kb add-model", "kb reload")
        assert cb["data"]["content"] == (NOT_MAINTAINER if maintainers_only else NOT_MODERATOR), name
    assert len(fake.modals) == modals  # /kb edit opened nothing
    assert (await bot.storage.get_entry(entry_id, scope="all"))["status"] == "open"
    assert snapshot(knowledge) == before_files and bot.engine.kb is before_kb
    assert await bot.storage.history(limit=1000, scope="all") == before_history
    assert (await bot.storage.guild_settings(fake.guild_id))["log_channel_id"] == log_channel


# -- the review queue ----------------------------------------------------------------------------


async def test_review_list_pages_with_prev_and_next(fake, bot):
    for n in range(1, 24):
        await seed(fake, bot, f"paging question {n} about the zork licence")
    total = await bot.storage.count_queue(
        "open", scope=fake.guild_id
    )  # what /review list in this server counts
    pages = -(-total // 10)
    h = await fake.slash("review list", {"sort": "newest"}, user="mod")
    cb = await h.response()
    assert cb["type"] == 4 and is_ephemeral(cb)
    first = callback_embed(cb)
    assert len(first["description"].splitlines()) == 10
    assert "paging question 23 about the zork licence" in first["description"]  # newest first
    assert first["footer"]["text"].startswith(f"Page 1/{pages} · {total} open entries · sorted by newest")
    assert custom_ids(cb["data"]) == ["rb:review:open:newest:-1:prev", "rb:review:open:newest:1:next"]
    assert cb["data"]["components"][0]["components"][0]["disabled"] is True  # no page before the first
    message = await h.message()

    refused = await (
        await fake.click("rb:review:open:newest:1:next", message=message, user="alice")
    ).response()
    assert is_ephemeral(refused) and refused["data"]["content"] == NOT_MODERATOR
    assert embed_of(message)["footer"]["text"].startswith("Page 1/")  # unchanged

    nxt = await (await fake.click("rb:review:open:newest:1:next", message=message, user="mod")).response()
    assert nxt["type"] == 7  # the same message, edited
    second = callback_embed(nxt)
    assert second["footer"]["text"].startswith(f"Page 2/{pages}")
    assert len(second["description"].splitlines()) == 10
    assert not set(second["description"].splitlines()) & set(first["description"].splitlines())
    assert custom_ids(nxt["data"]) == ["rb:review:open:newest:0:prev", "rb:review:open:newest:2:next"]
    back = await (await fake.click("rb:review:open:newest:0:prev", message=message, user="mod")).response()
    assert callback_embed(back)["description"] == first["description"]

    # most asked first by default; a count shows as ×n
    await seed(fake, bot, "paging question 5 about the zork licence")  # asked again: count 2
    top = callback_embed(await (await fake.slash("review list", {}, user="mod")).response())
    assert "sorted by most asked" in top["footer"]["text"] and "×2" in top["description"].splitlines()[0]


async def test_review_show_has_everything_known_about_an_entry(fake, bot):
    entry_id = await seed(fake, bot, "is __bark__ ok for @everyone commercially", user="bob")
    cb = await (await fake.slash("review show", {"id": entry_id}, user="mod")).response()
    assert is_ephemeral(cb)
    embed = callback_embed(cb)
    assert embed["title"] == f"Queue entry #{entry_id} (open)"
    assert "\\_\\_bark\\_\\_" in embed["description"] and "@\u200beveryone" in embed["description"]  # inert
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Asked"] == "1 time(s) by 1 member(s)" and fields["Outcome"] == "unanswered"
    assert (
        f"<@{fake.user_id('bob')}>" in fields["Where"]
        and f"<#{fake.channel_id('general')}>" in fields["Where"]
    )
    missing = await (await fake.slash("review show", {"id": 999_999}, user="mod")).response()
    assert is_ephemeral(missing) and "no queue entry #999999" in missing["data"]["content"]


async def test_resolve_teaches_the_live_matcher_and_sends_nothing_to_the_asker(fake, bot):
    question = "is the Zorblax-7 thing from the lab fine for my startup"
    first = await ask(fake, question, user="carol")
    assert "don't know" in first["description"]
    entry = await eventually(lambda: queued(bot, question))
    general = fake.channel_id("general")
    messages, posts = (
        len(fake.bot_messages),
        len(fake.requests_matching("POST", f"/channels/{general}/messages")),
    )

    h = await fake.slash(
        "review resolve",
        {"id": entry["id"], "model": "mistral-7b", "topic": "commercial-use"},
        user="mod",
        channel="bot-commands",
    )
    assert (await h.response())["type"] == 5 and h.ephemeral  # deferred: the eval gate takes a moment
    done = await h.message()
    assert done["content"].startswith(f"Resolved #{entry['id']}") and "in this server" in done["content"]
    assert embed_of(done)["title"].startswith(reply_title("yes"))  # what askers get from now on
    await log_post_containing(fake, f"resolved #{entry['id']}")
    assert not [m for m in fake.bot_messages[messages:] if m["channel_id"] == str(general)]
    assert (
        len(fake.requests_matching("POST", f"/channels/{general}/messages")) == posts
    )  # the asker heard nothing

    stored = await bot.storage.get_entry(entry["id"], scope="all")
    assert (
        stored["status"],
        stored["resolution_model"],
        stored["resolution_topic"],
        stored["decided_by"],
    ) == ("resolved", "mistral-7b", "commercial-use", fake.user_id("mod"))
    assert (question, "mistral-7b", None, "commercial-use") in await bot.storage.learned(all_guilds=True)
    for variant in (
        question,
        question.upper() + "?",
        "is the Zorblax-7 thing from the lab fine for my start up",
    ):
        embed = await ask(fake, variant, user="dave")
        assert embed["title"].startswith(reply_title("yes")) and "Mistral 7B" in embed["title"], variant


async def test_resolve_with_a_licence_and_the_wrong_number_of_subjects(fake, bot):
    entry_id = await seed(fake, bot, "is the asl two thing fine for a paid product")
    both = await (
        await fake.slash(
            "review resolve",
            {"id": entry_id, "topic": "commercial-use", "model": "llama-2", "license": "apache-2.0"},
            user="mod",
        )
    ).response()
    neither = await (
        await fake.slash("review resolve", {"id": entry_id, "topic": "commercial-use"}, user="mod")
    ).response()
    assert "either a model or a licence" in both["data"]["content"] == neither["data"]["content"]
    choices = await (
        await fake.autocomplete(
            "review resolve", {"id": entry_id, "topic": "commercial-use", "license": "apache"}, user="mod"
        )
    ).choices()
    assert choices[0]["value"] == "id:apache-2.0"
    text = await reply_text(
        await fake.slash(
            "review resolve",
            {"id": entry_id, "topic": "commercial-use", "license": "Apache License 2.0"},
            user="mod",
        )
    )
    assert text.startswith(f"Resolved #{entry_id}")
    assert (await bot.storage.get_entry(entry_id, scope="all"))["resolution_license"] == "apache-2.0"
    here = bot.scope_for(fake.guild_id)  # taught for this server (its moderator resolved it)
    assert bot.engine.ask("is the asl two thing fine for a paid product", None, here).license == "apache-2.0"
    assert bot.engine.ask("is the asl two thing fine for a paid product").license is None


async def test_dismiss_drops_an_entry_with_a_reason(fake, bot):
    entry_id = await seed(fake, bot, "lol what is a licence even")
    cb = await (
        await fake.slash("review dismiss", {"id": entry_id, "reason": "off-topic"}, user="mod")
    ).response()
    assert is_ephemeral(cb) and cb["data"]["content"].startswith(f"Dismissed #{entry_id}")
    entry = await bot.storage.get_entry(entry_id, scope="all")
    assert (entry["status"], entry["dismiss_reason"], entry["decided_by"]) == (
        "dismissed",
        "off-topic",
        fake.user_id("mod"),
    )
    assert entry_id not in {e["id"] for e in await bot.storage.list_queue("open", limit=10_000, scope="all")}
    again = await (
        await fake.slash("review dismiss", {"id": entry_id, "reason": "spam"}, user="mod")
    ).response()
    assert again["data"]["content"] == f"#{entry_id} is already dismissed."
    await log_post_containing(fake, f"dismissed #{entry_id}")


async def test_export_is_an_ephemeral_csv_attachment(fake, bot):
    await seed(fake, bot, "is the export model 9 ok for commercial use")
    h = await fake.slash("review export", {}, user="mod")
    cb = await h.response()
    assert cb["type"] == 5 and is_ephemeral(cb)  # deferred: a big queue takes a moment
    message = await h.followup()
    assert message["flags"] & 64 and [a["filename"] for a in message["attachments"]] == [
        "riderbot-review-all.csv"
    ]
    upload = next(r for r in reversed(fake.requests_matching("POST", "/webhooks/{id}/{token}")) if r.files)
    text = upload.files[0]["data"].decode()
    assert text.splitlines()[0].startswith("id,status,count,question,outcome,best_guess")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "is the export model 9 ok for commercial use" in {r["question"] for r in rows}
    assert f"{len(rows)} row(s)" in message["content"]


# -- the log channel -------------------------------------------------------------------------------


async def test_log_channel_gets_new_entries_batched_at_most_once_per_interval(fake, bot):
    announcer = bot.get_cog("Review").announcer
    assert announcer.seconds == INTERVAL
    await eventually(lambda: no_backlog(bot), within=3 * INTERVAL)  # what other tests queued is posted
    announcer.cancel()  # start a fresh interval with several entries waiting
    await eventually(lambda: asyncio.sleep(0, not announcer.is_running()))  # (an awaitable bool)
    batch = [f"log batch question {n} about the quux licence" for n in (101, 202, 303)]  # not one entry
    for question in batch:
        await seed(fake, bot, question)
    await seed(fake, bot, "log batch question from a dm about the quux licence", guild=False)
    since = len(fake.bot_messages)
    started = time.monotonic()
    announcer.start()  # runs once now, then every INTERVAL
    post = await log_post_containing(fake, batch[0], since)
    assert all(q in post["content"] for q in batch), post["content"]  # several entries, one post
    assert len([m for m in log_posts(fake, since) if any(q in m["content"] for q in batch)]) == 1
    assert "new questions in the review queue" in post["content"]
    assert not any("from a dm" in m["content"] for m in log_posts(fake, since))  # no server, no log channel

    late = "log batch question 404 about the quux licence"
    await seed(fake, bot, late)
    await asyncio.sleep(INTERVAL / 2)
    assert not any(late in m["content"] for m in log_posts(fake, since))  # not twice within the interval
    await log_post_containing(fake, late, since)
    assert time.monotonic() - started >= INTERVAL * 0.95  # the next tick, not earlier
    assert not {e["question"] for e in await bot.storage.unannounced(scope="all")} & {*batch, late}
    assert len([m for m in log_posts(fake, since) if any(q in m["content"] for q in (*batch, late))]) == 2


async def test_config_logchannel_can_be_shown_and_cleared(fake, bot):
    show = await (await fake.slash("config show", {}, user="mod")).response()
    assert f"Log channel: <#{fake.channel_id('mod-log')}>" in show["data"]["content"]
    try:
        await (await fake.slash("config logchannel", {}, user="mod")).response()
        assert (await bot.storage.guild_settings(fake.guild_id))["log_channel_id"] is None
        since = len(fake.bot_messages)
        await seed(fake, bot, "is the unlogged model 3 ok for commercial use")
        await asyncio.sleep(INTERVAL * 1.5)
        assert not log_posts(fake, since)
        assert not await bot.storage.unannounced(scope="all")  # nowhere to post: not kept for later
    finally:
        await (await fake.slash("config logchannel", {"channel": "mod-log"}, user="mod")).response()


# -- knowledge edits ----------------------------------------------------------------------------------


async def test_kb_alias_is_written_and_answered_live(fake, bot, knowledge):
    before = await ask(fake, "the og llama commercial use?")
    assert not before["title"].startswith(reply_title("yes"))  # a clarify: which Llama?
    h = await fake.slash("kb alias", {"model": "llama-2", "alias": "the og llama"}, user="mod")
    assert (await h.response())["type"] == 5 and h.ephemeral  # deferred: validation takes a moment
    assert (await reply_text(h)).startswith('added the alias "the og llama" to **Llama 2**, for every server')
    assert not list(knowledge.glob("edits/*.yaml"))  # no knowledge file is written: the database is
    stored = [e for e in await bot.storage.kb_edits() if e["kind"] == "alias"]
    assert {"alias": "the og llama"} in [e["payload"] for e in stored]
    after = await ask(fake, "the og llama commercial use?")
    assert after["title"].startswith(reply_title("yes")) and "Llama 2" in after["title"]
    history = await bot.storage.history("llama-2", scope="all")
    assert (history[0]["action"], history[0]["after"], history[0]["user_id"]) == (
        "alias",
        "the og llama",
        fake.user_id("mod"),
    )
    await log_post_containing(fake, 'added the alias "the og llama"')


async def test_kb_alias_owned_by_another_model_is_refused_and_changes_nothing(fake, bot, knowledge):
    files, kb, history = (
        snapshot(knowledge),
        bot.engine.kb,
        await bot.storage.history(limit=1000, scope="all"),
    )
    h = await fake.slash("kb alias", {"model": "llama-3", "alias": "mistral 7b"}, user="mod")
    text = await reply_text(h)
    assert text.startswith("Refused, nothing changed:") and "already used by" in text and "mistral-7b" in text
    assert snapshot(knowledge) == files and bot.engine.kb is kb
    assert await bot.storage.history(limit=1000, scope="all") == history
    embed = await ask(fake, "is mistral 7b free for commercial use")
    assert embed["title"].startswith(reply_title("yes")) and "Mistral 7B" in embed["title"]


async def test_kb_edit_opens_a_prefilled_modal_and_a_submit_changes_the_live_answer(fake, bot, knowledge):
    family_file = knowledge / "models" / "gemma.yaml"
    original = family_file.read_bytes()
    current = bot.engine.kb.models["gemma"].riders["redistribution"].answer
    h = await fake.slash("kb edit", {"model": "gemma 2", "topic": "redistribution"}, user="mod")
    modal = await h.modal_shown()
    field = text_input(modal)
    assert field["value"] == current and field["max_length"] == 1000 and len(modal["title"]) <= 45
    new = "Yes, if you pass on the Gemma terms and the use restrictions with every copy (edited by a moderator)."
    submitted = await h.submit_modal({field["custom_id"]: new})
    assert (await reply_text(submitted)).startswith("changed the answer for **Gemma")
    assert bot.engine.kb.models["gemma"].riders["redistribution"].answer == new
    embed = await ask(fake, "can I redistribute gemma 2 weights?")
    assert embed["description"].startswith(
        "Yes — " + strip_yes_no(new)
    )  # the edited text, after the direct reply
    stored = (await bot.storage.kb_edits())[-1]
    assert (stored["kind"], stored["model"], stored["payload"]) == (
        "answer",
        "gemma",
        {"topic": "redistribution", "text": new},
    )
    assert family_file.read_bytes() == original  # the hand-written file is untouched
    row = (await bot.storage.history("gemma", scope="all"))[0]
    assert (row["action"], row["before"], row["after"]) == ("edit", current, new)


async def test_an_empty_kb_edit_is_refused_and_changes_nothing(fake, bot, knowledge):
    files, kb = snapshot(knowledge), bot.engine.kb
    current = kb.models["llama-2"].riders["attribution-naming"].answer
    h = await fake.slash("kb edit", {"model": "llama-2", "topic": "attribution-naming"}, user="mod")
    submitted = await h.submit_modal({text_input(await h.modal_shown())["custom_id"]: "   "})
    assert await reply_text(submitted) == "Refused, nothing changed: the answer is empty"
    assert snapshot(knowledge) == files and bot.engine.kb is kb
    assert bot.engine.ask("does llama 2 require attribution?").answer == strip_yes_no(current)


async def test_kb_history_shows_the_edits(fake, bot):
    await (
        await fake.slash("kb alias", {"model": "dbrx", "alias": "the databricks moe"}, user="mod")
    ).message()
    cb = await (await fake.slash("kb history", {}, user="mod")).response()
    assert is_ephemeral(cb)
    embed = callback_embed(cb)
    latest = embed["description"].split("\n")[0:2]
    assert "**alias** `dbrx`" in latest[0] and f"<@{fake.user_id('mod')}>" in latest[0]
    assert "the databricks moe" in latest[1]
    only = callback_embed(await (await fake.slash("kb history", {"model": "llama-3"}, user="mod")).response())
    assert "the databricks moe" not in only["description"]


async def test_kb_reload_picks_up_file_changes_and_keeps_the_old_knowledge_when_broken(fake, bot, knowledge):
    # a phrasing taught through the queue must survive reloads (a reload builds a new matcher)
    question = "may i ship the frobnicator weights in my app"
    entry_id = await seed(fake, bot, question)
    await (
        await fake.slash(
            "review resolve",
            {"id": entry_id, "model": "qwen2.5", "topic": "redistribution", "everyone": True},
            user="mod",
        )
    ).message()
    overlay = knowledge / "edits" / "olmo.yaml"
    overlay.parent.mkdir(exist_ok=True)  # not there yet when no /kb edit ran before this test
    overlay.write_text(yaml.safe_dump({"models": {"olmo": {"aliases": ["the open allen model"]}}}))
    assert bot.engine.ask("is the open allen model ok commercially?").model is None
    text = await reply_text(await fake.slash("kb reload", {}, user="mod"))
    assert text.startswith("Reloaded the knowledge:")
    assert bot.engine.ask("is the open allen model ok commercially?").model == "olmo"
    assert bot.engine.ask(question).model == "qwen2.5"  # re-taught after the reload
    await log_post_containing(fake, "reloaded the knowledge")

    family = knowledge / "models" / "olmo.yaml"
    original = family.read_bytes()
    kb = bot.engine.kb
    try:
        family.write_text("models: [this is: not valid\n")
        text = await reply_text(await fake.slash("kb reload", {}, user="mod"))
        assert "problem(s), so I kept the knowledge I had" in text and "olmo.yaml" in text
        assert bot.engine.kb is kb
        embed = await ask(fake, "is the open allen model ok commercially?")
        assert "OLMo" in embed["title"]
    finally:
        family.write_bytes(original)
        overlay.unlink()
        await (await fake.slash("kb reload", {}, user="mod")).message()


# -- privacy and stats -------------------------------------------------------------------------------


async def test_privacy_forget_deletes_a_members_questions_and_votes(fake, bot):
    unanswered = "is the forgettable model 4 ok for commercial use"
    await ask(fake, unanswered, user="bob")
    h = await fake.slash("ask", {"question": "is mistral 7b apache"}, user="bob")
    answer = await h.message()
    await eventually(lambda: bot.storage.get_answer(int(answer["id"])))
    await (await fake.click("rb:vote:down", message=answer, user="bob")).response()
    await eventually(lambda: queued(bot, unanswered))
    assert await bot.storage.vote_counts(int(answer["id"])) == (0, 1)

    prompt = await fake.slash("privacy forget", {}, user="bob")
    cb = await prompt.response()
    bob = fake.user_id("bob")
    assert is_ephemeral(cb) and custom_ids(cb["data"]) == [f"rb:forget:yes:{bob}", f"rb:forget:no:{bob}"]
    message = await prompt.message()
    other = await (await fake.click(f"rb:forget:yes:{bob}", message=message, user="alice")).response()
    assert other["data"]["content"] == NOT_YOURS and await queued(bot, unanswered) is not None
    done = await (await fake.click(f"rb:forget:yes:{bob}", message=message, user="bob")).response()
    assert (
        done["type"] == 7
        and done["data"]["content"].startswith("Done: deleted")
        and not done["data"]["components"]
    )
    assert await queued(bot, unanswered) is None
    assert await bot.storage.vote_counts(int(answer["id"])) == (0, 0)
    assert await bot.storage.get_answer(int(answer["id"])) is None

    again = await fake.slash("privacy forget", {}, user="bob", dm=True)  # works in DMs too
    cancelled = await (
        await fake.click(f"rb:forget:no:{bob}", message=await again.message(), user="bob")
    ).response()
    assert cancelled["data"]["content"] == FORGET_CANCELLED


async def test_privacy_purge_lets_a_moderator_delete_another_members_data(fake, bot):
    question = "is the purgeable model 6 ok for commercial use"
    await ask(fake, question, user="carol")
    await eventually(lambda: queued(bot, question))
    cb = await (await fake.slash("privacy purge", {"user": "carol"}, user="mod")).response()
    assert is_ephemeral(cb) and cb["data"]["content"].startswith("Deleted or anonymised")
    assert await queued(bot, question) is None
    row = (await bot.storage.history(limit=1, scope="all"))[0]
    assert row["action"] == "purge" and str(fake.user_id("carol")) not in repr(row)  # audited, not identified
    await log_post_containing(fake, "purged a member's stored data")


async def test_stats_returns_this_servers_numbers(fake, bot):
    # its own question (it used to rely on earlier tests having asked one: order-dependent)
    await (
        await fake.send_message(mention(fake, "is mistral 7b free for commercial use"), author="carol")
    ).reply()
    await bot.storage.flush()  # stats rows are written behind, within FLUSH_DELAY
    cb = await (await fake.slash("stats", {}, user="mod")).response()
    assert is_ephemeral(cb)
    embed = callback_embed(cb)
    assert embed["title"] == "riderbot in this server, last 30 days"
    body = embed["description"]
    assert body.startswith("```") and "Last 30 days:" in body and "% answered" in body and "Feedback:" in body
    questions = int(body.split("days: ")[1].split(" questions")[0])
    assert questions >= 1


async def test_retention_runs_daily_and_removes_old_decided_entries(fake, bot):
    cog = bot.get_cog("Privacy")
    assert cog.retention.is_running() and cog.retention.hours == 24
    entry_id = await seed(fake, bot, "is the ancient model 8 ok for commercial use")
    await bot.storage.dismiss(entry_id, "other", None, scope="all")
    await bot.storage._raw(
        "UPDATE queue SET decided_at = ? WHERE id = ?",
        time.time() - (bot.settings.retention_days + 1) * 86400,
        entry_id,
    )
    await cog.apply_retention()  # what the loop runs every day
    assert await bot.storage.get_entry(entry_id, scope="all") is None
