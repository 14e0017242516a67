"""The command line: outputs, JSON shape, stdin mode, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bot.cli import main

JSON_KEYS = {"status", "model", "license", "topic", "verdict", "answer", "quotes", "url", "candidates", "unknown_model", "confidence"}


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
    assert (data["status"], data["model"], data["topic"], data["verdict"]) == ("answered", "mistral-7b", "commercial-use", "yes")
    assert data["quotes"] and {"text", "source"} == set(data["quotes"][0])
    assert data["candidates"] is None and data["unknown_model"] is None


def test_ask_json_clarify_and_unanswered(capsys):
    main(["ask", "--json", "can i use llama commercially"])
    clarify = json.loads(capsys.readouterr().out)
    assert clarify["status"] == "clarify"
    assert {"model": "llama-2", "topic": "commercial-use", "verdict": "conditional", "reply": "yes"} in clarify["candidates"]
    assert {"model": "llama-1", "topic": "commercial-use", "verdict": "no", "reply": "no"} in clarify["candidates"]
    main(["ask", "--json", "is XTTS ok for commercial use?"])
    unanswered = json.loads(capsys.readouterr().out)
    assert unanswered["status"] == "unanswered" and unanswered["unknown_model"] == "XTTS" and unanswered["verdict"] is None


def test_ask_json_stdin_one_object_per_line_in_order(monkeypatch, capsys):
    questions = ["is llama 3.1 ok commercially", "how much vram for llama 2 70b", "can i use qwen commercially"]
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


def test_console_script_runs_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "llama 3 outputs to train another llm?"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "no"
