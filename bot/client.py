"""riderbot on Discord: the ``RiderBot`` client and ``run_bot`` (what ``riderbot run`` calls).

The bot holds the engine (loaded once), the storage (opened in ``setup_hook``, closed in
``close``) and a little per-process state (watched channels, cooldowns). Each feature is a cog in
bot/cogs, loaded as an extension; the buttons are DynamicItems, so they work across restarts.

Safety: ``AllowedMentions.none()`` for the whole bot, so nothing it sends can ping anyone.

Intents: GUILDS, GUILD_MESSAGES and DIRECT_MESSAGES; MESSAGE_CONTENT (privileged) only when
RIDERBOT_MESSAGE_CONTENT is on, for watched channels. Mentions, DMs and slash commands work without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.answering import RateLimiter, RecentlySent
from bot.cogs.checks import NotModerator
from bot.cogs.lookup import LookupFailed
from bot.cogs.views import PickButton, VoteButton
from bot.engine import Engine
from bot.health import write_heartbeat
from bot.knowledge import KnowledgeBase
from bot.settings import Settings, SettingsError
from bot.storage import Storage, StorageError, open_storage

log = logging.getLogger("riderbot")

EXTENSIONS = ("bot.cogs.ask", "bot.cogs.watch", "bot.cogs.cards", "bot.cogs.config", "bot.cogs.review",
              "bot.cogs.kb", "bot.cogs.privacy", "bot.cogs.stats")

# View Channels, Send Messages, Send Messages in Threads, Embed Links, Read Message History
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, embed_links=True, read_message_history=True
)

EXIT_OK, EXIT_KNOWLEDGE, EXIT_USAGE, EXIT_STORAGE = 0, 1, 2, 3
HEARTBEAT_SECONDS = 30.0  # how often the health file is refreshed while the gateway is up
DRAIN_SECONDS = 5.0  # how long close() waits for answers in flight
LOG_BATCH_SECONDS = 60.0  # new review-queue entries are posted to a log channel at most this often


def intents_for(settings: Settings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.message_content
    return intents


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS,
                                   scopes=("bot", "applications.commands"))


class RiderTree(app_commands.CommandTree):
    """Errors from app commands become one short ephemeral sentence; unexpected ones are logged."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, app_commands.AppCommandError):
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


class RiderBot(commands.Bot):
    """``RiderBot(engine, storage_path, settings)``; extra keyword arguments go to ``commands.Bot``
    (tests pass ``guild_ready_timeout`` and ``http_trace``)."""

    def __init__(self, engine: Engine, storage_path: Path | str | None = None, settings: Settings | None = None,
                 *, storage: Storage | None = None, **options: Any) -> None:
        self.settings = settings or Settings()
        options.setdefault("intents", intents_for(self.settings))
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: questions, not prefix commands (see on_message)
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=RiderTree,
            **options,
        )
        self.engine = engine
        self.storage_path = Path(storage_path if storage_path is not None else self.settings.db_path)
        self.storage: Storage | None = None
        self._opened_storage = storage  # run_bot opens it before connecting, to fail fast
        self.watched: set[int] = set()
        self.ask_limiter = RateLimiter()
        self.watch_recent = RecentlySent()
        self.commands_synced: bool | None = None  # after setup_hook: whether this start synced commands
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing: asyncio.Future | None = None
        self._heartbeat = tasks.loop(seconds=HEARTBEAT_SECONDS)(self._write_heartbeat)
        self.log_batch_seconds = LOG_BATCH_SECONDS  # read when the Review cog loads (tests shorten it)
        self.knowledge_lock = asyncio.Lock()  # one knowledge edit or reload at a time

    async def setup_hook(self) -> None:
        if self._opened_storage is not None:
            self.storage, self._opened_storage = self._opened_storage, None
        else:
            target = self.settings if self.settings.uses_postgres else dataclasses.replace(
                self.settings, db_path=self.storage_path, database=None)
            self.storage = await open_storage(target)
        await self.install_knowledge()
        self.watched = await self.storage.watched_channels()
        self.add_dynamic_items(VoteButton, PickButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.commands_synced = await self.sync_commands()
        if self.settings.health_file is not None:
            self._heartbeat.start()

    async def install_knowledge(self, kb: KnowledgeBase | None = None) -> None:
        """Swap in ``kb`` (None: keep the current one) and teach its new matcher the phrasings
        moderators resolved. Every replace or reload builds a fresh Matcher that knows none of
        them, so this is the one place knowledge goes live. Nothing is awaited between the swap
        and the teaching: no question is ever answered by a half-taught matcher."""
        # every server's phrasings, for the one matcher all servers share (per-server matchers:
        # Storage.learned(guild_id) returns the global ones plus that server's)
        learned = await self.storage.learned(all_guilds=True) if self.storage is not None else []
        if kb is not None:
            self.engine.replace(kb)
        self.engine.teach(learned)

    async def sync_commands(self) -> bool:
        """Sync app commands only when their payload changed since the last sync (a hash is kept in
        the database), to the dev guild when RIDERBOT_DEV_GUILD is set, else globally."""
        assert self.storage is not None
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
        log.info("synced %d application commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")
        return True

    async def on_connect(self) -> None:
        await self._write_heartbeat()

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("logged in as %s (%s) in %d servers; invite: %s", self.user, self.user.id, len(self.guilds),
                 invite_url(self.application_id or self.user.id))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are questions (the Ask cog), watched channels the Watch cog."""

    async def on_resumed(self) -> None:
        await self._write_heartbeat()

    async def _write_heartbeat(self) -> None:
        """Tell `riderbot health` (the Docker HEALTHCHECK) that the gateway is alive."""
        ws = self.ws  # discord.py closes the socket when heartbeat ACKs stop, so "open" means alive
        if self.settings.health_file is None or ws is None or not ws.open:
            return
        latency = round(self.latency, 4) if math.isfinite(self.latency) else None
        try:
            problem = self.storage.health_problem if self.storage is not None else None
            write_heartbeat(self.settings.health_file, latency, storage_problem=problem)
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

    def reset_limits(self) -> None:
        self.ask_limiter.reset()
        self.watch_recent.reset()

    async def close(self) -> None:
        """Let answers in flight finish (a few seconds at most), disconnect, close the database.

        Idempotent: a second call (the signal handler's, then ``async with``'s exit) waits for the
        first to finish instead of returning while the database is still being flushed."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._closing)

    async def _close_once(self) -> None:
        if self._heartbeat.is_running():
            self._heartbeat.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), DRAIN_SECONDS)
        try:
            await super().close()
        finally:
            for storage in (self.storage, self._opened_storage):
                if storage is not None:
                    await storage.close()
            self.storage = self._opened_storage = None


