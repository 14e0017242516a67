"""The Discord glue that needs no connection: model lookup, cooldowns, buttons, question cleaning."""

from __future__ import annotations

import dataclasses

import pytest

from bot.client import INVITE_PERMISSIONS, intents_for, invite_url
from bot.cogs.answering import RateLimiter, RecentlySent, clean_question, too_long
from bot.cogs.lookup import (
    license_for,
    model_for,
    model_index,
    model_list_choices,
    models_for,
    resolve_topic,
    topic_choices,
)
from bot.cogs.views import PickButton, VoteButton, answer_view, render
from bot.cogs.watch import worth_reviewing
from bot.errors import LookupFailed
from bot.matching import Candidate
from bot.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_five_per_thirty_seconds_per_user():
    clock = Clock()
    limiter = RateLimiter(5, 30, clock)
    assert [limiter.hit("alice") for _ in range(5)] == [0.0] * 5
    assert limiter.hit("alice") == pytest.approx(30.0)
    assert limiter.hit("bob") == 0.0  # per user
    assert limiter.warn_once("alice", 30) is True and limiter.warn_once("alice", 30) is False
    clock.now += 10
    assert limiter.hit("alice") == pytest.approx(20.0)
    clock.now += 20.001
    assert limiter.hit("alice") == 0.0  # the window slid past the first hit
    assert limiter.warn_once("alice", 30) is True  # a new window may warn again


def test_recently_sent_holds_a_key_for_a_minute():
    clock = Clock()
    recent = RecentlySent(60, clock)
    assert recent.claim(("chan", "llama-2", "commercial-use")) is True
    assert recent.claim(("chan", "llama-2", "commercial-use")) is False
    assert recent.claim(("other", "llama-2", "commercial-use")) is True
    clock.now += 60.01
    assert recent.claim(("chan", "llama-2", "commercial-use")) is True


def test_model_options_mean_what_the_resolver_says(engine):
    matcher = engine.matcher
    assert model_for(matcher, "llama-3.1") == "llama-3.1"
    assert model_for(matcher, "Llama 3.1") == "llama-3.1"
    assert model_for(matcher, "meta-llama/Llama-2-7b-hf") == "llama-2"
    assert model_for(matcher, "Mistral 7B") == "mistral-7b"
    assert model_for(matcher, "mistrall 7b") == "mistral-7b"
    assert model_for(matcher, "id:gemma") == "gemma"  # a picked autocomplete suggestion is exact
    for family in ("gemma", "Gemma", "llama"):  # a family is ambiguous here exactly as in a question
        with pytest.raises(LookupFailed, match="could be several models"):
            model_for(matcher, family)
        assert matcher.match(f"can I use {family} commercially").model is None  # never one member
    with pytest.raises(LookupFailed, match="don't know a model"):
        model_for(matcher, "llama 9")  # never a different version
    with pytest.raises(LookupFailed, match="won't guess"):
        model_for(matcher, "JASCO")  # not covered: says so, with the official link
    with pytest.raises(LookupFailed, match="is a licence"):
        model_for(matcher, "apache 2.0")
    with pytest.raises(LookupFailed, match=r"\\_\\_x\\_\\_"):
        model_for(matcher, "__x__ 77")  # echoed back escaped


def test_licence_options_use_the_same_resolver(engine):
    matcher = engine.matcher
    assert license_for(matcher, "apache 2.0") == "apache-2.0"
    assert license_for(matcher, "id:apache-2.0") == "apache-2.0"
    with pytest.raises(LookupFailed, match="is a model"):
        license_for(matcher, "llama 2")
    with pytest.raises(LookupFailed, match="don't know a licence"):
        license_for(matcher, "nope licence 9")


def test_model_autocomplete_is_at_most_25_choices_of_at_most_100_characters(shipped_kb, engine):
    index = model_index(shipped_kb)
    assert model_index(shipped_kb) is index  # built once per knowledge base
    for text in ("", "l", "llama", "gemma", "qwen 2.5", "zzzz", "x" * 200):
        choices = index.choices(text)
        assert len(choices) <= 25
        assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
        assert all(model_for(engine.matcher, c.value) in shipped_kb.models for c in choices)
    assert [c.value for c in index.choices("llama 3.1")][0] == "id:llama-3.1"


