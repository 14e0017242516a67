"""Operations: stats, health, the Docker image's files."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from bot.cli import main
from bot.health import write_heartbeat

ROOT = Path(__file__).resolve().parents[1]


def test_stats_counts_outcomes_and_never_stores_question_text_in_events(capsys, tmp_path):
    for q in ("llama 2 commercial use?", "is xtts ok for commercial use", "can i use llama commercially"):
        main(["ask", q])
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 3
    assert data["shares"] == {"answered": 0.333, "clarify": 0.333, "unanswered": 0.333}
    assert data["top_models"] == [["llama-2", 1]]
    assert data["top_unanswered"] and data["feedback"]["helpful_ratio"] is None
    import sqlite3

    con = sqlite3.connect(tmp_path / "riderbot-test.db")
    columns = [r[1] for r in con.execute("PRAGMA table_info(events)")]
    assert "question" not in columns and "user_id" not in columns
    assert main(["stats"]) == 0
    assert "3 questions" in capsys.readouterr().out


def test_health_needs_a_recent_heartbeat(capsys, tmp_path, monkeypatch):
    health_file = tmp_path / "hb.json"
    monkeypatch.setenv("RIDERBOT_HEALTH_FILE", str(health_file))
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert "no heartbeat" in out and "riderbot-test.db does not exist" in out
    assert not (tmp_path / "riderbot-test.db").exists()  # health reports a missing database, never creates it
    assert main(["stats"]) == 0  # the bot (or any other command) creates it
    capsys.readouterr()
    write_heartbeat(health_file, 0.05)
    assert main(["health"]) == 0
    out = capsys.readouterr().out
    assert "ok   knowledge" in out and "ok   database" in out and "ok   gateway" in out
    health_file.write_text(json.dumps({"at": time.time() - 3600}))
    assert main(["health"]) == 1
    assert "no heartbeat ACK from Discord for 3600 s" in capsys.readouterr().out
    # the running bot reports that its writes fail (locked, full, deleted...): unhealthy
    write_heartbeat(health_file, 0.05, storage_problem="riderbot.db cannot grow: the disk is full.")
    assert main(["health"]) == 1
    assert (
        "FAIL storage: the bot cannot write to its database: riderbot.db cannot grow"
        in capsys.readouterr().out
    )


def test_health_never_creates_a_missing_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RIDERBOT_DB", str(tmp_path / "nowhere" / "riderbot.db"))
    assert main(["health"]) == 1
    assert "nowhere" in capsys.readouterr().out
    assert not (tmp_path / "nowhere").exists()


def test_dockerfile_runs_as_non_root_with_volume_healthcheck_and_stopsignal():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") == 2  # multi-stage
    assert re.search(r"^USER (?!root|0)", text, re.M)
    assert 'VOLUME ["/data"]' in text and "STOPSIGNAL SIGTERM" in text
    assert "HEALTHCHECK" in text and '"riderbot", "health"' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "*.db", ".pytest_cache"} <= set(ignored)


def test_the_dockerfile_command_line_with_a_missing_token_gives_the_clear_error(tmp_path):
    import os
    import subprocess
    import sys

    text = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1))
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    argv = entrypoint + cmd
    assert argv[0] == "riderbot"
    script = Path(sys.executable).parent / "riderbot"  # the console script this project installs
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN" and not k.startswith("RIDERBOT_")}
    env["RIDERBOT_DB"] = str(tmp_path / "data" / "riderbot.db")  # as the image sets it
    proc = subprocess.run(
        [str(script), *argv[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "riderbot: DISCORD_TOKEN is not set: create an application at "
        "https://discord.com/developers/applications"
    )
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
