"""Questions in other languages: names, numbers and lengths the way those languages write them (issue 14)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("question", "model", "family"),
    [
        ("百川 2 究竟是不是免费可商用的？", "baichuan-2", None),
        ("混元 可以商用吗", None, "hunyuan"),
        ("通义千问可以商用吗", None, "qwen"),
    ],
)
def test_chinese_names_of_models(engine, question, model, family):
    answer = engine.ask(question)
    assert answer.topic == "commercial-use"
    assert (answer.model == model) if model else (answer.family == family or answer.candidates)


def test_mil_is_a_thousand_in_spanish_and_a_million_in_english(engine):
    finder = engine.matcher.finder
    es = finder.quantities("facturamos 500 mil dolares al año", (), set(), "es")
    en = finder.quantities("we make $2 mil a year", (), set(), "en")
    assert [q.value for q in es] == [500_000] and [q.value for q in en] == [2_000_000]


def test_a_chinese_question_is_not_a_long_remark(engine):
    answer = engine.ask("我们app月活50万，用llama3 70b商用没问题吧")
    assert answer.model == "llama-3" and answer.reply == "yes"


def test_a_latin_name_followed_by_cjk_is_not_a_compound_name(engine):
    answer = engine.ask("llama 3.2 visionはEUで使える？")
    assert answer.model == "llama-3.2-vision" and answer.reply == "no"


def test_a_word_of_the_questions_language_is_not_an_english_question_form(engine):
    """Vietnamese "bán" (sell) folds to "ban": it is not English "is it banned?"."""
    answer = engine.ask("Mình có thể dùng Stable Diffusion XL để làm ảnh bán trên web không?")
    assert answer.model == "sdxl" and answer.reply == "yes"
