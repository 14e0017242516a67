"""Settings: environment variables, optionally from a `.env` file in the working directory.

One place for every setting, with its default; the README's settings table mirrors this.
Real environment variables win over `.env`, which python-dotenv reads as people expect
(``export NAME=...``, quotes, comments, ``${OTHER}``); `make run` goes through here too.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.knowledge import default_knowledge_dir

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# Discord bot tokens are three dot-separated base64url parts.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}$")


class SettingsError(ValueError):
    pass


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables a `.env` file sets (python-dotenv's reading); nothing if it is missing."""
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path, encoding="utf-8").items() if value is not None}


MAX_SHARDS = 100_000


def parse_shards(
    count_text: str | None, shards_text: str | None
) -> tuple[int | None, tuple[int, ...] | None]:
    """RIDERBOT_SHARD_COUNT and RIDERBOT_SHARDS as (shard count, this process's shards): (None, None)
    when neither is set; a count alone runs every shard in this process. RIDERBOT_SHARDS is a range
    ``0-3``, a list ``0,2`` or both ``0-1,4``, each shard below the count. A bad value is a
    SettingsError of one sentence."""
    count_raw = (count_text or "").strip()
    shards_raw = (shards_text or "").strip()
    if not count_raw:
        if shards_raw:
            raise SettingsError(
                f"RIDERBOT_SHARDS={shards_raw} needs RIDERBOT_SHARD_COUNT, the number of shards all the bot's "
                "processes run together (e.g. RIDERBOT_SHARD_COUNT=4 with RIDERBOT_SHARDS=0-1 here and 2-3 in "
                "the other process)"
            )
        return None, None
    try:
        count = int(count_raw)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_SHARDS:
        raise SettingsError(
            f"RIDERBOT_SHARD_COUNT must be a whole number from 1 to {MAX_SHARDS}, got {count_raw!r}"
        )
    if not shards_raw:
        return count, None
    expected = (
        f"RIDERBOT_SHARDS must be shard numbers from 0 to {count - 1} (RIDERBOT_SHARD_COUNT={count}), "
        f"as a range like 0-{count - 1} or a list like 0,{count - 1}, got {shards_raw!r}"
    )
    chosen: set[int] = set()
    for part in shards_raw.split(","):
        low_text, dash, high_text = part.strip().partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if dash else low
        except ValueError:
            raise SettingsError(expected) from None
        if not 0 <= low <= high < count:
            raise SettingsError(expected)
        chosen.update(range(low, high + 1))
    return count, tuple(sorted(chosen))


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False)
    db_path: Path = Path("riderbot.db")
    knowledge_dir: Path = field(default_factory=default_knowledge_dir)
    message_content: bool = False
    dev_guild: int | None = None
    maintainer_guild: int | None = None  # its moderators are riderbot's maintainers (global changes)
    log_level: str = "INFO"
    log_questions: bool = False
    retention_days: int = 90
    health_file: Path | None = None
    health_max_age: float = 150.0  # seconds without a gateway heartbeat ACK before `riderbot health` fails
    discord_debug: bool = False  # let discord.py log whole gateway events and request bodies at DEBUG
    database: str | None = None  # RIDERBOT_DB as given (a path, or a postgresql:// URL); None: db_path
    db_timeout: float = 5.0  # seconds to wait for a database another process holds locked
    db_sync: str = "normal"  # SQLite: normal (a commit survives the process dying) | full (and a power cut)
    queue_expire_days: int = 180  # open review-queue entries not asked for this long are deleted (0: never)
    queue_max_open: int = (
        50_000  # at most this many open entries; beyond it the least asked, oldest go (0: no cap)
    )
    shard_count: int | None = (
        None  # RIDERBOT_SHARD_COUNT: shards of the whole bot (every process); None: unsharded
    )
    shards: tuple[int, ...] | None = None  # RIDERBOT_SHARDS: the ones this process runs; None: all of them

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def database_target(self) -> str:
        """What open_storage opens: the PostgreSQL URL, or the SQLite file path."""
        return self.database or str(self.db_path)

    @property
    def uses_postgres(self) -> bool:
        return self.database_target.startswith(("postgresql://", "postgres://"))

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
    ) -> Settings:
        env: dict[str, str] = {}
        if dotenv is not None:
            env.update(read_dotenv(dotenv))
        env.update(os.environ if environ is None else environ)

        def flag(name: str, default: bool) -> bool:
            raw = env.get(name)
            if raw is None:
                return default
            value = raw.strip().lower()
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise SettingsError(f"{name} must be true or false, got {raw!r}")

        def integer(name: str, default: int | None) -> int | None:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None

        database = (env.get("RIDERBOT_DB") or "").strip() or "riderbot.db"
        postgres = database.startswith(("postgresql://", "postgres://"))
        # a PostgreSQL URL is not a path: the health file then defaults to the working directory
        db = Path("riderbot.db") if postgres else Path(database)

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
            if not 0 <= value <= 3600:
                raise SettingsError(f"{name} must be between 0 and 3600 seconds, got {raw!r}")
            return value

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            raw = (env.get(name) or default).strip().lower()
            if raw not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {env.get(name)!r}")
            return raw

        def count(name: str, default: int) -> int:
            value = integer(name, default)
            if value is None or value < 0:
                raise SettingsError(f"{name} must be 0 or a positive whole number, got {env.get(name)!r}")
            return value

        def seconds(name: str, default: float) -> float:
            """A positive, finite number of seconds."""
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not math.isfinite(value) or value <= 0:
                raise SettingsError(f"{name} must be a positive number of seconds, got {raw!r}")
            return value

        token = (env.get("DISCORD_TOKEN") or "").strip() or None
        shard_count, shards = parse_shards(env.get("RIDERBOT_SHARD_COUNT"), env.get("RIDERBOT_SHARDS"))
        return cls(
            discord_token=token,
            db_path=db,
            knowledge_dir=Path(env["RIDERBOT_KNOWLEDGE"])
            if env.get("RIDERBOT_KNOWLEDGE")
            else default_knowledge_dir(),
            message_content=flag("RIDERBOT_MESSAGE_CONTENT", False),
            dev_guild=integer("RIDERBOT_DEV_GUILD", None),
            maintainer_guild=integer("RIDERBOT_MAINTAINER_GUILD", None),
            log_level=(env.get("RIDERBOT_LOG_LEVEL") or "INFO").upper(),
            log_questions=flag("RIDERBOT_LOG_QUESTIONS", False),
            retention_days=integer("RIDERBOT_RETENTION_DAYS", 90) or 0,
            health_file=Path(env["RIDERBOT_HEALTH_FILE"])
            if env.get("RIDERBOT_HEALTH_FILE")
            else db.with_suffix(".health"),
            database=database if postgres else None,
            db_timeout=number("RIDERBOT_DB_TIMEOUT", 5.0),
            db_sync=choice("RIDERBOT_DB_SYNC", ("normal", "full"), "normal"),
            queue_expire_days=count("RIDERBOT_QUEUE_EXPIRE_DAYS", 180),
            queue_max_open=count("RIDERBOT_QUEUE_MAX_OPEN", 50_000),
            health_max_age=seconds("RIDERBOT_HEALTH_MAX_AGE", 150.0),
            discord_debug=flag("RIDERBOT_DISCORD_DEBUG", False),
            shard_count=shard_count,
            shards=shards,
        )

    def check_token(self) -> str:
        """The token, or a SettingsError whose message says in one sentence how to get one."""
        how = (
            "create an application at https://discord.com/developers/applications, add a bot, "
            "copy its token and put DISCORD_TOKEN=... in your environment or .env file"
        )
        if not self.discord_token:
            raise SettingsError(f"DISCORD_TOKEN is not set: {how}.")
        if not _TOKEN_SHAPE.match(self.discord_token):
            raise SettingsError(f"DISCORD_TOKEN does not look like a Discord bot token: {how}.")
        return self.discord_token
