"""`riderbot run` as a real process against the fake Discord: it answers, logs one line per
question without the question text or the token, and on SIGTERM finishes and exits 0 within 5 s
with a clean database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from pathlib import Path

from fakediscord import FakeDiscord
from tests.helpers import mention

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.secret-token-value-0123456789abcd"

# The child patches discord.py's three base URLs to the fake, then runs the real command line.
CHILD = """
import sys, yarl, discord, discord.http, discord.gateway, discord.asset
port = int(sys.argv[1])
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/")
discord.asset.Asset.BASE = f"http://127.0.0.1:{port}/cdn"
from bot.cli import main
sys.exit(main(["run"]))
"""


async def test_sigterm_exits_0_quickly_with_clean_database_and_no_secrets_in_logs(tmp_path):
    db = tmp_path / "riderbot.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIDERBOT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=TOKEN,
        RIDERBOT_DB=str(db),
        RIDERBOT_LOG_LEVEL="DEBUG",
        RIDERBOT_HEALTH_FILE=str(tmp_path / "hb.json"),
    )
    async with FakeDiscord(default_timeout=20.0) as fake:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            str(fake.port),
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_until_connected(timeout=30)
            await fake.wait_for(lambda: fake.global_commands, timeout=20, description="command sync")
            alice = str(fake.user_id("alice"))
            question = "can i train my own model on llama 2 outputs, asking for my secret project"
            reply = await (await fake.send_message(mention(fake, question))).reply(timeout=20)
            assert reply["embeds"]
            await fake.send_message(mention(fake, "is XTTS ok for commercial use?"))
            await fake.next_bot_message(timeout=20)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), timeout=5)
            took = time.monotonic() - start
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        out = (await proc.stdout.read()).decode() + (await proc.stderr.read()).decode()
    assert code == 0, out
    assert took < 5
    assert TOKEN not in out and "secret-token-value" not in out
    # no log line carries the question text or the asker's id unless RIDERBOT_LOG_QUESTIONS is on: even at
    # RIDERBOT_LOG_LEVEL=DEBUG, discord.py's gateway/HTTP loggers and aiosqlite's stay at INFO (they would
    # dump whole events, request bodies and SQL parameters)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines()]
    ours = [line for line in lines if re.search(r"\sriderbot[\w.]*\s", line)]
    assert ours, out[:3000]
    assert not any("secret project" in line or alice in line for line in lines), out[:5000]
    assert "answered model=llama-2 topic=outputs-training verdict=no" in out
    assert "unanswered model=None topic=commercial-use" in out
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2, out[
            -3000:
        ]  # buffered rows were flushed
        assert con.execute("SELECT COUNT(*) FROM queue").fetchone()[0] == 1
    finally:
        con.close()
