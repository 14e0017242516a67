"""The part of Storage every table shares: the driver, migrations, the group-commit writer, the
write-behind buffer for answers and events, the health flag, the change watcher and closing.

Writes go through one writer per Storage. Callers that arrive while a transaction is running are
gathered and written together in the next one (a group commit): each caller's ``await`` returns
only after the transaction holding its row has committed, so "I've logged it" is true when it is
said, and a burst costs one commit, not one per question. If that shared transaction fails because
of one caller's data, every caller is retried alone, so only the bad one fails; if it fails because
of the database (locked, read-only, full, deleted), every caller gets that StorageError at once,
it is logged at ERROR once, and ``health_problem`` says so until a write succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.storage import schema
from bot.storage.errors import RowRejected, StorageError
from bot.storage.sql import Ops, many, run, val

log = logging.getLogger("riderbot.storage")

FLUSH_DELAY = 0.25  # seconds: buffered answer/event rows are written at most this late
MAX_BATCH = 256  # writes per group commit
WAKE_PER_TURN = 8  # callers of a committed batch resumed per turn of the event loop
MAX_BUFFERED = 20_000  # answer/event rows kept for a retry while the database is failing
CHANGE_POLL = 0.5  # seconds between change checks (SQLite; PostgreSQL's fallback is 1 s)
MAX_ID = 2**63 - 1
CLOSE_SECONDS = 3.0  # close() gives the last writes this long, then stops waiting for a locked database

Scope = int | Literal["dms", "maintainers", "all"]
SCOPES = ("dms", "maintainers", "all")


def check_scope(scope: Any) -> Scope:
    """A server id, "dms", "maintainers" (DMs + forwarded entries) or "all" (the operator).
    Anything else is a programming error: a query must never run unscoped by accident."""
    if isinstance(scope, str) and scope in SCOPES:
        return scope  # type: ignore[return-value]
    if isinstance(scope, int) and not isinstance(scope, bool) and 0 < scope <= MAX_ID:
        return scope
    raise ValueError(f"scope must be a server id, 'dms', 'maintainers' or 'all', not {scope!r}")


def scope_where(
    scope: Scope, column: str = "guild_id", forwarded: str | None = None
) -> tuple[str, list[Any]]:
    """SQL condition and arguments limiting rows to ``scope``. ``forwarded`` names the column that
    makes a server's row visible to the maintainers (queue entries forwarded to them)."""
    scope = check_scope(scope)
    if scope == "all":
        return "1 = 1", []
    if scope == "dms":
        return f"{column} IS NULL", []
    if scope == "maintainers":
        if forwarded:
            return f"({column} IS NULL OR {forwarded} IS NOT NULL)", []
        return f"{column} IS NULL", []
    return f"{column} = ?", [scope]


def valid_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


@dataclass
class _Job:
    body: Callable[[], Ops]
    future: asyncio.Future
    # every statement of ``body`` is a complete change by itself (the rest are reads), so alone in
    # a batch it can run without BEGIN and COMMIT: two round trips fewer on PostgreSQL
    autocommit: bool = False


