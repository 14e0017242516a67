"""The PostgreSQL driver (asyncpg): a small pool; each transaction runs a statement generator
(see bot/storage/sql.py) on one connection, awaiting each statement. Change notifications use
LISTEN/NOTIFY on a connection of their own.

``RIDERBOT_DB=postgresql://user@host:5432/dbname`` selects it. Every failure becomes a
StorageError naming the server and database (never the password).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.storage.errors import RowRejected, StorageError, sync_mode
from bot.storage.sql import Op, Ops, clean_args, dollar_placeholders

log = logging.getLogger("riderbot.storage")

CHANNEL = "riderbot_changes"


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def display_name(url: str) -> str:
    """``PostgreSQL database NAME on HOST:PORT`` without user or password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    db = parts.path.lstrip("/") or parts.username or "postgres"
    return f"PostgreSQL database {db} on {host}:{port}"


class PostgresDriver:
    dialect = "postgres"

    def __init__(self, url: str, pool: Any, timeout: float):
        self.url = url
        self.name = display_name(url)
        self.pool = pool
        self.timeout = timeout
        self._listener: Any = None

    @classmethod
    async def open(
        cls, url: str, *, busy_timeout: float = 5.0, pool_size: int = 4, synchronous: str = "normal"
    ) -> PostgresDriver:
        """``synchronous`` (RIDERBOT_DB_SYNC), as for SQLite: "normal" commits without waiting
        for the server to flush its log to disk (``synchronous_commit = off`` for riderbot's
        sessions: a commit survives riderbot being killed, and a crash of the server or the machine
        can lose the last fraction of a second of writes, never corrupt them); "full" waits."""
        durable = sync_mode(synchronous) == "full"
        try:
            import asyncpg
        except ImportError:  # pragma: no cover - asyncpg is a dependency
            raise StorageError(
                "RIDERBOT_DB names a PostgreSQL database but asyncpg is not installed."
            ) from None
        name = display_name(url)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=pool_size,
                timeout=busy_timeout,
                command_timeout=max(30.0, busy_timeout),
                reset=_keep_session,
                server_settings={
                    "lock_timeout": str(int(busy_timeout * 1000)),
                    "application_name": "riderbot",
                    "synchronous_commit": "on" if durable else "off",
                },
            )
        except (TimeoutError, OSError) as exc:
            raise StorageError(f"the {name} cannot be reached ({_reason(exc)}).") from None
        except asyncpg.PostgresError as exc:
            raise StorageError(f"the {name} refused the connection ({_first_line(exc)}).") from None
        except ValueError as exc:  # a malformed URL
            raise StorageError(f"RIDERBOT_DB is not a valid PostgreSQL URL ({exc}).") from None
        return cls(url, pool, busy_timeout)

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pool.close(), 5)
        with contextlib.suppress(Exception):
            self.pool.terminate()

    async def transaction(self, body: Callable[[], Ops], *, write: bool, autocommit: bool = False) -> Any:
        """Run ``body`` in one transaction. ``autocommit``: each statement of ``body`` is a complete
        change by itself (the others are reads), so it runs without BEGIN and COMMIT, each statement
        committed on its own: two round trips fewer."""
        import asyncpg

        try:
            async with self.pool.acquire() as con:
                if autocommit:
                    return await self._drive(con, body())
                tx = con.transaction(readonly=not write, isolation="read_committed")
                await tx.start()
                try:
                    result = await self._drive(con, body())
                except BaseException:
                    with contextlib.suppress(Exception):
                        await tx.rollback()
                    raise
                await tx.commit()
                return result
        except StorageError:
            raise
        except (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
            raise StorageError(f"the {self.name} cannot be reached ({_reason(exc)}).") from None
        except asyncpg.PostgresError as exc:
            raise self.error(exc) from None

    async def _drive(self, con: Any, gen: Ops) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                value = await self._execute(con, op)
            except StorageError as exc:
                error = exc

    async def _execute(self, con: Any, op: Op) -> Any:
        import asyncpg

        sql = dollar_placeholders(op.sql)
        try:
            if op.kind == "many":
                rows = [clean_args(a) for a in op.args]
                if rows:
                    await con.executemany(sql, rows)
                return None
            args = clean_args(op.args)
            if op.kind == "run":
                status = await con.execute(sql, *args)
                tail = status.rsplit(" ", 1)[-1]
                return int(tail) if tail.isdigit() else 0
            if op.kind == "val":
                return await con.fetchval(sql, *args)
            if op.kind == "rows":
                return [tuple(r) for r in await con.fetch(sql, *args)]
            if op.kind == "one":
                row = await con.fetchrow(sql, *args)
                return None if row is None else dict(row)
            return [dict(r) for r in await con.fetch(sql, *args)]
        except (
            asyncpg.DataError,
            asyncpg.IntegrityConstraintViolationError,
            OverflowError,
            UnicodeError,
            ValueError,
            TypeError,
        ) as exc:
            raise RowRejected(
                f"the {self.name} refused a row ({type(exc).__name__}: {_first_line(exc)})."
            ) from exc
        except asyncpg.PostgresError as exc:
            raise self.error(exc) from None

    def error(self, exc: BaseException) -> StorageError:
        import asyncpg

        if isinstance(
            exc, asyncpg.exceptions.LockNotAvailableError | asyncpg.exceptions.DeadlockDetectedError
        ):
            return StorageError(
                f"the {self.name} is locked by another session (waited {self.timeout:g} s); "
                "try again when it is done."
            )
        if isinstance(
            exc,
            asyncpg.exceptions.ReadOnlySQLTransactionError | asyncpg.exceptions.InsufficientPrivilegeError,
        ):
            return StorageError(f"the {self.name} is read-only for this user: riderbot needs to write to it.")
        if isinstance(exc, asyncpg.exceptions.DiskFullError | asyncpg.exceptions.InsufficientResourcesError):
            return StorageError(f"the {self.name} cannot grow: the server's disk is full.")
        if isinstance(exc, asyncpg.exceptions.InvalidCatalogNameError):
            return StorageError(f"the {self.name} does not exist (create it with createdb).")
        return StorageError(f"the {self.name} could not be used ({_first_line(exc)}).")

    # -- LISTEN/NOTIFY -------------------------------------------------------------------------------
    async def listen(self, callback: Callable[[], None]) -> bool:
        """Call ``callback`` (in the event loop) on every change notification. False if listening
        failed; the caller then relies on its periodic re-check."""
        import asyncpg

        try:
            con = await asyncpg.connect(self.url, timeout=self.timeout)
            await con.add_listener(CHANNEL, lambda *_: callback())
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning(
                "cannot listen for changes on the %s (%s); checking every second instead",
                self.name,
                _reason(exc),
            )
            return False
        self._listener = con
        return True

    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()


async def _keep_session(con: Any) -> None:
    """What the pool does to a connection coming back (after asyncpg rolls back a transaction
    left open): nothing. asyncpg's default reset is a round trip per transaction (unlock advisory
    locks, UNLISTEN, RESET ALL) for session state riderbot never creates on pool connections: its
    locks are transaction locks, it listens on a connection of its own and sets nothing."""
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return _first_line(exc)
