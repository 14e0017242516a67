"""`riderbot health`: the Docker HEALTHCHECK. Exit 0 only when the knowledge loads and validates,
the database is there and writable, the running bot's gateway heartbeat is recent and the bot
reports no storage failure.

The bot writes the time of its last gateway heartbeat ACKNOWLEDGEMENT, and the last storage failure
if writes are failing, to a small JSON file (RIDERBOT_HEALTH_FILE, default beside the database);
this command reads it. A socket that is open but silent (a zombie connection) sends no ACKs, so it
fails the check once the last ACK is older than RIDERBOT_HEALTH_MAX_AGE seconds (Discord asks for a
heartbeat about every 41 s). It never creates a missing database or folder: it reports them missing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings
from bot.storage import StorageError, database_name, open_storage


def write_heartbeat(
    path: Path, latency: float | None, storage_problem: str | None = None, *, at: float | None = None
) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(
            {"at": time.time() if at is None else at, "latency": latency, "storage_problem": storage_problem}
        ),
        encoding="utf-8",
    )
    tmp.replace(path)


def read_heartbeat(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["at"] = float(data["at"])
        return data
    except (OSError, ValueError, KeyError, TypeError):
        return None


def heartbeat_age(path: Path) -> float | None:
    data = read_heartbeat(path)
    return None if data is None else time.time() - data["at"]


async def run_health(settings: Settings, knowledge_dir: Path) -> int:
    checks: list[tuple[str, bool, str]] = []
    try:
        kb = load_knowledge(knowledge_dir)
        checks.append(("knowledge", True, f"{len(kb.models)} models valid"))
    except KnowledgeError as exc:
        checks.append(("knowledge", False, f"{len(exc.problems)} problem(s), first: {exc.problems[0]}"))
    name = database_name(settings)
    try:
        storage = await open_storage(settings, create=False)
        try:
            await storage.set_meta("health_check", str(time.time()))
        finally:
            await storage.close()
        checks.append(("database", True, f"{name} writable"))
    except StorageError as exc:
        checks.append(("database", False, str(exc)))
    path = settings.health_file or settings.db_path.with_suffix(".health")
    beat = read_heartbeat(path)
    limit = settings.health_max_age
    if beat is None:
        checks.append(("gateway", False, f"no heartbeat ACK recorded in {path} (is the bot running?)"))
    else:
        age = time.time() - beat["at"]
        if age > limit:
            checks.append(
                (
                    "gateway",
                    False,
                    f"no heartbeat ACK from Discord for {age:.0f} s (limit {limit:.0f} s): "
                    "the connection is down or silent",
                )
            )
        else:
            checks.append(("gateway", True, f"last heartbeat ACK {age:.0f} s ago"))
        problem = beat.get("storage_problem")
        if problem and age <= limit:
            checks.append(("storage", False, f"the bot cannot write to its database: {problem}"))
    for check, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {check}: {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1
