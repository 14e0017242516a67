"""`riderbot chat`: the local console, for trying the bot without Discord."""

from __future__ import annotations

import sys

from bot.engine import Engine
from bot.rendering import render_text

BANNER = """riderbot console: ask about AI model licences (e.g. "can I use Llama 3.1 outputs to train my model?").
Type a question and press Enter; Ctrl-D (or Ctrl-C) quits."""
MAX_QUESTION = 1000


def run_console(engine: Engine, stdin=None, stdout=None, log=None) -> int:
    """`log(answer)` is called for every answer (the CLI queues the unanswered ones)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
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
                continue
            if question.lower() in {"quit", "exit", ":q"}:
                break
            if len(question) > MAX_QUESTION:
                print(
                    f"That question is {len(question)} characters long; please keep it under {MAX_QUESTION}.",
                    file=stdout,
                )
                continue
            answer = engine.ask(question)
            if log is not None:
                log(answer)
            print(render_text(engine.kb, answer), file=stdout, flush=True)
    except KeyboardInterrupt:
        pass
    print("\nbye", file=stdout)
    return 0
