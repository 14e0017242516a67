"""The SQLite driver: one connection, owned by one thread, which runs whole transactions.

Each transaction (a generator of statements, see bot/storage/sql.py) is one hop from the event
loop to this thread and back, however many statements it has. WAL mode with
``synchronous=NORMAL`` by default: a commit is in the WAL file when it returns, so it survives
the process being killed at any moment; ``RIDERBOT_DB_SYNC=full`` also fsyncs every commit, so it
survives a power cut too (about 0.3 ms more per commit here, with spikes of several ms).
Checkpoints run in a thread of their own so that no commit waits for one. Foreign keys on, and a
busy timeout for when another process (the CLI beside the bot) writes.

Every failure is turned into a StorageError whose message is one sentence naming the file, and
the thread is always stopped when opening fails or the storage closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.storage.errors import RowRejected, StorageError, sync_mode
from bot.storage.sql import Op, Ops, clean_args

_HEADER = b"SQLite format 3\x00"
CHECKPOINT_SECONDS = 0.5
_OPEN: dict[str, int] = {}  # database files this process has open (see _connect)
_OPEN_LOCK = threading.Lock()
CHECKPOINT_BYTES = 256 * 1024
# A write waits up to the busy timeout for a lock another process holds, in slices this long, so
# that shutting down (stop_waiting) ends the wait at once instead of after the whole busy timeout
LOCK_SLICE = 0.05


class SQLiteDriver:
    dialect = "sqlite"

    def __init__(self, path: Path, busy_timeout: float, synchronous: str = "NORMAL"):
        self.synchronous = sync_mode(synchronous).upper()
        self.path = path
        self.name = str(path)
        self.busy_timeout = busy_timeout
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=f"riderbot-sqlite:{path.name}", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._closed = False
        self._stop_checkpoints = threading.Event()
        self._stop_waiting = threading.Event()
        self._key: str | None = None
        self._checkpointer: threading.Thread | None = None

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    async def open(
        cls, path: Path | str, *, create: bool = True, busy_timeout: float = 5.0, synchronous: str = "NORMAL"
    ) -> SQLiteDriver:
        path = Path(path)
        _check_path(path, create)
        driver = cls(path, busy_timeout, synchronous)
        driver._thread.start()
        try:
            await driver.call(lambda: driver._connect(create))
        except BaseException:
            await driver.close()
            raise
        return driver

    def _connect(self, create: bool) -> None:
        name = self.name
        memory = name == ":memory:"
        key = None if memory else os.path.realpath(self.path)
        if key is not None:
            with _OPEN_LOCK:
                first = _OPEN.get(key, 0) == 0
                _OPEN[key] = _OPEN.get(key, 0) + 1
            self._key = key
            # Read the header only while this process has no connection to the file: closing any
            # descriptor of a file drops every POSIX lock the process holds on it, SQLite's too,
            # and another process could then delete the WAL under our connection.
            if first and self.path.exists():
                self._check_header()
        try:
            if memory:
                conn = sqlite3.connect(
                    name, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
                )
            else:
                uri = "file:" + _uri_path(self.path) + ("?mode=rwc" if create else "?mode=rw")
                conn = sqlite3.connect(
                    uri, uri=True, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise self.error(exc, "open") from None
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageError(
                        f"{name} could not be switched to WAL mode (it stayed in {mode} mode)."
                    )
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA temp_store = MEMORY")
            # reading the schema fails at once on a file that is not a database
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            if not memory:
                st = os.stat(self.path)
                self._identity = (st.st_dev, st.st_ino)
                # a write proves the file is writable and not locked (rolled back, nothing changes)
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                # from now on SQLite waits one slice per try; _begin_write waits the busy timeout
                conn.execute(f"PRAGMA busy_timeout = {int(LOCK_SLICE * 1000)}")
                # checkpoints (copying the WAL into the file, with its fsyncs) run in a thread of
                # their own, so no commit waits for one
                conn.execute("PRAGMA wal_autocheckpoint = 0")
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_loop,
                    daemon=True,
                    name=f"riderbot-sqlite-checkpoint:{self.path.name}",
                )
                self._checkpointer.start()
        except sqlite3.Error as exc:
            raise self.error(exc, "open") from None

    def _check_header(self) -> None:
        """A file shorter than its own header says is truncated (checked in O(1), from the header on
        disk: pages still in the WAL are not counted there, so a live database never looks short)."""
        try:
            with open(self.path, "rb") as fh:
                header = fh.read(100)
        except OSError as exc:
            raise StorageError(f"{self.name} cannot be read ({exc.strerror}).") from None
        if not header:
            return  # a new, empty file
        if len(header) < 100 or not header.startswith(_HEADER):
            raise StorageError(f"{self.name} is not a SQLite database (its first bytes are something else).")
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        valid = header[24:28] == header[92:96] and pages > 0
        if valid and os.path.getsize(self.path) < pages * page_size:
            raise StorageError(
                f"{self.name} is truncated: it is shorter than its own header says "
                "(restore it from a backup, or move it away to start afresh)."
            )

    def _checkpoint_loop(self) -> None:
        """Every CHECKPOINT_SECONDS, copy committed WAL frames into the database file (PASSIVE:
        never blocks a writer). The last close checkpoints what is left."""
        try:
            conn = sqlite3.connect(self.name, isolation_level=None, timeout=0.1, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            wal = Path(self.name + "-wal")
            while not self._stop_checkpoints.wait(CHECKPOINT_SECONDS):
                try:
                    if wal.exists() and wal.stat().st_size > CHECKPOINT_BYTES:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except (sqlite3.Error, OSError):
                    pass  # busy, or the file is gone: the writer reports that
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # -- the thread --------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            fn, future, loop = job
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the awaiting coroutine, whatever it is
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(_settle, future, result, error)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        if self._key is not None:
            with _OPEN_LOCK:
                _OPEN[self._key] -= 1
                if not _OPEN[self._key]:
                    del _OPEN[self._key]
            self._key = None

    async def call(self, fn: Callable[[], Any]) -> Any:
        if self._closed:
            raise StorageError(f"{self.name} is closed.")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((fn, future, loop))
        return await future

    async def close(self) -> None:
        self._stop_checkpoints.set()
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
        for thread in (self._checkpointer, self._thread):
            if thread is not None and thread.is_alive():
                await asyncio.to_thread(thread.join, 10)

    # -- transactions --------------------------------------------------------------------------------
    async def transaction(self, body: Callable[[], Ops], *, write: bool, autocommit: bool = False) -> Any:
        """Run ``body`` in one transaction (``autocommit`` changes nothing here: statements cost no
        round trip, and BEGIN IMMEDIATE makes a write atomic with the reads before it)."""
        return await self.call(lambda: self._transaction(body, write))

    def _transaction(self, body: Callable[[], Ops], write: bool) -> Any:
        conn = self._conn
        assert conn is not None
        if write:
            self._check_identity()
        try:
            if write:
                self._begin_write(conn)
            else:
                conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self.error(exc, "write" if write else "read") from None
        try:
            result = drive(body(), lambda op: self._execute(conn, op))
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise self.error(exc, "write" if write else "read") from None
        except BaseException:
            self._rollback(conn)
            raise

    def _begin_write(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, waiting up to the busy timeout for another process's lock, unless
        stop_waiting() is called (shutting down): then the next busy answer is final."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY") or "locked" in str(exc)
                if not busy or self._stop_waiting.is_set() or time.monotonic() >= deadline:
                    raise

    def stop_waiting(self) -> None:
        """Shutting down: a write waiting for a lock gives up now (and every later one at once)."""
        self._stop_waiting.set()

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _execute(self, conn: sqlite3.Connection, op: Op) -> Any:
        try:
            if op.kind == "many":
                conn.executemany(op.sql, [clean_args(a) for a in op.args])
                return None
            cur = conn.execute(op.sql, clean_args(op.args))
            if op.kind == "run":
                return cur.rowcount
            if op.kind == "val":
                row = cur.fetchone()
                return None if row is None else row[0]
            if op.kind == "rows":
                return cur.fetchall()
            names = [d[0] for d in cur.description or ()]
            if op.kind == "one":
                row = cur.fetchone()
                return None if row is None else dict(zip(names, row, strict=True))
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        except (
            sqlite3.IntegrityError,
            sqlite3.InterfaceError,
            sqlite3.ProgrammingError,
            OverflowError,
            UnicodeError,
            ValueError,
        ) as exc:
            raise RowRejected(f"{self.name} refused a row ({type(exc).__name__}: {exc}).") from exc
        except sqlite3.Error as exc:
            raise self.error(exc, "write") from None

    def _check_identity(self) -> None:
        """Deleting or replacing the file under a running process would send writes to a ghost."""
        if self._identity is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StorageError(
                f"{self.name} was deleted while riderbot was running; restart it to create a new "
                "database, or restore the file."
            ) from None
        except OSError as exc:
            raise StorageError(f"{self.name} cannot be checked ({exc.strerror}).") from None
        if (st.st_dev, st.st_ino) != self._identity:
            raise StorageError(
                f"{self.name} was replaced by another file while riderbot was running; restart it."
            )

    def error(self, exc: sqlite3.Error, doing: str) -> StorageError:
        return StorageError(describe(self.name, exc, self.busy_timeout, doing))


def drive(gen: Ops, execute: Callable[[Op], Any]) -> Any:
    """Run a statement generator to completion with a synchronous ``execute``; database errors are
    thrown into the generator so it can catch them."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.throw(error) if error is not None else gen.send(value)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        try:
            value = execute(op)
        except StorageError as exc:
            error = exc


