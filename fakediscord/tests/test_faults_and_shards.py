"""The fake's fault injection and sharding, driven by unmodified discord.py clients."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest_asyncio
from discord.ext import commands

from fakediscord import FakeDiscord


class Echo(commands.Bot):
    """Replies "echo: <text>" to every message; records its gateway ACK latency."""

    def __init__(self, fake: FakeDiscord, **options) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            http_trace=fake.loopback_guard(),
            **options,
        )

    async def on_message(self, message: discord.Message) -> None:
        if not message.author.bot:
            await message.channel.send(f"echo: {message.content}")


@pytest_asyncio.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


async def test_a_500_after_the_message_was_created_is_retried_and_deduplicated_by_nonce(fake):
    async with fake.run(Echo(fake)):
        fake.fail_after_next("POST", "/channels/{id}/messages")
        await fake.send_message("hello", author="alice")
        await fake.wait_for(
            lambda: len(fake.requests_matching("POST", "/channels/{id}/messages")) == 2,
            timeout=5,
            description="the retry",
        )
        posts = fake.requests_matching("POST", "/channels/{id}/messages")
        assert [r.status for r in posts] == [500, 200] and posts[
            0
        ].fault == "500 POST /channels/{id}/messages after handling"
        assert posts[0].json["nonce"] == posts[1].json["nonce"]
        assert [m["content"] for m in fake.bot_messages] == ["echo: hello"] and fake.nonce_replays == 1


async def test_without_enforce_nonce_a_retry_would_duplicate(fake):
    async with fake.run(Echo(fake)) as bot:
        channel = bot.get_channel(fake.channel_id("general"))
        fake.fail_after_next("POST", "/channels/{id}/messages")
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        try:
            await bot.http.request(route, json={"content": "raw"})  # no nonce: what the fake guards against
        except discord.HTTPException:
            pass
        assert [m["content"] for m in fake.bot_messages].count("raw") == 2


async def test_a_delayed_callback_misses_the_interaction_deadline(fake):
    fake.interaction_deadline = 0.2
    bot = Echo(fake)
    outcome: list[str] = []

    @bot.tree.command(name="slow")
    async def slow(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("done")
            outcome.append("sent")
        except discord.NotFound as exc:
            outcome.append(f"{exc.status} {exc.code}")

    async with fake.run(bot):
        await bot.tree.sync()
        fake.delay_next("POST", "/interactions/{id}/{token}/callback", 0.4)
        started = time.monotonic()
        await fake.slash("slow")
        await fake.wait_for(lambda: outcome or None, description="the callback")
        assert outcome == ["404 10062"] and time.monotonic() - started >= 0.4


async def test_a_zombie_connection_gets_no_events_and_no_acks_until_woken():
    async with FakeDiscord(heartbeat_interval_ms=100) as fake:
        async with fake.run(Echo(fake)) as bot:
            await fake.wait_for(lambda: fake.heartbeat_acks >= 2, description="ACKs")
            fake.zombie()
            acks, latency = fake.heartbeat_acks, bot.latency
            await fake.send_message("anyone?", author="alice")
            await asyncio.sleep(0.4)
            assert fake.heartbeat_acks == acks and bot.latency == latency and not fake.bot_messages
            assert fake.session(0).conn is not None  # still open
            fake.wake()
            await fake.send_message("now?", author="alice")
            await fake.wait_for(lambda: fake.bot_messages or None, description="an answer after waking")
            await fake.wait_for(lambda: fake.heartbeat_acks > acks, description="ACKs again")


async def test_uploads_over_the_limit_get_413():
    async with FakeDiscord(upload_limit=1000) as fake:
        async with fake.run(Echo(fake)) as bot:
            channel = bot.get_channel(fake.channel_id("general"))
            try:
                await channel.send(
                    file=discord.File(__import__("io").BytesIO(b"x" * 1001), filename="big.bin")
                )
            except discord.HTTPException as exc:
                assert (exc.status, exc.code) == (413, 40005)
            else:
                raise AssertionError("a 1,001-byte upload was accepted with a 1,000-byte limit")
            await channel.send(file=discord.File(__import__("io").BytesIO(b"x" * 1000), filename="ok.bin"))


async def test_shards_split_guilds_and_route_events():
    async with FakeDiscord(shard_count=2) as fake:
        guilds = []
        for n in range(6):  # a snowflake's shard comes from its millisecond: make them in different ones
            guilds.append(fake.add_guild(f"g{n}"))
            await asyncio.sleep(0.002)
        by_shard = {s: [g for g in [fake.guild_id, *guilds] if fake.shard_of(g) == s] for s in (0, 1)}
        assert all(by_shard.values()), by_shard
        bot = commands.AutoShardedBot(
            command_prefix="!",
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            http_trace=fake.loopback_guard(),
        )
        seen: list[tuple[int | None, int]] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            seen.append(
                (message.guild.shard_id if message.guild else None, message.guild.id if message.guild else 0)
            )

        async with fake.run(bot, timeout=10):
            await fake.wait_until_connected()
            assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
            assert {g.id for g in bot.guilds} == {fake.guild_id, *guilds}
            for g in guilds:
                assert bot.get_guild(g).shard_id == fake.shard_of(g) == (g >> 22) % 2
            target = next(g for g in [fake.guild_id, *guilds] if fake.shard_of(g) == 1)
            channel = "general" if target == fake.guild_id else f"{fake.guilds[target]}/general"
            await fake.send_message("hello", author="alice", channel=channel)
            await fake.wait_for(lambda: seen or None, description="the message on shard 1")
            assert seen == [(1, target)]
            frame = fake.dispatched[-1]
            assert frame["t"] == "MESSAGE_CREATE" and frame in fake.session(1).events
            assert frame not in fake.session(0).events


async def test_an_identify_without_the_right_shard_count_is_refused():
    async with FakeDiscord(shard_count=2) as fake:
        bot = Echo(fake)  # not sharded: IDENTIFY says [0, 1]
        task = asyncio.create_task(bot.start("fake.token.x"))
        try:
            await fake.wait_for(lambda: fake.identifies or None, description="an IDENTIFY")
            await fake.wait_for(lambda: task.done(), timeout=5, description="the client giving up")
            exc = task.exception()
            assert isinstance(exc, discord.ConnectionClosed) and exc.code == 4011
        finally:
            await bot.close()


async def test_forum_posts_are_threads_the_bot_sees_with_their_parent(fake):
    fake.add_forum("help")
    bot = Echo(fake)
    async with fake.run(bot):
        forum = bot.get_channel(fake.channel_id("help"))
        assert isinstance(forum, discord.ForumChannel)
        post = await fake.create_post("help", "How do I?", "first message", author="bob")
        reply = await post.reply()
        assert reply["channel_id"] == str(post.channel_id) and reply["content"] == "echo: first message"
        thread = bot.get_channel(post.channel_id)
        assert isinstance(thread, discord.Thread) and thread.parent_id == forum.id


def _guilds_on(fake: FakeDiscord, shards: set[int]) -> list[int]:
    return [g for g in fake.guilds if fake.shard_of(g) in shards]


async def _guild_on_each_side(fake: FakeDiscord, sides: list[set[int]]) -> None:
    """Add guilds until every set of shards has one (a snowflake's shard comes from its millisecond)."""
    n = 0
    while not all(_guilds_on(fake, side) for side in sides):
        fake.add_guild(f"g{n}")
        n += 1
        await asyncio.sleep(0.002)


async def test_two_processes_with_different_shards_share_the_fake_each_getting_its_own_guilds():
    """Two clients, as two processes would run them: shards 0-1 and 2-3 of 4. GET /gateway/bot says
    4 shards; each IDENTIFY is honoured; each client gets only its shards' guilds, and messages and
    slash commands in a guild reach only the client running that guild's shard; DMs go to shard 0."""
    async with FakeDiscord(shard_count=4) as fake:
        sides = [{0, 1}, {2, 3}]
        await _guild_on_each_side(fake, sides)
        seen: dict[int, list[tuple[str, int | None, int | None]]] = {0: [], 1: []}
        bots = []
        for n, side in enumerate(sides):
            bot = commands.AutoShardedBot(
                command_prefix="!",
                intents=discord.Intents.default(),
                guild_ready_timeout=0.05,
                http_trace=fake.loopback_guard(),
                shard_count=4,
                shard_ids=sorted(side),
            )

            async def on_message(message: discord.Message, n: int = n) -> None:
                if message.author.bot:
                    return
                guild = message.guild
                seen[n].append(("message", guild.id if guild else None, guild.shard_id if guild else None))

            bot.add_listener(on_message)

            @bot.tree.command(name="where")
            async def where(interaction: discord.Interaction, n: int = n) -> None:
                seen[n].append(("slash", interaction.guild_id, None))
                await interaction.response.send_message(f"process {n}")

            bots.append(bot)
        async with fake.run(bots[0], timeout=10), fake.run(bots[1], timeout=10):
            await fake.wait_until_connected()
            gateway = await bots[0].http.request(discord.http.Route("GET", "/gateway/bot"))
            assert gateway["shards"] == 4
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 4), (1, 4), (2, 4), (3, 4)]
            for bot, side in zip(bots, sides, strict=True):
                assert sorted(bot.shards) == sorted(side) and bot.shard_count == 4
                assert {g.id for g in bot.guilds} == set(_guilds_on(fake, side))
            await bots[0].tree.sync()
            for n, side in enumerate(sides):
                guild = _guilds_on(fake, side)[0]
                channel = "general" if guild == fake.guild_id else f"{fake.guilds[guild]}/general"
                await fake.send_message("hello", author="alice", channel=channel)
                await fake.wait_for(lambda n=n: seen[n] or None, description=f"the message in client {n}")
                assert seen[n] == [("message", guild, fake.shard_of(guild))] and not seen[1 - n]
                assert fake.dispatched[-1] in fake.session(fake.shard_of(guild)).events
                seen[n].clear()
                answer = await (await fake.slash("where", channel=channel)).response()
                assert answer["data"]["content"] == f"process {n}" and seen[n] == [("slash", guild, None)]
                assert not seen[1 - n]
                seen[n].clear()
            await fake.send_message("psst", author="alice", dm=True)
            await fake.wait_for(lambda: seen[0] or None, description="the DM in client 0")
            assert seen[0] == [("message", None, None)] and not seen[1]
        fake.assert_no_unexpected_requests()
