"""The `riderbot` command line: ask, chat, eval, kb (validate / schema / export), run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings, SettingsError

EXIT_OK, EXIT_KNOWLEDGE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riderbot",
        description="Answers questions about AI model licences from a reviewed knowledge base.",
    )
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (default: $RIDERBOT_KNOWLEDGE or the bundled one)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    ask.add_argument("question", help="the question, or '-' to read one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per line)")

    sub.add_parser("chat", help="interactive console: type questions, Ctrl-D to quit")

    ev = sub.add_parser("eval", help="score the labelled question set")
    ev.add_argument("file", nargs="?", type=Path, help="a YAML question file or folder (default: knowledge/eval)")
    ev.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION")
    kb_sub.required = True
    kb_sub.add_parser("validate", help="check every knowledge file; exit 1 on any error")
    kb_sub.add_parser("schema", help="print a JSON Schema of the knowledge files")
    export = kb_sub.add_parser("export", help="print the resolved knowledge")
    export.add_argument("--json", action="store_true", required=True, help="JSON output (the only format)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    knowledge_dir = args.knowledge or settings.knowledge_dir

    if args.command == "kb" and args.kb_command == "schema":
        from bot.knowledge.schema import json_schema

        print(json.dumps(json_schema(), indent=2))
        return EXIT_OK

    try:
        kb = load_knowledge(knowledge_dir)
    except KnowledgeError as exc:
        print(f"riderbot: the knowledge base in {knowledge_dir} has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_KNOWLEDGE

    if args.command == "kb":
        if args.kb_command == "validate":
            print(f"ok: {len(kb.models)} models, {len(kb.licenses)} licences, {len(kb.sources)} sources, "
                  f"{sum(len(m.riders) for m in kb.models.values())} riders")
            return EXIT_OK
        from bot.knowledge.export import export_json

        print(json.dumps(export_json(kb), indent=2, ensure_ascii=False))
        return EXIT_OK

    from bot.engine import Engine

    engine = Engine(kb, knowledge_dir)
    if args.command == "ask":
        return _ask(engine, args.question, args.json)
    if args.command == "chat":
        from bot.console import run_console

        return run_console(engine)
    if args.command == "eval":
        return _eval(engine, knowledge_dir, args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover
    return EXIT_USAGE


def _ask(engine, question: str, as_json: bool) -> int:
    from bot.rendering import render_text

    if question == "-":
        questions = [line.rstrip("\n") for line in sys.stdin]
    else:
        questions = [question]
    for q in questions:
        if not q.strip():
            if question == "-":
                print(json.dumps({"status": "unanswered", "error": "empty question"}) if as_json else "")
                continue
            print("riderbot: the question is empty", file=sys.stderr)
            return EXIT_USAGE
        answer = engine.ask(q)
        if as_json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_text(engine.kb, answer), flush=True)
            if len(questions) > 1:
                print("-" * 40)
    return EXIT_OK


def _eval(engine, knowledge_dir: Path, args) -> int:
    from bot.evaluation import EvalFileError, evaluate, format_report, load_items

    path = args.file or (Path(knowledge_dir) / "eval")
    try:
        items = load_items(path, engine.kb)
    except EvalFileError as exc:
        print(f"riderbot: bad evaluation file:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(engine.matcher, items)
    if args.json:
        print(json.dumps({**report.metrics, "passed": report.passed()}, indent=2))
    else:
        print(format_report(report, verbose=args.verbose))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
