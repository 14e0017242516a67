"""Follow-ups in the matcher: what a question takes from the one before it (issue 14)."""

from __future__ import annotations

import pytest

from bot.matching.matcher import Context


def turns(engine, *questions):
    context, answers = None, []
    for q in questions:
        answer = engine.ask(q, context)
        answers.append(answer)
        context = Context.of(answer) or context
    return answers


@pytest.mark.parametrize(
    ("first", "follow_up", "model"),
    [
        ("is llama 2 ok commercially?", "and 3.1?", "llama-3.1"),
        ("is cogvideox-5b open source?", "what about the 2b?", "cogvideox-2b"),
        ("can i use llama 3.1 commercially?", "and the 3.2 vision ones?", "llama-3.2-vision"),
        ("can i train on deepseek r1 outputs?", "and v3?", "deepseek-v3"),
    ],
)
def test_a_bare_version_or_size_is_another_member_of_the_same_family(engine, first, follow_up, model):
    a, b = turns(engine, first, follow_up)
    assert b.model == model and b.topic == a.topic
    assert b.assumed and "following your earlier question" in b.assumed


def test_a_follow_up_asks_the_same_question_with_the_same_facts(engine):
    """ "1.5B MAU, can we use llama 3.1?" then "and qwen3?": can we (permission), with 1.5B MAU."""
    a, b = turns(engine, "we have 1.5 billion MAU, can we use llama 3.1?", "and qwen3?")
    assert a.reply == "no" and b.model == "qwen3" and b.reply == "yes"
    # a follow-up with its own topic is put its own way
    _, c = turns(engine, "can i use qwen2.5 3b commercially?", "does it have a user cap?")
    assert c.topic == "user-threshold" and c.reply == "no"


def test_a_follow_up_keeps_the_place(engine):
    a, b = turns(engine, "can i use llama 3.2 vision in the EU?", "and llama 4?")
    assert a.reply == "no" and b.model == "llama-4" and b.facts.get("place")


def test_a_fresh_question_does_not_take_context(engine):
    _, b = turns(engine, "is llama 2 ok commercially?", "can i fine-tune gemma 3?")
    assert b.model == "gemma" and b.assumed is None and b.topic == "fine-tuning-derivatives"