def run_bot(settings: Settings, knowledge_dir: Path | str | None = None) -> int:
    """Connect to Discord and answer until stopped. Returns an exit code: 2 for a missing or
    malformed token (one sentence on stderr), 1 for a broken knowledge base, 0 otherwise."""
    try:
        token = settings.check_token()
    except SettingsError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from bot.knowledge import KnowledgeError

    folder = Path(knowledge_dir) if knowledge_dir else settings.knowledge_dir
    try:
        engine = Engine.from_folder(folder)
    except KnowledgeError as exc:
        print(f"riderbot: the knowledge base in {folder} has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_KNOWLEDGE

    async def main() -> None:
        storage = await open_storage(settings)  # before connecting: a bad database is one sentence, at once
        level = logging.getLevelName(settings.log_level)
        discord.utils.setup_logging(level=level if isinstance(level, int) else logging.INFO)
        log.info("knowledge: %d models, %d licences, as of %s", len(engine.kb.models), len(engine.kb.licenses),
                 engine.kb.knowledge_date)
        try:
            bot = RiderBot(engine, settings.db_path, settings, storage=storage)
        except BaseException:
            await storage.close()
            raise
        async with bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):  # docker stop: finish what's in flight, then exit
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            try:
                await bot.start(token)
            finally:
                # start() returns as soon as the gateway is closed, while a close() begun by the signal
                # handler may still be flushing the database: wait for it before the loop ends
                await bot.close()

    try:
        asyncio.run(main())
    except (discord.LoginFailure, discord.ConnectionClosed) as exc:
        if isinstance(exc, discord.ConnectionClosed) and exc.code != 4004:  # 4004: authentication failed
            raise
        print("riderbot: Discord rejected DISCORD_TOKEN: copy the bot token again from "
              "https://discord.com/developers/applications (Bot → Reset Token).", file=sys.stderr)
        return EXIT_USAGE
    except discord.PrivilegedIntentsRequired:
        print("riderbot: RIDERBOT_MESSAGE_CONTENT is on but the Message Content intent is not enabled for this bot: "
              "turn it on under Bot → Privileged Gateway Intents, or set RIDERBOT_MESSAGE_CONTENT=false.",
              file=sys.stderr)
        return EXIT_USAGE
    except StorageError as exc:
        print(f"riderbot: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        pass
    return EXIT_OK
