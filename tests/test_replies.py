"""Issue 10: every reply answers the question as asked. The direct reply (yes / no / depends, or the fact
itself for an open question), numbers and places compared with the licence, prohibited uses read from
the acceptable-use text, premises checked, code licences kept apart from weights licences, licence cards,
and names that only look like a family's. The same answer in the JSON, the text and the embed."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.matching import ANSWERED, CLARIFY, UNANSWERED
from bot.rendering import render_text
from bot.rendering.common import MEANING_EMOJI
from bot.rendering.embeds import answer_embed, license_card

LEAD = {"yes": "Yes —", "no": "No —", "depends": "It depends —"}


def reply_of(engine, question):
    answer = engine.ask(question)
    assert answer.status == ANSWERED, (question, answer.status, answer.reason)
    return answer


def assert_first_words_agree(kb, answer):
    """The text's and the embed's first words say what `reply` says."""
    text = render_text(kb, answer)
    embed = answer_embed(kb, answer).to_dict()
    if answer.reply is not None:
        assert text.startswith(LEAD[answer.reply]), text[:80]
        assert embed["description"].startswith(LEAD[answer.reply]), embed["description"][:80]
        assert LEAD[answer.reply] in embed["title"]
    else:
        assert not text.startswith(("Yes —", "No —", "It depends —"))


# -- 1. a direct reply ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "model", "reply"),
    [
        ("can I use llama 2 commercially?", "llama-2", "yes"),
        ("can I train another model on llama 2 outputs?", "llama-2", "no"),
        ("is there a user limit on llama 3.1?", "llama-3.1", "yes"),
        ("is there any user cap for mistral 7b?", "mistral-7b", "no"),
        ("do I have to credit llama 3.1 when I ship it?", "llama-3.1", "yes"),
        ("can I use mistral large 2 in production for my company?", "mistral-large-2", "no"),
        ("does llama 2 forbid training other models on its outputs?", "llama-2", "yes"),
        ("do I need to pay to use llama 3.1 commercially?", "llama-3.1", "no"),
    ],
)
def test_the_reply_answers_the_question_as_asked(engine, question, model, reply):
    answer = reply_of(engine, question)
    assert (answer.model, answer.reply) == (model, reply)
    assert_first_words_agree(engine.kb, answer)


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("what's the user limit for llama 2?", "700 million monthly active users"),
        ("who owns the outputs of llama 3.1?", "The licence doesn't say"),
    ],
)
def test_an_open_question_starts_with_the_fact_itself(engine, question, lead):
    answer = reply_of(engine, question)
    assert answer.reply is None and answer.lead == lead
    assert render_text(engine.kb, answer).startswith(lead)
    assert_first_words_agree(engine.kb, answer)


def test_verdict_stays_the_riders_and_reply_is_in_json(capsys):
    assert main(["ask", "--json", "is there a user limit on llama 3.1?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["verdict"], data["reply"], data["lead"]) == ("yes", "yes", "Yes")
    assert main(["ask", "--json", "what's the user limit for llama 2?"]) == 0
    assert json.loads(capsys.readouterr().out)["reply"] is None


def test_reply_rules_are_knowledge_data(shipped_kb):
    for topic in shipped_kb.topics.values():
        assert {"permission", "restriction"} <= set(topic.replies), topic.id
        assert topic.card_labels and topic.meanings, topic.id


# -- numbers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "model", "reply"),
    [
        ("we have 800M monthly users, can we use Llama 3?", "llama-3", "no"),
        ("we have 200 million monthly active users, can we use llama 3.1?", "llama-3.1", "yes"),
        ("our company makes $250k a year, can we use SD 3 Medium commercially?", "sd3", "yes"),
        ("our company makes $5M a year, can we use SD 3 Medium commercially?", "sd3", "no"),
        ("we're a studio making about $2M a year, is SD 3 Medium ok for us?", "sd3", "no"),
        ("we make €3m a year, is sd 3.5 large free for us?", "sd3", "no"),
        ("our app has 150 million monthly users, can we use qwen-72b?", "qwen-1", "no"),
        ("我们月活50万，qwen-72b可以商用吗", "qwen-1", "yes"),
    ],
)
def test_a_stated_number_is_compared_with_the_licence_threshold(engine, question, model, reply):
    answer = reply_of(engine, question)
    assert (answer.model, answer.reply, answer.topic) == (model, reply, "user-threshold")
    assert answer.quotes and answer.facts["quantity"]["value"] > 0
    assert_first_words_agree(engine.kb, answer)


def test_thresholds_are_structured_and_validated(shipped_kb):
    lic = shipped_kb.licenses["llama-2-community"]
    (t,) = lic.thresholds
    assert (t.metric, t.value) == (
        "monthly-active-users",
        700_000_000,
    ) and t.quote.source == "llama-2-license"
    assert shipped_kb.licenses["stability-community"].thresholds[0].currency == "USD"


# -- places ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "model", "reply"),
    [
        ("can my Dutch company use Llama 3.2 90B Vision?", "llama-3.2-vision", "no"),
        ("my company is in Lyon, can we use llama 3.2 11b vision?", "llama-3.2-vision", "no"),
        ("I'm in the EU, is llama 3.2 vision ok for me?", "llama-3.2-vision", "no"),
        ("we are US based, can we use llama 3.2 90b vision?", "llama-3.2-vision", "yes"),
        ("I'm in the UK, can I use HunyuanVideo?", "hunyuanvideo", "no"),
        ("can i use llama 3.2 in the eu", "llama-3.2", "depends"),
        ("我們公司在台灣，可以用 Llama 4 Scout 做客服機器人嗎？", "llama-4", "yes"),
    ],
)
def test_a_named_place_reaches_the_geographic_rider(engine, question, model, reply):
    answer = reply_of(engine, question)
    assert (answer.model, answer.reply) == (model, reply)
    assert_first_words_agree(engine.kb, answer)


def test_a_language_name_is_not_a_place(engine):
    assert "place" not in engine.ask("can i use llama 3.2 vision for german text?").facts


# -- prohibited uses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "model", "reply", "quoted"),
    [
        ("can I use llama 3.1 for military stuff", "llama-3.1", "no", "Military"),
        (
            "can i use gemma 3 for military stuff",
            "gemma",
            "depends",
            None,
        ),  # not named: says so, quotes what is
        ("is gemma ok for nsfw content", "gemma", "no", "sexually explicit"),
        ("can I use mistral 7b for military drones", "mistral-7b", "yes", None),  # Apache 2.0: no use policy
        (
            "can i use llama 2 to give medical advice",
            "llama-2",
            "depends",
            "medical",
        ),  # unlicensed practice only
    ],
)
def test_prohibited_uses_are_answered_from_the_policy_text(engine, question, model, reply, quoted):
    answer = reply_of(engine, question)
    # a family whose models share one policy is answered once for all of them
    assert answer.model == model or answer.family == engine.kb.models[model].family
    assert (answer.topic, answer.reply) == ("acceptable-use", reply)
    if quoted:
        assert any(quoted in q.text for q in answer.quotes)
    assert_first_words_agree(engine.kb, answer)


def test_a_prohibited_use_never_gets_a_bare_yes(engine):
    answer = reply_of(engine, "can i use gemma 3 for military stuff")
    assert answer.reply != "yes" and "military" in answer.answer and answer.quotes


# -- premises and generic licences -----------------------------------------------------------------------


def test_a_wrong_premise_is_corrected_first(engine):
    """Issue 10: "No — CogVideoX-5B is under the CogVideoX License ...", then the topic under that licence."""
    answer = reply_of(engine, "CogVideoX-5B is MIT so commercial use is fine?")
    assert answer.model == "cogvideox-5b" and answer.license == "cogvideox-license"
    assert answer.premise == "MIT License" and answer.reply == "no"
    text = render_text(engine.kb, answer)
    first = text.split("\n\n")[0].replace("\n", " ")
    assert first.startswith("No — CogVideoX-5B") and "is not under the MIT License" in first
    assert "the CogVideoX License" in first and "On commercial use: yes" in first
    assert not any(n.startswith("Careful:") for n in answer.notes)  # said once, at the start
    assert_first_words_agree(engine.kb, answer)


def test_a_wrong_premise_about_a_family_is_corrected_first(engine):
    answer = reply_of(engine, "CogVideoX is MIT so commercial use is fine?")
    assert answer.family == "cogvideo" and answer.premise == "MIT License" and answer.reply == "no"
    assert answer.answer.startswith("none of the CogVideoX")
    # a licence one of them really has is no wrong premise
    right = engine.ask("cogvideox 2b is apache so commercial use is fine?")
    assert right.premise is None and right.reply == "yes"


@pytest.mark.parametrize(
    ("question", "reply"), [("mistral 7b is apache right?", "yes"), ("llama 2 is apache right?", "no")]
)
def test_an_asserted_licence_is_checked(engine, question, reply):
    answer = reply_of(engine, question)
    assert answer.card and answer.reply == reply
    assert_first_words_agree(engine.kb, answer)


def test_an_unknown_model_is_never_answered_from_the_asserted_licence(engine):
    answer = engine.ask("Zorblax-7 is Apache 2.0, so I can sell it, right?")
    assert answer.status == UNANSWERED and answer.unknown_model == "Zorblax-7" and answer.loggable
    assert answer.verdict is None and answer.premise == "Apache License 2.0"
    assert len(answer.notes) == 1 and answer.notes[0].startswith("If Zorblax-7's own model card really")


@pytest.mark.parametrize(
    "question",
    [
        "the code is MIT — does that cover the weights?",
        "can I use the model commercially, the repo says Apache",
        "Does the MIT license apply to the provided weights too?",
    ],
)
def test_a_code_licence_is_not_the_weights_licence(engine, question):
    answer = engine.ask(question)
    assert answer.general == "code-vs-weights" and answer.license is None and answer.verdict is None


def test_a_code_licence_next_to_a_known_model_points_to_its_weights(engine):
    answer = reply_of(engine, "the flux dev repo code is apache, can I use the weights commercially?")
    assert answer.model == "flux-1-dev" and answer.reply == "no"
    assert any("does not cover the weights" in n for n in answer.notes)


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("are model weights copyrightable?", "weights-copyright"),
        ("do outputs inherit the model's license?", "outputs-license"),
        ("is a fine-tune a derivative?", "finetune-derivative"),
    ],
)
def test_general_questions_get_a_reviewed_general_entry(engine, question, entry):
    answer = reply_of(engine, question)
    assert answer.general == entry and answer.model is None and answer.license is None
    assert "General information" in render_text(engine.kb, answer)


def test_a_licence_question_about_an_unnamed_model_asks_which(engine):
    for question in (
        "is it apache 2?",
        "are these weights MIT?",
        "I would like to verify the licensing. It is Apache 2 ?",
    ):
        answer = engine.ask(question)
        assert answer.status != ANSWERED or answer.general, question


# -- 3. a model with no topic gets its licence card ---------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "model"),
    [
        ("phi-4 license", "phi"),
        ("olmo 2?", "olmo"),
        ("google/gemma-2-9b-it", "gemma"),
        ("https://huggingface.co/google/gemma-2-9b-it", "gemma"),
        ("what licence is deepseek v3 under?", "deepseek-v3"),
    ],
)
def test_a_bare_model_name_gets_its_licence_card(engine, question, model):
    answer = reply_of(engine, question)
    assert (answer.model, answer.topic, answer.card) == (model, None, True)
    assert answer.license == engine.kb.models[model].license
    data = answer.to_json()
    assert (data["status"], data["topic"], data["card"]) == ("answered", None, True)


def test_a_card_never_ticks_a_restriction(shipped_kb):
    embed = license_card(shipped_kb, "llama-2").to_dict()
    line = next(x for x in embed["description"].splitlines() if "**Termination and litigation**" in x)
    assert line.startswith(MEANING_EMOJI["restricted"])


def test_a_technical_question_about_a_model_is_not_a_card(engine):
    assert engine.ask("how much VRAM for llama 2 70b").status == UNANSWERED
    assert engine.ask("does it work with flux schnell").status == UNANSWERED


# -- 4. names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "can I use it commercially today?",
        "since yesterday, can we sell it?",
        "planning to use it this evening for my business, ok?",
    ],
)
def test_ordinary_words_are_never_unknown_models(engine, question):
    assert engine.ask(question).unknown_model is None


@pytest.mark.parametrize("question", ["thanks!", "lol", "hi", "ok cool thanks"])
def test_chatter_is_not_logged(engine, question):
    answer = engine.ask(question)
    assert answer.reason == "chatter" and not answer.loggable


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("can I use Linq-Embed-Mistral commercially?", "Linq-Embed-Mistral"),
        ("is GPT-NeoX ok for commercial use", "GPT-NeoX"),
        ("GPT-SoVITS commercial use?", "GPT-SoVITS"),
        ("ChatGLM-6B commercial use?", "ChatGLM-6B"),
        ("Foo-Mistral-7B-Zeta commercial use?", "Foo-Mistral-7B-Zeta"),
    ],
)
def test_a_family_word_inside_another_name_is_not_that_family(engine, question, name):
    answer = engine.ask(question)
    assert answer.status == UNANSWERED and answer.model is None and answer.candidates == ()
    assert name.lower() in (answer.unknown_model or "").lower()


def test_ministral_is_not_a_typo_of_mistral(engine):
    answer = engine.ask("Ministral 8B commercial use?")
    assert answer.model in (None, "ministral-8b")


def test_based_on_binds_only_the_name_after_it(engine):
    answer = reply_of(engine, "we are based on llama 3.1 now, but can I still train on llama 2 outputs?")
    assert (answer.model, answer.reply) == ("llama-2", "no")


def test_a_quoted_answer_is_not_the_question(engine):
    answer = reply_of(
        engine,
        "> Yes, Llama 3.2 can be used commercially and royalty-free\nbut can I train on llama 2 outputs?",
    )
    assert answer.model == "llama-2"


def test_a_family_whose_members_agree_is_answered_once(engine):
    answer = reply_of(engine, "can i use falcon commercially?")
    assert answer.family == "falcon" and answer.model is None and answer.reply == "yes"
    assert len(answer.members) == len(engine.kb.families["falcon"].members)
    assert "every Falcon" in answer.answer or "every" in answer.answer


def test_a_family_whose_members_differ_asks_which(engine):
    answer = engine.ask("can I use llama commercially?")
    assert answer.status == CLARIFY and {c.reply for c in answer.candidates} >= {"yes", "no"}


def test_a_series_offers_only_its_members(engine):
    answer = engine.ask("is qwen2.5 ok for commercial use?")
    series = next(s for s in engine.kb.families["qwen"].series if s.name == "Qwen2.5")
    if answer.status == CLARIFY:
        assert {c.model for c in answer.candidates} <= set(series.members)
    else:
        assert answer.model in series.members or {c.model for c in answer.members} <= set(series.members)


def test_a_number_the_licence_does_not_count_does_not_decide(engine):
    """500k users against a revenue cap settles nothing; revenue against a user cap changes nothing."""
    users = reply_of(engine, "is sd 3.5 large ok for commercial use? we have 500k MAU")
    assert users.reply == "depends" and "counts revenue, not users" in users.answer
    money = reply_of(engine, "can I use llama 3 if we make 5 million dollars a year?")
    assert money.reply == "yes" and "no revenue limit" in money.answer


def test_a_statement_after_the_question_belongs_to_it(engine):
    answer = engine.ask("is sd 3.5 large ok for commercial use? we have 500k MAU")
    assert not answer.parts and answer.reply == "depends"
    two = engine.ask("is llama 2 ok commercially? and can i fine-tune it?")
    assert len(two.parts) == 2


def test_a_number_in_a_licence_name_is_no_quantity_and_block_asks_about_a_ban(engine):
    answer = reply_of(engine, "does the llama 2 license block people in the EU")
    assert answer.topic == "geographic-restriction" and answer.reply == "no"


def test_a_name_joined_by_hyphens_is_not_split_into_two_questions(engine):
    answer = engine.ask("c4ai-command-r-plus can i fine tune and share it")
    assert answer.model == "command-r-plus" and not answer.parts


def test_a_place_and_a_question_without_a_model_asks_which_model(engine):
    answer = engine.ask("any limitation for china?")
    assert (answer.status, answer.topic, answer.reason) == ("clarify", "geographic-restriction", "no-model")
    assert engine.ask("I live in Berlin").status == "unanswered"  # a remark, not a question


def test_a_short_question_mark_lets_a_weak_topic_word_count(engine):
    answer = engine.ask("is there a limitation on qwen3 users?")
    assert (answer.model, answer.topic, answer.reply) == ("qwen3", "user-threshold", "no")
    remark = engine.ask(
        "I run a generative AI startup that's raising funds right now, would you want to try and get "
        "those resources to make our own MusicGen weights?"
    )
    assert remark.status != "answered"


def test_a_link_to_a_file_in_a_repository_names_the_repository(engine):
    answer = engine.ask(
        "fine-tune the CodeLlama-13B model, am I free to use it under the "
        "[commercial license](https://github.com/facebookresearch/llama/blob/main/LICENSE)?"
    )
    assert (answer.status, answer.model, answer.topic) == ("answered", "code-llama", "commercial-use")
    assert answer.unknown_model is None


def test_two_versions_joined_by_a_slash_are_both_answered(engine):
    answer = engine.ask("can I use llama2/3 commercially?")
    assert answer.status == "answered" and answer.compare
    assert [p.model for p in answer.parts] == ["llama-2", "llama-3"]


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("is stable diffusion 3.5 large ok if we make 3 million a year", "no"),
        ("we make 300k a year, can we use sd3 medium", "yes"),
        ("we're earning 200k per month, can we use sd 3.5?", "no"),  # 2.4M a year
    ],
)
def test_a_sum_earned_per_period_is_revenue_without_a_currency(engine, question, reply):
    answer = engine.ask(question)
    assert (answer.model, answer.topic, answer.reply) == ("sd3", "user-threshold", reply)


def test_making_a_number_of_things_is_not_revenue(engine):
    assert not engine.ask("can i make 1000 images with flux schnell").facts


@pytest.mark.parametrize(
    "question",
    [
        "we make $3M a year, can we use flux dev commercially",
        "we have 5M users, can we use command r commercially?",
        "we have 5M users, can we use command r?",
    ],
)
def test_a_number_never_turns_a_non_commercial_licence_into_a_yes(engine, question):
    answer = engine.ask(question)
    assert answer.reply == "no", answer.answer


def test_is_there_a_user_cap_is_a_restriction_question(engine):
    answer = engine.ask("we have 5M users, is there a user cap on command r?")
    assert (answer.topic, answer.reply) == ("user-threshold", "no")  # there is none (CC BY-NC has no cap)


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("is command r non-commercial?", "yes"),
        ("is llama 3 non-commercial?", "no"),
        ("is mistral 7b non commercial only?", "no"),
        ("is flux dev research only?", "yes"),
        ("command r 是非商用的吗", "yes"),
        ("can I use flux dev for non commercial projects?", "yes"),
        # asked both ways: the usual way decides
        ("can I use command r commercially or is it non-commercial only?", "no"),
    ],
)
def test_a_question_asked_the_other_way_round_gets_the_reply_the_other_way_round(engine, question, reply):
    answer = engine.ask(question)
    assert (answer.topic, answer.reply) == ("commercial-use", reply), answer.answer


def test_asking_someone_to_confirm_is_asking_the_question(engine):
    answer = engine.ask("could you confirm please whether llama 3 is ok for commercial use?")
    assert (answer.model, answer.topic, answer.reply) == ("llama-3", "commercial-use", "yes")


def test_a_word_that_describes_a_model_is_no_model_name(engine):
    answer = engine.ask("is the pretrained model ok for commercial use?")
    assert answer.status == "clarify" and answer.unknown_model is None
