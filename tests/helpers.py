"""Helpers for the Discord tests: build a RiderBot wired to the fake Discord, read what it sent.

Everything goes through the real discord.py client talking to the fake Discord (the ``fakediscord``
package) on 127.0.0.1; ``make_bot`` adds the fake's loopback guard, so a request to any other host
fails the test. ``running_bot`` opens the storage, runs the bot until ready, and closes both, in the
order ``riderbot run`` does (the bot first, then the storage).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.client import RiderBot
from bot.engine import Engine
from bot.matching.answer import LEADS
from bot.rendering.common import REPLY_EMOJI
from bot.settings import Settings
from bot.storage import Storage
from fakediscord import FakeDiscord


def reply_title(reply: str) -> str:
    """How an answered embed's title starts for a direct ``reply`` ("✅ Yes —"): the line a reader scans."""
    return f"{REPLY_EMOJI[reply]} {LEADS[reply]} —"


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 2.0) -> Any:
    """Poll an async ``check`` until it returns something truthy (bot-side state such as the DB)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {result!r} after {within}s")
        await asyncio.sleep(0.01)


def make_bot(
    fake: FakeDiscord,
    engine: Engine,
    storage: Storage,
    *,
    message_content: bool = True,
    dev_guild: int | None = None,
    health_file: Path | None = None,
    maintainer_guild: int | None = None,
    **options: Any,
) -> RiderBot:
    settings = Settings(
        message_content=message_content,
        dev_guild=dev_guild,
        health_file=health_file,
        maintainer_guild=maintainer_guild,
    )
    options.setdefault("guild_ready_timeout", 0.05)
    return RiderBot(engine, storage, settings, http_trace=fake.loopback_guard(), **options)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, engine: Engine, db_path: Path, **kwargs: Any
) -> AsyncIterator[RiderBot]:
    """A RiderBot on a freshly opened database at ``db_path``, connected and ready; on exit the bot
    closes, then the storage (as ``riderbot run`` does)."""
    storage = await Storage.open(db_path)
    try:
        async with fake.run(make_bot(fake, engine, storage, **kwargs)) as bot:
            yield bot  # type: ignore[misc]
    finally:
        await storage.close()


def reset_limits(bot: RiderBot) -> None:
    """Forget every cooldown the cogs keep and every conversation (each test starts with a fresh
    allowance, and no follow-up takes another test's question)."""
    bot.conversations.clear()
    for cog in bot.cogs.values():
        reset = getattr(cog, "reset_limits", None)
        if reset is not None:
            reset()


def mention(fake: FakeDiscord, text: str) -> str:
    """``text`` addressed to the bot, as Discord writes a mention."""
    return f"<@{fake.application_id}> {text}"


def custom_ids(message: dict) -> list[str]:
    return [
        c["custom_id"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if "custom_id" in c
    ]


def button_rows(message: dict) -> list[list[dict]]:
    return [row.get("components", []) for row in message.get("components", [])]


def embed_of(message: dict) -> dict:
    embeds = message.get("embeds") or []
    assert len(embeds) == 1, f"expected one embed, got {message!r}"
    return embeds[0]


def callback_embed(callback: dict) -> dict:
    return embed_of(callback["data"])


def is_ephemeral(callback: dict) -> bool:
    return bool(int((callback.get("data") or {}).get("flags") or 0) & 64)


def outgoing_message_bodies(fake: FakeDiscord, start: int = 0) -> list[tuple[str, dict]]:
    """(path, body) of every request from ``start`` on that created or edited a message: channel
    messages, interaction callbacks that carry a message (types 4 and 7), followups and edits."""
    out = []
    for rec in fake.requests[start:]:
        if rec.method not in ("POST", "PATCH") or not isinstance(rec.json, dict):
            continue
        path = rec.path
        if path.endswith("/callback"):
            if rec.json.get("type") in (4, 7):
                out.append((path, rec.json.get("data") or {}))
        elif "/messages" in path and not path.endswith("/bulk-delete") or path.startswith("/webhooks/"):
            out.append((path, rec.json))
    return out


def assert_no_pings(fake: FakeDiscord, start: int = 0) -> int:
    """Every message the bot sent or edited since ``start`` asked Discord to ping no one."""
    bodies = outgoing_message_bodies(fake, start)
    for path, body in bodies:
        mentions = body.get("allowed_mentions")
        assert mentions is not None, f"{path}: no allowed_mentions in {body!r}"
        assert mentions.get("parse") == [], f"{path}: allowed_mentions {mentions!r}"
        assert not mentions.get("users") and not mentions.get("roles"), (
            f"{path}: allowed_mentions {mentions!r}"
        )
        assert not mentions.get("replied_user"), f"{path}: allowed_mentions {mentions!r}"
    return len(bodies)
