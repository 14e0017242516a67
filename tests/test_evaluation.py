"""`riderbot eval`: per-language reports and dialogues scored per turn."""

from __future__ import annotations

import json

from bot.cli import main
from bot.evaluation import evaluate, format_report, load_items

SET = """
- q: can i use llama 2 commercially
  expect: answered
  model: llama-2
  topic: commercial-use
  reply: depends
- q: darf ich llama 2 kommerziell nutzen
  lang: de
  expect: answered
  model: llama-2
  topic: commercial-use
- dialogue:
  - q: can i train another model on llama 2 outputs?
    expect: answered
    model: llama-2
    topic: outputs-training
  - q: and llama 3.1?
    expect: answered
    model: llama-3.1
    topic: outputs-training
"""


def test_reports_by_language_and_dialogue_turns(engine, tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(SET, encoding="utf-8")
    evaluation = evaluate(engine.matcher, load_items(path, engine.kb))
    assert set(evaluation.languages) == {"en", "de"}
    assert evaluation.non_english.total == 1 and evaluation.languages["en"].total == 3
    turns = evaluation.dialogue_turns.metrics
    assert turns["questions"] == 2
    # the follow-up names only the model: it is right only if it took the topic from the turn before
    assert turns["in_scope_accuracy"] == 1.0, evaluation.dialogue_turns.failures
    text = format_report(evaluation)
    assert "per language:" in text and "written sets, not in English" in text and "dialogue turns: 2" in text


def test_eval_json_has_languages_and_turns(tmp_path, capsys):
    path = tmp_path / "set.yaml"
    path.write_text(SET, encoding="utf-8")
    assert main(["eval", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["languages"]["de"]["questions"] == 1
    assert data["non_english"]["questions"] == 1 and data["dialogue_turns"]["questions"] == 2


def test_a_side_by_side_answer_covers_the_real_question_about_one_of_its_models(engine, tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "q.yaml").write_text(
        "- q: can I use llama2/3 commercially?\n"
        "  source: https://example.invalid/thread\n"
        "  expect: answered\n"
        "  model: llama-3\n"
        "  topic: commercial-use\n",
        encoding="utf-8",
    )
    evaluation = evaluate(engine.matcher, load_items(folder, engine.kb))
    assert evaluation.real.metrics["in_scope_accuracy"] == 1.0, evaluation.real.failures
    assert evaluation.real.wrong_confident == 0
