"""Storage: the only code that talks to the database (SQLite by default, PostgreSQL at scale).

``open_storage(settings)`` picks the backend from ``RIDERBOT_DB``: a file path -> SQLite (default
``riderbot.db``, nothing to install or run), a ``postgresql://...`` URL -> PostgreSQL (asyncpg).
Both run the same numbered migrations and the same code: each operation is a generator of SQL
statements (bot/storage/sql.py) that a driver (sqlite.py, postgres.py) runs in one transaction.

The tables are split by what they hold:

- queue.py: the review queue (``queue``, ``askers``, the grouping index ``queue_terms``);
- answers.py: answers sent and feedback votes;
- events.py: anonymous per-question events and ``stats``;
- settings.py: server settings, watched channels, meta, the audit log;
- knowledge.py: taught phrasings, per-server aliases, knowledge edits;
- privacy.py: forget / purge / retention;
- core.py: the group-commit writer, write-behind buffers, health flag, change version, close.

Everything a server's moderators can read or change takes a ``scope``: a server id, "dms",
"maintainers" (DMs + entries forwarded to the maintainers) or "all" (the operator's CLI).
Nothing about the database is cached in memory, so several processes (the bot, the CLI) can
share it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bot.storage.answers import AnswersStore
from bot.storage.core import FLUSH_DELAY, SCOPES, Scope, StorageCore, check_scope
from bot.storage.errors import QuestionTooLong, RowRejected, StorageError
from bot.storage.events import EventsStore
from bot.storage.grouping import GROUP_SIMILARITY
from bot.storage.knowledge import KB_EDIT_KINDS, KnowledgeStore
from bot.storage.postgres import PostgresDriver, display_name, is_postgres_url
from bot.storage.privacy import PrivacyStore
from bot.storage.queue import MAX_QUESTION_CHARS, QUEUE_STATUSES, Asked, ExportFile, QueueStore, iso
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION
from bot.storage.settings import SettingsStore
from bot.storage.sqlite import SQLiteDriver

__all__ = [
    "FLUSH_DELAY",
    "GROUP_SIMILARITY",
    "KB_EDIT_KINDS",
    "MAX_QUESTION_CHARS",
    "MIGRATIONS",
    "QUEUE_STATUSES",
    "SCHEMA_VERSION",
    "SCOPES",
    "Asked",
    "ExportFile",
    "QuestionTooLong",
    "RowRejected",
    "Scope",
    "Storage",
    "StorageError",
    "check_scope",
    "database_name",
    "iso",
    "open_storage",
]

_iso = iso  # the name older code imported


class Storage(
    QueueStore, AnswersStore, EventsStore, SettingsStore, KnowledgeStore, PrivacyStore, StorageCore
):
    """The one storage interface the bot, the CLI and the tests use (whatever the backend)."""

    @classmethod
    async def open(cls, target: Path | str, **options: Any) -> Storage:
        return await open_storage(target, **options)

    async def _raw(self, sql: str, *args: Any) -> int:
        """Run one statement (``?`` placeholders) in the writer: for tests and maintenance only."""
        from bot.storage.sql import run

        def body():
            return (yield run(sql, *args))

        return await self._write(body)


def database_name(target: Any) -> str:
    """How the database is named in messages: the file path, or the PostgreSQL server and database."""
    text = _target_text(target)
    return display_name(text) if is_postgres_url(text) else text


def _target_text(target: Any) -> str:
    if hasattr(target, "database_target"):
        return target.database_target
    return str(target)


async def open_storage(
    target: Any = None,
    *,
    create: bool = True,
    busy_timeout: float | None = None,
    queue_expire_days: int | None = None,
    queue_max_open: int | None = None,
) -> Storage:
    """Open (and migrate) the database: ``target`` is a Settings (RIDERBOT_DB and the queue
    limits), a path, or a ``postgresql://`` URL. ``create=False`` (``riderbot health``) refuses
    to create a missing SQLite file or folder. Raises StorageError with one sentence."""
    if target is None:
        from bot.settings import Settings

        target = Settings.from_env()
    text = _target_text(target)
    timeout = busy_timeout if busy_timeout is not None else getattr(target, "db_timeout", 5.0)
    expire = queue_expire_days if queue_expire_days is not None else getattr(target, "queue_expire_days", 180)
    cap = queue_max_open if queue_max_open is not None else getattr(target, "queue_max_open", 50_000)
    sync = getattr(target, "db_sync", None) or os.environ.get("RIDERBOT_DB_SYNC") or "normal"
    if is_postgres_url(text):
        driver: Any = await PostgresDriver.open(text, busy_timeout=timeout, synchronous=sync)
    else:
        driver = await SQLiteDriver.open(Path(text), create=create, busy_timeout=timeout, synchronous=sync)
    store = Storage(driver, queue_expire_days=expire, queue_max_open=cap)
    try:
        await store._migrate()
    except BaseException:
        await driver.close()
        raise
    return store
