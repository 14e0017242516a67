"""Loader and validation: one test per kind of error, each checking the message names the
file, the entry and the field."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.schema import json_schema
from tests.minikb import family_data, license_data, rider, write_kb


def problems(root) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    return [str(p) for p in info.value.problems]


def test_valid_minikb_loads_and_resolves_overrides(tmp_path):
    kb = load_knowledge(write_kb(tmp_path))
    assert set(kb.models) == {"toy-1", "toy-2"}
    assert kb.models["toy-1"].riders["outputs-training"].verdict == "no"
    assert kb.models["toy-2"].riders["outputs-training"].verdict == "yes"  # model override wins
    assert kb.families["toy"].members == ("toy-1", "toy-2")


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    root = write_kb(tmp_path, raw_license="id: toy\nname: [unclosed\nurl: x\n")
    (msg,) = problems(root)
    assert "licenses/toy.yaml" in msg and "YAML syntax error at line" in msg


def test_unknown_key(tmp_path):
    lic = license_data() | {"colour": "blue"}
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "licenses/toy.yaml: license toy: colour: unknown key 'colour'" in msg


def test_missing_field(tmp_path):
    lic = license_data()
    del lic["url"]
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "licenses/toy.yaml: license toy: url: missing required field" in msg


def test_unknown_topic_id(tmp_path):
    lic = license_data()
    lic["riders"]["world-domination"] = rider()
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "riders.world-domination: unknown topic 'world-domination'" in msg


def test_unknown_license_id(tmp_path):
    fam = family_data()
    fam["models"][0]["license"] = "nope"
    (msg,) = problems(write_kb(tmp_path, family=fam))
    assert "models/toy.yaml: model toy-1: license: unknown licence id 'nope'" in msg


def test_unknown_source_id(tmp_path):
    lic = license_data()
    lic["riders"]["commercial-use"]["quotes"][0]["source"] = "missing-text"
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "riders.commercial-use.quotes[0].source: unknown source 'missing-text'" in msg


def test_duplicate_model_id(tmp_path):
    fam = family_data()
    fam["models"][1]["id"] = "toy-1"
    msgs = problems(write_kb(tmp_path, family=fam))
    assert any("model toy-1: id: duplicate model id 'toy-1'" in m for m in msgs)


def test_alias_used_by_two_models_after_normalisation(tmp_path):
    fam = family_data()
    fam["models"][1]["aliases"].append("TOY-1")  # normalises to the same "toy 1" as toy-1's alias
    msgs = problems(write_kb(tmp_path, family=fam))
    assert any(
        "model toy-2: aliases[2]: alias 'TOY-1' (normalised 'toy 1') is already used by model toy-1" in m
        for m in msgs
    )


def test_quote_not_in_source(tmp_path):
    lic = license_data()
    lic["riders"]["commercial-use"]["quotes"][0]["text"] = "You may do anything at all."
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "riders.commercial-use.quotes[0].text: quote not found in source 'toy-license'" in msg


def test_quote_matches_with_collapsed_whitespace(tmp_path):
    lic = license_data()
    lic["riders"]["outputs-training"]["quotes"][0]["text"] = (
        "You will not use outputs\n of the Toy Model to    train any other model."
    )
    load_knowledge(write_kb(tmp_path, license=lic))


def test_verdict_outside_the_list(tmp_path):
    lic = license_data()
    lic["riders"]["commercial-use"]["verdict"] = "maybe"
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert (
        "riders.commercial-use.verdict: 'maybe' is not one of: yes, no, conditional, not-addressed, not-verified"
        in msg
    )


def test_claimed_verdict_needs_a_quote(tmp_path):
    lic = license_data()
    lic["riders"]["commercial-use"] = rider("yes", None)
    (msg,) = problems(write_kb(tmp_path, license=lic))
    assert "riders.commercial-use.quotes: a 'yes' verdict needs at least one quote" in msg


def test_missing_topic_for_a_model(tmp_path):
    lic = license_data()
    del lic["riders"]["redistribution"]
    msgs = problems(write_kb(tmp_path, license=lic))
    assert any("model toy-1: riders.redistribution: no rider for this topic" in m for m in msgs)


def test_all_problems_reported_at_once(tmp_path):
    lic = license_data()
    lic["riders"]["commercial-use"]["verdict"] = "maybe"
    del lic["url"]
    assert len(problems(write_kb(tmp_path, license=lic))) == 2


def test_cli_validate_exit_codes(tmp_path, capsys):
    good = write_kb(tmp_path / "good")
    assert main(["--knowledge", str(good), "kb", "validate"]) == 0
    lic = license_data()
    lic["riders"]["commercial-use"]["verdict"] = "maybe"
    bad = write_kb(tmp_path / "bad", license=lic)
    assert main(["--knowledge", str(bad), "kb", "validate"]) == 1
    err = capsys.readouterr().err
    assert "licenses/toy.yaml: license toy: riders.commercial-use.verdict" in err


def test_schema_is_json_and_covers_every_kind_of_file(capsys):
    assert main(["kb", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["$defs"]) == {"topics_file", "license_file", "family_file", "edits_file"}
    verdict = schema["$defs"]["license_file"]["properties"]["riders"]["properties"]["commercial-use"][
        "properties"
    ]["verdict"]
    assert "not-addressed" in verdict["enum"]
    assert json_schema() == schema


def test_not_covered_name_may_not_shadow_a_model_alias(tmp_path):
    fam = family_data() | {"not_covered": [{"name": "toy 1", "url": "https://example.org"}]}
    msgs = problems(write_kb(tmp_path, family=fam))
    assert any("family toy: not_covered[0]: alias 'toy 1'" in m for m in msgs)