def test_compare_model_lists(engine, shipped_kb):
    matcher = engine.matcher
    models, problems = models_for(matcher, "Llama 2, llama 3.1 ,, Mistral 7B, llama-2")
    assert models == ["llama-2", "llama-3.1", "mistral-7b"] and problems == []
    models, problems = models_for(matcher, "Llama 2, Nope-o-tron")
    assert models == ["llama-2"] and len(problems) == 1 and "Nope-o-tron" in problems[0]
    models, problems = models_for(matcher, "llama")  # a family: all its members
    assert "llama-2" in models and "llama-3.1" in models and problems == []
    choices = model_list_choices(shipped_kb, "Llama 2, mistral 7")
    assert choices[0].value == "Llama 2, Mistral 7B"
    assert all(len(c.value) <= 100 for c in model_list_choices(shipped_kb, "Llama 2, " * 12 + "gem"))


def test_topics_resolve_from_ids_names_and_typos(shipped_kb):
    assert resolve_topic(shipped_kb, "outputs-training") == "outputs-training"
    assert resolve_topic(shipped_kb, "Training on outputs") == "outputs-training"
    assert resolve_topic(shipped_kb, "comercial use") == "commercial-use"
    with pytest.raises(LookupFailed):
        resolve_topic(shipped_kb, "weather")
    assert topic_choices(shipped_kb, "")[0].value == "commercial-use"
    assert len(topic_choices(shipped_kb, "")) == len(shipped_kb.topics)


def test_answer_views(shipped_kb, engine):
    answered = answer_view(shipped_kb, engine.ask("is mistral 7b free for commercial use"))
    assert [i.custom_id for i in answered.children] == ["rb:vote:up", "rb:vote:down"]
    assert all(isinstance(i, VoteButton) for i in answered.children) and answered.timeout is None

    clarify = engine.ask("can i use llama commercially")
    many = dataclasses.replace(
        clarify, candidates=tuple(Candidate(m, "commercial-use") for m in shipped_kb.models)
    )
    view = answer_view(shipped_kb, many)
    assert len(view.children) == 25 and all(isinstance(i, PickButton) for i in view.children)
    assert [i.row for i in view.children] == [n // 5 for n in range(25)]
    assert all(len(i.item.label) <= 80 and len(i.custom_id) <= 100 for i in view.children)
    assert PickButton.__discord_ui_compiled_template__.fullmatch("rb:pick:llama-3.1:commercial-use")

    assert answer_view(shipped_kb, engine.ask("is XTTS ok for commercial use?")) is None
    no_candidates = dataclasses.replace(clarify, candidates=())
    assert answer_view(shipped_kb, no_candidates) is None


def test_question_cleaning_and_limits():
    assert (
        clean_question("<@123> can I use <@!456> <@&789> gemma in <#42> @everyone @here?")
        == "can I use gemma in ?"
    )
    assert too_long("x" * 1000) is None
    assert "1,001 characters" in too_long("x" * 1001)


def test_watched_channels_only_queue_licence_questions(engine):
    assert worth_reviewing(engine.ask("how much vram for llama 2 70b"))
    assert worth_reviewing(engine.ask("can i use mistral commercially"))
    assert not worth_reviewing(engine.ask("lol nice"))
    assert not worth_reviewing(engine.ask("what is the weather"))


def test_intents_and_invite_permissions():
    assert intents_for(Settings()).value == 4609  # GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES
    with_content = intents_for(Settings(message_content=True))
    assert with_content.message_content and with_content.value == 4609 | (1 << 15)
    assert INVITE_PERMISSIONS.value == 274877991936
    assert "permissions=274877991936" in invite_url(1) and "applications.commands" in invite_url(1)


def test_a_message_of_many_questions_renders_every_part_within_discords_limits(engine):
    many = (
        "is llama 2 ok commercially? is mistral 7b open source? can i fine-tune gemma 3? "
        "is qwen3 ok commercially? is falcon 7b ok commercially? can i train on deepseek r1 outputs?"
    )
    answer = engine.ask(many)
    assert len(answer.parts) == 6
    kwargs = render(engine.kb, answer)
    embeds = kwargs["embeds"]
    assert [e.title.split(" · ")[0] for e in embeds] == [f"{i}/5" for i in range(1, 6)]
    assert sum(len(e) for e in embeds) <= 6000 and len(embeds) <= 10  # a message's limits
    assert "first 5 questions" in embeds[-1].footer.text
    assert [c.custom_id for c in kwargs["view"].children] == ["rb:vote:up", "rb:vote:down"]
    # a clarify part gets its own pick buttons, which say which part they answer
    mixed = render(engine.kb, engine.ask("can i use llama commercially and can i fine-tune qwen 2.5 7b?"))
    ids = [c.custom_id for c in mixed["view"].children]
    assert ids[:2] == ["rb:vote:up", "rb:vote:down"] and "rb:pick:llama-2:commercial-use:1" in ids
    assert len(mixed["embeds"]) == 2
