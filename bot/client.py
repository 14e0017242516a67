"""riderbot on Discord: the ``RiderBot`` client and ``run_bot`` (what ``riderbot run`` calls).

The bot is handed what it needs, opened, as in discord.py's ``examples/advanced_startup.py``: the
engine (loaded once) and the storage (opened by ``run_bot``, or a test, and closed by it after the
bot has closed). It keeps a little per-process state: the watched channels, the gateway's health
and the conversations follow-ups belong to (bot.conversations: in memory, ten minutes). Each
feature is a cog in bot/cogs, loaded by name as an extension; this module imports nothing from
bot/cogs (the cogs import it), and the cogs own their limiters and their persistent buttons.

Safety: ``AllowedMentions.none()`` for the whole bot, so nothing it sends can ping anyone.

Intents: GUILDS, GUILD_MESSAGES and DIRECT_MESSAGES; MESSAGE_CONTENT (privileged) only when
RIDERBOT_MESSAGE_CONTENT is on, for watched channels. Mentions, DMs and slash commands work without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import math
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
from discord import app_commands
from discord.ext import commands, tasks

from bot.conversations import Conversations
from bot.engine import Engine
from bot.errors import LookupFailed, NotModerator, StartupError
from bot.health import write_heartbeat
from bot.knowledge import KnowledgeBase, KnowledgeError, default_knowledge_dir
from bot.livekb import Live
from bot.livekb import load as load_live
from bot.livekb import start as start_live
from bot.matching.matcher import Scope
from bot.scopes import Scopes
from bot.settings import Settings, SettingsError
from bot.storage import Storage, StorageError, open_storage

log = logging.getLogger("riderbot")

EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.watch",
    "bot.cogs.cards",
    "bot.cogs.config",
    "bot.cogs.review",
    "bot.cogs.kb",
    "bot.cogs.privacy",
    "bot.cogs.stats",
)

# View Channels, Send Messages, Send Messages in Threads, Embed Links, Read Message History
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)

EXIT_OK, EXIT_KNOWLEDGE, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
EXIT_STORAGE = EXIT_UNAVAILABLE  # the database cannot be opened
ACK_POLL_SECONDS = 0.5  # how often the bot looks for a new gateway heartbeat ACK (for the health file)
# Loggers that write whole gateway events, request bodies or SQL parameters (question text, author ids)
# at DEBUG: kept at INFO unless RIDERBOT_DISCORD_DEBUG is on
PAYLOAD_LOGGERS = (
    "discord.gateway",
    "discord.http",
    "discord.webhook.async_",
    "discord.state",
    "discord.client",
    "aiosqlite",
)
# Shutdown (SIGTERM from `docker compose stop`, whose stop_grace_period must cover all of it): answers
# in flight get DRAIN_SECONDS; those still waiting for a database another process keeps locked are
# then told to give up (they reply that the question was not stored) and get STOP_WAIT_SECONDS more;
# the storage's own close is bounded by bot.storage.core.CLOSE_SECONDS
DRAIN_SECONDS = 3.0
STOP_WAIT_SECONDS = 1.5
LOG_BATCH_SECONDS = 60.0  # new review-queue entries are posted to a log channel at most this often
FOLLOW_RETRY_SECONDS = 1.0  # after a failure to apply another process's change, try again this soon


def intents_for(settings: Settings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.message_content
    return intents


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


class RiderTree(app_commands.CommandTree):
    """Errors from app commands become one short ephemeral sentence; unexpected ones are logged."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandInvokeError) and isinstance(
            error.original, app_commands.AppCommandError
        ):
            error = error.original
        if isinstance(error, (NotModerator, LookupFailed, app_commands.NoPrivateMessage)):
            text = str(error)
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use that command here."
        elif isinstance(error, app_commands.TransformerError):
            text = "I couldn't understand one of the options; please check it and try again."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("error in /%s", command, exc_info=error)
            text = "Something went wrong on my side; it has been logged."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about an error in an interaction")


