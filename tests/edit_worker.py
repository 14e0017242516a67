"""A process that stores knowledge edits as fast as it can (``python -m tests.edit_worker DB ROOT
KIND COUNT PREFIX [PAUSE]``), through the same code as /kb and `riderbot kb` (bot.livekb.save): the
SIGKILL and the concurrency tests in test_kb_edits.py run it beside themselves. It prints one line
per stored edit."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot import livekb
from bot.knowledge.edits import alias_edit, answer_edit
from bot.storage import open_storage


async def main(db: str, root: str, kind: str, count: int, prefix: str, pause: float = 0.0) -> None:
    storage = await open_storage(db, busy_timeout=10.0)
    try:
        live = await livekb.load(storage, Path(root))
        for i in range(count):
            if kind == "alias":
                text = f"{prefix} {i}"

                def make(live, text=text):
                    return alias_edit(live.kb, "toy-1", text)
            else:
                text = f"The answer is yes, edit {prefix} {i}."

                def make(live, text=text):
                    return answer_edit(live.kb, "toy-1", "redistribution", text, base=live.base)

            live, edit = await livekb.save(storage, live, make, by=7, guild_id=None, before=None, after=text)
            print(f"stored {edit.id} {text}", flush=True)
            await asyncio.sleep(pause)
    finally:
        await storage.close()


if __name__ == "__main__":
    db, root, kind, count, prefix = sys.argv[1:6]
    asyncio.run(main(db, root, kind, int(count), prefix, float(sys.argv[6]) if len(sys.argv) > 6 else 0.0))
