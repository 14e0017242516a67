from __future__ import annotations

import os

import pytest

from bot.engine import Engine
from bot.knowledge import load_knowledge


@pytest.fixture(scope="session")
def shipped_kb():
    return load_knowledge()


@pytest.fixture(scope="session")
def engine(shipped_kb):
    return Engine(shipped_kb)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test runs in its own folder with its own database and no .env or token from the
    developer's environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RIDERBOT_DB", str(tmp_path / "riderbot-test.db"))
    for name in ("DISCORD_TOKEN", "RIDERBOT_KNOWLEDGE", "RIDERBOT_DEV_GUILD", "RIDERBOT_MESSAGE_CONTENT"):
        monkeypatch.delenv(name, raising=False)


# -- the storage backends --------------------------------------------------------------------------
# Storage tests take the `backend` fixture (or `storage_target` / `store`) and run once per backend:
# SQLite always, PostgreSQL when RIDERBOT_TEST_POSTGRES names a server (.ci/run sets it). Each
# PostgreSQL test gets a database of its own, riderbot_test_<random>, dropped afterwards, so
# several test runs can share one server.
POSTGRES_ENV = "RIDERBOT_TEST_POSTGRES"
POSTGRES_HOWTO = (
    f"PostgreSQL storage tests skipped: {POSTGRES_ENV} is not set (run them with "
    f"{POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/postgres make test)"
)
_postgres_skipped = []


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    if request.param == "postgres" and not os.environ.get(POSTGRES_ENV):
        _postgres_skipped.append(request.node.nodeid)
        pytest.skip(POSTGRES_HOWTO)
    return request.param


@pytest.fixture
def storage_target(backend, tmp_path):
    """Where a fresh database lives: a SQLite path, or the URL of a new PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "store.db")
        return
    from tests.pg import temporary_database

    with temporary_database(os.environ[POSTGRES_ENV]) as url:
        yield url


@pytest.fixture
async def store(storage_target):
    from bot.storage import open_storage

    storage = await open_storage(storage_target, busy_timeout=2.0)
    try:
        yield storage
    finally:
        await storage.close()


def pytest_terminal_summary(terminalreporter):
    if _postgres_skipped:
        terminalreporter.write_line(f"{POSTGRES_HOWTO} [{len(_postgres_skipped)} tests]")
