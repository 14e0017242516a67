"""Knowledge changes as the cogs make them (not an extension): the eval gate, a server's own
aliases, and the maintainers' edits for every server.

Every proposed change is checked before anything is stored: an alias must not be an ordinary word
(bot.gate.alias_problem) nor another thing's name, and the project's eval must not get worse with
it (bot.gate.EvalGate, in a thread). A change for one server goes to its Scope (bot.scopes); a change
for every server is a maintainer edit in the database (bot.livekb.save), swapped in live with
``RiderBot.install_knowledge``. The caller holds ``bot.knowledge_lock``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.gate import alias_problem, candidate_matcher, gate_for, refusal
from bot.knowledge import KnowledgeBase
from bot.knowledge.edits import Edit, EditRefused, clean_alias, name_owners
from bot.livekb import Live, save
from bot.textnorm import normalize

if TYPE_CHECKING:
    from bot.client import RiderBot


def _gate(bot: RiderBot):
    return gate_for(bot.knowledge_root / "eval")


async def check_global(bot: RiderBot, kb: KnowledgeBase, extra: tuple | None = None) -> None:
    """Refuse (EditRefused) a change for every server that breaks eval questions: ``kb`` is the
    knowledge with the change, ``extra`` a wording it would teach everyone."""
    learned = [*(await bot.storage.learned()), *([extra] if extra else [])]
    gate, current = _gate(bot), bot.engine.matcher

    def compare():
        if extra is not None and kb is current.kb:  # only a wording more: only the questions near it
            after = candidate_matcher(kb, learned)
            return gate.check(current, after, near=extra[0])
        return gate.check(current, candidate_matcher(kb, learned))

    broken = await asyncio.to_thread(compare)
    if broken:
        raise EditRefused(refusal(broken))


async def check_server(
    bot: RiderBot,
    guild_id: int,
    *,
    alias: tuple[str, str] | None = None,
    learned: tuple[str, str | None, str | None, str] | None = None,
) -> None:
    """Refuse (EditRefused) an alias or wording for one server that breaks eval questions there."""
    data = await bot.scopes.fetch(guild_id)
    before = bot.scopes.get(guild_id)
    after = bot.scopes.with_change(guild_id, alias=alias, learned=learned, data=data)
    gate, matcher = _gate(bot), bot.engine.matcher
    broken = await asyncio.to_thread(
        lambda: gate.check(
            matcher,
            matcher,
            scope_before=before,
            scope_after=after,
            near=learned[0] if learned is not None and alias is None else None,
        )
    )
    if broken:
        raise EditRefused(refusal(broken))


async def add_server_alias(bot: RiderBot, guild_id: int, model_id: str, alias: str, by: int) -> str:
    """A name for a model in one server only, checked like any alias. Returns the alias as stored."""
    kb = bot.engine.kb
    alias = clean_alias(alias)
    problem = alias_problem(alias, kb)
    if problem:
        raise EditRefused(problem)
    owner = name_owners(kb).get(normalize(alias))
    if owner == f"model {model_id}":
        raise EditRefused(f"{alias!r} already names {kb.models[model_id].name}")
    if owner is not None:
        raise EditRefused(f"{alias!r} already names {owner}")
    await check_server(bot, guild_id, alias=(alias, model_id))
    if await bot.storage.add_guild_alias(guild_id, model_id, alias, by) is None:
        raise EditRefused(f"this server already has the alias {alias!r}")
    await bot.scopes.reload(guild_id)
    return alias


async def save_for_everyone(
    bot: RiderBot,
    make: Callable[[Live], Edit],
    *,
    by: int | None,
    before: str | None,
    after: str | None,
    aliases: tuple[str, ...] = (),
) -> Edit:
    """Validate, gate, store and swap in a maintainer edit. Raises EditRefused (nothing stored)."""
    assert bot.live is not None

    async def check(live: Live, kb: KnowledgeBase, edit: Edit) -> None:
        for alias in aliases:
            problem = alias_problem(alias, live.kb)
            if problem:
                raise EditRefused(problem)
        await check_global(bot, kb)

    live, edit = await save(
        bot.storage, bot.live, make, by=by, guild_id=None, before=before, after=after, check=check
    )
    bot.live = live
    await bot.install_knowledge(live.kb)
    return edit
