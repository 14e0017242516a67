"""The matcher against the shipped knowledge: versions, typos, negatives, unknown models,
clarify, licences named instead of models, derivatives."""

from __future__ import annotations

import pytest

from bot.matching import ANSWERED, CLARIFY, UNANSWERED


@pytest.mark.parametrize(
    ("question", "model"),
    [
        ("can i use llama 3 outputs to train my model", "llama-3"),
        ("can i use llama 3.1 outputs to train my model", "llama-3.1"),
        ("Llama-3.1-8B-Instruct outputs to train my model, allowed?", "llama-3.1"),
        ("meta-llama/Meta-Llama-3-8B outputs to train my model, allowed?", "llama-3"),
        ("llama3.1 synthetic data allowed?", "llama-3.1"),
        ("Llama 3.2 11B vision EU restriction", "llama-3.2-vision"),
        ("is llama 3.3 70b restricted in the eu", "llama-3.3"),
        ("mistralai/Mistral-7B-Instruct-v0.2 commercial use", "mistral-7b"),
        ("google/gemma-2-9b-it commercial use?", "gemma"),
    ],
)
def test_versions_are_exact(engine, question, model):
    answer = engine.ask(question)
    assert answer.status == ANSWERED, answer
    assert answer.model == model


def test_llama_3_and_3_1_differ_on_outputs(engine):
    assert engine.ask("can i train another model on llama 3 outputs").verdict == "no"
    assert engine.ask("can i train another model on llama 3.1 outputs").verdict == "conditional"


@pytest.mark.parametrize(
    ("question", "model"),
    [
        ("llma2 commercial use", "llama-2"),
        ("LLAMA2 commercial use", "llama-2"),
        ("mistrall 7b commercial use", "mistral-7b"),
        ("gema 2 commercial use", "gemma"),
        ("is mistral 7b ok for comercial use", "mistral-7b"),
    ],
)
def test_typos_and_casing(engine, question, model):
    answer = engine.ask(question)
    assert (answer.status, answer.model, answer.topic) == (ANSWERED, model, "commercial-use")


@pytest.mark.parametrize(
    "question", ["llama 5 commercial use", "can i use qwen 9 commercially", "llama 3.9 commercial use"]
)
def test_a_different_version_is_not_a_typo(engine, question):
    answer = engine.ask(question)
    assert answer.status == UNANSWERED
    assert answer.unknown_model is not None
    assert answer.model is None


@pytest.mark.parametrize(
    "question",
    [
        "how much VRAM for llama 2 70b",
        "how do I fine-tune llama 3 with LoRA",
        "what prompt format does mistral use",
        "is gemma better than llama at coding",
        "how do i host llama 2 on my gpu",
        "good morning everyone",
    ],
)
def test_not_licence_questions_are_unanswered(engine, question):
    assert engine.ask(question).status == UNANSWERED


def test_unknown_model_is_named_and_never_answered_with_another(engine):
    answer = engine.ask("is XTTS ok for commercial use?")
    assert answer.status == UNANSWERED
    assert answer.unknown_model == "XTTS"
    assert answer.model is None and answer.verdict is None


@pytest.mark.parametrize(
    ("question", "family"),
    [("Can I use Llama commercially?", "llama"), ("is qwen free for commercial use", "qwen")],
)
def test_family_without_version_asks_back_when_its_members_differ(engine, question, family):
    answer = engine.ask(question)
    assert answer.status == CLARIFY
    assert answer.topic == "commercial-use"
    assert [c.model for c in answer.candidates] == list(engine.kb.families[family].members)
    assert all(c.verdict and c.reply for c in answer.candidates)  # a per-version overview
    assert {c.reply for c in answer.candidates} >= {"yes", "no"}


def test_missing_model_asks_back(engine):
    answer = engine.ask("can i use it commercially?")
    assert answer.status == CLARIFY and answer.candidates == ()


def test_derivative_is_answered_for_its_base_model(engine):
    answer = engine.ask("can i use LLaVA based on Llama 2 commercially")
    assert (answer.status, answer.model) == (ANSWERED, "llama-2")
    assert answer.based_on == "LLaVA"


@pytest.mark.parametrize(
    ("question", "license", "topic"),
    [
        ("does OpenRAIL-M prevent fine-tuning?", "creativeml-openrail-m", "fine-tuning-derivatives"),
        ("is the Llama 2 Community License open source?", "llama-2-community", "open-source-status"),
        ("what does the Gemma prohibited use policy forbid?", "gemma-terms", "acceptable-use"),
        ("is Apache 2.0 ok for commercial use?", "apache-2.0", "commercial-use"),
    ],
)
def test_licence_named_instead_of_model(engine, question, license, topic):
    answer = engine.ask(question)
    assert (answer.status, answer.model, answer.license, answer.topic) == (ANSWERED, None, license, topic)


