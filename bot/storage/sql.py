"""How storage code talks to a database without knowing which one.

Every operation is a generator that *yields* statements and receives their results::

    def _count_open(scope_sql, args):
        n = yield val(f"SELECT COUNT(*) FROM queue WHERE status = 'open' AND {scope_sql}", *args)
        return n

A driver runs the generator inside one transaction: the SQLite driver in its own thread, all at
once (one hop from the event loop, however many statements); the PostgreSQL driver with asyncpg,
awaiting each statement. So the SQL and the logic around it are written once for both backends.
Statements use ``?`` placeholders (translated to ``$1, $2...`` for PostgreSQL) and the common
subset of SQL both understand (``ON CONFLICT``, ``RETURNING``, ``COALESCE``...). A database error
is thrown into the generator, so ``try/except`` around a ``yield`` works (used with savepoints).

Every text value passes through ``clean_text`` on its way in: invalid code points (a lone
surrogate from a broken client, NUL) become U+FFFD, so one odd message can never fail a write.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Ops = Generator["Op", Any, Any]


@dataclass(frozen=True, slots=True)
class Op:
    kind: str  # all | rows | one | val | run | many
    sql: str
    args: Sequence[Any] | Iterable[Sequence[Any]] = ()


def all_(sql: str, *args: Any) -> Op:
    """Every row, as dicts."""
    return Op("all", sql, args)


def rows(sql: str, *args: Any) -> Op:
    """Every row, as tuples (cheaper than dicts, for hot paths)."""
    return Op("rows", sql, args)


def one(sql: str, *args: Any) -> Op:
    """The first row as a dict, or None."""
    return Op("one", sql, args)


def val(sql: str, *args: Any) -> Op:
    """The first column of the first row, or None."""
    return Op("val", sql, args)


def run(sql: str, *args: Any) -> Op:
    """Execute; the number of rows changed."""
    return Op("run", sql, args)


def many(sql: str, rows: Iterable[Sequence[Any]]) -> Op:
    """Execute once per row of arguments."""
    return Op("many", sql, [tuple(r) for r in rows])


_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every code point a database would refuse replaced by U+FFFD: lone
    surrogates (valid pairs are joined first) and NUL."""
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    if not _BAD_CHARS.search(text):
        return text
    joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _BAD_CHARS.sub("\ufffd", joined)


def clean_args(args: Sequence[Any]) -> tuple[Any, ...] | Sequence[Any]:
    """``args`` with every text (also inside a list: PostgreSQL array parameters) cleaned and
    every bool an int."""
    for a in args:
        if (
            (type(a) is str and (not a.isascii() or "\x00" in a))
            or type(a) is bool
            or (type(a) is list and any(type(x) is str and (not x.isascii() or "\x00" in x) for x in a))
        ):
            return tuple(_clean_one(a) for a in args)
    return args


def _clean_one(a: Any) -> Any:
    if isinstance(a, str):
        return clean_text(a)
    if isinstance(a, bool):
        return int(a)
    if type(a) is list:
        return [clean_text(x) if isinstance(x, str) else x for x in a]
    return a


@lru_cache(maxsize=1024)
def dollar_placeholders(sql: str) -> str:
    """``?`` -> ``$1, $2, ...`` (PostgreSQL). Statements here never contain a literal '?'."""
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return re.sub(r"\?", number, sql)


def placeholders(n: int) -> str:
    return ", ".join("?" * n)
