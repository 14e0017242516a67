"""The review queue and knowledge edits from the command line; atomic edits."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil

import pytest

from bot.cli import main
from bot.knowledge import default_knowledge_dir, load_knowledge
from bot.knowledge.edits import EditRefused, add_alias, edit_answer


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def kb_copy(tmp_path):
    dest = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), dest, ignore=shutil.ignore_patterns("eval"))
    return dest


def test_cli_questions_are_logged_and_grouped(capsys):
    run(capsys, "ask", "is XTTS ok for commercial use?")
    run(capsys, "ask", "is xtts ok for commercial use")
    run(capsys, "ask", "is mistral 7b ok for commercial use")  # answered: not queued
    code, out, _ = run(capsys, "review", "list", "--json")
    assert code == 0
    entries = json.loads(out)
    assert len(entries) == 1
    assert {"id", "question", "count", "status"} <= set(entries[0])
    assert (entries[0]["count"], entries[0]["status"], entries[0]["unknown_model"]) == (2, "open", "XTTS")


def test_resolved_question_is_answered_on_the_next_ask(capsys):
    question = "can my saas run on the thing meta made in 2023 v2"
    _, out, _ = run(capsys, "ask", "--json", question)
    assert json.loads(out)["status"] != "answered"
    entry = json.loads(run(capsys, "review", "list", "--json")[1])[0]
    code, out, _ = run(capsys, "review", "resolve", str(entry["id"]), "--model", "llama-2", "--topic", "commercial-use")
    assert code == 0 and "resolved" in out
    answer = json.loads(run(capsys, "ask", "--json", question)[1])
    assert (answer["status"], answer["model"], answer["topic"]) == ("answered", "llama-2", "commercial-use")
    variant = json.loads(run(capsys, "ask", "--json", question.upper() + "?")[1])
    assert variant["model"] == "llama-2"
    assert json.loads(run(capsys, "review", "list", "--json")[1]) == []  # nothing open any more


def test_show_dismiss_export_and_errors(capsys):
    run(capsys, "ask", "is flux 7 ok for commercial use")
    entry = json.loads(run(capsys, "review", "list", "--json")[1])[0]
    code, out, _ = run(capsys, "review", "show", str(entry["id"]), "--json")
    assert code == 0 and json.loads(out)["question"] == "is flux 7 ok for commercial use"
    assert run(capsys, "review", "show", "9999")[0] == 2
    assert run(capsys, "review", "resolve", str(entry["id"]), "--model", "nope", "--topic", "commercial-use")[0] == 2
    assert run(capsys, "review", "resolve", str(entry["id"]), "--model", "llama-2", "--topic", "nope")[0] == 2
    assert run(capsys, "review", "dismiss", str(entry["id"]), "--reason", "off-topic")[0] == 0
    rows = list(csv.DictReader(io.StringIO(run(capsys, "review", "export")[1])))
    assert rows[0]["status"] == "dismissed" and rows[0]["dismiss_reason"] == "off-topic"
    assert json.loads(run(capsys, "review", "list", "--status", "dismissed", "--json")[1])[0]["id"] == entry["id"]


def test_kb_alias_from_cli_is_validated_written_and_audited(capsys, kb_copy):
    code, out, _ = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama-2", "the og llama")
    assert code == 0, out
    assert (kb_copy / "edits" / "llama.yaml").is_file()
    answer = json.loads(run(capsys, "--knowledge", str(kb_copy), "ask", "--json", "the og llama commercial use?")[1])
    assert answer["model"] == "llama-2"
    # an alias another model already has is refused and changes nothing
    before = (kb_copy / "edits" / "llama.yaml").read_text()
    code, _, err = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama-3", "the og llama")
    assert code == 2 and "already used by model llama-2" in err
    assert (kb_copy / "edits" / "llama.yaml").read_text() == before


def test_hand_written_files_keep_their_comments(kb_copy):
    family_file = kb_copy / "models" / "llama.yaml"
    original = family_file.read_bytes()
    kb = load_knowledge(kb_copy)
    kb = add_alias(kb_copy, kb, "llama-2", "llama deux")
    kb = edit_answer(kb_copy, kb, "llama-2", "commercial-use", "Yes, below 700M monthly users (edited).")
    assert family_file.read_bytes() == original
    assert kb.models["llama-2"].riders["commercial-use"].answer == "Yes, below 700M monthly users (edited)."
    assert kb.models["llama-2"].riders["commercial-use"].quotes  # the quote stays
    assert load_knowledge(kb_copy).models["llama-2"].riders["commercial-use"].answer.endswith("(edited).")


def test_invalid_edit_changes_neither_files_nor_answers(kb_copy):
    kb = load_knowledge(kb_copy)
    snapshot = {p: p.read_bytes() for p in kb_copy.rglob("*") if p.is_file()}
    with pytest.raises(EditRefused):
        add_alias(kb_copy, kb, "llama-2", "mistral 7b")  # belongs to another model
    with pytest.raises(EditRefused):
        edit_answer(kb_copy, kb, "llama-2", "commercial-use", "   ")
    with pytest.raises(EditRefused):
        edit_answer(kb_copy, kb, "llama-2", "world-domination", "yes")
    assert {p: p.read_bytes() for p in kb_copy.rglob("*") if p.is_file()} == snapshot
    assert load_knowledge(kb_copy).models["llama-2"].riders == kb.models["llama-2"].riders


def test_crash_between_temp_file_and_replace_leaves_files_intact(kb_copy, monkeypatch):
    kb = load_knowledge(kb_copy)
    add_alias(kb_copy, kb, "llama-2", "first alias")
    edits_file = kb_copy / "edits" / "llama.yaml"
    before = edits_file.read_bytes()

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        add_alias(kb_copy, load_knowledge(kb_copy), "llama-2", "second alias")
    monkeypatch.undo()
    assert edits_file.read_bytes() == before
    assert not [p for p in edits_file.parent.iterdir() if p.name.endswith(".tmp")]
    aliases = load_knowledge(kb_copy).models["llama-2"].aliases
    assert "first alias" in aliases and "second alias" not in aliases