class StorageCore:
    """Shared machinery; the table mixins (bot/storage/queue.py ...) add the methods."""

    def __init__(self, driver: Any, *, queue_expire_days: int = 180, queue_max_open: int = 50_000):
        self.driver = driver
        self.dialect: str = driver.dialect
        self.name: str = driver.name
        self.queue_expire_days = queue_expire_days
        self.queue_max_open = queue_max_open
        self._pending: list[_Job] = []
        self._writer: asyncio.Task | None = None
        self._closing = False
        self._closed = False
        self._failure: str | None = None
        self._pending_answers: dict[int, tuple] = {}
        self._pending_events: list[tuple] = []
        self._flush_task: asyncio.Task | None = None
        self._created_since_trim = 0
        self._version = 0
        self._version_changed = asyncio.Event()
        self._watcher: asyncio.Task | None = None
        self._notified = asyncio.Event()

    @property
    def backend(self) -> str:
        return self.dialect

    # -- opening -----------------------------------------------------------------------------------
    async def _migrate(self) -> None:
        version = await self.driver.transaction(lambda: schema.current_version(self.dialect), write=False)
        if version > schema.SCHEMA_VERSION:
            raise StorageError(
                f"{self.name} was written by a newer riderbot (schema {version}, this one knows "
                f"{schema.SCHEMA_VERSION}); upgrade riderbot or use another database."
            )
        for number in range(version, schema.SCHEMA_VERSION):
            await self.driver.transaction(lambda n=number: schema.apply(self.dialect, n), write=True)
        self._version = await self.driver.transaction(lambda: self._read_version(), write=False)

    async def schema_version(self) -> int:
        return await self._read(lambda: schema.current_version(self.dialect))

    # -- reads and writes ----------------------------------------------------------------------------
    async def _read(self, body: Callable[[], Ops]) -> Any:
        self._check_open()
        return await self.driver.transaction(body, write=False)

    async def _write(self, body: Callable[[], Ops], *, autocommit: bool = False) -> Any:
        """Run ``body`` in the next group commit; returns when it is committed. ``autocommit``:
        see _Job."""
        self._check_open()
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Job(body, future, autocommit))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        return await future

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"{self.name} is closed.")

    async def _write_loop(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await self.driver.transaction(
                    lambda b=batch: self._batch_body(b),
                    write=True,
                    autocommit=batch[0].autocommit and len(batch) == 1,
                )
            except RowRejected:
                await self._one_by_one(batch)
                continue
            except StorageError as exc:
                self._failed(exc)
                for job in batch:
                    _settle(job.future, error=StorageError(str(exc)))
                continue
            except Exception:  # a bug or a bad value in one of them: find which
                await self._one_by_one(batch)
                continue
            self._recovered()
            for n, (job, result) in enumerate(zip(batch, results, strict=True), 1):
                _settle(job.future, result=result)
                if n % WAKE_PER_TURN == 0 and n < len(batch):
                    # each caller resumes (renders and sends its reply) in the loop's next turn: a
                    # batch of 200 all at once made one turn of ~30 ms; a few per turn keeps turns short
                    await asyncio.sleep(0)

    def _batch_body(self, batch: list[_Job]) -> Ops:
        results = []
        for job in batch:
            results.append((yield from job.body()))
        return results

    async def _one_by_one(self, batch: list[_Job]) -> None:
        for job in batch:
            try:
                result = await self.driver.transaction(
                    lambda j=job: self._batch_body([j]), write=True, autocommit=job.autocommit
                )
            except RowRejected as exc:
                _settle(job.future, error=exc)
            except StorageError as exc:
                self._failed(exc)
                _settle(job.future, error=StorageError(str(exc)))
            except Exception as exc:
                _settle(job.future, error=exc)
            else:
                self._recovered()
                _settle(job.future, result=result[0])

    def _failed(self, exc: StorageError) -> None:
        if self._failure is None:
            log.error("storage failing: %s", exc)
        self._failure = str(exc)

    def _recovered(self) -> None:
        if self._failure is not None:
            log.warning("storage works again (it was failing: %s)", self._failure)
            self._failure = None

    @property
    def health_problem(self) -> str | None:
        """The last write failure (one sentence) while writes are failing, else None."""
        return self._failure

    # -- write-behind for high-volume rows -------------------------------------------------------
    # Every answered question adds an `answers` row and an `events` row. They are buffered and
    # written together FLUSH_DELAY later (or at close): losing a few of them in a crash loses
    # nothing anyone was promised. Queue entries and votes are written before their call returns.
    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        try:
            await self.flush()
        except StorageError:
            pass  # logged by the writer; the rows stay buffered for the next try

    async def flush(self) -> None:
        """Write the buffered answer and event rows now. A row the database refuses is dropped
        alone (and counted in the log); the others are written."""
        if not self._pending_answers and not self._pending_events:
            return
        answers, self._pending_answers = self._pending_answers, {}
        events, self._pending_events = self._pending_events, []
        try:
            dropped = await self._write(lambda: self._flush_body(list(answers.values()), events))
        except StorageError:
            # keep them for the next flush (bounded: a database down for hours drops the oldest)
            self._pending_answers = {**answers, **self._pending_answers}
            self._pending_events = (events + self._pending_events)[-MAX_BUFFERED:]
            if len(self._pending_answers) > MAX_BUFFERED:
                for key in list(self._pending_answers)[: len(self._pending_answers) - MAX_BUFFERED]:
                    del self._pending_answers[key]
            raise
        if dropped:
            log.warning(
                "dropped %d answer/event row(s) the database refused; the others were written", dropped
            )

    def _flush_body(self, answers: list[tuple], events: list[tuple]) -> Ops:
        dropped = 0
        if answers:
            dropped += yield from insert_isolated(
                "INSERT INTO answers (message_id, question, model, license, topic, guild_id, channel_id, user_id, created)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (message_id) DO UPDATE SET question = excluded.question,"
                " model = excluded.model, license = excluded.license, topic = excluded.topic,"
                " guild_id = excluded.guild_id, channel_id = excluded.channel_id, user_id = excluded.user_id,"
                " created = excluded.created",
                answers,
            )
        if events:
            dropped += yield from insert_isolated(
                "INSERT INTO events (at, day, outcome, model, license, topic, guild_id, source, millis)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                events,
            )
        return dropped

    # -- change version -----------------------------------------------------------------------------
    # Knowledge edits, taught phrasings, per-server aliases and settings bump one counter in the
    # same transaction as the change (a row lock, so versions commit in order), and append a row
    # to change_log. Another process sees it through wait_for_change() within CHANGE_POLL (SQLite)
    # or at once through NOTIFY (PostgreSQL, with a 1 s re-check in case a notification is missed).
    def _bump(self, kind: str, guild_id: int | None = None) -> Ops:
        yield run("UPDATE change_counter SET version = version + 1 WHERE id = 1")
        version = yield val("SELECT version FROM change_counter WHERE id = 1")
        yield run(
            "INSERT INTO change_log (version, kind, guild_id, at) VALUES (?,?,?,?)",
            version,
            kind,
            guild_id,
            time.time(),
        )
        if self.dialect == "postgres":
            yield val("SELECT pg_notify('riderbot_changes', ?)", str(version))
        return version

    def _read_version(self) -> Ops:
        return (yield val("SELECT version FROM change_counter WHERE id = 1")) or 0

    def _saw_version(self, version: int) -> None:
        if version > self._version:
            self._version = version
            self._version_changed.set()
            self._version_changed = asyncio.Event()

    async def change_version(self) -> int:
        """The current change version (read from the database, not remembered)."""
        version = await self._read(self._read_version)
        self._saw_version(version)
        return version

    async def changes_since(self, version: int, limit: int = 1000) -> list[dict[str, Any]]:
        """What changed after ``version``, oldest first: ``{version, kind, guild_id, at}`` with kind
        one of kb, learned, alias, settings."""
        return await self._read(lambda: _changes_since(version, limit))

    async def wait_for_change(self, since: int | None = None, timeout: float | None = None) -> int:  # noqa: ASYNC109 - returns, not raises
        """Wait until the change version is above ``since`` (default: the version now) and return
        it; with ``timeout``, return the current version when it runs out."""
        if since is None:
            since = await self.change_version()
        self._start_watcher()
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._version <= since:
            event = self._version_changed
            remaining = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if remaining is not None and remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return self._version

    def _start_watcher(self) -> None:
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        interval = CHANGE_POLL
        if self.dialect == "postgres":
            listening = await self.driver.listen(self._notified.set)
            interval = 1.0 if listening else 0.5
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._notified.wait(), interval)
            self._notified.clear()
            if self._closing:
                break
            try:
                self._saw_version(await self.driver.transaction(self._read_version, write=False))
            except StorageError as exc:
                log.debug("change check failed: %s", exc)
            except Exception:  # never let the watcher die silently
                log.exception("change check failed")

    # -- closing -------------------------------------------------------------------------------------
    def stop_waiting(self) -> None:
        """Shutting down: writes waiting for a lock another process holds fail now (each caller gets
        its StorageError and can say the question was not stored) instead of after the busy timeout;
        from now on a locked database fails a write at once."""
        stop = getattr(self.driver, "stop_waiting", None)
        if stop is not None:
            stop()

    async def close(self) -> None:
        """Finish the writes in flight, write the buffered rows, stop the watcher and the database
        thread. Bounded: nothing here depends on the size of the queue, and a database another
        process keeps locked gets CLOSE_SECONDS, then the writes still waiting fail (logged)."""
        if self._closed:
            return
        self._closing = True
        try:
            if self._flush_task is not None and not self._flush_task.done():
                self._flush_task.cancel()
            finishing = asyncio.ensure_future(self._finish_writes())
            if not (await asyncio.wait({finishing}, timeout=CLOSE_SECONDS))[0]:
                self.stop_waiting()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(finishing, CLOSE_SECONDS)
            unwritten = len(self._pending_answers) + len(self._pending_events)
            if unwritten:
                log.error(
                    "closing %s: %d buffered answer/stats row(s) could not be written: %s",
                    self.name,
                    unwritten,
                    self._failure or "the database did not take them in time",
                )
            if self._watcher is not None:
                self._notified.set()
                self._watcher.cancel()
                with contextlib.suppress(BaseException):
                    await self._watcher
        finally:
            self._closed = True
            for job in self._pending:
                _settle(job.future, error=StorageError(f"{self.name} was closed before this was written."))
            self._pending = []
            await self.driver.close()

    async def _finish_writes(self) -> None:
        with contextlib.suppress(StorageError):
            await self.flush()
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._writer)


def insert_isolated(sql: str, rows: list[tuple]) -> Ops:
    """Insert ``rows`` in one statement; if the database refuses one, insert them one by one in
    savepoints and skip the refused ones. Returns how many were skipped."""
    yield run("SAVEPOINT batch_rows")
    try:
        yield many(sql, rows)
        yield run("RELEASE SAVEPOINT batch_rows")
        return 0
    except RowRejected:
        yield run("ROLLBACK TO SAVEPOINT batch_rows")
        yield run("RELEASE SAVEPOINT batch_rows")
    dropped = 0
    for row in rows:
        yield run("SAVEPOINT one_row")
        try:
            yield run(sql, *row)
            yield run("RELEASE SAVEPOINT one_row")
        except RowRejected:
            yield run("ROLLBACK TO SAVEPOINT one_row")
            yield run("RELEASE SAVEPOINT one_row")
            dropped += 1
    return dropped


def _changes_since(version: int, limit: int) -> Ops:
    from bot.storage.sql import all_

    return (
        yield all_(
            "SELECT version, kind, guild_id, at FROM change_log WHERE version > ? ORDER BY version LIMIT ?",
            version,
            limit,
        )
    )


def _settle(future: asyncio.Future, *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
