"""The `riderbot` command line: ask, chat, start, run, eval, bench, stats, health, kb, review.

Exit codes: 0 for any answer, 1 when the knowledge base fails validation (or `health` fails), 2 for
usage errors (and a missing token for `run`), 3 when `run` cannot reach Discord or open the
database, 141 when the reader of stdout went away (`riderbot ask ... | head`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Coroutine
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from bot.knowledge import KnowledgeError, default_knowledge_dir, load_knowledge
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
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE
MAX_DAYS = 36_500
T = TypeVar("T")

NO_TOKEN = """No DISCORD_TOKEN set, so riderbot starts its local console instead of connecting to Discord.
To run it on Discord: create an application at https://discord.com/developers/applications,
add a bot, copy its token, put DISCORD_TOKEN=... in .env and run 'make run' again (see README).
"""


def version() -> str:
    try:
        return metadata.version("riderbot")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riderbot",
        description="Answers questions about AI model licences from a reviewed knowledge base.",
    )
    parser.add_argument("--version", action="version", version=f"riderbot {version()}")
    parser.add_argument(
        "--knowledge", type=Path, help="knowledge folder (default: $RIDERBOT_KNOWLEDGE or the bundled one)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    ask.add_argument("question", help="the question, or '-' to read one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per line)")

    chat = sub.add_parser(
        "chat", help="interactive console (follow-ups keep the conversation): Ctrl-D or Ctrl-C to quit"
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="read one message per line from stdin, print one JSON object per message (as ask --json), "
        "keeping the conversation between lines; an empty line starts a new one",
    )
    sub.add_parser("run", help="connect to Discord and answer there (needs DISCORD_TOKEN)")
    sub.add_parser(
        "start",
        help="what `make run` does: `run` when DISCORD_TOKEN is set (environment or .env), "
        "else explain how to get one and open the console",
    )

    ev = sub.add_parser("eval", help="score the labelled question set")
    ev.add_argument(
        "file", nargs="?", type=Path, help="a YAML question file or folder (default: knowledge/eval)"
    )
    ev.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")

    bench = sub.add_parser(
        "bench", help="measure matching speed, loading and memory against a plain baseline"
    )
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--quick", action="store_true", help="a few seconds; fails only on a 10x regression")

    stats = sub.add_parser("stats", help="questions per day, outcome shares, top models and topics, feedback")
    stats.add_argument(
        "--days",
        type=bounded_int(1, MAX_DAYS, "--days"),
        default=30,
        help=f"how many days back, 1 to {MAX_DAYS:,} (default 30)",
    )
    stats.add_argument("--json", action="store_true")

    sub.add_parser(
        "health",
        help="exit 0 when knowledge is valid, the database writable and the gateway heartbeat recent",
    )

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION")
    kb_sub.required = True
    kb_sub.add_parser("validate", help="check every knowledge file; exit 1 on any error")
    kb_sub.add_parser("readme", help="regenerate the table of covered models in README.md")
    alias = kb_sub.add_parser(
        "alias",
        help="add an alias to a model for every server (checked like /kb alias, stored in the database)",
    )
    alias.add_argument("model", help="the model: an id or any name riderbot knows, e.g. llama-2 or 'Llama 2'")
    alias.add_argument("alias", help="the new spelling, e.g. 'L2-chat'")
    alias.add_argument(
        "--guild", type=bounded_int(1, MAX_ID, "--guild"), metavar="ID", help="for this server only"
    )
    add_model = kb_sub.add_parser(
        "add-model",
        help="add a model under a licence riderbot has, with its evidence (checked like /kb add-model)",
    )
    add_model.add_argument("--family", required=True, help="the family it belongs to, e.g. flux")
    add_model.add_argument("--id", required=True, dest="model_id", help="a new model id, e.g. flux.1-dev")
    add_model.add_argument("--name", required=True, help="its name as the licensor writes it")
    add_model.add_argument("--license", required=True, help="the licence: an id or a name")
    add_model.add_argument("--evidence-url", required=True, help="the licensor's page saying which licence")
    add_model.add_argument("--evidence-line", required=True, help="the line on that page, verbatim")
    add_model.add_argument("--alias", action="append", default=[], help="another name (repeatable)")
    add_model.add_argument("--kind", help="what kind of model (llm, image, tts...)")
    kb_sub.add_parser(
        "diff", help="print the maintainers' edits as a patch against the knowledge folder (to send upstream)"
    )
    kb_sub.add_parser("edits", help="list the maintainers' edits stored in the database")
    revert = kb_sub.add_parser("revert", help="withdraw one of the maintainers' edits (kept as history)")
    revert.add_argument("id", type=ENTRY_ID, help="the edit's number, from `riderbot kb edits`")

    review = sub.add_parser("review", help="the queue of questions the bot could not answer")
    review_sub = review.add_subparsers(dest="review_command", metavar="ACTION")
    review_sub.required = True
    listing = review_sub.add_parser("list", help="list queue entries")
    listing.add_argument("--status", choices=["open", "resolved", "dismissed", "all"], default="open")
    listing.add_argument(
        "--sort", choices=["count", "newest"], default="count", help="most asked first, or newest"
    )
    listing.add_argument("--limit", type=bounded_int(1, 100_000, "--limit"), default=50)
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--group", action="store_true", help="the unknown models asked about, most asked first"
    )
    _scope_options(listing)
    show = review_sub.add_parser("show", help="everything known about one entry")
    show.add_argument("id", type=ENTRY_ID)
    show.add_argument("--json", action="store_true")
    resolve = review_sub.add_parser("resolve", help="link an entry to an answer; its wording is learned")
    resolve.add_argument("id", type=ENTRY_ID)
    resolve.add_argument("--model", help="the model: an id or any name riderbot knows (or give --license)")
    resolve.add_argument("--license", help="the licence: an id or a name")
    resolve.add_argument("--topic", required=True)
    resolve.add_argument(
        "--force", action="store_true", help="re-decide an entry already resolved or dismissed"
    )
    dismiss = review_sub.add_parser("dismiss", help="drop an entry (off-topic, spam, duplicate...)")
    dismiss.add_argument("id", type=ENTRY_ID)
    dismiss.add_argument("--reason", required=True)
    dismiss.add_argument(
        "--force", action="store_true", help="re-decide an entry already resolved or dismissed"
    )
    export_q = review_sub.add_parser("export", help="the queue as CSV on stdout (or JSON with --json)")
    export_q.add_argument("--status", choices=["open", "resolved", "dismissed", "all"], default="all")
    export_q.add_argument("--json", action="store_true", help="a JSON array of entries instead of CSV")
    _scope_options(export_q)
    kb_sub.add_parser("schema", help="print a JSON Schema of the knowledge files")
    export = kb_sub.add_parser("export", help="print the resolved knowledge")
    export.add_argument("--json", action="store_true", required=True, help="JSON output (the only format)")
    return parser


def _scope_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--guild", type=bounded_int(1, MAX_ID, "--guild"), metavar="ID", help="only this server's entries"
    )
    group.add_argument("--dms", action="store_true", help="only entries from DMs and the command line")
    group.add_argument(
        "--maintainers", action="store_true", help="the maintainers' queue: DMs + forwarded entries"
    )


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
    except BrokenPipeError:
        # the reader went away (`riderbot ask ... | head`): stop quietly, as a SIGPIPE'd tool would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    knowledge_dir = args.knowledge or settings.knowledge_dir

    if args.command == "start" and settings.discord_token is None:
        print(NO_TOKEN)
        args.command, args.json = "chat", False
    if args.command in ("run", "start"):
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
        print(
            f"riderbot: the knowledge base in {knowledge_dir} has {len(exc.problems)} problem(s):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_KNOWLEDGE

    if args.command == "kb":
        if args.kb_command == "validate":
            print(
                f"ok: {len(kb.models)} models, {len(kb.licenses)} licences, {len(kb.sources)} sources, "
                f"{sum(len(m.riders) for m in kb.models.values())} riders"
            )
            return EXIT_OK
        if args.kb_command == "readme":
            from bot.knowledge.table import update_readme

            readme = Path(__file__).resolve().parents[1] / "README.md"
            changed = update_readme(readme, kb)
            print(f"{readme}: {'updated' if changed else 'already current'}")
            return EXIT_OK
        if args.kb_command in ("alias", "add-model", "diff", "edits", "revert"):
            return asyncio.run(_kb_edit(settings, Path(knowledge_dir), kb, args))
        from bot.knowledge.export import export_json

        print(json.dumps(export_json(kb), indent=2, ensure_ascii=False))
        return EXIT_OK

    from bot.engine import Engine

    engine = Engine(kb, knowledge_dir)
    if args.command == "ask":
        return asyncio.run(_ask(engine, settings, args.question, args.json))
    if args.command == "chat":
        return _chat(engine, settings, as_json=args.json)
    if args.command == "review":
        return asyncio.run(_review(engine, settings, args))
    if args.command == "eval":
        return _eval(engine, knowledge_dir, args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover
    return EXIT_USAGE


async def _open_storage(engine, settings: Settings):
    """Open the database named by RIDERBOT_DB, apply the maintainers' knowledge edits and teach the
    matcher the wordings taught for everyone (the command line is no server: a server's own aliases
    and wordings are not used here, as in DMs)."""
    from bot.livekb import load
    from bot.storage import open_storage

    storage = await open_storage(settings)
    try:
        root = engine.knowledge_dir or default_knowledge_dir()
        live = await load(storage, root, engine.kb)
        if live.kb is not engine.kb:
            engine.replace(live.kb)
        engine.teach(await storage.learned())
    except BaseException:
        await storage.close()
        raise
    return storage


def _chat(engine, settings: Settings, *, as_json: bool = False) -> int:
    """The console in the MAIN thread (so the first Ctrl-C reaches its input() and ends it), with
    the database on an event loop in a helper thread; each answer is stored before it is shown.
    With ``as_json``: one message per stdin line, one JSON object per message, same conversation."""
    from bot.console import run_console
    from bot.engine import log_outcome

    loop = asyncio.new_event_loop()
    helper = threading.Thread(target=loop.run_forever, name="riderbot-storage", daemon=True)
    helper.start()

    def call(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    try:
        storage = call(_open_storage(engine, settings))
        try:
            return run_console(
                engine, log=lambda answer: call(log_outcome(storage, answer, source="cli")), as_json=as_json
            )
        finally:
            call(storage.close())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        helper.join(5)
        loop.close()


async def _ask(engine, settings: Settings, question: str, as_json: bool) -> int:
    from bot.engine import log_outcome
    from bot.rendering import render_text
    from bot.textnorm import clean_text

    if question == "-":
        questions = [clean_text(line.rstrip("\r\n")) for line in _stdin_lines()]
    else:
        question = clean_text(question)  # an argument with undecodable bytes holds lone surrogates
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
                print(
                    json.dumps({"status": "unanswered", "error": _too_long(q)}) if as_json else _too_long(q),
                    flush=True,
                )
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


def _stdin_lines():
    """stdin's lines as text whatever its bytes: invalid UTF-8 becomes U+FFFD (with the default
    strict decoding one bad byte would end `ask -` with a traceback and answer nothing)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # already text (a StringIO in tests)
        yield from sys.stdin
        return
    for raw in buffer:
        yield raw.decode("utf-8", "replace")


