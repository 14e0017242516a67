"""Issue 12 end to end: riderbot in three servers of the fake Discord (A and B, two communities, and M,
the maintainer server: RIDERBOT_MAINTAINER_GUILD), and every moderator and maintainer command run by
five people: a plain member (of A), a moderator of the other server (B's, against A's entries), the
same commands in a DM, a moderator of the maintainer server, and the application's owner (a plain
member of A who moderates nothing).

Each run is checked for what it shows (no other server's question text, user ids or channel
mentions in any reply, embed, file or log-channel post; entries forwarded to the maintainers are
shown to maintainers, without their askers) and for what it changes (nothing outside the invoker's
scope). One table, one bot for the module."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass

import pytest
import pytest_asyncio

from bot.cogs.checks import NOT_MAINTAINER, NOT_MODERATOR
from bot.cogs.review import NO_ENTRY
from bot.engine import Engine
from bot.knowledge import default_knowledge_dir
from bot.storage import Asked, Storage
from fakediscord import FakeDiscord
from tests.helpers import assert_no_pings, make_bot, mention, outgoing_message_bodies

pytestmark = pytest.mark.asyncio(loop_scope="module")

QA = "is the zorblax a1 model from our lab fine commercially"  # server A's own: never leaves A
QF = "is the quuxnet f2 model fine to ship in our app"  # server A's, forwarded to the maintainers
QB = "is the blorp b3 model fine for a paid product"  # server B's
QD = "is the frobnik d4 model ok for research"  # a DM
NOTE = "quuxnet is a new open model, see its card"
DM_ONLY = "That only works in a server."


@dataclass
class World:
    fake: FakeDiscord
    bot: object
    A: int
    B: int
    M: int
    ids: dict[str, int]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("servers")
    knowledge = root / "knowledge"
    shutil.copytree(default_knowledge_dir(), knowledge, ignore=shutil.ignore_patterns("eval"))
    async with FakeDiscord() as fake:
        for name in ("carol", "dave", "erin", "bmod", "mmod", "bowner", "mowner"):
            fake.add_user(name)
        fake.application_owner = fake.add_user("appowner")
        B = fake.add_guild("B", ("general", "mod-log"), owner="bowner")
        M = fake.add_guild("M", ("general", "mod-log"), owner="mowner")
        fake.add_role("B mods", 1 << 5, guild=B)  # Manage Server
        fake.set_roles("bmod", ["B mods"], guild=B)
        fake.add_role("Maintainers", 0, guild=M)  # no permission: the /config modrole role
        fake.set_roles("mmod", ["Maintainers"], guild=M)
        storage = await Storage.open(root / "riderbot.db")
        bot = make_bot(fake, Engine.from_folder(knowledge), storage, maintainer_guild=M)
        bot.log_batch_seconds = 3600.0  # the announcer runs once at start, before anything is queued
        async with fake.run(bot):
            A = fake.guild_id
            for gid, channel in ((A, "mod-log"), (B, "B/mod-log"), (M, "M/mod-log")):
                await storage.set_guild_setting(gid, "log_channel_id", fake.channel_id(channel))
            maintainers_role = next(r for r in bot.get_guild(M).roles if r.name == "Maintainers")
            await storage.set_guild_setting(M, "moderator_role_id", maintainers_role.id)
            ids = {}
            for key, question, guild, channel, user in (
                ("QA", QA, A, "general", "carol"),
                ("QF", QF, A, "general", "carol"),
                ("QB", QB, B, "B/general", "dave"),
                ("QD", QD, None, None, "erin"),
            ):
                ids[key], _ = await storage.log_question(
                    Asked(
                        question,
                        "unanswered",
                        guild,
                        fake.channel_id(channel) if channel else None,
                        fake.user_id(user),
                        unknown_model=" ".join(question.split()[2:4]),
                    )
                )
            await storage.mark_announced(ids.values(), scope="all")
            # A's moderator forwards one entry, teaches a wording and adds an alias for A only
            h = await fake.slash("review forward", {"id": ids["QF"], "note": NOTE}, user="mod")
            assert "Forwarded" in (await h.response())["data"]["content"]
            post = await fake.next_bot_message(channel="M/mod-log")
            assert QF in post["content"] and NOTE in post["content"]
            assert (
                str(fake.user_id("mod")) not in post["content"]
                and str(fake.user_id("carol")) not in post["content"]
            )
            await storage.add_guild_alias(A, "llama-2", "zebuforge", fake.user_id("mod"))
            await storage.teach(
                "is our house model ok to sell", "mistral-7b", None, "commercial-use", guild_id=A, by=None
            )
            await bot.scopes.reload(A)
            yield World(fake, bot, A, B, M, ids)
        await storage.close()


# -- who, and what they may do -----------------------------------------------------------------------

ACTORS = {  # name -> (user, channel, in a DM)
    "member": ("alice", "general", False),
    "other-moderator": ("bmod", "B/general", False),
    "dm": ("alice", None, True),
    "maintainer": ("mmod", "M/general", False),
    "owner": ("appowner", "general", False),
}

OK, MOD, MAINT, DM, NONE = "ok", "refused (moderators)", "refused (maintainers)", "dm", "no entry"


def command_table(ids: dict[str, int], actor: str) -> list[tuple[str, dict, dict[str, str]]]:
    """(command, options, expected outcome per actor); the member is refused everything, the DM
    is told it only works in a server."""
    n = list(ACTORS).index(actor)
    add_model = {
        "family": "llama",
        "id": f"llama-servers-{n}",
        "name": f"Servers Llama {n}",
        "license": "llama-2-community",
        "evidence-url": "https://example.org/servers-llama",
        "evidence-line": "Servers Llama is under the Llama 2 Community License",
    }
    return [
        ("review list", {}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        ("review list", {"scope": "maintainers"}, {"other-moderator": MAINT, "maintainer": OK, "owner": OK}),
        ("review list", {"group": True}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        ("review show", {"id": ids["QA"]}, {"other-moderator": NONE, "maintainer": NONE, "owner": MOD}),
        (
            "review show",
            {"id": ids["QF"], "scope": "maintainers"},
            {"other-moderator": MAINT, "maintainer": OK, "owner": OK},
        ),
        (
            "review resolve",
            {"id": ids["QA"], "topic": "commercial-use", "model": "llama-2"},
            {"other-moderator": NONE, "maintainer": NONE, "owner": MOD},
        ),
        (
            "review resolve",
            {
                "id": ids["QD"],
                "topic": "commercial-use",
                "model": "llama-2",
                "scope": "maintainers",
                "force": True,
            },
            {"other-moderator": MAINT, "maintainer": OK, "owner": OK},
        ),
        (
            "review dismiss",
            {"id": ids["QA"], "reason": "spam"},
            {"other-moderator": NONE, "maintainer": NONE, "owner": MOD},
        ),
        (
            "review forward",
            {"id": ids["QA"], "note": "look"},
            {"other-moderator": NONE, "maintainer": NONE, "owner": MOD},
        ),
        ("review export", {}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        (
            "review export",
            {"scope": "maintainers"},
            {"other-moderator": MAINT, "maintainer": OK, "owner": OK},
        ),
        (
            "kb alias",
            {"model": "mistral-7b", "alias": f"servers mistral {n}"},
            {"other-moderator": OK, "maintainer": OK, "owner": OK},
        ),
        (
            "kb alias",
            {"model": "mistral-7b", "alias": f"servers mistral x{n}", "scope": "everyone"},
            {"other-moderator": MAINT, "maintainer": OK, "owner": OK},
        ),
        (
            "kb unalias",
            {"alias": "zebuforge"},
            {"other-moderator": OK, "maintainer": OK, "owner": MOD},
        ),
        (
            "kb edit",
            {"model": "llama-2", "topic": "attribution-naming"},
            {"other-moderator": MAINT, "maintainer": OK, "owner": OK},
        ),
        ("kb add-model", add_model, {"other-moderator": MAINT, "maintainer": OK, "owner": OK}),
        ("kb reload", {}, {"other-moderator": MAINT, "maintainer": OK, "owner": OK}),
        ("kb history", {}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        ("privacy purge", {"user": "carol"}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        ("stats", {}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
        ("config show", {}, {"other-moderator": OK, "maintainer": OK, "owner": MOD}),
    ]


MAINTAINER_ONLY = {"kb edit", "kb add-model", "kb reload"}


def expected(actor: str, name: str, options: dict, table: dict[str, str]) -> str:
    if actor == "dm":
        return DM
    if actor == "member":
        global_ = name in MAINTAINER_ONLY or options.get("scope") in ("maintainers", "everyone")
        return MAINT if global_ else MOD
    return table[actor]


# -- reading what the bot showed ----------------------------------------------------------------------


async def settle(fake: FakeDiscord, bot, handle) -> dict:
    """The interaction's first callback, once the bot has finished with it (its deferred reply,
    followups and log-channel posts are sent)."""
    callback = await handle.response()
    if callback["type"] == 5:
        await fake.wait_for(
            lambda: handle.original_edits or handle.followups, description="the deferred reply"
        )
    quiet, last = 0, len(fake.requests)
    while quiet < 3:  # nothing new for ~60 ms and nothing in flight
        await asyncio.sleep(0.02)
        now = len(fake.requests)
        quiet = quiet + 1 if now == last and bot._in_flight == 0 else 0
        last = now
    return callback


def shown_since(fake: FakeDiscord, start: int) -> str:
    """Everything the bot sent since ``start``: message bodies (content, embeds, components),
    interaction callbacks, followups, edits, log-channel posts and uploaded files."""
    parts = [json.dumps(body, ensure_ascii=False) for _, body in outgoing_message_bodies(fake, start)]
    for rec in fake.requests[start:]:
        for upload in rec.files or ():
            parts.append(upload["data"].decode("utf-8", "replace"))
    return "\n".join(parts)


def text_of(handle, callback: dict) -> str:
    """The reply's text (content, then embeds), its deferred edit's and followups' after it."""
    out = []
    for body in (callback.get("data") or {}, *handle.original_edits, *handle.followups):
        if body.get("content"):
            out.append(body["content"])
        for embed in body.get("embeds") or ():
            out.append(json.dumps(embed, ensure_ascii=False))
    return "\n".join(out)


