"""The storage errors: one sentence each, naming the database and the problem."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used: missing, unreadable, locked, read-only, full, damaged, gone.

    ``str(exc)`` is one sentence for a person ("riderbot.db is locked by another process ...").
    Raised by ``open_storage`` and by any write that could not be made durable."""


class RowRejected(StorageError):
    """One row could not be stored (a value the database refuses). Only that row is lost; the
    database itself is fine, so this does not make ``riderbot health`` fail."""


class QuestionTooLong(ValueError):
    """A question longer than Discord's 1,000-character limit: refused, never stored."""


def sync_mode(value: str) -> str:
    """RIDERBOT_DB_SYNC, checked once for both drivers: "normal" or "full" (lower case), else a
    StorageError saying so."""
    mode = value.strip().lower()
    if mode not in ("normal", "full"):
        raise StorageError(f"RIDERBOT_DB_SYNC must be normal or full, not {value!r}.")
    return mode
