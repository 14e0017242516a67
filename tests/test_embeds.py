"""bot.rendering.embeds: what an answer looks like on Discord, and that it always fits Discord's limits."""

from __future__ import annotations

import dataclasses

import discord
import pytest

from bot.knowledge import Quote
from bot.matching import ANSWERED, CLARIFY, UNANSWERED, Answer, Candidate
from bot.rendering.common import DISCLAIMER, MEANING_EMOJI, REPLY_EMOJI, VERDICT_EMOJI
from bot.rendering.embeds import (
    COMPARE_MAX_MODELS,
    ELLIPSIS,
    answer_embed,
    clip,
    compare_embed,
    license_card,
    quote_block,
    safe,
    short_name,
    topics_embed,
)

WORDS = ("Licensee shall not use the Materials or any output thereof to improve any other large language model "
         "except as expressly permitted herein, and any such use shall terminate this Agreement forthwith. ")


def assert_within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert len(data.get("footer", {}).get("text", "")) <= 2048
    assert len(data.get("author", {}).get("name", "")) <= 256
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert 0 < len(field["name"]) <= 256 and 0 < len(field["value"]) <= 1024, field
    assert len(embed) <= 6000


def long_answer(kb, quote_chars: int = 3000, quotes: int = 1, details: int = 0) -> Answer:
    text = (WORDS * (quote_chars // len(WORDS) + 1))[:quote_chars]
    return Answer(ANSWERED, "can i train on llama 2 outputs", model="llama-2", license="llama-2-community",
                  topic="outputs-training", verdict="no", answer="No. " + "You may not do that. " * 20,
                  details=("Details. " * (details // 9 + 1))[:details] or None,
                  quotes=tuple(Quote(text, "llama-2-license") for _ in range(quotes)),
                  url="https://ai.meta.com/llama/license/")


def test_answered_embed_reads_verdict_first_and_quotes_the_clause(shipped_kb, engine):
    answer = engine.ask("can i train my model on llama 2 outputs?")
    embed = answer_embed(shipped_kb, answer).to_dict()
    assert embed["title"] == f"{REPLY_EMOJI['no']} No — Llama 2, training on outputs"
    assert embed["url"] == answer.url
    assert embed["description"].startswith("No — " + answer.answer)  # the same first words as the title
    quote = next(f for f in embed["fields"] if f["name"].startswith("What the licence says"))
    assert quote["value"].startswith("> v. You will not use the Llama Materials")
    licence = next(f for f in embed["fields"] if f["name"] == "Licence")
    assert licence["value"].startswith("[Llama 2 Community License Agreement (") and answer.url in licence["value"]
    assert embed["footer"]["text"] == f"{DISCLAIMER} Knowledge as of {shipped_kb.knowledge_date}."


def test_a_3000_character_quote_stays_within_every_limit(shipped_kb):
    answer = long_answer(shipped_kb, quote_chars=3000)
    embed = answer_embed(shipped_kb, answer)
    assert_within_limits(embed)
    quote = next(f for f in embed.to_dict()["fields"] if f["name"].startswith("What the licence says"))
    assert len(quote["value"]) <= 1024
    first_line, link = quote["value"].split("\n")
    assert first_line.startswith("> ") and first_line.endswith(ELLIPSIS)
    cut = first_line[2:-1]
    assert (WORDS * 30).startswith(cut)  # a verbatim prefix of the quote
    assert (WORDS * 30)[len(cut)] == " "  # cut at a word boundary
    assert link == f"[Read the full text]({answer.url})"


@pytest.mark.parametrize("quotes,details", [(5, 0), (5, 4000), (1, 4000), (3, 2000)])
def test_many_long_quotes_and_long_details_stay_within_6000(shipped_kb, quotes, details):
    embed = answer_embed(shipped_kb, long_answer(shipped_kb, quote_chars=3000, quotes=quotes, details=details))
    assert_within_limits(embed)
    assert embed.description and embed.description.startswith("No. ")  # the short answer always shows


def test_every_shipped_answer_fits(shipped_kb, engine):
    for model in shipped_kb.models.values():
        for topic in model.riders:
            embed = answer_embed(shipped_kb, engine.answer_for(model.id, topic, "q"))
            assert_within_limits(embed)


def test_based_on_is_said_and_escaped(shipped_kb, engine):
    answer = dataclasses.replace(engine.answer_for("llama-2", "commercial-use", "q"), based_on="**My*Model** @everyone")
    description = answer_embed(shipped_kb, answer).description
    assert description.startswith("Yes — ")  # the reply first, then who it is for
    assert "*Answering for Llama 2, the base model whose licence binds " in description
    assert "\\*\\*My\\*Model\\*\\*" in description and "@everyone" not in description


def test_long_model_names_are_shortened_in_the_title_and_shown_whole_above_it(shipped_kb, engine):
    embed = answer_embed(shipped_kb, engine.answer_for("gemma", "commercial-use", "q")).to_dict()
    assert embed["title"].endswith("Yes — Gemma, commercial use")
    assert embed["author"]["name"] == shipped_kb.models["gemma"].name


def test_clarify_lists_the_candidates_with_their_verdicts(shipped_kb, engine):
    answer = engine.ask("can i use llama commercially")
    embed = answer_embed(shipped_kb, answer).to_dict()
    assert embed["title"] == "Commercial use"
    assert "**Llama 2**: \N{WHITE HEAVY CHECK MARK} Yes" in embed["description"]
    assert "**LLaMA 1**: \N{NO ENTRY} No" in embed["description"]  # the direct reply per version
    many = dataclasses.replace(answer, candidates=tuple(Candidate(m, "commercial-use", "yes")
                                                        for m in list(shipped_kb.models) * 3))
    assert_within_limits(answer_embed(shipped_kb, many))
    no_model = answer_embed(shipped_kb, Answer(CLARIFY, "can i use it commercially", topic="commercial-use"))
    assert no_model.description.startswith("Which model do you mean?")


def test_unanswered_is_honest_and_escapes_what_the_user_typed(shipped_kb):
    answer = Answer(UNANSWERED, "is __bark__ <@123> ok", topic="commercial-use", unknown_model="__bark__ @everyone",
                    reason="unknown-model")
    embed = answer_embed(shipped_kb, answer).to_dict()
    assert "\\_\\_bark\\_\\_" in embed["description"] and "@everyone" not in embed["description"]
    assert "don't know the model" in embed["description"]
    assert not embed.get("fields")


def test_not_verified_links_the_official_text(shipped_kb, engine):
    answer = engine.ask("can i redistribute the llama 1 weights")
    assert answer.reason == "not-verified"
    embed = answer_embed(shipped_kb, answer).to_dict()
    assert embed["title"].startswith(VERDICT_EMOJI["not-verified"])
    assert embed["fields"] == [{"name": "Official text", "value": answer.url, "inline": False}]


def test_license_cards_fit_and_have_one_line_per_topic(shipped_kb):
    for model_id in shipped_kb.models:
        embed = license_card(shipped_kb, model_id)
        assert_within_limits(embed)
        lines = [line for line in embed.description.splitlines() if line.startswith(tuple(MEANING_EMOJI.values()))]
        assert len(lines) == len(shipped_kb.topics)
        restrictions = [line for line in lines if ("**Termination and litigation**" in line or "**Acceptable use**" in line)
                        and "not addressed" not in line and "no use" not in line and "does not end" not in line]
        # a restriction is never shown with a tick ("✅ Yes — Termination")
        assert not [line for line in restrictions if line.startswith(MEANING_EMOJI["allowed"])], (model_id, restrictions)


def test_compare_fits_for_the_most_models_and_the_longest_names(shipped_kb):
    longest = sorted(shipped_kb.models, key=lambda m: -len(shipped_kb.models[m].name))[:COMPARE_MAX_MODELS]
    for topic in shipped_kb.topics:
        embed = compare_embed(shipped_kb, topic, longest)
        assert_within_limits(embed)
        assert len(embed.fields) == COMPARE_MAX_MODELS and all(f.inline for f in embed.fields)


def test_topics_embed_fits_and_names_every_topic(shipped_kb):
    embed = topics_embed(shipped_kb)
    assert_within_limits(embed)
    text = " ".join(f.value for f in embed.fields)
    assert all(t.name in text for t in shipped_kb.topics.values())


def test_clip_cuts_at_a_word_boundary():
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two" + ELLIPSIS
    assert len(clip("x" * 50, 10)) == 10  # one enormous word is still cut
    assert clip("one two three four five", 20, " [more]") == "one two" + ELLIPSIS + " [more]"
    assert len(clip("one two three", 11, " [more](u)")) <= 11  # no room: still within the limit


def test_quote_block_escapes_markdown_and_respects_the_limit():
    text = "**Bold** claims _here_ " * 100
    block = quote_block(text, 300, "https://example.org")
    assert len(block) <= 300 and block.startswith("> \\*\\*Bold\\*\\*")
    assert block.endswith("[Read the full text](https://example.org)")
    assert quote_block("a short clause", 300, None) == "> a short clause"


def test_safe_and_short_name():
    assert safe("@everyone **x**") == "@\u200beveryone \\*\\*x\\*\\*"
    assert short_name("Gemma (Gemma 1, 1.1, 2)") == "Gemma" and short_name("Llama 2") == "Llama 2"