def forbidden(world: World, actor: str, name: str) -> list[str]:
    """What ``actor`` must never be shown: other servers' questions, askers and channels."""
    fake = world.fake
    out = [QA, str(fake.user_id("carol")), str(fake.user_id("erin"))]
    out += [f"<#{fake.channel_id(c)}>" for c in ("general", "bot-commands", "mod-log")]
    if actor not in ("maintainer", "owner"):
        out += [QF, NOTE, QD]
    if actor != "other-moderator":
        out += [QB, str(fake.user_id("dave"))]
    if name == "privacy purge":  # the member the moderator named is shown back to them
        out.remove(str(fake.user_id("carol")))
    return out


async def state(world: World) -> dict:
    storage = world.bot.storage
    return {
        "queue": {
            e["id"]: (e["status"], e["count"], e["forwarded_at"])
            for e in await storage.list_queue(status=None, limit=10_000, scope="all")
        },
        "learned": [(r["guild_id"], r["question"]) for r in await storage.learned_rows(all_guilds=True)],
        "aliases": [(a["guild_id"], a["alias"]) for a in await storage.guild_aliases()],
        "kb_edits": [e["id"] for e in await storage.kb_edits()],
        "settings": [await storage.guild_settings(g) for g in (world.A, world.B, world.M)],
        "audit": len(await storage.history(limit=100_000, scope="all")),
    }


