"""Shards and several processes.

- RIDERBOT_SHARD_COUNT / RIDERBOT_SHARDS: parsed, and refused in one sentence (exit 2) when wrong;
- one process running several shards (ShardedRiderBot) answers in every shard's servers and keeps
  the health file for `riderbot health`;
- two `riderbot run` processes (shards 0-1 and 2-3 of 4) against the fake Discord and one PostgreSQL
  database: a question logged through one is resolved through the other and then answered by both;
  an alias added for every server in one is used by the other within 2 s. Skipped with one line
  without RIDERBOT_TEST_POSTGRES (.ci/run sets it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.client import RiderBot, ShardedRiderBot, make_bot
from bot.engine import Engine
from bot.health import read_heartbeat
from bot.settings import Settings, SettingsError, parse_shards
from bot.storage import Storage, open_storage
from fakediscord import FakeDiscord
from tests.conftest import POSTGRES_ENV, POSTGRES_HOWTO, _postgres_skipped
from tests.helpers import mention

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.shards-token-value-0123456789abcd"

# The child points discord.py at the fake (as tests/test_shutdown.py does) and drops discord.py's 5 s
# pause between two IDENTIFYs of one process (Discord's identify rate limit; the fake has none).
CHILD = """
import sys, yarl, discord, discord.http, discord.gateway, discord.asset
port = int(sys.argv[1])
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/")
discord.asset.Asset.BASE = f"http://127.0.0.1:{port}/cdn"
async def no_identify_delay(self, shard_id, *, initial=False):
    return None
