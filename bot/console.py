"""`riderbot chat`: the local console, for trying the bot without Discord.

It keeps a conversation as Discord does (bot.conversations): a follow-up ("and 3.1?", "what about
redistribution?") takes what it lacks from the question before it, for ten minutes; an empty line
starts a new conversation. `riderbot chat --json` is the same for programs: one message per input
line, one JSON object per message (the `ask --json` shape, with `parts` for several questions).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TextIO

from bot.conversations import Conversations, Where
from bot.engine import Engine
from bot.matching import Answer
from bot.matching.matcher import Context
from bot.rendering import render_text

BANNER = """riderbot console: ask about AI model licences (e.g. "can I use Llama 3.1 outputs to train my model?").
Type a question and press Enter; follow-ups ("and 3.1?") use your earlier question, an empty line
starts over. Ctrl-D (or Ctrl-C) quits."""
NEW_CONVERSATION = "(a new conversation: the next question starts afresh)"
MAX_QUESTION = 1000
HERE, ME = Where(None, 0), 0  # the console is one member in one place


class Conversation:
    """The console's one conversation: each message asked in the context the one before it left."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = Conversations()

    def ask(self, question: str) -> Answer:
        context = self.store.context_for(HERE, ME)
        answer = self.engine.ask(question, context)
        self.store.remember(Context.of(answer), HERE, ME)  # chatter leaves the conversation as it was
        return answer

    def reset(self) -> bool:
        """Start over; whether there was anything to forget."""
        had = self.store.context_for(HERE, ME) is not None
        self.store.clear()
        return had


def too_long(question: str) -> str:
    return f"the question is {len(question):,} characters long; please keep it to {MAX_QUESTION:,} or fewer"


def run_console(
    engine: Engine,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    log: Callable[[Answer], object] | None = None,
    *,
    as_json: bool = False,
) -> int:
    """`log(answer)` is called for every answer (the CLI stores them; the unanswered are queued)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if as_json:
        return _run_json(engine, stdin, stdout, log)
    interactive = stdin.isatty()
    conversation = Conversation(engine)
    print(BANNER, file=stdout)
    try:
        while True:
            if interactive:
                try:
                    line = input("\nyou> ")
                except EOFError:
                    break
            else:
                print("\nyou> ", end="", file=stdout, flush=True)
                line = stdin.readline()
                if not line:
                    break
            question = line.strip()
            if not question:
                if conversation.reset():
                    print(NEW_CONVERSATION, file=stdout, flush=True)
                continue
            if question.lower() in {"quit", "exit", ":q"}:
                break
            if len(question) > MAX_QUESTION:
                print(
                    f"That question is {len(question)} characters long; please keep it under {MAX_QUESTION}.",
                    file=stdout,
                )
                continue
            answer = conversation.ask(question)
            if log is not None:
                log(answer)
            print(render_text(engine.kb, answer), file=stdout, flush=True)
    except KeyboardInterrupt:
        pass
    print("\nbye", file=stdout)
    return 0


def _run_json(engine: Engine, stdin: TextIO, stdout: TextIO, log: Callable[[Answer], object] | None) -> int:
    """One message per line in, one JSON object per message out; an empty line prints nothing and
    starts a new conversation. A message over the limit gets `{"status": "unanswered", "error"}`
    (and is not stored), as with `ask --json -`."""
    conversation = Conversation(engine)
    try:
        for line in stdin:
            question = line.strip()
            if not question:
                conversation.reset()
                continue
            if len(question) > MAX_QUESTION:
                out = {"status": "unanswered", "error": too_long(question)}
            else:
                answer = conversation.ask(question)
                if log is not None:
                    log(answer)
                out = answer.to_json()
            print(json.dumps(out, ensure_ascii=False), file=stdout, flush=True)
    except KeyboardInterrupt:
        pass
    return 0
