"""End-to-end part of `riderbot bench`: a burst of mentions through the real discord.py client,
the whole bot (cogs, storage, rendering) and the fake Discord, in one process.

With ``queue_entries``, the review queue is first filled with that many distinct open entries of
the same server (the ones the burst's unanswered questions are grouped against), and a lag probe
(a task asking to wake every PROBE_SECONDS) records how late the event loop lets it run: the
longest such delay is the longest stall any gateway heartbeat or other answer could have seen.
The fake Discord runs in the same event loop, so its own work counts too (an upper bound).

The fake Discord is its own package (``fakediscord/`` in the repository, installed by `make`); the
wheel does not ship it, so an installed riderbot skips this part with a sentence saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.bench_storage import fill
from bot.bench_storage import questions as queue_questions
from bot.client import RiderBot
from bot.engine import Engine
from bot.settings import Settings
from bot.storage import open_storage

PROBE_SECONDS = 0.005


class LagProbe:
    """Wakes every PROBE_SECONDS and keeps the worst lateness (ms) while it runs."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(PROBE_SECONDS)
            late = 1000 * (loop.time() - start - PROBE_SECONDS)
            self.samples.append(late)
            self.max_ms = max(self.max_ms, late)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def p99_ms(self) -> float:
        ordered = sorted(self.samples) or [0.0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def e2e_burst(
    burst: int = 500, users: int | None = None, channels: int = 10, queue_entries: int = 0
) -> dict[str, Any]:
    """Raises ImportError when the fakediscord package is not installed. ``users`` defaults to one
    per 4 mentions (each stays within the per-member cooldown, 5 per 30 s)."""
    users = users or max(100, -(-burst // 4))
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
            storage = await open_storage(settings.db_path, queue_max_open=0, queue_expire_days=0)
            fill_s = 0.0
            if queue_entries:
                started = time.perf_counter()
                await fill(storage, queue_questions(queue_entries, seed=21), guild_id=fake.guild_id)
                fill_s = time.perf_counter() - started
            bot = RiderBot(
                engine, storage, settings, guild_ready_timeout=0.05, http_trace=fake.loopback_guard()
            )
            probe = LagProbe()
            async with fake.run(bot, timeout=30.0):
                sent_at: dict[str, float] = {}
                arrivals: dict[str, float] = {}
                seen = 0
                done = 0  # mentions of this burst with a reply

                def collect() -> bool:
                    nonlocal seen, done
                    now = time.perf_counter()
                    for msg in fake.bot_messages[seen:]:
                        ref = (msg.get("message_reference") or {}).get("message_id")
                        # a reply can come before send_message returns (and its id is known): keep
                        # every reply's time, and count the ones to this burst's mentions
                        if ref is not None and ref not in arrivals:
                            arrivals[ref] = now
                            done += ref in sent_at
                    seen = len(fake.bot_messages)
                    return done >= burst

                # the collector runs beside the sender, so each reply is timed when it arrives
                collector = asyncio.create_task(
                    fake.wait_for(collect, timeout=120.0, description=f"{burst} replies")
                )
                await asyncio.sleep(0.2)  # let start-up work (the first announcer run) finish
                probe.start()
                start = time.perf_counter()
                # with a queue: every other mention a question of its own, most of them logged
                distinct = queue_questions(burst, seed=22) if queue_entries else []
                for i in range(burst):  # every user stays within the per-user cooldown (5 per 30 s)
                    text = distinct[i] if distinct and i % 2 else questions[i % len(questions)]
                    sending = time.perf_counter()
                    ex = await fake.send_message(
                        f"<@{fake.application_id}> {text}",
                        author=names[i % users],
                        channel=rooms[i % channels],
                    )
                    sent_at[str(ex.id)] = sending
                    done += str(ex.id) in arrivals
                    # the fake's send does not wait for the socket: yield, as messages arriving over a
                    # network would, else this loop (not the bot) is what the probe measures
                    await asyncio.sleep(0)
                await collector
                elapsed = time.perf_counter() - start
                await probe.stop()
                open_after = await storage.count_queue(scope="all")
            await storage.close()
    answered = {k: arrivals[k] for k in sent_at if k in arrivals}
    rtts = sorted(answered[k] - sent_at[k] for k in answered)
    return {
        "burst": burst,
        "users": users,
        "channels": channels,
        "answers": len(answered),
        "seconds": round(elapsed, 3),
        "answers_per_s": round(len(answered) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(rtts), 1),
        "p99_ms": round(1000 * rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], 1),
        "queue_entries": queue_entries,
        "queue_after": open_after,
        "fill_s": round(fill_s, 2),
        "lag_max_ms": round(probe.max_ms, 1),
        "lag_p99_ms": round(probe.p99_ms(), 1),
    }