discord.Client.before_identify_hook = no_identify_delay
from bot.cli import main
sys.exit(main(sys.argv[2:]))
"""


# -- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "shards", "expected"),
    [
        (None, None, (None, None)),
        ("4", None, (4, None)),
        ("4", "0-1", (4, (0, 1))),
        ("4", "0,2", (4, (0, 2))),
        ("8", " 0-1, 5 ,7", (8, (0, 1, 5, 7))),
        ("1", "0", (1, (0,))),
    ],
)
def test_shard_settings_are_parsed(count, shards, expected):
    assert parse_shards(count, shards) == expected
    env = {k: v for k, v in {"RIDERBOT_SHARD_COUNT": count, "RIDERBOT_SHARDS": shards}.items() if v}
    settings = Settings.from_env(env, dotenv=None)
    assert (settings.shard_count, settings.shards) == expected


@pytest.mark.parametrize(
    ("count", "shards", "start"),
    [
        (None, "0-1", "RIDERBOT_SHARDS=0-1 needs RIDERBOT_SHARD_COUNT"),
        ("0", None, "RIDERBOT_SHARD_COUNT must be a whole number from 1"),
        ("four", "0", "RIDERBOT_SHARD_COUNT must be a whole number from 1"),
        ("4", "2-5", "RIDERBOT_SHARDS must be shard numbers from 0 to 3"),
        ("4", "3-1", "RIDERBOT_SHARDS must be shard numbers from 0 to 3"),
        ("4", "a-b", "RIDERBOT_SHARDS must be shard numbers from 0 to 3"),
        ("4", "-1", "RIDERBOT_SHARDS must be shard numbers from 0 to 3"),
        ("4", "0,,1", "RIDERBOT_SHARDS must be shard numbers from 0 to 3"),
    ],
)
def test_bad_shard_settings_are_one_sentence(count, shards, start):
    with pytest.raises(SettingsError) as err:
        parse_shards(count, shards)
    assert str(err.value).startswith(start) and "\n" not in str(err.value)


def test_riderbot_run_with_a_bad_shard_range_exits_2_with_one_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIDERBOT_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN=TOKEN, RIDERBOT_SHARD_COUNT="4", RIDERBOT_SHARDS="3-4")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "riderbot: RIDERBOT_SHARDS must be shard numbers from 0 to 3"
    )
    assert "'3-4'" in lines[0] and "Traceback" not in proc.stderr


def test_make_bot_picks_the_class_from_the_settings(shipped_kb):
    engine = Engine(shipped_kb)
    plain = make_bot(engine, None, Settings())  # type: ignore[arg-type]
    assert type(plain) is RiderBot
    sharded = make_bot(engine, None, Settings(shard_count=4, shards=(2, 3)))  # type: ignore[arg-type]
    assert isinstance(sharded, ShardedRiderBot) and isinstance(sharded, RiderBot)
    assert sharded.shard_count == 4 and sharded.shard_ids == [2, 3]
    assert sharded.served_shards() == (4, (2, 3)) and plain.served_shards() is None
    every = make_bot(engine, None, Settings(shard_count=3))  # type: ignore[arg-type]
    assert every.served_shards() == (3, (0, 1, 2))


# -- several shards in one process -------------------------------------------------------------------


async def _guilds_for(fake: FakeDiscord, sides: list[set[int]]) -> list[int]:
    """One guild per set of shards (adding guilds until each set has one)."""
    n = 0
    while True:
        found = [next((g for g in fake.guilds if fake.shard_of(g) in side), None) for side in sides]
        if all(g is not None for g in found):
            return [g for g in found if g is not None]
        fake.add_guild(f"g{n}")
        n += 1
        await asyncio.sleep(0.002)


def _channel(fake: FakeDiscord, guild: int) -> str:
    return "general" if guild == fake.guild_id else f"{fake.guilds[guild]}/general"


async def test_one_process_with_two_shards_answers_in_both_and_keeps_the_health_file(tmp_path, shipped_kb):
    async with FakeDiscord(shard_count=2, heartbeat_interval_ms=200) as fake:
        guilds = await _guilds_for(fake, [{0}, {1}])
        storage = await Storage.open(tmp_path / "riderbot.db")
        health = tmp_path / "riderbot.health"
        settings = Settings(shard_count=2, health_file=health)
        bot = make_bot(
            Engine(shipped_kb), storage, settings, guild_ready_timeout=0.05, http_trace=fake.loopback_guard()
        )
        try:
            async with fake.run(bot, timeout=10):
                await fake.wait_until_connected()
                assert sorted(bot.shards) == [0, 1]
                for guild in guilds:
                    ex = await fake.send_message(
                        mention(fake, "is mistral 7b ok for commercial use"), channel=_channel(fake, guild)
                    )
                    assert "Mistral 7B" in json.dumps(await ex.reply(timeout=10))
                await fake.wait_for(lambda: read_heartbeat(health), timeout=5, description="the health file")
                assert set(bot._ack_times) == {0, 1} and time.time() - read_heartbeat(health)["at"] < 5
        finally:
            await storage.close()


# -- two processes, one PostgreSQL database --------------------------------------------------------

QUESTION = "is frobnicator 9 ok for commercial use?"
ALIAS = "zorblatrix"


async def _start(fake: FakeDiscord, url: str, shards: str, folder: Path) -> asyncio.subprocess.Process:
    await asyncio.to_thread(folder.mkdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIDERBOT_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=TOKEN,
        RIDERBOT_DB=url,
        RIDERBOT_SHARD_COUNT="4",
        RIDERBOT_SHARDS=shards,
        RIDERBOT_HEALTH_FILE=str(folder / "riderbot.health"),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(fake.port),
        "run",
        cwd=folder,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _health(folder: Path, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIDERBOT_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), RIDERBOT_DB=url, RIDERBOT_HEALTH_FILE=str(folder / "riderbot.health"))
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "health"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _answered_within(
    fake: FakeDiscord, guild: int, question: str, users: list[str], seconds: float
) -> float:
    """Ask ``question`` in ``guild`` (a new asker each time: the cooldown) until the reply is about
    Mistral 7B; the seconds that took. Fails after ``seconds``."""
    start = time.monotonic()
    for user in users:
        ex = await fake.send_message(mention(fake, question), author=user, channel=_channel(fake, guild))
        reply = await ex.reply(timeout=20)
        if "Mistral 7B" in json.dumps(reply):
            return time.monotonic() - start
        if time.monotonic() - start > seconds:
            break
        await asyncio.sleep(0.2)
    raise AssertionError(f"{question!r} in {guild} not answered with Mistral 7B within {seconds} s")


async def test_two_processes_with_different_shards_share_one_postgresql_database(tmp_path, request):
    from tests.pg import temporary_database

    if not os.environ.get(POSTGRES_ENV):  # counted in the one line the PostgreSQL skips print
        _postgres_skipped.append(request.node.nodeid)
        pytest.skip(POSTGRES_HOWTO)

    with temporary_database(os.environ[POSTGRES_ENV]) as url:
        async with FakeDiscord(shard_count=4, default_timeout=20.0) as fake:
            ga, gb = await _guilds_for(fake, [{0, 1}, {2, 3}])  # served by process A, by process B
            users = [fake.add_user(f"asker{i}")["username"] for i in range(24)]
            a = await _start(fake, url, "0-1", tmp_path / "A")
            b = await _start(fake, url, "2-3", tmp_path / "B")
            store = await open_storage(url)
            out = {}
            try:
                await fake.wait_until_connected(timeout=60)
                await fake.wait_for(lambda: fake.global_commands, timeout=30, description="command sync")
                assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 4), (1, 4), (2, 4), (3, 4)]

                # A (shard 0 has the DMs) logs the question it cannot answer ...
                await (await fake.send_message(QUESTION, author="alice", dm=True)).reply(timeout=20)
                deadline = time.monotonic() + 10
                while not (entries := await store.list_queue(scope="maintainers")):
                    assert time.monotonic() < deadline, "the question was not logged"
                    await asyncio.sleep(0.05)
                assert [e["question"] for e in entries] == [QUESTION]

                # ... B resolves it for every server (the application's owner, in a server on B's shards) ...
                handle = await fake.slash(
                    "review resolve",
                    {
                        "id": entries[0]["id"],
                        "topic": "commercial-use",
                        "model": "mistral-7b",
                        "scope": "maintainers",
                    },
                    user="owner",
                    channel=_channel(fake, gb),
                )
                resolved = await handle.message(timeout=60)
                assert resolved["content"].startswith(f"Resolved #{entries[0]['id']}"), resolved
                # ... and both answer it: A within 2 s (through the change follower), B at once
                took_a = await _answered_within(fake, ga, QUESTION, users[:8], 2.0)
                await _answered_within(fake, gb, QUESTION, users[8:10], 0.0)

                # an alias for every server added through B is used by A within 2 s
                handle = await fake.slash(
                    "kb alias",
                    {"model": "mistral-7b", "alias": ALIAS, "scope": "everyone"},
                    user="owner",
                    channel=_channel(fake, gb),
                )
                added = await handle.message(timeout=60)
                assert "added the alias" in added["content"], added
                took_alias = await _answered_within(
                    fake, ga, f"is {ALIAS} ok for commercial use?", users[10:18], 2.0
                )
                await _answered_within(fake, gb, f"is {ALIAS} ok for commercial use?", users[18:20], 0.0)

                # `riderbot health` works per process (each its own health file)
                health = await asyncio.gather(_health(tmp_path / "A", url), _health(tmp_path / "B", url))
                assert [h.returncode for h in health] == [0, 0], [h.stdout + h.stderr for h in health]
            finally:
                await store.close()
                for proc in (a, b):
                    if proc.returncode is None:
                        proc.send_signal(signal.SIGTERM)
                for name, proc in (("A", a), ("B", b)):
                    try:
                        await asyncio.wait_for(proc.wait(), 15)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
                    out[name] = (await proc.stdout.read()).decode()
    assert (a.returncode, b.returncode) == (0, 0), out
    assert took_a < 2.0 and took_alias < 2.0
    assert "shards 0,1 of 4 in this process" in out["A"] and "shards 2,3 of 4 in this process" in out["B"]
    assert "applied the maintainers' edits made by another process" in out["A"], out["A"][-3000:]
    assert TOKEN not in out["A"] + out["B"]


def test_the_scale_compose_file_gives_each_bot_the_tested_grace_period():
    """docker-compose.scale.yml: PostgreSQL and two bot processes on different shards of the same
    count, each with at least the stop_grace_period whose shutdown budget test_discord_process checks."""
    import yaml

    from tests.test_discord_process import grace_period

    compose = yaml.safe_load((ROOT / "docker-compose.scale.yml").read_text())
    bots = {name: s for name, s in compose["services"].items() if name != "db"}
    assert len(bots) == 2 and compose["services"]["db"]["image"].startswith("postgres")
    shards = []
    for service in bots.values():
        env = service["environment"]
        assert env["RIDERBOT_DB"].startswith("postgresql://") and env["RIDERBOT_SHARD_COUNT"] == "4"
        count, mine = parse_shards(env["RIDERBOT_SHARD_COUNT"], env["RIDERBOT_SHARDS"])
        shards.extend(mine or ())
        assert float(service["stop_grace_period"].rstrip("s")) >= grace_period()
    assert sorted(shards) == [0, 1, 2, 3]