def yield_between_gateway_events(ws_class: Any = None) -> None:
    """Make discord.py's gateway reader give the event loop a turn after each event it handles.

    Its loop awaits the socket, parses the event and dispatches it (answers start as tasks). When
    events are already buffered, a burst arriving faster than it is answered, that await returns at
    once, so the whole backlog is parsed in one turn of the event loop, during which no answer, no
    heartbeat ACK and no timer runs: 1,000 mentions arriving at once stalled the loop for 262 ms
    (``riderbot bench``, the bot in its own process). One ``sleep(0)`` per event (a few µs) lets the
    answers already started run in between. Idempotent; ``ws_class`` is for tests."""
    cls = ws_class or discord.gateway.DiscordWebSocket
    original = cls.received_message
    if getattr(original, "_riderbot_yields", False):
        return

    async def received_message(self: Any, msg: Any, /) -> None:
        await original(self, msg)
        await asyncio.sleep(0)

    received_message._riderbot_yields = True  # type: ignore[attr-defined]
    cls.received_message = received_message  # type: ignore[method-assign]


class RiderBot(commands.Bot):
    """``RiderBot(engine, storage, settings)`` with an opened Storage, which the caller closes after
    the bot; extra keyword arguments go to ``commands.Bot`` (tests pass ``guild_ready_timeout`` and
    ``http_trace``)."""

    def __init__(
        self, engine: Engine, storage: Storage, settings: Settings | None = None, **options: Any
    ) -> None:
        self.settings = settings or Settings()
        yield_between_gateway_events()
        options.setdefault("intents", intents_for(self.settings))
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: questions, not prefix commands (see on_message)
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=RiderTree,
            **options,
        )
        self.engine = engine
        self.storage = storage
        self.watched: set[int] = set()
        self.commands_synced: bool | None = None  # after setup_hook: whether this start synced commands
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing: asyncio.Future | None = None
        self._ack_monitor = tasks.loop(seconds=ACK_POLL_SECONDS)(self._watch_heartbeat_acks)
        self._last_acks: dict[
            int | None, tuple[int, float]
        ] = {}  # shard -> (socket, latency) at its last ACK
        self._ack_times: dict[int | None, float] = {}  # shard -> wall-clock time of its last ACK
        self.last_ack_at: float | None = None  # the last heartbeat ACK (the oldest shard's, when sharded)
        self.log_batch_seconds = LOG_BATCH_SECONDS  # read when the Review cog loads (tests shorten it)
        self.knowledge_lock = asyncio.Lock()  # one knowledge edit or reload at a time
        self.scopes = Scopes(storage, engine.kb)  # each server's own aliases and wordings
        self.conversations = Conversations()  # what follow-ups take; in memory, 10 minutes
        self.live: Live | None = None  # the knowledge folder + the maintainers' edits (setup_hook)
        self.applied_version = (
            0  # the change version (Storage.change_version) this process is up to date with
        )
        self._learned_id = 0  # the highest global taught phrasing (learned.id) the matcher was taught
        self._follower: asyncio.Task | None = None

    @property
    def knowledge_root(self) -> Path:
        return self.engine.knowledge_dir or default_knowledge_dir()

    async def setup_hook(self) -> None:
        if self.settings.maintainer_guild is None:
            log.warning(
                "RIDERBOT_MAINTAINER_GUILD is not set: only the application's owner can make changes for "
                "every server (/kb edit, /kb alias, /kb add-model, /kb reload, resolving for everyone)"
            )
        # read before anything is loaded: a change another process makes meanwhile is applied after
        self.applied_version = await self.storage.change_version()
        self.live, notes, problems = await start_live(self.storage, self.knowledge_root, self.engine.kb)
        for note in notes:
            log.info("%s", note)
        for problem in problems:
            log.warning("%s", problem)
        await self.install_knowledge(self.live.kb if self.live.kb is not self.engine.kb else None)
        self.watched = await self.storage.watched_channels()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.commands_synced = await self.sync_commands()
        self._ack_monitor.start()
        self._follower = asyncio.create_task(self._follow_changes(), name="riderbot-change-follower")
        self._follower.add_done_callback(_follower_ended)
        # Everything loaded so far (the knowledge, its matcher, discord.py's caches) lives as long as
        # the process: out of the collector's sight, a full collection does not walk it again. Without
        # this, one gen-2 collection in the middle of a burst stalled the event loop for ~50 ms.
        gc.collect()
        gc.freeze()

    async def install_knowledge(self, kb: KnowledgeBase | None = None) -> None:
        """Swap in ``kb`` (None: keep the current one) and teach its new matcher the phrasings
        moderators resolved. Every replace or reload builds a fresh Matcher that knows none of
        them, so this is the one place knowledge goes live. Nothing is awaited between the swap
        and the teaching: no question is ever answered by a half-taught matcher."""
        # only the global phrasings go to the matcher every server shares; each server's own
        # (and its aliases) go to its Scope (bot.scopes), so no server answers with another's
        learned = await self.storage.global_learned_after(0)
        scopes = await self.scopes.fetch(None)
        if kb is not None:
            self.engine.replace(kb)
        self.engine.teach((r["question"], r["model"], r["license"], r["topic"]) for r in learned)
        self._learned_id = max((r["id"] for r in learned), default=0)
        self.scopes.kb = self.engine.kb
        self.scopes.apply(scopes)
        gc.freeze()  # the new matcher too (see setup_hook); what the old one leaves is freed by refcount

    # -- changes made by other processes (another shard's process, the CLI) ------------------------
    async def _follow_changes(self) -> None:
        """Wait for the change version to move (LISTEN/NOTIFY on PostgreSQL, a 0.5 s check on
        SQLite) and apply what changed. Runs until close() cancels it; a failure is logged and
        retried, never the end of it."""
        while True:
            try:
                await self.storage.wait_for_change(self.applied_version)
                await self.apply_changes()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "could not apply the changes made by another process; trying again in %.0f s",
                    FOLLOW_RETRY_SECONDS,
                )
                await asyncio.sleep(FOLLOW_RETRY_SECONDS)

    async def apply_changes(self) -> int:
        """Bring this process up to date with the changes after ``applied_version``: knowledge
        edits (kind ``kb``: reload the maintainers' edits unless this process made them), taught
        phrasings and aliases (``learned`` / ``alias``: that server's scope; the shared matcher for
        global ones), settings (the watched channels; every other setting is read from the database
        when used). Idempotent: a change this process made itself costs a query or two. Returns the
        version it is now up to date with."""
        while True:
            since = self.applied_version
            changes = await self.storage.changes_since(since)
            if not changes:
                version = await self.storage.change_version()
                if version > since:  # committed since the read above? then the log has it now
                    changes = await self.storage.changes_since(since)
            if not changes:
                if version > since:  # counted but not logged (should not happen): reload it all
                    log.warning(
                        "change log has nothing after version %d of %d; reloading everything", since, version
                    )
                    await self._apply({"kb", "learned", "settings"}, {None}, everything=True)
                    self.applied_version = version
                return self.applied_version
            kinds = {c["kind"] for c in changes}
            guilds = {c["guild_id"] for c in changes if c["kind"] in ("learned", "alias")}
            await self._apply(kinds, guilds)
            self.applied_version = max(self.applied_version, changes[-1]["version"])
            log.debug(
                "applied changes %d..%d (%s)", since + 1, self.applied_version, ", ".join(sorted(kinds))
            )

    async def _apply(self, kinds: set[str], guilds: set[int | None], *, everything: bool = False) -> None:
        async with self.knowledge_lock:  # not while a cog swaps the knowledge or reloads a scope
            if "kb" in kinds:
                _, signature = await self.storage.kb_edits_state()
                if everything or self.live is None or signature != self.live.signature:
                    live = await load_live(
                        self.storage, self.knowledge_root, self.live.base if self.live else None
                    )
                    self.live = live
                    await self.install_knowledge(live.kb)  # every scope and phrasing again
                    log.info("knowledge: applied the maintainers' edits made by another process")
                    guilds = set()
            if None in guilds:
                rows = await self.storage.global_learned_after(self._learned_id)
                if rows:
                    self.engine.teach((r["question"], r["model"], r["license"], r["topic"]) for r in rows)
                    self._learned_id = max(self._learned_id, rows[-1]["id"])
            for guild_id in guilds:
                if guild_id is not None:
                    await self.scopes.reload(guild_id)
            if "settings" in kinds:
                self.watched = await self.storage.watched_channels()

    def scope_for(self, guild_id: int | None) -> Scope | None:
        """A server's own aliases and taught wordings (None: the shared knowledge only). Cached in
        ``self.scopes``; after a change another process made, ``await self.scopes.reload(guild_id)``."""
        return self.scopes.get(guild_id)

    async def sync_commands(self) -> bool:
        """Sync app commands only when their payload changed since the last sync (a hash is kept in
        the database), to the dev guild when RIDERBOT_DEV_GUILD is set, else globally."""
        guild = discord.Object(self.settings.dev_guild) if self.settings.dev_guild else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.storage.get_meta(key) == digest:
            log.info("application commands unchanged; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.storage.set_meta(key, digest)
        log.info(
            "synced %d application commands %s", len(synced), f"to guild {guild.id}" if guild else "globally"
        )
        return True

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info(
            "logged in as %s (%s) in %d servers; invite: %s",
            self.user,
            self.user.id,
            len(self.guilds),
            invite_url(self.application_id or self.user.id),
        )

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are questions (the Ask cog), watched channels the Watch cog."""

    def served_shards(self) -> tuple[int, tuple[int, ...]] | None:
        """(shard count, the shards this process runs), None unsharded (this process serves every server).
        Work that is per server and must be done once (announcing new queue entries) is limited to these."""
        return None

    def gateway_latencies(self) -> dict[int | None, tuple[int, float]]:
        """Each gateway connection of this process: shard id (None unsharded) -> (which socket, its
        latency). ShardedRiderBot has one per shard."""
        ws = self.ws
        return {} if ws is None else {None: (id(ws), ws.latency)}

    async def _watch_heartbeat_acks(self) -> None:
        """Record each gateway heartbeat ACK for `riderbot health` (the Docker HEALTHCHECK).

        An open socket proves nothing (a zombie connection stays open and silent for up to a minute
        before discord.py gives up on it), so only an ACK counts. discord.py exposes no ACK event, but
        ``latency`` (last ACK minus last heartbeat sent) changes with every ACK and with nothing else:
        a new (socket, latency) pair is a new ACK. With several shards in this process, the health
        file holds the time of the OLDEST shard's last ACK: one silent shard fails the check."""
        now = time.time()
        fresh = False
        for shard, (socket, latency) in self.gateway_latencies().items():
            if not math.isfinite(latency) or self._last_acks.get(shard) == (socket, latency):
                continue
            self._last_acks[shard] = (socket, latency)
            self._ack_times[shard] = now
            fresh = True
        expected = self.gateway_latencies().keys()
        if not fresh or any(shard not in self._ack_times for shard in expected):
            return
        self.last_ack_at = min(self._ack_times[shard] for shard in expected)
        if self.settings.health_file is None:
            return
        latencies = [latency for _, latency in self._last_acks.values() if math.isfinite(latency)]
        try:
            write_heartbeat(
                self.settings.health_file,
                round(max(latencies), 4) if latencies else None,
                storage_problem=self.storage.health_problem,
                at=self.last_ack_at,
            )
        except OSError as exc:
            log.warning("could not write the health file %s: %s", self.settings.health_file, exc)

    @contextlib.asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Around handling one question, vote or setting: close() lets these finish."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def close(self) -> None:
        """Let answers in flight finish (a few seconds at most), then disconnect. The storage stays
        open: whoever opened it closes it after this returns (``run_bot`` does).

        Idempotent: a second call (the signal handler's, then ``async with``'s exit) waits for the
        first to finish instead of returning while the database is still being flushed."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._closing)

    async def _close_once(self) -> None:
        if self._ack_monitor.is_running():
            self._ack_monitor.cancel()
        if self._follower is not None and not self._follower.done():
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), DRAIN_SECONDS)
        if not self._idle.is_set():
            log.warning(
                "closing: %d answer(s) still waiting for the database after %g s; telling them to give up",
                self._in_flight,
                DRAIN_SECONDS,
            )
            self.storage.stop_waiting()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), STOP_WAIT_SECONDS)
        await super().close()


class ShardedRiderBot(RiderBot, commands.AutoShardedBot):
    """RiderBot over several shards in one process (RIDERBOT_SHARD_COUNT, RIDERBOT_SHARDS): discord.py's
    AutoShardedBot runs a gateway connection per shard; everything else is RiderBot's. Several
    processes, each with its own shards, share one PostgreSQL database (see the README's *Running at
    scale*)."""

    def served_shards(self) -> tuple[int, tuple[int, ...]] | None:
        count = self.shard_count or 1
        return count, tuple(self.shard_ids if self.shard_ids is not None else range(count))

    def gateway_latencies(self) -> dict[int | None, tuple[int, float]]:
        return {shard: (id(info._parent.ws), info.latency) for shard, info in self.shards.items()}


def make_bot(engine: Engine, storage: Storage, settings: Settings, **options: Any) -> RiderBot:
    """The bot ``settings`` ask for: a ShardedRiderBot with RIDERBOT_SHARD_COUNT set, else RiderBot."""
    if not settings.sharded:
        return RiderBot(engine, storage, settings, **options)
    options.setdefault("shard_count", settings.shard_count)
    if settings.shards is not None:
        options.setdefault("shard_ids", list(settings.shards))
    return ShardedRiderBot(engine, storage, settings, **options)


def _follower_ended(task: asyncio.Task) -> None:
    """The change follower only ends by being cancelled (close()); anything else is said loudly."""
    if task.cancelled():
        return
    exc = task.exception()
    log.error(
        "the change follower stopped: changes made by other processes are no longer applied here",
        exc_info=exc,
    )


def setup_logging(settings: Settings) -> None:
    """discord.py's handler and format at RIDERBOT_LOG_LEVEL; the loggers that dump payloads (discord.py's
    gateway and HTTP, aiosqlite's SQL) stay at INFO, so question text and author ids do not reach the log
    even at DEBUG, unless RIDERBOT_DISCORD_DEBUG is on."""
    level = logging.getLevelName(settings.log_level)
    discord.utils.setup_logging(level=level if isinstance(level, int) else logging.INFO)
    if not settings.discord_debug:
        for name in PAYLOAD_LOGGERS:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() < logging.INFO:
                logger.setLevel(logging.INFO)


async def serve(engine: Engine, settings: Settings, token: str) -> None:
    """Open the storage, run the bot until it is closed (SIGTERM / SIGINT: finish what's in flight),
    close the storage after it. The storage is opened first, before logging is set up and before
    connecting: a database that cannot be used is one sentence (StorageError), at once."""
    storage = await open_storage(settings)
    try:
        setup_logging(settings)
        log.info(
            "knowledge: %d models, %d licences, as of %s",
            len(engine.kb.models),
            len(engine.kb.licenses),
            engine.kb.knowledge_date,
        )
        if settings.sharded:
            log.info(
                "shards %s of %d in this process",
                ",".join(map(str, settings.shards or range(settings.shard_count or 0))),
                settings.shard_count,
            )
        async with make_bot(engine, storage, settings) as bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):  # docker stop: finish what's in flight, then exit
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            try:
                await bot.login(token)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise StartupError(
                    f"cannot reach Discord ({discord.http.Route.BASE}): {exc or type(exc).__name__}; "
                    "check the network (or a proxy/firewall) and try again"
                ) from None
            try:
                await bot.connect()
            finally:
                # connect() returns as soon as the gateway is closed, while a close() begun by the signal
                # handler may still be letting answers finish: wait for it before the storage is closed
                await bot.close()
    finally:
        await storage.close()


def run_bot(settings: Settings, knowledge_dir: Path | str | None = None) -> int:
    """Connect to Discord and answer until stopped. Returns an exit code: 2 for a missing or
    malformed token (one sentence on stderr), 1 for a broken knowledge base, 3 when Discord cannot be
    reached or the database cannot be opened, 0 otherwise."""
    try:
        token = settings.check_token()
    except SettingsError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE

    folder = Path(knowledge_dir) if knowledge_dir else settings.knowledge_dir
    try:
        engine = Engine.from_folder(folder)
    except KnowledgeError as exc:
        print(
            f"riderbot: the knowledge base in {folder} has {len(exc.problems)} problem(s):", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_KNOWLEDGE

    try:
        asyncio.run(serve(engine, settings, token))
    except StartupError as exc:
        print(f"riderbot: {exc}.", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except (discord.LoginFailure, discord.ConnectionClosed) as exc:
        if isinstance(exc, discord.ConnectionClosed) and exc.code != 4004:  # 4004: authentication failed
            raise
        print(
            "riderbot: Discord rejected DISCORD_TOKEN: copy the bot token again from "
            "https://discord.com/developers/applications (Bot → Reset Token).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except discord.PrivilegedIntentsRequired:
        print(
            "riderbot: RIDERBOT_MESSAGE_CONTENT is on but the Message Content intent is not enabled for this bot: "
            "turn it on under Bot → Privileged Gateway Intents, or set RIDERBOT_MESSAGE_CONTENT=false.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except StorageError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        pass
    return EXIT_OK
