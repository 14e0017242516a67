"""Each server's own knowledge: the aliases and taught wordings its moderators added, as the
matcher's ``Scope`` (bot.matching.matcher), built from storage and kept in memory.

``Scopes.get(guild_id)`` is what answering uses (synchronous, a dict lookup: None for a server with
nothing of its own, and for DMs). Everything is loaded at start-up (``reload(None)``); after a
change to one server's aliases or wordings, ``reload(guild_id)`` rebuilds that server's scope from
the database. Changes made in this process call it themselves. **For changes made by another
process** (the CLI, another shard): call ``await bot.scopes.reload(guild_id)`` when the change
notification (Storage.changes_since / wait_for_change, kinds ``learned`` and ``alias``) names a
server, and ``reload(None)`` when it names none; it is idempotent and cheap (two indexed queries).

The global phrasings (taught by the maintainers or the operator) are not here: they go to the one
matcher every server shares (Engine.teach).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.matching.matcher import Scope
from bot.storage import Storage


def build_scope(
    kb: KnowledgeBase,
    aliases: Iterable[tuple[str, str]],
    learned: Iterable[tuple[str, str | None, str | None, str]],
) -> Scope | None:
    """A Scope from (alias, model) pairs and (question, model, licence, topic) wordings, skipping
    what the knowledge no longer has; None when nothing is left."""
    scope = Scope()
    for alias, target in aliases:
        if target in kb.models:
            scope.add_alias(alias, target)
    for question, model, license_id, topic in learned:
        if (
            (model is None or model in kb.models)
            and (license_id is None or license_id in kb.licenses)
            and topic in kb.topics
        ):
            scope.learn(question, model, license_id, topic)
    return scope if scope.aliases or len(scope.learned) else None


class Scopes:
    """The per-server scopes of one bot process (see the module's docstring)."""

    def __init__(self, storage: Storage, kb: KnowledgeBase) -> None:
        self.storage = storage
        self.kb = kb
        self._scopes: dict[int, Scope] = {}
        self._lock = asyncio.Lock()

    def get(self, guild_id: int | None) -> Scope | None:
        return None if guild_id is None else self._scopes.get(guild_id)

    def guilds(self) -> set[int]:
        return set(self._scopes)

    async def reload(self, guild_id: int | None = None) -> None:
        """Rebuild one server's scope (``guild_id``) or every server's (None) from the database."""
        data = await self.fetch(guild_id)
        self.apply(data, guild_id)

    async def fetch(self, guild_id: int | None = None) -> dict[int, tuple[list[Any], list[Any]]]:
        """What the scopes are built from: server id -> (aliases, wordings)."""
        async with self._lock:
            aliases = await self.storage.guild_aliases(guild_id)
            if guild_id is None:
                rows = await self.storage.learned_rows(all_guilds=True)
            else:
                rows = [r for r in await self.storage.learned_rows(guild_id) if r["guild_id"] == guild_id]
        out: dict[int, tuple[list[Any], list[Any]]] = {} if guild_id is None else {guild_id: ([], [])}
        for a in aliases:
            out.setdefault(a["guild_id"], ([], []))[0].append((a["alias"], a["model"]))
        for r in rows:
            if r["guild_id"] is not None:
                out.setdefault(r["guild_id"], ([], []))[1].append(
                    (r["question"], r["model"], r["license"], r["topic"])
                )
        return out

    def apply(self, data: dict[int, tuple[list[Any], list[Any]]], guild_id: int | None = None) -> None:
        """Swap in scopes built from ``fetch``'s data (synchronous: no answer sees half of it)."""
        built = {gid: build_scope(self.kb, aliases, learned) for gid, (aliases, learned) in data.items()}
        if guild_id is None:
            self._scopes = {gid: s for gid, s in built.items() if s is not None}
            return
        scope = built.get(guild_id)
        if scope is None:
            self._scopes.pop(guild_id, None)
        else:
            self._scopes[guild_id] = scope

    def with_change(
        self,
        guild_id: int,
        *,
        alias: tuple[str, str] | None = None,
        learned: tuple[str, str | None, str | None, str] | None = None,
        data: dict[int, tuple[list[Any], list[Any]]],
    ) -> Scope | None:
        """The scope server ``guild_id`` would have with one more alias or wording (for the eval gate)."""
        aliases, wordings = data.get(guild_id, ([], []))
        return build_scope(
            self.kb, [*aliases, *([alias] if alias else [])], [*wordings, *([learned] if learned else [])]
        )
