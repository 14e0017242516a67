"""A PostgreSQL database of its own for one test: bot.pgtemp (shared with the storage benchmark),
and ``python -m tests.pg`` for `make postgres-check`."""

from __future__ import annotations

import os
import sys

from bot.pgtemp import ping, temporary_database, with_database

__all__ = ["temporary_database", "with_database"]


def main() -> int:
    """``python -m tests.pg``: is the server in RIDERBOT_TEST_POSTGRES reachable? (make postgres-check)"""
    url = os.environ.get("RIDERBOT_TEST_POSTGRES")
    if not url:
        print("RIDERBOT_TEST_POSTGRES is not set", file=sys.stderr)
        return 1
    try:
        ping(url)
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
