"""End-to-end part of `riderbot bench`: a burst of mentions through the real discord.py client,
the whole bot (cogs, storage, rendering) and the fake Discord, in one process.

The fake Discord is its own package (``fakediscord/`` in the repository, installed by `make`); the
wheel does not ship it, so an installed riderbot skips this part with a sentence saying why.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.client import RiderBot
from bot.engine import Engine
from bot.settings import Settings
from bot.storage import Storage


async def e2e_burst(burst: int = 500, users: int = 100, channels: int = 10) -> dict[str, Any]:
    """Raises ImportError when the fakediscord package is not installed."""
    try:
        from fakediscord import FakeDiscord
    except ImportError:
        raise ImportError(
            "the fake Discord is not installed (pip install -e ./fakediscord from a checkout)"
        ) from None

    logging.getLogger("discord").setLevel(logging.WARNING)
    questions = [
        "can i train my own model on llama 2 outputs?",
        "is mistral 7b ok for commercial use",
        "is llama 3.2 vision banned in the eu",
        "who owns images made with sdxl",
        "can i use llama commercially",
        "is XTTS ok for commercial use?",
        "does qwen 1 have a user limit",
        "deepseek r1 distillation allowed?",
    ]
    with tempfile.TemporaryDirectory(prefix="riderbot-e2e-") as tmp:
        engine = Engine.from_folder()
        async with FakeDiscord(default_timeout=60.0) as fake:
            names = [f"user{i}" for i in range(users)]
            for name in names:
                fake.add_user(name)
            # Spread over channels as a bot in a busy server sees it: discord.py sends one request at a
            # time per channel route until Discord's rate-limit headers say more are allowed.
            rooms = [f"room{i}" for i in range(channels)]
            for room in rooms:
                fake.add_channel(room)
            settings = Settings(db_path=Path(tmp) / "bench.db", message_content=False, health_file=None)
            storage = await Storage.open(settings.db_path)
            bot = RiderBot(
                engine, storage, settings, guild_ready_timeout=0.05, http_trace=fake.loopback_guard()
            )
            async with fake.run(bot, timeout=30.0):
                sent_at: dict[str, float] = {}
                arrivals: dict[str, float] = {}
                seen = 0

                def collect() -> bool:
                    nonlocal seen
                    now = time.perf_counter()
                    for msg in fake.bot_messages[seen:]:
                        ref = (msg.get("message_reference") or {}).get("message_id")
                        if ref in sent_at and ref not in arrivals:
                            arrivals[ref] = now
                    seen = len(fake.bot_messages)
                    return len(arrivals) >= burst

                # the collector runs beside the sender, so each reply is timed when it arrives
                collector = asyncio.create_task(
                    fake.wait_for(collect, timeout=120.0, description=f"{burst} replies")
                )
                start = time.perf_counter()
                for i in range(burst):  # every user stays within the per-user cooldown (5 per 30 s)
                    ex = await fake.send_message(
                        f"<@{fake.application_id}> {questions[i % len(questions)]}",
                        author=names[i % users],
                        channel=rooms[i % channels],
                    )
                    sent_at[str(ex.id)] = time.perf_counter()
                await collector
                elapsed = time.perf_counter() - start
            await storage.close()
    rtts = sorted(arrivals[k] - sent_at[k] for k in arrivals)
    return {
        "burst": burst,
        "users": users,
        "channels": channels,
        "answers": len(arrivals),
        "seconds": round(elapsed, 3),
        "answers_per_s": round(len(arrivals) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(rtts), 1),
        "p99_ms": round(1000 * rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], 1),
    }
