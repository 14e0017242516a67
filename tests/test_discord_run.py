"""`riderbot run`: as a process without a usable token it says so in one sentence and exits 2; in a
thread against the fake Discord it connects, answers, and exits cleanly on a fatal gateway close."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.client import run_bot
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.helpers import embed_of, mention, reply_title

ROOT = Path(__file__).resolve().parent.parent


def run_riderbot(tmp_path: Path, token: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN" and not k.startswith("RIDERBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    if token is not None:
        env["DISCORD_TOKEN"] = token
    # a temp working directory, so no .env is read
    return subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("token", "sentence"), [
    (None, "DISCORD_TOKEN is not set"),
    ("not-a-token", "DISCORD_TOKEN does not look like a Discord bot token"),
], ids=["missing", "malformed"])
def test_run_without_a_usable_token_exits_2_with_one_sentence(tmp_path, token, sentence):
    proc = run_riderbot(tmp_path, token)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"riderbot: {sentence}")
    assert "developers/applications" in lines[0]
    assert "Traceback" not in proc.stderr
    if token:
        assert token not in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing created: no database, no log file


@pytest.mark.parametrize(("close_code", "sentence"), [
    (4014, "Message Content intent is not enabled"),  # Discord: "Disallowed intent(s)"
    (4004, "Discord rejected DISCORD_TOKEN"),  # Discord: "Authentication failed"
], ids=["intent-not-enabled", "token-rejected"])
async def test_run_bot_connects_answers_and_exits_2_with_a_sentence_on_a_fatal_close(
        tmp_path, monkeypatch, capsys, close_code, sentence):
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **kwargs: None)  # keep pytest's logging intact
    token = "A" * 24 + "." + "B" * 6 + "." + "C" * 27
    settings = Settings(discord_token=token, db_path=tmp_path / "riderbot.db", message_content=True,
                        health_file=tmp_path / "riderbot.health")
    async with FakeDiscord() as fake:
        runner = asyncio.create_task(asyncio.to_thread(run_bot, settings, None))
        await fake.wait_until_connected(timeout=10)
        assert fake.identifies[0]["token"] == token
        ex = await fake.send_message(mention(fake, "can I use gemma 2 in my saas?"), author="alice")
        assert embed_of(await ex.reply(timeout=10))["title"].startswith(reply_title("yes"))
        await fake.wait_for(lambda: settings.health_file.exists(), description="the health file")
        await fake.drop_connection(code=close_code)
        code = await asyncio.wait_for(runner, 15)
    assert code == 2
    err = capsys.readouterr().err
    assert sentence in err and "Traceback" not in err and token not in err
    assert (tmp_path / "riderbot.db").exists()