def describe(name: str, exc: BaseException, timeout: float, doing: str) -> str:
    """One sentence for a sqlite3 error."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "locked" in text or "busy" in text or code.startswith("SQLITE_BUSY"):
        return f"{name} is locked by another process (waited {timeout:g} s); try again when it is done."
    if "readonly" in text or "read-only" in text or code.startswith("SQLITE_READONLY"):
        return f"{name} is read-only: riderbot needs to write to it (check the file's and its folder's permissions)."
    if "disk is full" in text or code == "SQLITE_FULL":
        return f"{name} cannot grow: the disk (or the database's size limit) is full."
    if "not a database" in text or code == "SQLITE_NOTADB":
        return f"{name} is not a SQLite database (is it the right file?)."
    if "malformed" in text or "corrupt" in text or code.startswith("SQLITE_CORRUPT"):
        return f"{name} is damaged ({exc}); restore it from a backup, or move it away to start afresh."
    if "unable to open" in text or code.startswith("SQLITE_CANTOPEN"):
        return f"{name} cannot be opened (check that the folder exists and is writable)."
    if "disk i/o" in text or code.startswith("SQLITE_IOERR"):
        return (
            f"{name} could not be {'read' if doing == 'read' else 'written'}: the disk reported an I/O error."
        )
    return f"{name} could not be used ({exc})."


def _check_path(path: Path, create: bool) -> None:
    if str(path) == ":memory:":
        return
    folder = path.parent
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file.")
    if not folder.exists():
        if not create:
            raise StorageError(f"the folder {folder} for the database {path} does not exist.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"the folder {folder} for the database {path} cannot be created ({exc.strerror or exc})."
            ) from None
    elif not folder.is_dir():
        raise StorageError(f"{folder} is not a folder, so the database {path} cannot be kept there.")
    if not path.exists():
        if not create:
            raise StorageError(f"{path} does not exist (the bot creates it when it first starts).")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StorageError(f"{path} cannot be created: the folder {folder} is not writable.")
    elif not os.access(path, os.R_OK):
        raise StorageError(f"{path} cannot be read (permission denied).")
    elif not os.access(path, os.W_OK):
        raise StorageError(
            f"{path} is read-only: riderbot needs to write to it (check the file's permissions)."
        )


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.absolute()))


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
