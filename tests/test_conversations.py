"""The conversation store (bot/conversations.py): which context a follow-up takes, and what it never
takes (another member's, another channel's or server's, an expired one), within its bounds."""

from __future__ import annotations

from bot.conversations import Conversations, Where
from bot.matching.matcher import Context

GUILD, OTHER_GUILD = 1, 2
GENERAL, RANDOM, THREAD = 10, 11, 12
ALICE, BOB = 100, 101

LLAMA_2 = Context(model="llama-2", topic="commercial-use")
MISTRAL = Context(model="mistral-7b", topic="redistribution")
QWEN = Context(model="qwen2.5", topic="fine-tuning-derivatives")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(**kwargs) -> tuple[Conversations, Clock]:
    clock = Clock()
    return Conversations(clock=clock, **kwargs), clock


def test_the_same_members_last_question_in_the_channel_is_the_context():
    conv, _ = store()
    here = Where(GUILD, GENERAL)
    assert conv.context_for(here, ALICE) is None
    conv.remember(LLAMA_2, here, ALICE)
    assert conv.context_for(here, ALICE) == LLAMA_2
    conv.remember(MISTRAL, here, ALICE)
    assert conv.context_for(here, ALICE) == MISTRAL


def test_context_never_crosses_members_channels_or_servers():
    conv, _ = store()
    conv.remember(LLAMA_2, Where(GUILD, GENERAL), ALICE)
    assert conv.context_for(Where(GUILD, GENERAL), BOB) is None  # another member
    assert conv.context_for(Where(GUILD, RANDOM), ALICE) is None  # another channel
    assert conv.context_for(Where(OTHER_GUILD, GENERAL), ALICE) is None  # another server, same ids
    assert conv.context_for(Where(None, GENERAL), ALICE) is None  # a DM is not the server
    conv.remember(MISTRAL, Where(GUILD, GENERAL), BOB)
    assert conv.context_for(Where(GUILD, GENERAL), ALICE) == LLAMA_2  # interleaving: each keeps theirs
    assert conv.context_for(Where(GUILD, GENERAL), BOB) == MISTRAL


def test_a_reply_to_riderbots_answer_takes_that_answers_context_first():
    conv, _ = store()
    here = Where(GUILD, GENERAL)
    conv.remember(LLAMA_2, here, ALICE, question_id=500, answer_id=501)
    conv.remember(MISTRAL, here, ALICE, question_id=502, answer_id=503)
    assert conv.context_for(here, ALICE, reply_to=501) == LLAMA_2  # not the later MISTRAL
    assert conv.context_for(here, BOB, reply_to=501) == LLAMA_2  # anyone replying to the answer
    assert conv.context_for(Where(GUILD, RANDOM), ALICE, reply_to=501) is None  # not across channels
    assert conv.context_for(Where(OTHER_GUILD, GENERAL), BOB, reply_to=501) is None


def test_a_reply_to_a_question_takes_its_context_only_for_its_own_asker():
    conv, _ = store()
    here = Where(GUILD, GENERAL)
    conv.remember(LLAMA_2, here, ALICE, question_id=500, answer_id=501)
    conv.remember(MISTRAL, here, ALICE, question_id=502)
    assert conv.context_for(here, ALICE, reply_to=500) == LLAMA_2
    assert conv.context_for(here, BOB, reply_to=500) is None  # Alice's question is not Bob's context
    # a reply to a message riderbot knows nothing about: the member's own conversation
    assert conv.context_for(here, ALICE, reply_to=999) == MISTRAL


def test_in_a_thread_the_starter_question_counts_for_everyone():
    conv, _ = store()
    thread = Where(GUILD, THREAD, thread_parent_id=GENERAL)
    conv.remember(LLAMA_2, thread, ALICE, question_id=600, answer_id=601)
    assert conv.context_for(thread, BOB) == LLAMA_2
    conv.remember(MISTRAL, thread, BOB)  # Bob's own follow-up is his conversation, not the thread's
    assert conv.context_for(thread, BOB) == MISTRAL
    assert conv.context_for(Where(GUILD, THREAD, GENERAL), 102) == LLAMA_2
    assert conv.context_for(Where(GUILD, GENERAL), 102) is None  # the parent channel is not the thread


def test_a_thread_started_from_a_question_takes_that_question():
    conv, _ = store()
    conv.remember(QWEN, Where(GUILD, GENERAL), ALICE, question_id=THREAD, answer_id=700)
    assert conv.context_for(Where(GUILD, THREAD, thread_parent_id=GENERAL), BOB) == QWEN
    assert conv.context_for(Where(GUILD, THREAD, thread_parent_id=RANDOM), BOB) is None


