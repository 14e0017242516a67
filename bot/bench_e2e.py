"""End-to-end part of `riderbot bench`: a burst of mentions through the real discord.py client,
the whole bot (cogs, storage, rendering) and the fake Discord.

With ``queue_entries``, the review queue is first filled with that many distinct open entries of
the same server (the ones the burst's unanswered questions are grouped against), and a lag probe
(a task asking to wake every PROBE_SECONDS) records how late the event loop lets it run: the
longest such delay is the longest stall any gateway heartbeat or other answer could have seen.

``bot_process=True`` runs the bot as it runs in production: ``riderbot run``'s own code
(bot.client.serve) in a process of its own, connected to the fake Discord over loopback, with the
lag probe inside it (``python -m bot.bench_e2e PORT``: SIGUSR1 starts the probe, SIGUSR2 prints
what it saw, SIGTERM stops the bot). Otherwise the bot and the fake share one event loop and one
heap, so the fake's work and its records of every message count too (an upper bound).

The fake Discord is its own package (``fakediscord/`` in the repository, installed by `make`); the
wheel does not ship it, so an installed riderbot skips this part with a sentence saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import sys
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
# the shape of a bot token (the fake accepts any; riderbot run refuses what does not look like one)
BENCH_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.bench-token-value-0123456789abcdef"


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
    burst: int = 500,
    users: int | None = None,
    channels: int = 10,
    queue_entries: int = 0,
    bot_process: bool = False,
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

    discord_log = logging.getLogger("discord")
    level = discord_log.level
    discord_log.setLevel(logging.WARNING)  # the burst's own records, not its log, are the point
    try:
        return await _burst(FakeDiscord, burst, users, channels, queue_entries, bot_process)
    finally:
        discord_log.setLevel(level)


async def _burst(
    FakeDiscord: Any, burst: int, users: int, channels: int, queue_entries: int, bot_process: bool
) -> dict[str, Any]:
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
        async with FakeDiscord(default_timeout=60.0) as fake:
            names = [f"user{i}" for i in range(users)]
            for name in names:
                fake.add_user(name)
            # Spread over channels as a bot in a busy server sees it: discord.py sends one request at a
            # time per channel route until Discord's rate-limit headers say more are allowed.
            rooms = [f"room{i}" for i in range(channels)]
            for room in rooms:
                fake.add_channel(room)
            db_path = Path(tmp) / "bench.db"
            storage = await open_storage(db_path, queue_max_open=0, queue_expire_days=0)
            fill_s = 0.0
            if queue_entries:
                started = time.perf_counter()
                await fill(storage, queue_questions(queue_entries, seed=21), guild_id=fake.guild_id)
                fill_s = time.perf_counter() - started
            if bot_process:
                await storage.close()
                running: Any = _BotProcess(fake, db_path, Path(tmp))
            else:
                settings = Settings(db_path=db_path, message_content=False, health_file=None)
                bot = RiderBot(
                    Engine.from_folder(),
                    storage,
                    settings,
                    guild_ready_timeout=0.05,
                    http_trace=fake.loopback_guard(),
                )
                running = _InProcess(fake, bot)
            async with running as lag:
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
                await lag.start()
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
                lag_max, lag_p99 = await lag.stop()
            storage = await open_storage(db_path, queue_max_open=0, queue_expire_days=0)
            try:
                open_after = await storage.count_queue(scope="all")
            finally:
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
        "lag_max_ms": round(lag_max, 1),
        "lag_p99_ms": round(lag_p99, 1),
        "bot_process": bot_process,
    }


class _InProcess:
    """The bot in the bench's own event loop; the lag probe beside it."""

    def __init__(self, fake: Any, bot: RiderBot):
        self.fake, self.bot, self.probe = fake, bot, LagProbe()

    async def __aenter__(self) -> _InProcess:
        self._run = self.fake.run(self.bot, timeout=30.0)
        await self._run.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.probe.stop()
        await self._run.__aexit__(*exc)
        await self.bot.storage.close()

    async def start(self) -> None:
        self.probe.start()

    async def stop(self) -> tuple[float, float]:
        await self.probe.stop()
        return self.probe.max_ms, self.probe.p99_ms()


class _BotProcess:
    """``riderbot run``'s code in a child process against the fake; its lag probe answers signals."""

    def __init__(self, fake: Any, db_path: Path, folder: Path):
        self.fake, self.db_path, self.folder = fake, db_path, folder
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> _BotProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RIDERBOT_", "DISCORD_"))}
        env.update(
            DISCORD_TOKEN=BENCH_TOKEN,
            RIDERBOT_DB=str(self.db_path),
            RIDERBOT_QUEUE_MAX_OPEN="0",
            RIDERBOT_QUEUE_EXPIRE_DAYS="0",
            RIDERBOT_HEALTH_FILE=str(self.folder / "bench.health"),
            RIDERBOT_LOG_LEVEL="WARNING",
        )
        self._log = open(self.folder / "bot.log", "wb")  # noqa: SIM115, ASYNC230 - closed in __aexit__; a local file
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.bench_e2e",
            str(self.fake.port),
            env=env,
            cwd=self.folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
        )
        try:
            # ready when it has answered a question (knowledge loaded, commands synced, guild seen)
            await self.fake.wait_until_connected(timeout=120.0)
            self.fake.add_user("bench-warmup")
            for _ in range(60):
                ex = await self.fake.send_message(
                    f"<@{self.fake.application_id}> is mistral 7b ok for commercial use",
                    author="bench-warmup",
                    channel="general",
                )
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    await self.fake.wait_for(
                        lambda ex=ex: any(
                            (m.get("message_reference") or {}).get("message_id") == str(ex.id)
                            for m in self.fake.bot_messages
                        ),
                        timeout=2.0,
                        description="the bot process's first answer",
                    )
                    break
            else:
                raise RuntimeError(f"the bot process never answered; its log: {self.folder / 'bot.log'}")
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError(f"the bot process ended; its log: {self.folder / 'bot.log'}")
        return line.decode().strip()

    async def start(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR1)
        assert await self._line() == "probing"

    async def stop(self) -> tuple[float, float]:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR2)
        data = json.loads(await self._line())
        return data["lag_max_ms"], data["lag_p99_ms"]

    async def __aexit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()


def child_main(port: int) -> int:
    """The bot process of ``bot_process=True``: riderbot run (bot.client.serve, settings from the
    environment) against the fake Discord on ``port``, with a lag probe driven by signals."""
    import discord
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    from bot.client import serve

    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/")
    discord.asset.Asset.BASE = f"http://127.0.0.1:{port}/cdn"
    settings = Settings.from_env()
    engine = Engine.from_folder(settings.knowledge_dir)

    async def main() -> None:
        probe = LagProbe()
        loop = asyncio.get_running_loop()

        def start() -> None:
            probe.start()
            print("probing", flush=True)

        async def report() -> None:
            await probe.stop()
            print(json.dumps({"lag_max_ms": probe.max_ms, "lag_p99_ms": probe.p99_ms()}), flush=True)

        loop.add_signal_handler(signal.SIGUSR1, start)
        loop.add_signal_handler(signal.SIGUSR2, lambda: loop.create_task(report()))
        await serve(engine, settings, settings.check_token())

    asyncio.run(main())
    return 0


if __name__ == "__main__":  # pragma: no cover - run by _BotProcess
    sys.exit(child_main(int(sys.argv[1])))
