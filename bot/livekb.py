"""The live knowledge: the knowledge folder (the bundled one, or RIDERBOT_KNOWLEDGE) with the
maintainers' edits from the database applied on top (bot.knowledge.edits). The bot and the CLI
both go through here, so neither loses the other's edits.

Why the edits live in the database: it is on the data volume (``/data`` in the Docker image, or
PostgreSQL), while the bundled knowledge is read-only there and replaced by every new image. An
edit and its audit row are one transaction, so a crash (even SIGKILL) leaves either the old
knowledge and no audit row, or the new edit with its audit row, never a half-written file. Two
processes editing at once cannot lose an edit: each is stored only if no other edit was stored
since it was validated (``Storage.add_kb_edit(expect=...)``), else it is validated again on top.

At start (``start``) the folder's fingerprint is compared with the one the edits were last applied
to (the meta row ``knowledge:base``): the first start records it (the data volume is "seeded" with
the bundled knowledge's identity); a new image with newer bundled knowledge is reported, and the
edits are applied again on top of it, the ones that no longer fit left out and reported (never
dropped: ``riderbot kb diff`` lists them, ``riderbot kb revert`` withdraws one).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import KnowledgeBase
from bot.knowledge.edits import Applied, Edit, EditRefused, apply_edits, propose
from bot.storage import Storage

log = logging.getLogger("riderbot.knowledge")

BASE_META = "knowledge:base"
TRIES = 30  # validations of one edit while other processes keep storing theirs


@dataclass
class Live:
    root: Path
    applied: Applied
    signature: tuple[int, int]

    @property
    def kb(self) -> KnowledgeBase:
        return self.applied.kb

    @property
    def base(self) -> KnowledgeBase:
        return self.applied.base


async def load(storage: Storage, root: Path, base: KnowledgeBase | None = None) -> Live:
    """The knowledge in ``root`` with every active edit that still fits; raises KnowledgeError
    when the folder itself is broken."""
    rows, signature = await storage.kb_edits_state()
    edits = [Edit.from_row(r) for r in rows]
    applied = await asyncio.to_thread(apply_edits, root, edits, base)
    return Live(root, applied, signature)


def fingerprint(root: Path) -> str:
    """A hash of every knowledge file in ``root`` (the eval sets excluded: they change no answer)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".txt")):
        rel = path.relative_to(root)
        if rel.parts[0] == "eval":
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


async def start(
    storage: Storage, root: Path, base: KnowledgeBase | None = None
) -> tuple[Live, list[str], list[str]]:
    """Load the live knowledge at start-up and say what happened: notes (the first start on this
    database, newer bundled knowledge than last time) and problems (edits left out or stale)."""
    live = await load(storage, root, base)
    notes: list[str] = []
    now = {
        "fingerprint": await asyncio.to_thread(fingerprint, root),
        "knowledge_date": live.base.knowledge_date,
        "models": len(live.base.models),
        "at": round(time.time()),
    }
    raw = await storage.get_meta(BASE_META)
    try:
        before = json.loads(raw) if raw else None
    except ValueError:
        before = None
    if before is None:
        notes.append(
            f"knowledge: first start on this database: the edits will be applied to the knowledge in {root} "
            f"({now['models']} models, as of {now['knowledge_date']})"
        )
    elif before.get("fingerprint") != now["fingerprint"]:
        notes.append(
            f"knowledge: the bundled knowledge changed since the last start (as of {before.get('knowledge_date')}, "
            f"{before.get('models')} models -> as of {now['knowledge_date']}, {now['models']} models); "
            f"{len(live.applied.applied)} maintainer edit(s) applied on top of it, "
            f"{len(live.applied.skipped)} left out"
        )
    if before is None or before.get("fingerprint") != now["fingerprint"]:
        await storage.set_meta(BASE_META, json.dumps(now))
    return live, notes, [f"knowledge: {line}" for line in live.applied.report()]


Check = Callable[[Live, KnowledgeBase, Edit], Awaitable[None]]


async def save(
    storage: Storage,
    live: Live,
    make: Callable[[Live], Edit],
    *,
    by: int | None,
    guild_id: int | None,
    before: str | None,
    after: str | None,
    check: Check | None = None,
) -> tuple[Live, Edit]:
    """Validate the edit ``make(live)`` returns on top of the stored edits, run ``check`` (the
    eval gate) on the result, then store it with its audit row. Raises EditRefused (nothing
    stored). When another process stored an edit meanwhile, everything is done again on top of it."""
    for attempt in range(TRIES):
        if attempt:  # another process stored an edit first: let it finish, then try on top of it
            await asyncio.sleep(random.uniform(0.0, 0.02 * attempt))
        _, signature = await storage.kb_edits_state()
        if signature != live.signature:
            live = await load(storage, live.root, live.base)
        edit = make(live)
        kb = await asyncio.to_thread(propose, live.root, live.applied.applied, edit)
        if check is not None:
            await check(live, kb, edit)
        version = await storage.add_kb_edit(
            edit.kind,
            family=edit.family,
            model_id=edit.model,
            payload=edit.payload,
            by=by,
            base_hash=edit.base_hash,
            before=before,
            after=after,
            guild_id=guild_id,
            expect=signature,
        )
        if version is None:
            continue  # someone else's edit came first: validate again on top of it
        rows, new_signature = await storage.kb_edits_state()
        known = [e.id for e in live.applied.applied] + [e.id for e, _ in live.applied.skipped]
        stored = Edit.from_row(rows[-1]) if rows else edit
        if [r["id"] for r in rows[:-1]] == sorted(i for i in known if i is not None):
            applied = Applied(
                kb, live.base, [*live.applied.applied, stored], live.applied.skipped, live.applied.stale
            )
            return Live(live.root, applied, new_signature), stored
        return await load(storage, live.root, live.base), stored
    raise EditRefused("other edits kept arriving at the same time; try again in a moment")


async def revert(storage: Storage, live: Live, edit_id: int, by: int | None) -> Live | None:
    """Withdraw an edit (kept as history). Returns the new live knowledge, or None when no active
    edit has that id."""
    if await storage.deactivate_kb_edit(edit_id, by) is None:
        return None
    return await load(storage, live.root, live.base)
