"""Faults injected through the fake Discord (issue 13), each against its own RiderBot: a slow /ask is
deferred, a missed 3-second deadline loses no question and prints no traceback, a send retried after
a 500 is created once (nonce + enforce_nonce), a zombie gateway fails the health check, the cooldown
covers every reply, Discord unreachable at start-up is one sentence, and a large /review export
fits one upload."""

from __future__ import annotations

import asyncio
import gzip
import logging
import random
import socket
import string

import discord
import pytest
import pytest_asyncio

from bot.cogs.answering import ASK_RATE
from bot.cogs.ask import HOW_TO_ASK
from bot.engine import Engine
from bot.health import run_health
from bot.settings import Settings
from bot.storage import Asked
from fakediscord import FakeDiscord
from tests.helpers import embed_of, eventually, mention, running_bot

UNANSWERED = "is XTTS ok for commercial use?"


@pytest.fixture
def engine(shipped_kb):
    return Engine(shipped_kb)


@pytest_asyncio.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


def tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_slow_ask_is_deferred_then_answered_by_editing(fake, engine, tmp_path):
    async with running_bot(fake, engine, tmp_path / "riderbot.db") as bot:
        ask = bot.get_cog("Ask")
        ask.defer_after = 0.1
        slow = bot.storage.record_event

        async def busy_database(*args, **kwargs):
            await asyncio.sleep(0.4)
            return await slow(*args, **kwargs)

        bot.storage.record_event = busy_database  # the stats write of this question is slow
        h = await fake.slash("ask", {"question": "is mistral 7b free for commercial use"})
        assert (await h.response())["type"] == 5  # "riderbot is thinking..."
        message = await h.message(timeout=3)
        assert "Mistral 7B" in embed_of(message)["title"]
        assert [c["custom_id"] for row in message["components"] for c in row["components"]] == [
            "rb:vote:up",
            "rb:vote:down",
        ]


async def test_a_missed_interaction_deadline_keeps_the_question_and_logs_one_line(
    fake, engine, tmp_path, caplog
):
    fake.interaction_deadline = 0.3
    async with running_bot(fake, engine, tmp_path / "riderbot.db") as bot:
        fake.delay_next(
            "POST", "/interactions/{id}/{token}/callback", 0.5
        )  # Discord gets the answer too late
        with caplog.at_level(logging.INFO):
            h = await fake.slash("ask", {"question": UNANSWERED}, user="bob")
            await fake.wait_for(
                lambda: any(
                    r.status == 404
                    for r in fake.requests_matching("POST", "/interactions/{id}/{token}/callback")
                ),
                description="the late callback",
            )
            entry = await eventually(lambda: bot.storage.list_queue(limit=10, scope="all"))
            await asyncio.sleep(0.2)
        assert not h.callbacks  # Discord never took the answer ...
        assert entry[0]["question"] == UNANSWERED and entry[0]["user_id"] == fake.user_id(
            "bob"
        )  # ... but it is kept
        assert not tracebacks(caplog), [r.getMessage() for r in tracebacks(caplog)]
        assert any("expired before riderbot answered" in r.getMessage() for r in caplog.records)


async def test_a_send_retried_after_a_500_is_created_once(fake, engine, tmp_path):
    async with running_bot(fake, engine, tmp_path / "riderbot.db"):
        fake.fail_after_next("POST", "/channels/{id}/messages")  # Discord created it, then answered 500
        ex = await fake.send_message(mention(fake, "is mistral 7b free for commercial use"), author="alice")
        await ex.reply(timeout=5)
        await fake.wait_for(
            lambda: len(fake.requests_matching("POST", "/channels/{id}/messages")) >= 2,
            timeout=5,
            description="discord.py's retry",
        )
        await fake.assert_no_bot_message(within=0.3)
        posts = fake.requests_matching("POST", "/channels/{id}/messages")
        assert [r.status for r in posts] == [500, 200]
        assert posts[0].json["nonce"] == posts[1].json["nonce"] and posts[1].json["enforce_nonce"] is True
        replies = [
            m for m in fake.bot_messages if (m.get("message_reference") or {}).get("message_id") == str(ex.id)
        ]
        assert len(replies) == 1 and fake.nonce_replays == 1


