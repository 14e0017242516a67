"""The house is one-way (issue 16), checked on the source so a regression fails here, not in review:
bot/client.py imports nothing from bot/cogs, the Discord layer has no function-level imports (the
old trick to dodge an import loop), matching stays pure, and nothing in bot/ imports the tests or
the fake Discord."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
DISCORD_LAYER = [BOT / "client.py", *sorted((BOT / "cogs").glob("*.py"))]


def imports(path: Path) -> list[tuple[str, ast.AST, bool]]:
    """(module, node, at module level or under `if TYPE_CHECKING`) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            top.update(id(n) for n in ast.walk(node))
        top.add(id(node))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, node, id(node) in top))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, node, id(node) in top) for alias in node.names)
    return out


def test_the_client_imports_nothing_from_the_cogs():
    assert not [m for m, _, _ in imports(BOT / "client.py") if m.startswith("bot.cogs")]


@pytest.mark.parametrize("path", DISCORD_LAYER, ids=lambda p: p.name)
def test_the_discord_layer_has_no_function_level_imports(path):
    inner = [f"{m} (line {n.lineno})" for m, n, top in imports(path) if not top]
    assert not inner, f"{path.name} imports inside a function: {inner}"


def test_matching_is_pure():
    for path in (BOT / "matching").glob("*.py"):
        bad = [
            m
            for m, _, _ in imports(path)
            if m.split(".")[0] in ("discord", "aiohttp", "asyncpg", "sqlite3")
            or m.startswith(("bot.storage", "bot.cogs", "bot.client", "bot.rendering"))
        ]
        assert not bad, f"{path.name} imports {bad}"


def test_nothing_in_bot_imports_the_tests_or_the_fake_at_module_level():
    for path in BOT.rglob("*.py"):
        bad = [m for m, _, top in imports(path) if top and m.split(".")[0] in ("tests", "fakediscord")]
        assert not bad, f"{path.relative_to(BOT.parent)} imports {bad}"
