"""Issue 13 driven from outside: an unmodified `riderbot run` process against the fake Discord on
127.0.0.1, a burst of distinct unanswered mentions from many members, and then

- SIGKILL mid-burst: every question the bot replied "I've logged the question" to is in the queue
  (acknowledged vs stored, 0 lost);
- SIGTERM with a 10,000-entry queue and a burst in flight: the process exits 0 well inside
  docker-compose's stop_grace_period, with every acknowledged question stored and the database clean;
- SIGTERM while another process keeps the database locked (longer than the busy timeout): the
  questions waiting for it are told it was not stored, and the process still exits inside the grace
  period; the shutdown's own time limits add up to less than the grace period.

The replies are matched to their questions by message_reference, so a reply counts only for the
question it answers."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from pathlib import Path

from bot.bench_storage import fill, questions
from bot.client import DRAIN_SECONDS, STOP_WAIT_SECONDS
from bot.rendering.common import NOT_LOGGED
from bot.storage import open_storage
from bot.storage.core import CLOSE_SECONDS
from fakediscord import FakeDiscord
from tests.helpers import mention
from tests.test_shutdown import CHILD, TOKEN
from tests.test_storage_faults import locked

ROOT = Path(__file__).resolve().parent.parent
LOGGED = "I've logged the question"
MEMBERS = 100  # 5 questions each: within the per-member cooldown (5 per 30 s)


def grace_period() -> float:
    """docker-compose.yml's stop_grace_period: how long `docker compose stop` waits before SIGKILL."""
    text = (ROOT / "docker-compose.yml").read_text()
    match = re.search(r"^\s*stop_grace_period:\s*(\d+)s\s*$", text, re.M)
    assert match, "docker-compose.yml sets no stop_grace_period in seconds"
    return float(match.group(1))


async def start_riderbot(
    fake: FakeDiscord, tmp_path: Path, db: Path
) -> tuple[asyncio.subprocess.Process, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIDERBOT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=TOKEN,
        RIDERBOT_DB=str(db),
        RIDERBOT_HEALTH_FILE=str(tmp_path / "hb.json"),
    )
    log = tmp_path / "riderbot.log"
    with log.open("wb") as out:  # a file, not a pipe nobody reads: the bot must never block on its log
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            str(fake.port),
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    await fake.wait_until_connected(timeout=30)
    await fake.wait_for(lambda: fake.global_commands, timeout=30, description="command sync")
    return proc, log


def question(i: int) -> str:
    return f"is zq{i}x ok for commercial use?"


class Burst:
    """Distinct unanswered mentions from MEMBERS members, sent as fast as the fake takes them."""

    def __init__(self, fake: FakeDiscord, count: int):
        self.fake, self.count = fake, count
        self.sent: dict[str, int] = {}  # message id -> question number
        for m in range(MEMBERS):
            fake.add_user(f"member{m}")

    async def send(self, in_flight: int | None = None) -> None:
        """Waves of 50; with ``in_flight``, a wave waits until at most that many are unanswered, so a
        kill always finds questions sent and not yet replied to (and some never sent)."""
        for wave in range(0, self.count, 50):
            if in_flight is not None:
                await self.fake.wait_for(
                    lambda wave=wave: len(self.acknowledged()) >= wave - in_flight,
                    timeout=60,
                    description="the bot catching up",
                )
            for i in range(wave, min(wave + 50, self.count)):
                ex = await self.fake.send_message(
                    mention(self.fake, question(i)), author=f"member{i % MEMBERS}"
                )
                self.sent[str(ex.id)] = i

    def acknowledged(self) -> set[int]:
        """Question numbers the bot replied "I've logged the question" to."""
        out = set()
        for m in self.fake.bot_messages:
            ref = (m.get("message_reference") or {}).get("message_id")
            text = " ".join(e.get("description") or "" for e in m.get("embeds") or [])
            if ref in self.sent and LOGGED in text:
                out.add(self.sent[ref])
        return out

    def not_logged(self) -> set[int]:
        """Question numbers the bot replied to saying it could NOT log them."""
        out = set()
        for m in self.fake.bot_messages:
            ref = (m.get("message_reference") or {}).get("message_id")
            text = " ".join(e.get("description") or "" for e in m.get("embeds") or [])
            if ref in self.sent and NOT_LOGGED in text:
                out.add(self.sent[ref])
        return out

    def replies(self) -> int:
        return sum(
            1
            for m in self.fake.bot_messages
            if (m.get("message_reference") or {}).get("message_id") in self.sent
        )