async def test_a_zombie_gateway_fails_the_health_check(engine, tmp_path, capsys):
    health = tmp_path / "riderbot.health"
    settings = Settings(db_path=tmp_path / "riderbot.db", health_file=health, health_max_age=1.5)
    async with FakeDiscord(heartbeat_interval_ms=200) as fake:
        async with running_bot(fake, engine, settings.db_path, health_file=health):
            await fake.wait_for(lambda: health.exists(), description="the first heartbeat ACK")
            assert await run_health(settings, settings.knowledge_dir) == 0
            fake.zombie()  # the socket stays open; nothing arrives, heartbeats get no ACK
            await asyncio.sleep(2.0)
            capsys.readouterr()
            assert await run_health(settings, settings.knowledge_dir) == 1
            assert "FAIL gateway: no heartbeat ACK from Discord" in capsys.readouterr().out
            fake.wake()
            await asyncio.sleep(1.0)
            assert await run_health(settings, settings.knowledge_dir) == 0


async def test_the_cooldown_covers_bare_mentions_and_over_long_questions(fake, engine, tmp_path):
    async with running_bot(fake, engine, tmp_path / "riderbot.db"):
        start = len(fake.bot_messages)
        for _ in range(12):
            await fake.send_message(mention(fake, ""), author="alice")  # a bare mention
            await fake.send_message(mention(fake, "x" * 1001), author="alice")  # over-long
        await fake.wait_for(lambda: len(fake.bot_messages) >= start + ASK_RATE + 1, description="the replies")
        await fake.assert_no_bot_message(within=0.3)
        replies = [m["content"] for m in fake.bot_messages[start:]]
        assert len(replies) == ASK_RATE + 1  # five replies, one "slow down", then silence
        assert HOW_TO_ASK in replies and any("1,001 characters" in r for r in replies)
        assert replies[-1].startswith("You're asking quickly")
        other = await fake.send_message(mention(fake, ""), author="bob")  # per member
        assert (await other.reply())["content"] == HOW_TO_ASK


def test_discord_unreachable_at_start_is_one_sentence(tmp_path, monkeypatch, capsys):
    from bot.client import EXIT_UNAVAILABLE, run_bot

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **kwargs: None)  # keep pytest's logging
    token = "A" * 24 + "." + "B" * 6 + "." + "C" * 27
    code = run_bot(Settings(discord_token=token, db_path=tmp_path / "riderbot.db", health_file=None))
    err = capsys.readouterr().err
    assert code == EXIT_UNAVAILABLE
    assert err.startswith("riderbot: cannot reach Discord") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and token not in err


async def test_a_large_review_export_fits_one_discord_upload(engine, tmp_path):
    async with FakeDiscord(upload_limit=60_000) as fake:
        async with running_bot(fake, engine, tmp_path / "riderbot.db") as bot:
            rng = random.Random(13)
            for _ in range(150):  # 150 open 1,000-character questions: 150 KB of CSV that barely compresses
                text = " ".join("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(100))
                await bot.storage.log_question(
                    Asked(text, "unanswered", fake.guild_id, None, fake.user_id("bob"))
                )
            h = await fake.slash("review export", {}, user="mod")
            await h.followup(timeout=5)
            await fake.wait_for(lambda: len(h.followups) >= 2 or None, timeout=5, description="the parts")
            await asyncio.sleep(0.2)
            uploads = [r for r in fake.requests_matching("POST", "/webhooks/{id}/{token}") if r.files]
            assert len(uploads) == len(h.followups) >= 2  # split in parts, one file per message
            assert all(r.status == 200 and r.files[0]["size"] <= 60_000 for r in uploads)  # no 413
            assert "150 row(s), gzip-compressed in" in h.followups[0]["content"]
            rows = set()
            for upload in uploads:
                lines = gzip.decompress(upload.files[0]["data"]).decode().splitlines()
                assert lines[0].startswith("id,")  # each part a complete CSV
                rows.update(lines[1:])
            assert len(rows) == 150
