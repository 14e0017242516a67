"""The review queue and knowledge edits from the command line (the edits themselves: test_kb_edits.py)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from bot.cli import main
from bot.knowledge import default_knowledge_dir, load_knowledge
from bot.knowledge.edits import EditRefused, alias_edit, answer_edit, build, propose


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
    code, out, _ = run(
        capsys, "review", "resolve", str(entry["id"]), "--model", "llama-2", "--topic", "commercial-use"
    )
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
    assert (
        run(capsys, "review", "resolve", str(entry["id"]), "--model", "nope", "--topic", "commercial-use")[0]
        == 2
    )
    assert run(capsys, "review", "resolve", str(entry["id"]), "--model", "llama-2", "--topic", "nope")[0] == 2
    assert run(capsys, "review", "dismiss", str(entry["id"]), "--reason", "off-topic")[0] == 0
    rows = list(csv.DictReader(io.StringIO(run(capsys, "review", "export")[1])))
    assert rows[0]["status"] == "dismissed" and rows[0]["dismiss_reason"] == "off-topic"
    assert (
        json.loads(run(capsys, "review", "list", "--status", "dismissed", "--json")[1])[0]["id"]
        == entry["id"]
    )


def test_kb_alias_from_cli_is_validated_stored_and_audited(capsys, kb_copy):
    files = {p: p.read_bytes() for p in kb_copy.rglob("*") if p.is_file()}
    code, out, _ = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama-2", "the og llama")
    assert code == 0, out
    assert "maintainer edit #1" in out
    answer = json.loads(
        run(capsys, "--knowledge", str(kb_copy), "ask", "--json", "the og llama commercial use?")[1]
    )
    assert answer["model"] == "llama-2"
    # an alias another model already has is refused and changes nothing
    code, _, err = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama-3", "the og llama")
    assert code == 2 and "already used by model llama-2" in err
    # and an ordinary word is refused before anything is loaded
    code, _, err = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama-2", "use")
    assert code == 2 and "common English word" in err
    # the knowledge files are never written: the edit is in the database, with its audit row
    assert {p: p.read_bytes() for p in kb_copy.rglob("*") if p.is_file()} == files
    edits = run(capsys, "--knowledge", str(kb_copy), "kb", "edits")[1]
    assert edits.count("\n") == 1 and 'alias "the og llama" for llama-2' in edits


def test_edits_leave_the_hand_written_files_alone(kb_copy):
    family_file = kb_copy / "models" / "llama.yaml"
    original = family_file.read_bytes()
    kb = load_knowledge(kb_copy)
    edits = [alias_edit(kb, "llama-2", "llama deux")]
    edits.append(answer_edit(kb, "llama-2", "commercial-use", "Yes, below 700M monthly users (edited)."))
    kb = build(kb_copy, edits)
    assert family_file.read_bytes() == original
    assert kb.models["llama-2"].riders["commercial-use"].answer == "Yes, below 700M monthly users (edited)."
    assert kb.models["llama-2"].riders["commercial-use"].quotes  # the quote stays
    assert "llama deux" in kb.models["llama-2"].aliases


def test_invalid_edit_is_refused(kb_copy):
    kb = load_knowledge(kb_copy)
    with pytest.raises(EditRefused, match="already used by model mistral-7b"):
        propose(kb_copy, [], alias_edit(kb, "llama-2", "mistral 7b"))  # belongs to another model
    with pytest.raises(EditRefused, match="empty"):
        answer_edit(kb, "llama-2", "commercial-use", "   ")
    with pytest.raises(EditRefused, match="unknown topic"):
        answer_edit(kb, "llama-2", "world-domination", "yes")


def test_re_deciding_an_entry_needs_force(capsys):
    run(capsys, "ask", "is quuxnet 3 ok for commercial use")
    entry = json.loads(run(capsys, "review", "list", "--json")[1])[0]
    assert (
        run(capsys, "review", "resolve", str(entry["id"]), "--model", "llama-2", "--topic", "commercial-use")[
            0
        ]
        == 0
    )
    code, _, err = run(
        capsys, "review", "resolve", str(entry["id"]), "--model", "mistral-7b", "--topic", "commercial-use"
    )
    assert code == 2 and "already resolved" in err and "--force" in err
    assert (
        json.loads(run(capsys, "review", "show", str(entry["id"]), "--json")[1])["resolution_model"]
        == "llama-2"
    )
    code, _, err = run(capsys, "review", "dismiss", str(entry["id"]), "--reason", "spam")
    assert code == 2 and "already resolved" in err
    code, out, _ = run(
        capsys,
        "review",
        "resolve",
        str(entry["id"]),
        "--model",
        "Mistral 7B",
        "--topic",
        "commercial-use",
        "--force",
    )
    assert code == 0 and "mistral-7b/commercial-use" in out  # a name, through the resolver
    assert (
        json.loads(run(capsys, "review", "show", str(entry["id"]), "--json")[1])["resolution_model"]
        == "mistral-7b"
    )


def test_review_and_kb_names_mean_what_the_resolver_says(capsys, kb_copy):
    run(capsys, "ask", "is blorp xl ok for commercial use")
    entry = json.loads(run(capsys, "review", "list", "--json")[1])[0]
    code, _, err = run(
        capsys, "review", "resolve", str(entry["id"]), "--model", "gemma", "--topic", "commercial-use"
    )
    assert (
        code == 2 and "could be several models" in err and "codegemma" in err
    )  # ambiguous, as in a question
    code, _, err = run(
        capsys, "review", "resolve", str(entry["id"]), "--model", "JASCO", "--topic", "commercial-use"
    )
    assert code == 2 and "not covered" in err
    code, out, _ = run(
        capsys, "review", "resolve", str(entry["id"]), "--license", "Apache 2.0", "--topic", "commercial-use"
    )
    assert code == 0 and "apache-2.0/commercial-use" in out
    code, out, err = run(
        capsys, "--knowledge", str(kb_copy), "kb", "alias", "meta-llama/Llama-2-7b-hf", "the og llama"
    )
    assert code == 0, err
    assert "to llama-2" in out
    code, _, err = run(capsys, "--knowledge", str(kb_copy), "kb", "alias", "llama", "some llama")
    assert code == 2 and "could be several models" in err


def test_review_export_json_as_the_readme_says(capsys):
    for q in (
        "is zorblax 7 ok for commercial use",
        "is xtts ok for commercial use",
        "what about bark commercially",
    ):
        run(capsys, "ask", q)
    code, out, _ = run(capsys, "review", "export", "--json")
    assert code == 0
    entries = json.loads(out)
    assert len(entries) == 3 and all(
        {"id", "question", "status", "count", "first_seen"} <= set(e) for e in entries
    )
    assert isinstance(entries[0]["first_seen"], str)  # ISO time, as in `review show --json`
    assert json.loads(run(capsys, "review", "export", "--json", "--status", "resolved")[1]) == []
