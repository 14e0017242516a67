"""The command line: outputs, JSON shape, stdin mode, exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
JSON_KEYS = {
    "status",
    "model",
    "license",
    "topic",
    "verdict",
    "answer",
    "quotes",
    "url",
    "candidates",
    "unknown_model",
    "confidence",
}


def test_ask_prints_a_readable_answer(capsys):
    assert main(["ask", "can i train my model on llama 2 outputs?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No — The Llama 2 licence forbids")  # the direct reply first
    assert "[No — Llama 2, training on outputs]" in out
    assert "> " in out  # the quoted clause
    assert "Llama 2 Community License" in out
    assert "not legal advice" in out
    assert "https://" in out


def test_ask_json_shape(capsys):
    assert main(["ask", "--json", "is mistral 7b free for commercial use"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(data)
    assert (data["status"], data["model"], data["topic"], data["verdict"]) == (
        "answered",
        "mistral-7b",
        "commercial-use",
        "yes",
    )
    assert data["quotes"] and {"text", "source"} == set(data["quotes"][0])
    assert data["candidates"] is None and data["unknown_model"] is None


def test_ask_json_clarify_and_unanswered(capsys):
    main(["ask", "--json", "can i use llama commercially"])
    clarify = json.loads(capsys.readouterr().out)
    assert clarify["status"] == "clarify"
    assert {
        "model": "llama-2",
        "topic": "commercial-use",
        "verdict": "conditional",
        "reply": "yes",
    } in clarify["candidates"]
    assert {"model": "llama-1", "topic": "commercial-use", "verdict": "no", "reply": "no"} in clarify[
        "candidates"
    ]
    main(["ask", "--json", "is XTTS ok for commercial use?"])
    unanswered = json.loads(capsys.readouterr().out)
    assert (
        unanswered["status"] == "unanswered"
        and unanswered["unknown_model"] == "XTTS"
        and unanswered["verdict"] is None
    )


def test_ask_json_stdin_one_object_per_line_in_order(monkeypatch, capsys):
    questions = [
        "is llama 3.1 ok commercially",
        "how much vram for llama 2 70b",
        "can i use qwen commercially",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["ask", "--json", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["answered", "unanswered", "clarify"]


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["ask"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert main(["ask", "   "]) == 2


def test_broken_knowledge_exits_1(tmp_path, capsys):
    (tmp_path / "topics.yaml").write_text("knowledge_date: x\ntopics: [oops\n")
    assert main(["--knowledge", str(tmp_path), "ask", "hello"]) == 1
    assert "YAML syntax error" in capsys.readouterr().err


def test_chat_answers_and_ends_on_eof():
    from bot.console import run_console
    from bot.engine import Engine

    out = io.StringIO()
    stdin = io.StringIO("is mistral 7b ok for commercial use\n\nx" * 1 + "y" * 1001 + "\n")
    assert run_console(Engine.from_folder(), stdin=stdin, stdout=out) == 0
    text = out.getvalue()
    assert "Yes — Apache 2.0 gives everyone" in text and "[Yes — Mistral 7B, commercial use]" in text
    assert "keep it under 1000" in text
    assert text.rstrip().endswith("bye")


FOLLOWING = "following your earlier question"


def test_chat_keeps_the_conversation_between_lines_and_an_empty_line_starts_over():
    from bot.console import NEW_CONVERSATION, run_console
    from bot.engine import Engine

    out = io.StringIO()
    stdin = io.StringIO(
        "can i train my model on llama 2 outputs?\nand 3.1?\nwhat about redistribution?\n\nand 3.1?\n"
    )
    assert run_console(Engine.from_folder(), stdin=stdin, stdout=out) == 0
    answers = out.getvalue().split("you> ")[1:]
    assert "[No — Llama 2, training on outputs]" in answers[0]
    assert "(Llama 3.1 — training on outputs, following your earlier question)" in answers[1]
    assert "[Yes — Llama 3.1, training on outputs]" in answers[1]
    assert "Llama 3.1 — redistribution" in answers[2] and FOLLOWING in answers[2]
    assert NEW_CONVERSATION in answers[3]
    assert "doesn't look like a licence question" in answers[4] and FOLLOWING not in answers[4]


def test_chat_json_prints_one_ask_json_object_per_message_keeping_the_conversation(monkeypatch, capsys):
    lines = [
        "can i train my model on llama 2 outputs?",
        "and 3.1?",
        "same for qwen 2.5 7b",
        "",  # a new conversation: prints nothing
        "and 3.1?",
        "can I use Qwen2.5-7B in my app and can I fine-tune it?",
        "x" * 1001,
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["chat", "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 6
    first, follow, same, fresh, several, too_long = out
    assert (first["model"], first["topic"], first["reply"], first["assumed"]) == (
        "llama-2",
        "outputs-training",
        "no",
        None,
    )
    assert (follow["model"], follow["topic"], follow["reply"]) == ("llama-3.1", "outputs-training", "yes")
    assert FOLLOWING in follow["assumed"]
    assert (same["model"], same["topic"]) == ("qwen2.5", "outputs-training") and FOLLOWING in same["assumed"]
    assert fresh["status"] == "unanswered" and fresh["model"] is None and fresh["assumed"] is None
    assert [(p["model"], p["topic"]) for p in several["parts"]] == [
        ("qwen2.5", "commercial-use"),
        ("qwen2.5", "fine-tuning-derivatives"),
    ]
    assert {k: v for k, v in several.items() if k != "parts"} == several["parts"][0]  # the first part on top
    assert too_long["status"] == "unanswered" and "1,001 characters" in too_long["error"]
    # exactly the shape `ask --json` prints for the same question
    assert main(["ask", "--json", "can i train my model on llama 2 outputs?"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == set(first)


def test_ask_json_stdin_stays_stateless(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("can i train my model on llama 2 outputs?\nand 3.1?\n"))
    assert main(["ask", "--json", "-"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["model"] == "llama-2"
    assert second["status"] == "unanswered" and second["model"] is None and second["assumed"] is None


def test_chat_json_runs_as_a_process_and_stores_what_it_answers(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RIDERBOT_DB": str(tmp_path / "chat.db")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--json"],
        input="is mistral 7b ok for commercial use\nwhat about redistribution?\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(o["model"], o["topic"]) for o in out] == [
        ("mistral-7b", "commercial-use"),
        ("mistral-7b", "redistribution"),
    ]
    con = sqlite3.connect(tmp_path / "chat.db")
    assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    con.close()


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "llama 3 outputs to train another llm?"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "no"


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert re.fullmatch(r"riderbot \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


@pytest.mark.parametrize("value", ["0", "-3", "x", "99999"])
def test_stats_days_must_be_a_positive_number_in_range(capsys, value):
    with pytest.raises(SystemExit) as info:
        main(["stats", "--days", value])
    assert info.value.code == 2
    assert "--days" in capsys.readouterr().err


def test_ask_into_a_closed_pipe_ends_quietly(tmp_path):
    """`riderbot ask ... | head -1`: no BrokenPipeError traceback when the reader goes away."""
    proc = subprocess.run(
        f"{sys.executable} -m bot.cli ask 'can i train my model on llama 2 outputs?' | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.startswith("No — ") and len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_ctrl_c_ends_the_console_on_the_first_press(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RIDERBOT_DB": str(tmp_path / "chat.db")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("is mistral 7b ok for commercial use\n")
        proc.stdin.flush()
        seen = ""
        while "[Yes — Mistral 7B" not in seen:  # answered (and stored) once; now it waits for the next line
            line = proc.stdout.readline()
            assert line, seen  # the console ended before answering
            seen += line
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)  # ONE Ctrl-C
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.rstrip().endswith("bye") and "Traceback" not in err
    con = sqlite3.connect(tmp_path / "chat.db")
    assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1  # the answer was stored
    con.close()


def test_start_without_a_token_explains_and_opens_the_console(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "start"],
        input="is mistral 7b ok commercially\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "RIDERBOT_DB": str(tmp_path / "x.db")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("No DISCORD_TOKEN set") and "[Yes — Mistral 7B" in proc.stdout


@pytest.mark.parametrize(
    "line",
    [
        "export DISCORD_TOKEN=AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCC",
        "DISCORD_TOKEN='AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCC'  # my bot",
        'DISCORD_TOKEN = "AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCC"',
        "DISCORD_TOKEN=AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCC # comment",
    ],
    ids=["export", "single-quotes-comment", "spaces-double-quotes", "inline-comment"],
)
def test_dotenv_lines_are_read_as_people_write_them(tmp_path, line):
    from bot.settings import Settings

    dotenv = tmp_path / ".env"
    dotenv.write_text(f"# riderbot\n\n{line}\nRIDERBOT_LOG_LEVEL=debug\n")
    settings = Settings.from_env({}, dotenv=dotenv)
    assert settings.check_token() == "AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCC"
    assert settings.log_level == "DEBUG"
    assert (
        Settings.from_env({"DISCORD_TOKEN": "from.the.environment"}, dotenv=dotenv).discord_token
        == "from.the.environment"
    )  # the real environment wins


def test_make_run_decides_through_riderbot_start():
    """`make run` and `riderbot run` read .env the same way: make only calls `riderbot start`."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun: ", 1)[1].split("\n\n", 1)[0]
    assert "riderbot start" in recipe and ".env" not in recipe.replace("# ", "")