def stored_questions(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {q for (q,) in con.execute("SELECT question FROM queue")}
    finally:
        con.close()


async def test_sigkill_mid_burst_loses_no_acknowledged_question(tmp_path):
    db = tmp_path / "riderbot.db"
    async with FakeDiscord(default_timeout=20.0) as fake:
        burst = Burst(fake, 500)
        proc, log = await start_riderbot(fake, tmp_path, db)
        sending = asyncio.create_task(burst.send(in_flight=100))
        try:
            await fake.wait_for(
                lambda: len(burst.acknowledged()) >= 150, timeout=60, description="150 replies"
            )
            proc.send_signal(signal.SIGKILL)  # no close, no flush: the process just stops
            sent_at_kill = len(burst.sent)
            await proc.wait()
            acked = burst.acknowledged()
        finally:
            sending.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    stored = stored_questions(db)
    lost = sorted(i for i in acked if question(i) not in stored)
    print(
        f"SIGKILL mid-burst: sent {sent_at_kill} of 500, acknowledged {len(acked)}, stored {len(stored)}, "
        f"lost {len(lost)}"
    )
    assert len(acked) < sent_at_kill < 500, "the kill must land in the middle of the burst"
    assert lost == [], f"acknowledged {len(acked)}, stored {len(stored)}, lost {len(lost)}: {lost[:10]}"
    assert proc.returncode == -signal.SIGKILL, log.read_text()[-3000:]


async def test_sigterm_with_a_10k_queue_and_a_burst_finishes_well_inside_the_grace_period(tmp_path):
    db = tmp_path / "riderbot.db"
    async with FakeDiscord(default_timeout=20.0) as fake:
        store = await open_storage(db)
        await fill(store, questions(10_000, seed=5), guild_id=fake.guild_id)
        await store.close()
        burst = Burst(fake, 300)
        proc, log = await start_riderbot(fake, tmp_path, db)
        sending = asyncio.create_task(burst.send())
        try:
            await fake.wait_for(lambda: len(burst.acknowledged()) >= 50, timeout=60, description="50 replies")
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)  # what `docker compose stop` sends first
            code = await asyncio.wait_for(proc.wait(), grace_period())
            took = time.monotonic() - start
            acked = burst.acknowledged()
            replies = burst.replies()
        finally:
            sending.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output = log.read_text()
    assert code == 0 and "Traceback" not in output, output[-3000:]
    stored = stored_questions(db)
    lost = sorted(i for i in acked if question(i) not in stored)
    print(
        f"SIGTERM with a 10k queue: exit {code} in {took:.2f} s (grace {grace_period():.0f} s), "
        f"replies {replies}, acknowledged {len(acked)}, lost {len(lost)}"
    )
    assert took < grace_period() / 3, f"shutdown took {took:.2f} s of a {grace_period():.0f} s grace period"
    assert lost == [] and len(stored) >= 10_000 + len(acked)
    con = sqlite3.connect(db)
    try:
        events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        con.close()
    assert events >= replies  # the buffered stats rows were flushed before the exit


def test_the_grace_period_covers_the_longest_shutdown():
    """Worst case: answers drain, then give up on a locked database, then the storage's close waits
    twice (before and after giving up); plus 3 s for discord.py's close and the process exit."""
    longest = DRAIN_SECONDS + STOP_WAIT_SECONDS + 2 * CLOSE_SECONDS
    assert longest + 3 <= grace_period(), f"shutdown may need {longest + 3:g} s, grace {grace_period():g} s"


async def test_sigterm_while_the_database_is_locked_replies_not_stored_and_exits_in_time(tmp_path):
    db = tmp_path / "riderbot.db"
    async with FakeDiscord(default_timeout=20.0) as fake:
        burst = Burst(fake, 100)
        proc, log = await start_riderbot(fake, tmp_path, db)  # RIDERBOT_DB_TIMEOUT: the default 5 s
        try:
            with locked(db):  # another process holds the write lock for longer than that
                await burst.send()
                await asyncio.sleep(0.5)  # the questions are waiting for the lock
                start = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(proc.wait(), grace_period())
                took = time.monotonic() - start
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output = log.read_text()
    told = burst.not_logged()
    print(
        f"SIGTERM with the database locked: exit {code} in {took:.2f} s, {len(told)} of 100 told 'not stored'"
    )
    assert code == 0 and "Traceback" not in output, output[-3000:]
    assert took < DRAIN_SECONDS + STOP_WAIT_SECONDS + 2 * CLOSE_SECONDS + 3 <= grace_period()
    assert burst.acknowledged() == set()  # nothing was stored, so nothing was said to be
    assert len(told) == 100, f"only {len(told)} of 100 were told their question was not stored"
    assert stored_questions(db) == set()


async def test_discord_unreachable_at_start_is_one_sentence_from_the_process(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIDERBOT_")}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN=TOKEN, RIDERBOT_DB=str(tmp_path / "riderbot.db"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(port),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = [line for line in err.decode().splitlines() if line.startswith("riderbot:")]
    assert proc.returncode == 3 and b"Traceback" not in out + err, err.decode()[-3000:]
    assert len(lines) == 1 and lines[0].startswith("riderbot: cannot reach Discord"), err.decode()
    assert TOKEN not in (out + err).decode()
