"""A PostgreSQL database of its own, created and then dropped: for the storage benchmark and the
tests (tests/pg.py re-exports it). Lives in the package so `riderbot bench` finds it in an install."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def _run(coro: Any) -> Any:
    """Run ``coro`` on a fresh loop in a thread (the caller may be inside a running loop)."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _admin(url: str, sql: str) -> None:
    import asyncpg  # noqa: PLC0415 - only when PostgreSQL is used

    con = await asyncpg.connect(url, timeout=10)
    try:
        await con.execute(sql)
    finally:
        await con.close()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    name = f"riderbot_test_{secrets.token_hex(6)}"
    _run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        _run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def ping(server_url: str) -> None:
    """Raise if the server cannot be reached (``make postgres-check``)."""
    _run(_admin(server_url, "SELECT 1"))