# -- the table ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_every_command_shows_and_changes_only_what_the_invoker_may(world, actor):
    fake, bot, ids = world.fake, world.bot, world.ids
    user, channel, dm = ACTORS[actor]
    a_log = fake.channel_id("mod-log")
    for name, options, table in command_table(ids, actor):
        want = expected(actor, name, options, table)
        before = await state(world)
        start = len(fake.requests)
        kwargs = {"user": user, "dm": dm} if dm else {"user": user, "channel": channel}
        handle = await fake.slash(name, options, **kwargs)
        callback = await settle(fake, bot, handle)
        where = f"{actor}: /{name} {options}"
        if want == OK and name == "kb edit":  # the modal: submit it
            assert callback["type"] == 9, where
            field = callback["data"]["components"][0]["components"][0]["custom_id"]
            submitted = await handle.submit_modal({field: f"Credit Meta when you ship it ({actor})."})
            callback = await settle(fake, bot, submitted)
            handle = submitted
        text = text_of(handle, callback)
        shown = shown_since(fake, start)
        for secret in forbidden(world, actor, name):
            assert secret not in shown, f"{where} showed {secret!r}"
        if want == MOD:
            assert text == NOT_MODERATOR, where
        elif want == MAINT:
            assert text == NOT_MAINTAINER, where
        elif want == DM:
            assert text == DM_ONLY, where
        elif want == NONE:
            assert text == NO_ENTRY.format(id=options["id"]), where
        else:
            assert text and "Something went wrong" not in text and "Refused" not in text, f"{where}: {text}"
        after = await state(world)
        if want != OK:
            assert after == before, f"{where} changed something"
        else:
            check_change(world, actor, name, options, before, after, where)
        if actor != "owner":  # nothing in server A's log channel unless done in A
            assert not [r for r in fake.requests[start:] if r.path == f"/channels/{a_log}/messages"], where
    # server A's own data is intact whoever ran the commands
    assert (await bot.storage.get_entry(ids["QA"], scope=world.A))["status"] == "open"
    assert (await bot.storage.get_entry(ids["QF"], scope=world.A))["status"] == "open"
    assert (world.A, "zebuforge") in [(a["guild_id"], a["alias"]) for a in await bot.storage.guild_aliases()]
    assert_no_pings(fake)
    fake.assert_no_unexpected_requests()


