"""The `riderbot` command line: ask, chat, eval, kb (validate / schema / export), run."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings, SettingsError

EXIT_OK, EXIT_KNOWLEDGE, EXIT_USAGE, EXIT_STORAGE = 0, 1, 2, 3
MAX_ID = 2**63 - 1  # database ids and Discord snowflakes are signed 64-bit
MAX_QUESTION_CHARS = 1000  # Discord's limit; the same everywhere (bot.storage refuses longer ones too)


def bounded_int(low: int, high: int, what: str):
    """An argparse type: a whole number in [low, high], else a clear usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:,} and {high:,}, not {text}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


ENTRY_ID = bounded_int(1, MAX_ID, "the entry id")


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
    sub.add_parser("run", help="connect to Discord and answer there (needs DISCORD_TOKEN)")

    ev = sub.add_parser("eval", help="score the labelled question set")
    ev.add_argument("file", nargs="?", type=Path, help="a YAML question file or folder (default: knowledge/eval)")
    ev.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")

    bench = sub.add_parser("bench", help="measure matching speed, loading and memory against a plain baseline")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--quick", action="store_true", help="a few seconds; fails only on a 10x regression")

    stats = sub.add_parser("stats", help="questions per day, outcome shares, top models and topics, feedback")
    stats.add_argument("--days", type=bounded_int(1, 36_500, "--days"), default=30)
    stats.add_argument("--json", action="store_true")

    sub.add_parser("health", help="exit 0 when knowledge is valid, the database writable and the gateway heartbeat recent")

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION")
    kb_sub.required = True
    kb_sub.add_parser("validate", help="check every knowledge file; exit 1 on any error")
    kb_sub.add_parser("readme", help="regenerate the table of covered models in README.md")
    alias = kb_sub.add_parser("alias", help="add an alias to a model (validated, written to knowledge/edits/)")
    alias.add_argument("model", help="model id, e.g. llama-2")
    alias.add_argument("alias", help="the new spelling, e.g. 'L2-chat'")

    review = sub.add_parser("review", help="the queue of questions the bot could not answer")
    review_sub = review.add_subparsers(dest="review_command", metavar="ACTION")
    review_sub.required = True
    listing = review_sub.add_parser("list", help="list queue entries")
    listing.add_argument("--status", choices=["open", "resolved", "dismissed", "all"], default="open")
    listing.add_argument("--sort", choices=["count", "newest"], default="count", help="most asked first, or newest")
    listing.add_argument("--limit", type=bounded_int(1, 100_000, "--limit"), default=50)
    listing.add_argument("--json", action="store_true")
    _scope_options(listing)
    show = review_sub.add_parser("show", help="everything known about one entry")
    show.add_argument("id", type=ENTRY_ID)
    show.add_argument("--json", action="store_true")
    resolve = review_sub.add_parser("resolve", help="link an entry to an answer; its wording is learned")
    resolve.add_argument("id", type=ENTRY_ID)
    resolve.add_argument("--model", help="model id (or give --license for a licence question)")
    resolve.add_argument("--license", help="licence id")
    resolve.add_argument("--topic", required=True)
    dismiss = review_sub.add_parser("dismiss", help="drop an entry (off-topic, spam, duplicate...)")
    dismiss.add_argument("id", type=ENTRY_ID)
    dismiss.add_argument("--reason", required=True)
    export_q = review_sub.add_parser("export", help="the queue as CSV on stdout")
    export_q.add_argument("--status", choices=["open", "resolved", "dismissed", "all"], default="all")
    _scope_options(export_q)
    kb_sub.add_parser("schema", help="print a JSON Schema of the knowledge files")
    export = kb_sub.add_parser("export", help="print the resolved knowledge")
    export.add_argument("--json", action="store_true", required=True, help="JSON output (the only format)")
    return parser


def _scope_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--guild", type=bounded_int(1, MAX_ID, "--guild"), metavar="ID", help="only this server's entries")
    group.add_argument("--dms", action="store_true", help="only entries from DMs and the command line")
    group.add_argument("--maintainers", action="store_true", help="the maintainers' queue: DMs + forwarded entries")


def _scope_of(args) -> object:
    if getattr(args, "guild", None):
        return args.guild
    if getattr(args, "dms", False):
        return "dms"
    if getattr(args, "maintainers", False):
        return "maintainers"
    return "all"


