"""One resolver for names typed on their own (slash-command options, `riderbot kb`), with the
matcher's own rules: families stay ambiguous, versions are never fuzzed, not-covered names say so."""

from __future__ import annotations

import pytest

from bot.matching.resolve import FAMILY, LICENSE, MODEL, NOT_COVERED, UNKNOWN


@pytest.mark.parametrize(
    ("text", "kind", "first"),
    [
        ("llama 2", MODEL, "llama-2"),
        ("Llama-2-7b-chat-hf", MODEL, "llama-2"),
        ("meta-llama/Llama-3.1-8B-Instruct", MODEL, "llama-3.1"),
        ("lama 3", MODEL, "llama-3"),
        ("mistrall 7b", MODEL, "mistral-7b"),
        ("llama-2", MODEL, "llama-2"),
        ("gemma", FAMILY, None),
        ("llama", FAMILY, None),
        ("apache 2.0", LICENSE, "apache-2.0"),
        ("hunyuan-large", NOT_COVERED, None),
        ("llama 5", UNKNOWN, None),
        ("Nope-o-tron", UNKNOWN, None),
        ("", UNKNOWN, None),
    ],
)
def test_resolve(engine, text, kind, first):
    found = engine.matcher.resolve(text)
    assert found.kind == kind, found
    if first is not None:
        assert found.ids[0] == first


def test_a_family_resolution_lists_its_members(engine):
    found = engine.matcher.resolve("llama")
    assert "llama-2" in found.ids and "llama-3.1" in found.ids and found.name


def test_a_not_covered_name_carries_its_link(engine):
    assert engine.matcher.resolve("Hunyuan-Large").url.startswith("https://")
