"""Privacy requests and retention.

``forget_user`` (a member's own /privacy forget) deletes their rows in every server and in DMs;
``purge_user`` (a moderator's /privacy purge) only in that moderator's server: another server's
entries are neither deleted nor counted, so a purge reveals nothing about them. Queue entries only
the member asked (in that scope) are deleted; an entry others asked too only loses the member's
id and ask rows. Anonymous events stay.
"""

from __future__ import annotations

import time

from bot.storage.core import valid_id
from bot.storage.sql import Ops, run


class PrivacyStore:
    async def forget_user(self, user_id: int) -> int:
        """Delete what is stored about one user everywhere. Returns rows deleted or anonymised."""
        if not valid_id(user_id):
            return 0
        await self.flush()
        return await self._write(lambda: _forget(user_id, None))

    async def purge_user(self, user_id: int, guild_id: int) -> int:
        """Delete what is stored about one user in one server only. Returns rows deleted or anonymised there."""
        if not valid_id(guild_id):
            raise ValueError(f"not a Discord id: {guild_id!r}")
        if not valid_id(user_id):
            return 0
        await self.flush()
        return await self._write(lambda: _forget(user_id, guild_id))

    async def apply_retention(self, days: int, *, now: float | None = None) -> int:
        """Remove resolved or dismissed queue entries decided more than ``days`` days ago and answer
        records as old, then expire and cap the open queue (trim_queue). Returns queue entries removed."""
        await self.flush()
        now = time.time() if now is None else now
        removed = 0
        if days > 0:
            cutoff = now - days * 86400

            def body() -> Ops:
                n = yield run(
                    "DELETE FROM queue WHERE status <> 'open' AND COALESCE(decided_at, last_seen) < ?", cutoff
                )
                yield run("DELETE FROM answers WHERE created < ?", cutoff)
                return n

            removed += await self._write(body)
        removed += await self.trim_queue(now)
        return removed


def _forget(user_id: int, guild_id: int | None) -> Ops:
    g_askers = "" if guild_id is None else " AND guild_id = ?"
    g_args: tuple = () if guild_id is None else (guild_id,)
    touched = 0
    # entries whose every ask (in scope: an entry belongs to one server) is this user's
    touched += yield run(
        "DELETE FROM queue WHERE id IN (SELECT queue_id FROM askers WHERE queue_id IN"
        f" (SELECT queue_id FROM askers WHERE user_id = ?{g_askers})"
        " GROUP BY queue_id HAVING SUM(CASE WHEN user_id = ? THEN 0 ELSE 1 END) = 0)"
        + ("" if guild_id is None else " AND guild_id = ?"),
        user_id,
        *g_args,
        user_id,
        *g_args,
    )
    for sql in (
        "DELETE FROM askers WHERE user_id = ?",
        "UPDATE queue SET user_id = NULL WHERE user_id = ?",
        "DELETE FROM votes WHERE user_id = ?",
        "DELETE FROM answers WHERE user_id = ?",
    ):
        touched += yield run(sql + g_askers, user_id, *g_args)
    return touched