def main(argv: list[str] | None = None) -> int:
    from bot.storage import StorageError

    try:
        return _main(argv)
    except StorageError as exc:  # one sentence, no traceback: the database cannot be used
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_STORAGE


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    knowledge_dir = args.knowledge or settings.knowledge_dir

    if args.command == "run":
        from bot.client import run_bot

        return run_bot(settings, knowledge_dir)

    if args.command == "bench":
        from bot.bench import main as bench_main

        return bench_main(args.json, args.quick)

    if args.command == "health":
        from bot.health import run_health

        return asyncio.run(run_health(settings, knowledge_dir))
    if args.command == "stats":
        return asyncio.run(_stats(settings, args))

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
        if args.kb_command == "readme":
            from bot.knowledge.table import update_readme

            readme = Path(__file__).resolve().parents[1] / "README.md"
            changed = update_readme(readme, kb)
            print(f"{readme}: {'updated' if changed else 'already current'}")
            return EXIT_OK
        if args.kb_command == "alias":
            return asyncio.run(_kb_alias(settings, knowledge_dir, kb, args))
        from bot.knowledge.export import export_json

        print(json.dumps(export_json(kb), indent=2, ensure_ascii=False))
        return EXIT_OK

    from bot.engine import Engine

    engine = Engine(kb, knowledge_dir)
    if args.command == "ask":
        return asyncio.run(_ask(engine, settings, args.question, args.json))
    if args.command == "chat":
        from bot.console import run_console

        return asyncio.run(_with_storage(engine, settings, lambda log: run_console(engine, log=log)))
    if args.command == "review":
        return asyncio.run(_review(engine, settings, args))
    if args.command == "eval":
        return _eval(engine, knowledge_dir, args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover
    return EXIT_USAGE


async def _open_storage(engine, settings: Settings):
    """Open the database named by RIDERBOT_DB and teach the matcher what moderators resolved."""
    from bot.storage import open_storage

    storage = await open_storage(settings)
    try:
        engine.teach(await storage.learned(all_guilds=True))
    except BaseException:
        await storage.close()
        raise
    return storage


async def _with_storage(engine, settings: Settings, body) -> int:
    """Run a console-style `body(log)` where `log(answer)` queues what could not be answered."""
    from bot.engine import log_outcome

    storage = await _open_storage(engine, settings)
    loop = asyncio.get_running_loop()
    pending: list[asyncio.Future] = []

    def log(answer) -> None:
        pending.append(asyncio.run_coroutine_threadsafe(log_outcome(storage, answer, source="cli"), loop))

    try:
        return await asyncio.to_thread(body, log)
    finally:
        for future in pending:
            await asyncio.wrap_future(future)
        await storage.close()


async def _ask(engine, settings: Settings, question: str, as_json: bool) -> int:
    from bot.engine import log_outcome
    from bot.rendering import render_text

    if question == "-":
        questions = [line.rstrip("\n") for line in sys.stdin]
    else:
        questions = [question]
        if not question.strip():
            print("riderbot: the question is empty", file=sys.stderr)
            return EXIT_USAGE
        if len(question) > MAX_QUESTION_CHARS:
            print(f"riderbot: {_too_long(question)}", file=sys.stderr)
            return EXIT_USAGE
    storage = await _open_storage(engine, settings)
    try:
        for q in questions:
            if not q.strip():
                print(json.dumps({"status": "unanswered", "error": "empty question"}) if as_json else "")
                continue
            if len(q) > MAX_QUESTION_CHARS:  # refused, and not stored
                print(json.dumps({"status": "unanswered", "error": _too_long(q)}) if as_json else _too_long(q), flush=True)
                continue
            start = time.perf_counter()
            answer = engine.ask(q)
            await log_outcome(storage, answer, source="cli", millis=1000 * (time.perf_counter() - start))
            if as_json:
                print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
            else:
                print(render_text(engine.kb, answer), flush=True)
                if len(questions) > 1:
                    print("-" * 40)
    finally:
        await storage.close()
    return EXIT_OK


def _too_long(question: str) -> str:
    return f"the question is {len(question):,} characters long; please keep it to {MAX_QUESTION_CHARS:,} or fewer"


async def _kb_alias(settings: Settings, knowledge_dir: Path, kb, args) -> int:
    from bot.knowledge.edits import EditRefused, add_alias
    from bot.storage import open_storage

    before = list(kb.models[args.model].aliases) if args.model in kb.models else None
    try:
        add_alias(knowledge_dir, kb, args.model, args.alias)
    except EditRefused as exc:
        print(f"riderbot: alias refused, nothing changed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    storage = await open_storage(settings)
    try:
        await storage.audit(None, "alias", args.model, f"model {args.model}", ", ".join(before or []), args.alias)
    finally:
        await storage.close()
    print(f"added alias {args.alias!r} to {args.model} (knowledge/edits/{kb.models[args.model].family}.yaml)")
    return EXIT_OK


async def _review(engine, settings: Settings, args) -> int:
    from bot.storage import open_storage

    storage = await open_storage(settings)
    try:
        return await _review_action(engine, storage, args)
    finally:
        await storage.close()


async def _review_action(engine, storage, args) -> int:
    # the operator sees every server's entries (list and export can narrow it with --guild/--dms)
    action = args.review_command
    if action == "list":
        status = None if args.status == "all" else args.status
        rows = await storage.list_queue(status, sort=args.sort, limit=args.limit, scope=_scope_of(args))
        if args.json:
            print(json.dumps([_entry_json(r) for r in rows], indent=2, ensure_ascii=False))
        elif not rows:
            print(f"no {args.status} entries")
        else:
            for r in rows:
                where = f"guild {r['guild_id']}" if r["guild_id"] is not None else "DM/CLI"
                fwd = " fwd" if r.get("forwarded_at") else ""
                print(f"#{r['id']:<5} x{r['count']:<4} [{r['status']}{fwd}] {where:<26} {r['question'][:70]!r}  "
                      f"guess: {r['best_guess'] or '-'}")
        return EXIT_OK
    if action == "export":
        sys.stdout.write(await storage.export_csv(None if args.status == "all" else args.status, scope=_scope_of(args)))
        return EXIT_OK
    entry = await storage.get_entry(args.id, scope="all")
    if entry is None:
        print(f"riderbot: no queue entry #{args.id}", file=sys.stderr)
        return EXIT_USAGE
    if action == "show":
        data = _entry_json(entry)
        if args.json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            for key, value in data.items():
                print(f"{key:>18}: {value}")
        return EXIT_OK
    if action == "dismiss":
        await storage.dismiss(args.id, args.reason, None, scope="all")
        print(f"dismissed #{args.id} ({args.reason})")
        return EXIT_OK
    # resolve
    kb = engine.kb
    if args.topic not in kb.topics:
        print(f"riderbot: unknown topic {args.topic!r}; topics: {', '.join(kb.topics)}", file=sys.stderr)
        return EXIT_USAGE
    if (args.model is None) == (args.license is None):
        print("riderbot: give exactly one of --model or --license", file=sys.stderr)
        return EXIT_USAGE
    if args.model is not None and args.model not in kb.models:
        print(f"riderbot: unknown model {args.model!r}", file=sys.stderr)
        return EXIT_USAGE
    if args.license is not None and args.license not in kb.licenses:
        print(f"riderbot: unknown licence {args.license!r}", file=sys.stderr)
        return EXIT_USAGE
    await storage.resolve(args.id, args.model, args.license, args.topic, None, scope="all")
    print(f"resolved #{args.id}: {entry['question']!r} -> {args.model or args.license}/{args.topic}")
    return EXIT_OK


async def _stats(settings: Settings, args) -> int:
    from bot.rendering.stats import format_stats
    from bot.storage import open_storage

    storage = await open_storage(settings)
    try:
        data = await storage.stats(days=args.days, scope="all")
    finally:
        await storage.close()
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else format_stats(data))
    return EXIT_OK


def _entry_json(row: dict) -> dict:
    from bot.storage import iso

    out = dict(row)
    out.pop("normalized", None)
    for key in ("first_seen", "last_seen", "decided_at", "forwarded_at"):
        if key in out:
            out[key] = iso(out[key])
    return out


def _eval(engine, knowledge_dir: Path, args) -> int:
    from bot.evaluation import EvalFileError, evaluate, format_report, load_items

    path = args.file or (Path(knowledge_dir) / "eval")
    try:
        items = load_items(path, engine.kb)
    except EvalFileError as exc:
        print(f"riderbot: bad evaluation file:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    evaluation = evaluate(engine.matcher, items)
    if args.json:
        print(json.dumps({**evaluation.metrics, "written": evaluation.written.metrics, "real": evaluation.real.metrics,
                          "files": {name: r.metrics for name, r in evaluation.files.items()},
                          "passed": evaluation.passed()}, indent=2))
    else:
        print(format_report(evaluation, verbose=args.verbose))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