def _too_long(question: str) -> str:
    return f"the question is {len(question):,} characters long; please keep it to {MAX_QUESTION_CHARS:,} or fewer"


async def _kb_edit(settings: Settings, root: Path, kb, args) -> int:
    """`riderbot kb alias | add-model | diff | edits | revert`: the maintainers' edits, in the
    database the bot uses (so neither loses the other's), checked exactly as in Discord."""
    from bot import livekb
    from bot.knowledge.edits import Edit, EditRefused, alias_edit, diff, model_edit
    from bot.matching import Matcher
    from bot.storage import open_storage

    storage = await open_storage(settings)
    try:
        live = await livekb.load(storage, root, kb)
        action = args.kb_command
        if action == "diff":
            sys.stdout.write(diff(root, live.applied))
            return EXIT_OK
        if action == "edits":
            rows = await storage.kb_edits()
            skipped = {e.id: why for e, why in live.applied.skipped}
            if not rows:
                print("no maintainer edits")
            for row in rows:
                edit = Edit.from_row(row)
                state = f"  LEFT OUT: {'; '.join(skipped[edit.id])}" if edit.id in skipped else ""
                print(f"{edit.describe()}  ({_iso(row['created_at'])}){state}")
            return EXIT_OK
        if action == "revert":
            if await livekb.revert(storage, live, args.id, None) is None:
                print(f"riderbot: no active maintainer edit #{args.id}", file=sys.stderr)
                return EXIT_USAGE
            print(f"withdrew edit #{args.id} (kept as history); the bot applies it at /kb reload or restart")
            return EXIT_OK
        matcher = Matcher(live.kb)
        if action == "alias":
            model_id = _model_arg(matcher, args.model)
            if model_id is None:
                return EXIT_USAGE
            if args.guild:
                return await _guild_alias(storage, live, matcher, args.guild, model_id, args.alias)
            before = ", ".join(live.kb.models[model_id].aliases)

            def make(live):
                return alias_edit(live.kb, model_id, args.alias)

            names, after, what = (
                (args.alias,),
                " ".join(args.alias.split()),
                f"alias {args.alias!r} to {model_id}",
            )
        else:
            license_id = _license_arg(matcher, args.license)
            if license_id is None:
                return EXIT_USAGE

            def make(live):
                return model_edit(
                    live.kb,
                    family=args.family,
                    model_id=args.model_id,
                    name=args.name,
                    license_id=license_id,
                    evidence_url=args.evidence_url,
                    evidence_text=args.evidence_line,
                    aliases=args.alias,
                    kind=args.kind,
                )

            names, before, what = tuple(args.alias), None, f"model {args.model_id} ({license_id})"
            after = f"{args.model_id} under {license_id}: {args.evidence_url}"
        try:
            live, edit = await livekb.save(
                storage,
                live,
                make,
                by=None,
                guild_id=None,
                before=before,
                after=after,
                check=_cli_gate(storage, names),
            )
        except EditRefused as exc:
            print(f"riderbot: refused, nothing changed: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"added {what} for every server (maintainer edit #{edit.id}); the bot applies it at /kb reload")
        if action == "add-model" and live.kb.models[args.model_id].maintainer_entered:
            print(
                "its answers say it was entered by the maintainers until its evidence text is saved under "
                "knowledge/sources/ (`riderbot kb diff` makes the patch)"
            )
        return EXIT_OK
    finally:
        await storage.close()


def _cli_gate(storage, aliases: tuple[str, ...]):
    """The command line's eval gate: as in Discord (bot.cogs.changes), for every server."""
    from bot.gate import alias_problem, candidate_matcher, gate_for, refusal
    from bot.knowledge.edits import EditRefused

    async def check(live, kb, edit) -> None:
        for alias in aliases:
            problem = alias_problem(alias, live.kb)
            if problem:
                raise EditRefused(problem)
        learned = await storage.learned()
        gate = gate_for(live.root / "eval")
        broken = await asyncio.to_thread(
            lambda: gate.check(candidate_matcher(live.kb, learned), candidate_matcher(kb, learned))
        )
        if broken:
            raise EditRefused(refusal(broken))

    return check


async def _guild_alias(storage, live, matcher, guild_id: int, model_id: str, alias: str) -> int:
    from bot.gate import alias_problem, gate_for, refusal
    from bot.knowledge.edits import EditRefused, clean_alias, name_owners
    from bot.scopes import Scopes
    from bot.textnorm import normalize

    try:
        alias = clean_alias(alias)
        problem = alias_problem(alias, live.kb)
        if problem:
            raise EditRefused(problem)
        owner = name_owners(live.kb).get(normalize(alias))
        if owner is not None:
            raise EditRefused(f"{alias!r} already names {owner}")
        scopes = Scopes(storage, live.kb)
        data = await scopes.fetch(guild_id)
        await scopes.reload(guild_id)
        for question, model, license_id, topic in await storage.learned():
            matcher.learn(question, model, license_id, topic)
        after = scopes.with_change(guild_id, alias=(alias, model_id), data=data)
        gate = gate_for(live.root / "eval")
        broken = await asyncio.to_thread(
            lambda: gate.check(matcher, matcher, scope_before=scopes.get(guild_id), scope_after=after)
        )
        if broken:
            raise EditRefused(refusal(broken))
        if await storage.add_guild_alias(guild_id, model_id, alias, None) is None:
            raise EditRefused(f"server {guild_id} already has the alias {alias!r}")
    except EditRefused as exc:
        print(f"riderbot: refused, nothing changed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"added alias {alias!r} to {model_id} for server {guild_id} only")
    return EXIT_OK


def _iso(ts: float | None) -> str:
    from bot.storage import iso

    return iso(ts)


async def _review(engine, settings: Settings, args) -> int:
    storage = await _open_storage(engine, settings)
    try:
        return await _review_action(engine, storage, args)
    finally:
        await storage.close()


async def _review_action(engine, storage, args) -> int:
    # the operator sees every server's entries (list and export can narrow it with --guild/--dms)
    action = args.review_command
    if action == "list" and args.group:
        status = None if args.status == "all" else args.status
        groups, total = await storage.unknown_models(status, scope=_scope_of(args), limit=args.limit)
        if args.json:
            print(json.dumps(groups, indent=2, ensure_ascii=False))
        elif not groups:
            print(f"no {args.status} entries name a model riderbot does not know")
        else:
            for g in groups:
                print(
                    f"{g['unknown_model']}: {g['asks']} question(s) in {g['entries']} entr{'y' if g['entries'] == 1 else 'ies'}"
                )
            if total > len(groups):
                print(f"...and {total - len(groups)} more unknown models (--limit)")
        return EXIT_OK
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
                print(
                    f"#{r['id']:<5} x{r['count']:<4} [{r['status']}{fwd}] {where:<26} {r['question'][:70]!r}  "
                    f"guess: {r['best_guess'] or '-'}"
                )
        return EXIT_OK
    if action == "export":
        status = None if args.status == "all" else args.status
        scope = _scope_of(args)
        if args.json:
            total = await storage.count_queue(status, scope=scope)
            rows = await storage.list_queue(status, sort="count", limit=max(1, total), scope=scope)
            print(json.dumps([_entry_json(r) for r in rows], indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(await storage.export_csv(status, scope=scope))
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
    if entry["status"] != "open" and not args.force:
        print(
            f"riderbot: #{args.id} is already {entry['status']}; add --force to decide it again",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if action == "dismiss":
        await storage.dismiss(args.id, args.reason, None, scope="all")
        print(f"dismissed #{args.id} ({args.reason})")
        return EXIT_OK
    # resolve: names mean what the matcher's resolver says, as in Discord
    kb = engine.kb
    if args.topic not in kb.topics:
        print(f"riderbot: unknown topic {args.topic!r}; topics: {', '.join(kb.topics)}", file=sys.stderr)
        return EXIT_USAGE
    if (args.model is None) == (args.license is None):
        print("riderbot: give exactly one of --model or --license", file=sys.stderr)
        return EXIT_USAGE
    model = license_id = None
    if args.model is not None:
        model = _model_arg(engine.matcher, args.model)
        if model is None:
            return EXIT_USAGE
    else:
        license_id = _license_arg(engine.matcher, args.license)
        if license_id is None:
            return EXIT_USAGE
    # the operator teaches every server: the eval gate first, as for a maintainer in Discord
    from bot.gate import candidate_matcher, gate_for, refusal

    gate = gate_for((engine.knowledge_dir or default_knowledge_dir()) / "eval")
    taught = [*(await storage.learned()), (entry["question"], model, license_id, args.topic)]
    broken = await asyncio.to_thread(
        lambda: gate.check(engine.matcher, candidate_matcher(kb, taught), near=entry["question"])
    )
    if broken:
        print(f"riderbot: refused, nothing changed: {refusal(broken)}", file=sys.stderr)
        return EXIT_USAGE
    await storage.resolve(args.id, model, license_id, args.topic, None, scope="all")
    engine.matcher.learn(entry["question"], model, license_id, args.topic)
    print(f"resolved #{args.id}: {entry['question']!r} -> {model or license_id}/{args.topic}")
    return EXIT_OK


def _model_arg(matcher, text: str) -> str | None:
    """The model id a command-line argument names (through the resolver), or None after saying why."""
    from bot.matching.resolve import FAMILY, LICENSE, MODEL, NOT_COVERED

    found = matcher.resolve(text)
    if found.kind == MODEL:
        return found.ids[0]
    if found.kind == FAMILY:
        why = f"could be several models; give one of: {', '.join(found.ids)}"
    elif found.kind == LICENSE:
        why = f"is a licence ({found.name}), not a model"
    elif found.kind == NOT_COVERED:
        why = f"is not covered ({found.name}: its governing text is not verified)"
    else:
        hint = f"; did you mean {', '.join(found.suggestions)}?" if found.suggestions else ""
        why = f"is not a model riderbot knows{hint}"
    print(f"riderbot: {text!r} {why}", file=sys.stderr)
    return None


def _license_arg(matcher, text: str) -> str | None:
    from bot.matching.resolve import LICENSE

    if text in matcher.kb.licenses:
        return text
    found = matcher.resolve(text)
    if found.kind == LICENSE:
        return found.ids[0]
    print(
        f"riderbot: {text!r} is not a licence riderbot knows; licences: {', '.join(matcher.kb.licenses)}",
        file=sys.stderr,
    )
    return None


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
        print(
            json.dumps(
                {
                    **evaluation.metrics,
                    "written": evaluation.written.metrics,
                    "real": evaluation.real.metrics,
                    "non_english": evaluation.non_english.metrics,
                    "dialogue_turns": evaluation.dialogue_turns.metrics,
                    "files": {name: r.metrics for name, r in evaluation.files.items()},
                    "languages": {lang: r.metrics for lang, r in evaluation.languages.items()},
                    "real_languages": {lang: r.metrics for lang, r in evaluation.real_languages.items()},
                    "passed": evaluation.passed(),
                },
                indent=2,
            )
        )
    else:
        print(format_report(evaluation, verbose=args.verbose))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
