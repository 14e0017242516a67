"""A PostgreSQL database of its own for one test (or one benchmark): created, then dropped."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


def _run(coro):
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
    import asyncpg

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


def main() -> int:
    """``python -m tests.pg``: is the server in RIDERBOT_TEST_POSTGRES reachable? (make postgres-check)"""
    import os
    import sys

    url = os.environ.get("RIDERBOT_TEST_POSTGRES")
    if not url:
        print("RIDERBOT_TEST_POSTGRES is not set", file=sys.stderr)
        return 1
    try:
        _run(_admin(url, "SELECT 1"))
    except Exception as exc:
        print(
            f"PostgreSQL is not reachable at {url} ({type(exc).__name__}: {exc}); start it, or unset "
            "RIDERBOT_TEST_POSTGRES to skip the PostgreSQL tests",
            file=sys.stderr,
        )
        return 1
    print(f"PostgreSQL reachable at {url} for the storage tests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
