"""Server settings (moderator role, log channel), watched channels, the meta key/value table and
the audit log. Changing a setting bumps the change version (core._bump), so other processes
pick it up."""

from __future__ import annotations

import time
from typing import Any

from bot.storage.core import Scope, check_scope, scope_where, valid_id
from bot.storage.sql import Ops, all_, one, run, val

GUILD_SETTINGS = ("moderator_role_id", "log_channel_id")
KNOWLEDGE_ACTIONS = ("alias", "edit", "add-model", "reload", "kb-edit", "kb-revert")


class SettingsStore:
    # -- watched channels --------------------------------------------------------------------------
    async def watch(self, guild_id: int, channel_id: int) -> bool:
        _ids(guild_id, channel_id)

        def body() -> Ops:
            changed = yield run(
                "INSERT INTO watched_channels (guild_id, channel_id) VALUES (?, ?)"
                " ON CONFLICT (channel_id) DO NOTHING",
                guild_id,
                channel_id,
            )
            return (yield from self._bump("settings", guild_id)) if changed else None

        return self._saw_change(await self._write(body))

    async def unwatch(self, guild_id: int, channel_id: int) -> bool:
        _ids(guild_id, channel_id)

        def body() -> Ops:
            changed = yield run(
                "DELETE FROM watched_channels WHERE guild_id = ? AND channel_id = ?", guild_id, channel_id
            )
            return (yield from self._bump("settings", guild_id)) if changed else None

        return self._saw_change(await self._write(body))

    async def watched_channels(self, scope: Scope = "all") -> set[int]:
        """Channels watched in one server (``scope`` = its id), or in every server ("all")."""
        where, args = scope_where(scope)
        rows = await self._read(lambda: _all(f"SELECT channel_id FROM watched_channels WHERE {where}", *args))
        return {r["channel_id"] for r in rows}

    # -- server settings ---------------------------------------------------------------------------
    async def guild_settings(self, guild_id: int) -> dict[str, Any]:
        empty = {"guild_id": guild_id, "moderator_role_id": None, "log_channel_id": None}
        if not valid_id(guild_id):
            return empty
        row = await self._read(
            lambda: _one(
                "SELECT guild_id, moderator_role_id, log_channel_id FROM guild_settings WHERE guild_id = ?",
                guild_id,
            )
        )
        return row or empty

    async def set_guild_setting(self, guild_id: int, key: str, value: int | None) -> None:
        if key not in GUILD_SETTINGS:
            raise ValueError(key)
        _ids(guild_id)

        def body() -> Ops:
            yield run(
                "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT (guild_id) DO NOTHING", guild_id
            )
            yield run(f"UPDATE guild_settings SET {key} = ? WHERE guild_id = ?", value, guild_id)
            return (yield from self._bump("settings", guild_id))

        self._saw_change(await self._write(body))

    async def log_channels(self) -> dict[int, int]:
        """Every server's log channel (for the announcer, which posts each server's entries to its own)."""
        rows = await self._read(
            lambda: _all(
                "SELECT guild_id, log_channel_id FROM guild_settings WHERE log_channel_id IS NOT NULL"
            )
        )
        return {r["guild_id"]: r["log_channel_id"] for r in rows}

    # -- meta ----------------------------------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None:
        return await self._read(lambda: _val("SELECT value FROM meta WHERE key = ?", key))

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(
            lambda: _run(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )
        )

    # -- audit -----------------------------------------------------------------------------------
    def _audit_body(
        self,
        user_id: int | None,
        action: str,
        model: str | None,
        target: str,
        before: str | None,
        after: str | None,
        guild_id: int | None = None,
    ) -> Ops:
        yield run(
            "INSERT INTO audit (at, user_id, action, model, target, before, after, guild_id)"
            " VALUES (?,?,?,?,?,?,?,?)",
            time.time(),
            user_id,
            action,
            model,
            target,
            before,
            after,
            guild_id,
        )

    async def audit(
        self,
        user_id: int | None,
        action: str,
        model: str | None,
        target: str,
        before: str | None,
        after: str | None,
        *,
        guild_id: int | None = None,
    ) -> None:
        await self._write(lambda: self._audit_body(user_id, action, model, target, before, after, guild_id))

    async def history(
        self, model: str | None = None, limit: int = 20, *, scope: Scope
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first. A server sees its own rows and the knowledge changes made
        for everyone (by the maintainers or the operator); "maintainers" sees the rows without a
        server; "all" sees everything."""
        scope = check_scope(scope)
        if isinstance(scope, int):
            where = (
                "(guild_id = ? OR (guild_id IS NULL AND action IN ("
                + ", ".join("?" * len(KNOWLEDGE_ACTIONS))
                + ")))"
            )
            args: list[Any] = [scope, *KNOWLEDGE_ACTIONS]
        else:
            where, args = scope_where("dms" if scope == "maintainers" else scope)
        if model:
            where += " AND model = ?"
            args.append(model)
        limit = max(0, min(int(limit), 10_000))
        return await self._read(
            lambda: _all(f"SELECT * FROM audit WHERE {where} ORDER BY id DESC LIMIT ?", *args, limit)
        )

    def _saw_change(self, version: int | None) -> bool:
        if version is not None:
            self._saw_version(version)
        return version is not None

    async def integrity_ok(self) -> bool:
        if self.dialect != "sqlite":
            return True
        return await self._read(lambda: _val("PRAGMA quick_check")) == "ok"


def _ids(*ids: Any) -> None:
    for value in ids:
        if not valid_id(value):
            raise ValueError(f"not a Discord id: {value!r}")


def _all(sql: str, *args: Any) -> Ops:
    return (yield all_(sql, *args))


def _one(sql: str, *args: Any) -> Ops:
    return (yield one(sql, *args))


def _val(sql: str, *args: Any) -> Ops:
    return (yield val(sql, *args))


def _run(sql: str, *args: Any) -> Ops:
    return (yield run(sql, *args))
