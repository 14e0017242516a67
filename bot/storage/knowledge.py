"""What moderators and maintainers teach at run time, kept in the database so the bot and the CLI
share it, it survives restarts (the /data volume), and each change and its audit row are one
transaction:

- ``learned``: phrasings linked to an answer, global (guild_id NULL, taught by the maintainers or
  the operator) or for one server;
- ``guild_aliases``: extra names for a model in one server;
- ``kb_edits``: knowledge edits (kind alias | answer | add-model) with a JSON payload the
  knowledge loader applies; inactive rows are kept as history.

Every change bumps the change version (see core), which other processes wait on.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.storage.core import valid_id
from bot.storage.sql import Ops, all_, one, run

KB_EDIT_KINDS = ("alias", "answer", "add-model")


class KnowledgeStore:
    # -- learned phrasings -------------------------------------------------------------------------
    async def learned(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[tuple[str, str | None, str | None, str]]:
        """(question, model, licence, topic) taught phrasings, oldest first: the global ones plus
        those of server ``guild_id``; ``all_guilds=True`` returns every server's too (for one
        matcher shared by all servers)."""
        if all_guilds:
            where, args = "1 = 1", []
        elif guild_id is None:
            where, args = "guild_id IS NULL", []
        else:
            where, args = "(guild_id IS NULL OR guild_id = ?)", [guild_id]
        rows = await self._read(
            lambda: _all(
                f"SELECT question, model, license, topic FROM learned WHERE {where} ORDER BY id", *args
            )
        )
        return [(r["question"], r["model"], r["license"], r["topic"]) for r in rows]

    async def learned_rows(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[dict[str, Any]]:
        """Like learned(), as dicts with guild_id, created_by and created_at."""
        if all_guilds:
            where, args = "1 = 1", []
        elif guild_id is None:
            where, args = "guild_id IS NULL", []
        else:
            where, args = "(guild_id IS NULL OR guild_id = ?)", [guild_id]
        return await self._read(lambda: _all(f"SELECT * FROM learned WHERE {where} ORDER BY id", *args))

    async def global_learned_after(self, after_id: int = 0) -> list[dict[str, Any]]:
        """The global taught phrasings (guild_id NULL) with an id above ``after_id``, oldest first:
        what a process that has taught up to ``after_id`` still lacks (the bot's change follower)."""
        return await self._read(
            lambda: _all(
                "SELECT id, question, model, license, topic FROM learned"
                " WHERE guild_id IS NULL AND id > ? ORDER BY id",
                after_id,
            )
        )

    async def teach(
        self,
        question: str,
        model: str | None,
        license: str | None,
        topic: str,
        *,
        guild_id: int | None,
        by: int | None,
    ) -> int:
        """Add a taught phrasing without a queue entry (global when ``guild_id`` is None). Returns
        the new change version."""

        def body() -> Ops:
            now = time.time()
            yield run(
                "INSERT INTO learned (question, model, license, topic, created_by, created_at, guild_id)"
                " VALUES (?,?,?,?,?,?,?)",
                question,
                model,
                license,
                topic,
                by,
                now,
                guild_id,
            )
            yield from self._audit_body(
                by, "teach", model, f"{model or license}/{topic}", None, question, guild_id
            )
            return (yield from self._bump("learned", guild_id))

        return self._saw(await self._write(body))

    # -- per-server aliases ------------------------------------------------------------------------
    async def add_guild_alias(self, guild_id: int, model_id: str, alias: str, by: int | None) -> int | None:
        """A name for ``model_id`` in one server. Returns the new change version, or None when the
        server already has that alias (for any model)."""
        if not valid_id(guild_id):
            raise ValueError(f"not a Discord id: {guild_id!r}")
        alias = " ".join(alias.split())

        def body() -> Ops:
            changed = yield run(
                "INSERT INTO guild_aliases (guild_id, alias, model, created_by, created_at)"
                " VALUES (?,?,?,?,?) ON CONFLICT (guild_id, alias) DO NOTHING",
                guild_id,
                alias,
                model_id,
                by,
                time.time(),
            )
            if not changed:
                return None
            yield from self._audit_body(
                by, "alias", model_id, f"model {model_id} (this server)", None, alias, guild_id
            )
            return (yield from self._bump("alias", guild_id))

        return self._saw(await self._write(body))

    async def remove_guild_alias(self, guild_id: int, alias: str, by: int | None) -> int | None:
        alias = " ".join(alias.split())

        def body() -> Ops:
            row = yield one(
                "SELECT model FROM guild_aliases WHERE guild_id = ? AND alias = ?", guild_id, alias
            )
            if row is None:
                return None
            yield run("DELETE FROM guild_aliases WHERE guild_id = ? AND alias = ?", guild_id, alias)
            yield from self._audit_body(
                by, "unalias", row["model"], f"model {row['model']} (this server)", alias, None, guild_id
            )
            return (yield from self._bump("alias", guild_id))

        return self._saw(await self._write(body))

    async def guild_aliases(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """``{guild_id, model, alias, created_by, created_at}`` for one server, or every server (None)."""
        where, args = ("guild_id = ?", [guild_id]) if guild_id is not None else ("1 = 1", [])
        return await self._read(
            lambda: _all(
                f"SELECT guild_id, model, alias, created_by, created_at FROM guild_aliases WHERE {where}"
                " ORDER BY guild_id, created_at, alias",
                *args,
            )
        )

    # -- knowledge edits -----------------------------------------------------------------------------
    async def add_kb_edit(
        self,
        kind: str,
        *,
        family: str | None,
        model_id: str | None,
        payload: dict[str, Any],
        by: int | None,
        base_hash: str | None = None,
        before: str | None = None,
        after: str | None = None,
        guild_id: int | None = None,
        expect: tuple[int, int] | None = None,
    ) -> int | None:
        """Store a knowledge edit and its audit row in one transaction; returns the new change
        (knowledge) version. ``payload`` is a plain JSON-able dict (what the loader applies);
        ``base_hash`` the hash of the text an answer edit replaced (to detect a stale edit).

        ``expect`` is the ``kb_edits_state()`` signature the edit was validated against: when
        another process (the CLI beside the bot) stored or withdrew an edit since, nothing is
        written and None is returned, so the caller validates again on top of it."""
        if kind not in KB_EDIT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(KB_EDIT_KINDS)}, not {kind!r}")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)

        def body() -> Ops:
            if expect is not None and (yield from _signature()) != tuple(expect):
                return None
            yield run(
                "INSERT INTO kb_edits (kind, family, model, payload, base_hash, created_by, created_at, guild_id)"
                " VALUES (?,?,?,?,?,?,?,?)",
                kind,
                family,
                model_id,
                text,
                base_hash,
                by,
                time.time(),
                guild_id,
            )
            shown_after = after if after is not None else text
            yield from self._audit_body(
                by,
                kind if kind != "answer" else "edit",
                model_id,
                f"{family or '-'}/{model_id or '-'}",
                before,
                shown_after,
                guild_id,
            )
            return (yield from self._bump("kb", guild_id))

        return self._saw(await self._write(body))

    async def deactivate_kb_edit(self, edit_id: int, by: int | None) -> int | None:
        """Withdraw an edit (kept as history). Returns the new version, or None if no active edit has that id."""
        if not valid_id(edit_id):
            return None

        def body() -> Ops:
            row = yield one("SELECT * FROM kb_edits WHERE id = ? AND active = 1", edit_id)
            if row is None:
                return None
            yield run("UPDATE kb_edits SET active = 0 WHERE id = ?", edit_id)
            yield from self._audit_body(
                by,
                "kb-revert",
                row["model"],
                f"{row['family'] or '-'}/{row['model'] or '-'}",
                row["payload"],
                None,
                row["guild_id"],
            )
            return (yield from self._bump("kb", row["guild_id"]))

        return self._saw(await self._write(body))

    async def kb_edits(self) -> list[dict[str, Any]]:
        """Active edits, oldest first: ``{id, kind, family, model, payload (dict), base_hash,
        created_by, created_at, guild_id}``."""
        return (await self.kb_edits_state())[0]

    async def kb_edits_state(self) -> tuple[list[dict[str, Any]], tuple[int, int]]:
        """The active edits (as kb_edits()) and their signature, read in one transaction: pass the
        signature to add_kb_edit(expect=...) to store an edit only if nothing changed meanwhile."""

        def body() -> Ops:
            rows = yield all_(
                "SELECT id, kind, family, model, payload, base_hash, created_by,"
                " created_at, guild_id FROM kb_edits WHERE active = 1 ORDER BY id"
            )
            return rows, (yield from _signature())

        rows, signature = await self._read(body)
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows, signature

    def _saw(self, version: int | None) -> int | None:
        if version is not None:
            self._saw_version(version)
        return version


def _signature() -> Ops:
    """(the last edit's id, how many are active): changes with every edit stored or withdrawn."""
    row = yield one("SELECT COALESCE(MAX(id), 0) AS last, COALESCE(SUM(active), 0) AS live FROM kb_edits")
    return (int(row["last"]), int(row["live"]))


def _all(sql: str, *args: Any) -> Ops:
    return (yield all_(sql, *args))