def check_change(world: World, actor: str, name: str, options: dict, before: dict, after: dict, where: str):
    """What an allowed command may change: its own server's rows, or (maintainers) every server's
    knowledge; never server A's queue, aliases or settings."""
    a_rows = lambda s: {k: v for k, v in s["queue"].items() if k in (world.ids["QA"], world.ids["QF"])}  # noqa: E731
    assert a_rows(after) == a_rows(before), where
    assert [x for x in after["aliases"] if x[0] == world.A] == [
        x for x in before["aliases"] if x[0] == world.A
    ], where
    assert after["settings"][0] == before["settings"][0], where
    own = {"other-moderator": world.B, "maintainer": world.M, "owner": None}[actor]
    if name == "kb alias" and options.get("scope") is None and actor == "other-moderator":
        assert (world.B, options["alias"]) in after["aliases"] and after["kb_edits"] == before["kb_edits"], (
            where
        )
    elif name in ("kb alias", "kb edit", "kb add-model"):
        assert len(after["kb_edits"]) == len(before["kb_edits"]) + 1, where  # a maintainer edit
    elif name == "review resolve":
        assert (None, QD) in after["learned"], where  # taught every server
    else:
        assert after["kb_edits"] == before["kb_edits"] and after["aliases"] == before["aliases"], where
    if own is not None:
        for i, gid in enumerate((world.A, world.B, world.M)):
            if gid != own:
                assert after["settings"][i] == before["settings"][i], where


async def test_a_servers_own_wordings_and_aliases_answer_only_there(world):
    fake, bot = world.fake, world.bot
    in_a = bot.engine.ask("zebuforge commercial use?", None, bot.scope_for(world.A))
    assert in_a.model == "llama-2"
    for guild in (world.B, world.M, None):
        assert bot.engine.ask("zebuforge commercial use?", None, bot.scope_for(guild)).model != "llama-2"
        assert (
            bot.engine.ask("is our house model ok to sell", None, bot.scope_for(guild)).model != "mistral-7b"
        )
    # and through Discord: a mention in B does not get A's alias
    reply = await (
        await fake.send_message(
            mention(fake, "zebuforge commercial use?"), author="dave", channel="B/general"
        )
    ).reply()
    assert "Llama 2" not in json.dumps(reply)
    reply = await (
        await fake.send_message(mention(fake, "zebuforge commercial use?"), author="carol")
    ).reply()
    assert "Llama 2" in json.dumps(reply)
