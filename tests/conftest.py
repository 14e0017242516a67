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