def test_a_dm_is_a_conversation_of_its_own():
    conv, _ = store()
    dm = Where(None, 900)
    conv.remember(QWEN, dm, ALICE, question_id=901, answer_id=902)
    assert conv.context_for(dm, ALICE) == QWEN
    assert conv.context_for(dm, ALICE, reply_to=902) == QWEN
    assert conv.context_for(Where(GUILD, 900), ALICE) is None


def test_a_context_expires_ten_minutes_after_its_question():
    conv, clock = store()
    here = Where(GUILD, GENERAL)
    conv.remember(LLAMA_2, here, ALICE, question_id=1, answer_id=2)
    clock.now += 599
    assert conv.context_for(here, ALICE) == LLAMA_2
    assert conv.context_for(here, ALICE, reply_to=2) == LLAMA_2
    conv.remember(None, here, ALICE, question_id=3)  # chatter does not keep it alive
    clock.now += 2
    assert conv.context_for(here, ALICE) is None
    assert conv.context_for(here, ALICE, reply_to=2) is None
    assert len(conv) == 1  # the question's key: dropped when next read, or pushed out by the cap
    conv.remember(MISTRAL, here, ALICE)
    clock.now += 599
    assert conv.context_for(here, ALICE) == MISTRAL  # a new question starts the ten minutes again


def test_a_threads_starter_lives_while_the_thread_asks_questions():
    conv, clock = store()
    thread = Where(GUILD, THREAD, thread_parent_id=GENERAL)
    conv.remember(LLAMA_2, thread, ALICE)
    clock.now += 500
    conv.remember(MISTRAL, thread, BOB)
    clock.now += 500
    assert conv.context_for(thread, 102) == LLAMA_2  # Alice's own entry is gone; the thread's is not
    assert conv.context_for(thread, ALICE) == LLAMA_2
    clock.now += 501
    assert conv.context_for(thread, 102) is None


def test_the_store_is_bounded_least_recently_used_first():
    conv, _ = store(max_entries=3)
    for user in range(10):
        conv.remember(LLAMA_2, Where(GUILD, GENERAL), user)
    assert len(conv) == 3
    assert conv.context_for(Where(GUILD, GENERAL), 0) is None
    assert conv.context_for(Where(GUILD, GENERAL), 7) == LLAMA_2
    conv.remember(MISTRAL, Where(GUILD, GENERAL), 10)  # pushes out 8, the least recently used
    assert conv.context_for(Where(GUILD, GENERAL), 8) is None
    assert conv.context_for(Where(GUILD, GENERAL), 7) == LLAMA_2


def test_chatter_leaves_the_conversation_as_it_was():
    conv, _ = store()
    here = Where(GUILD, GENERAL)
    conv.remember(LLAMA_2, here, ALICE)
    conv.remember(None, here, ALICE, question_id=5, answer_id=6)
    assert conv.context_for(here, ALICE) == LLAMA_2


def test_a_clarify_pick_sets_the_model_of_the_message_its_question_and_the_thread():
    conv, _ = store()
    thread = Where(GUILD, THREAD, thread_parent_id=GENERAL)
    family = Context(family="llama", members=("llama-2", "llama-3.1"), topic="commercial-use")
    conv.remember(family, thread, ALICE, question_id=800, answer_id=801)
    picked = Context(model="llama-3.1", topic="commercial-use")
    conv.picked(picked, thread, ALICE, 801)
    assert conv.context_for(thread, ALICE) == picked
    assert conv.context_for(thread, ALICE, reply_to=800) == picked
    assert conv.context_for(thread, BOB) == picked  # the thread's starter
    assert conv.context_for(thread, BOB, reply_to=801) == picked


def test_a_pick_on_an_old_clarify_does_not_undo_a_newer_question():
    conv, _ = store()
    here = Where(GUILD, GENERAL)
    conv.remember(Context(family="llama", topic="commercial-use"), here, ALICE, answer_id=801)
    conv.remember(MISTRAL, here, ALICE, answer_id=802)
    conv.picked(LLAMA_2, here, ALICE, 801)
    assert conv.context_for(here, ALICE) == MISTRAL
    assert conv.context_for(here, ALICE, reply_to=801) == LLAMA_2
    # a pick on a message the store no longer has (a restart) still starts the conversation
    conv.clear()
    conv.picked(LLAMA_2, here, ALICE, 801)
    assert conv.context_for(here, ALICE) == LLAMA_2


def test_forgetting_a_member_drops_everything_they_asked():
    conv, _ = store()
    conv.remember(LLAMA_2, Where(GUILD, GENERAL), ALICE, question_id=1, answer_id=2)
    conv.remember(MISTRAL, Where(GUILD, GENERAL), BOB, question_id=3, answer_id=4)
    assert conv.forget_user(ALICE) == 3
    assert conv.context_for(Where(GUILD, GENERAL), ALICE) is None
    assert conv.context_for(Where(GUILD, GENERAL), 102, reply_to=2) is None  # her answer is gone too
    assert conv.context_for(Where(GUILD, GENERAL), BOB) == MISTRAL
