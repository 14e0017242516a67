from __future__ import annotations

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
