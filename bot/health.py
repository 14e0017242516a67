"""`riderbot health`: the Docker HEALTHCHECK. Exit 0 only when the knowledge loads and validates,
the database is writable, and the running bot's gateway heartbeat is recent.

The bot writes the time of its last gateway heartbeat acknowledgement to a small JSON file
(RIDERBOT_HEALTH_FILE, default beside the database); this command reads it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings
from bot.storage import Storage

HEARTBEAT_MAX_AGE = 180.0  # seconds; Discord heartbeats every ~41 s


def write_heartbeat(path: Path, latency: float | None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"at": time.time(), "latency": latency}), encoding="utf-8")
    tmp.replace(path)


def heartbeat_age(path: Path) -> float | None:
    try:
        return time.time() - float(json.loads(path.read_text(encoding="utf-8"))["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


async def run_health(settings: Settings, knowledge_dir: Path) -> int:
    checks: list[tuple[str, bool, str]] = []
    try:
        kb = load_knowledge(knowledge_dir)
        checks.append(("knowledge", True, f"{len(kb.models)} models valid"))
    except KnowledgeError as exc:
        checks.append(("knowledge", False, f"{len(exc.problems)} problem(s), first: {exc.problems[0]}"))
    try:
        storage = await Storage.open(settings.db_path)
        try:
            await storage.set_meta("health_check", str(time.time()))
        finally:
            await storage.close()
        checks.append(("database", True, f"{settings.db_path} writable"))
    except Exception as exc:  # any failure to open or write is unhealthy, with its reason
        checks.append(("database", False, f"{settings.db_path}: {exc}"))
    path = settings.health_file or settings.db_path.with_suffix(".health")
    age = heartbeat_age(path)
    if age is None:
        checks.append(("gateway", False, f"no heartbeat recorded in {path} (is the bot running?)"))
    else:
        checks.append(("gateway", age <= HEARTBEAT_MAX_AGE, f"last heartbeat {age:.0f} s ago"))
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1
