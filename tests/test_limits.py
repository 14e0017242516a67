"""Issue 13, "limits and abuse", at the sizes the issue names: a /review export of 10,000 open
1,000-character questions through the fake Discord (10 MiB upload limit) is never a 413; the open
queue is trimmed to its cap while questions are being logged, without anyone calling trim_queue; at
RIDERBOT_LOG_LEVEL=DEBUG discord.py's payload loggers stay at INFO unless RIDERBOT_DISCORD_DEBUG asks."""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import random
import time

import discord
import pytest

from bot.client import PAYLOAD_LOGGERS, setup_logging
from bot.engine import Engine
from bot.settings import Settings
from bot.storage import Asked, open_storage
from bot.storage.queue import TRIM_EVERY
from fakediscord import FakeDiscord
from tests.helpers import running_bot


def thousand_characters(rng: random.Random) -> str:
    """1,000 characters that barely compress (base64 of random bytes: gzip keeps about 3/4)."""
    return base64.urlsafe_b64encode(rng.randbytes(750)).decode()


async def add_open_entries(store, texts: list[str], guild_id: int) -> None:
    """Open queue rows straight into the table (the export reads nothing else): quicker than
    log_question or bench_storage.fill, which also index every word for grouping."""
    from bot.storage.sql import many

    now = time.time()

    def body():
        yield many(
            "INSERT INTO queue (question, normalized, first_seen, last_seen, guild_id, outcome)"
            " VALUES (?,?,?,?,?,?)",
            [(t, t.lower(), now, now, guild_id, "unanswered") for t in texts],
        )

    await store._write(body)


async def test_exporting_10k_open_1000_character_questions_is_never_a_413(shipped_kb, tmp_path):
    db = tmp_path / "riderbot.db"
    rng = random.Random(13)
    async with FakeDiscord(default_timeout=20) as fake:  # Discord's default 10 MiB per message
        store = await open_storage(db)
        await add_open_entries(store, [thousand_characters(rng) for _ in range(10_000)], fake.guild_id)
        await store.close()
        async with running_bot(fake, Engine(shipped_kb), db):
            h = await fake.slash("review export", {}, user="mod")
            first = await h.followup(timeout=30)
            uploads = lambda: [r for r in fake.requests_matching("POST", "/webhooks/{id}/{token}") if r.files]  # noqa: E731
            await asyncio.sleep(0.3)
            assert uploads() and all(r.status == 200 for r in uploads()), [r.status for r in uploads()]
            assert all(r.files[0]["size"] <= fake.upload_limit for r in uploads())
            assert "10,000 row(s)" in first["content"] and "gzip-compressed" in first["content"]
            rows = 0
            for upload in uploads():
                lines = gzip.decompress(upload.files[0]["data"]).decode().splitlines()
                assert lines[0].startswith("id,")
                rows += len(lines) - 1
            assert rows == 10_000


async def test_the_open_queue_is_capped_while_questions_are_logged(storage_target):
    store = await open_storage(storage_target, queue_max_open=100, queue_expire_days=30)
    try:
        for wave in range(0, TRIM_EVERY + 100, 100):
            await asyncio.gather(
                *(
                    store.log_question(Asked(f"is zq{i}x ok for commercial use", "unanswered", guild_id=1))
                    for i in range(wave, wave + 100)
                )
            )
        for _ in range(100):  # the trim runs in the background after the TRIM_EVERY-th new entry
            if await store.count_queue(scope="all") <= 200:
                break
            await asyncio.sleep(0.05)
        assert await store.count_queue(scope="all") <= 200  # capped at 100, then 100 more since
    finally:
        await store.close()


@pytest.mark.parametrize("discord_debug", [False, True], ids=["default", "asked-for"])
def test_debug_logging_keeps_discord_payload_loggers_at_info_unless_asked(monkeypatch, discord_debug):
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **kwargs: None)  # keep pytest's handlers
    before = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    root = logging.getLogger().level
    try:
        logging.getLogger().setLevel(logging.DEBUG)  # what discord.utils.setup_logging(DEBUG) does
        setup_logging(Settings(log_level="DEBUG", discord_debug=discord_debug))
        levels = {name: logging.getLogger(name).getEffectiveLevel() for name in PAYLOAD_LOGGERS}
        expected = logging.DEBUG if discord_debug else logging.INFO
        assert levels == dict.fromkeys(PAYLOAD_LOGGERS, expected)
        assert logging.getLogger("riderbot").getEffectiveLevel() == logging.DEBUG
    finally:
        logging.getLogger().setLevel(root)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