def test_not_verified_rider_is_never_claimed(engine):
    answer = engine.ask("can i redistribute the llama 1 weights")
    assert answer.status == UNANSWERED
    assert answer.reason == "not-verified"
    assert answer.model == "llama-1" and answer.url and answer.reply is None


def test_every_answer_carries_licence_quote_and_url(engine):
    answer = engine.ask("can i train my model on llama 2 outputs")
    assert answer.quotes and answer.url and answer.license
    source = engine.kb.sources[answer.quotes[0].source]
    assert " ".join(answer.quotes[0].text.split()) in " ".join(source.split())


def test_learned_phrasing_is_answered_after_teaching(engine):
    from bot.engine import Engine

    fresh = Engine(engine.kb)
    question = "llama two money stuff ok?"
    assert fresh.ask(question).status != ANSWERED
    fresh.matcher.learn(question, "llama-2", None, "commercial-use")
    taught = fresh.ask(question)
    assert (taught.status, taught.model, taught.topic) == (ANSWERED, "llama-2", "commercial-use")
    assert fresh.ask("llama two money stuff ok").model == "llama-2"  # a close variant


@pytest.mark.parametrize(
    "question",
    ["is hunyuan-large ok for commercial use", "qwen3 max commercial use?", "is phi-1 ok commercially"],
)
def test_look_alikes_we_do_not_cover_are_not_answered_as_their_namesakes(engine, question):
    answer = engine.ask(question)
    assert answer.status == UNANSWERED and answer.model is None and answer.unknown_model


def test_naming_a_licence_next_to_a_model_checks_that_premise(engine):
    answer = engine.ask("is qwen2.5 3b apache")
    assert (answer.status, answer.model, answer.card, answer.reply) == (ANSWERED, "qwen2.5-3b", True, "no")
    assert (
        answer.license == "qwen-research" and answer.premise == "Apache License 2.0"
    )  # the Qwen Research License


@pytest.mark.parametrize(
    "family", ["llama", "qwen", "mistral", "falcon", "stable diffusion", "gemma", "deepseek", "grok"]
)
def test_family_names_ask_which_member_or_answer_for_all(engine, family):
    """A family name alone is never answered as one member: either every member agrees (one answer
    listing them all) or the bot asks which one."""
    answer = engine.ask(f"can i use {family} commercially")
    if answer.status == ANSWERED:
        assert answer.family and answer.model is None and len(answer.members) >= 2
        assert {c.reply for c in answer.members} == {answer.reply}
    else:
        assert answer.status == CLARIFY and len(answer.candidates) >= 2
        assert len({c.reply for c in answer.candidates}) >= 2


def test_a_family_with_one_member_is_answered(engine):
    assert engine.ask("can i use dbrx commercially").model == "dbrx"


def test_learned_wordings_are_found_through_the_index_among_10k(monkeypatch):
    """A close variant of one of 10,000 taught wordings is found (its numbers decide which it may
    be compared with); another number never matches; a lookup compares a bounded handful."""
    import random

    from bot.bench_storage import questions, typo
    from bot.matching import learned
    from bot.matching.learned import LearnedIndex, Taught
    from bot.textnorm import normalize

    index = LearnedIndex()
    taught = questions(10_000, seed=3)
    for n, q in enumerate(taught):
        index.add(q, Taught(f"m{n}", None, "commercial-use"))
    rng = random.Random(1)
    picked = rng.sample(range(len(taught)), 200)
    hits = sum(
        index.lookup(normalize(typo(taught[n], rng))) == Taught(f"m{n}", None, "commercial-use")
        for n in picked
    )
    assert hits >= 190
    index.add("is zubrakel 3 ok for commercial use", Taught("x", None, "commercial-use"))
    assert index.lookup(normalize("is zubrakel 3 ok for comercial use")) == Taught(
        "x", None, "commercial-use"
    )
    assert index.lookup(normalize("is zubrakel 4 ok for commercial use")) is None
    compared = []
    real = learned.fuzz.token_sort_ratio
    monkeypatch.setattr(learned.fuzz, "token_sort_ratio", lambda a, b: compared.append(b) or real(a, b))
    index.lookup(normalize("is that thing ok for commercial use in my app"))
    assert len(compared) <= 2 * learned.MAX_CANDIDATES
