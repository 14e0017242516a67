"""`riderbot health`: the Docker HEALTHCHECK. Exit 0 only when the knowledge loads and validates,
the database exists and is writable, and the running bot's gateway heartbeat is recent.

The bot writes the time of its last gateway heartbeat ACKNOWLEDGEMENT to a small JSON file
(RIDERBOT_HEALTH_FILE, default beside the database); this command reads it. A socket that is open
but silent (a zombie connection) sends no ACKs, so it fails the check once the last ACK is older
than RIDERBOT_HEALTH_MAX_AGE seconds (Discord asks for a heartbeat about every 41 s).

The check never creates anything: a missing database or folder is reported missing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings
from bot.storage import Storage


def write_heartbeat(path: Path, latency: float | None, *, at: float | None = None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"at": time.time() if at is None else at, "latency": latency}), encoding="utf-8")
    tmp.replace(path)


def heartbeat_age(path: Path) -> float | None:
    try:
        return time.time() - float(json.loads(path.read_text(encoding="utf-8"))["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def missing_database(path: Path) -> str | None:
    """Why the database at ``path`` is not there (its folder or the file), or None."""
    if str(path) == ":memory:":
        return None
    if not path.parent.is_dir():
        return f"{path}: the folder {path.parent} does not exist"
    if not path.is_file():
        return f"{path} does not exist (has the bot started?)"
    return None


async def check_database(path: Path) -> tuple[bool, str]:
    """The database must already exist (this never creates it or its folder) and take a write."""
    missing = missing_database(path)
    if missing:
        return False, missing
    try:
        storage = await Storage.open(path)
        try:
            await storage.set_meta("health_check", str(time.time()))
        finally:
            await storage.close()
    except Exception as exc:  # any failure to open or write is unhealthy, with its reason
        return False, f"{path}: {exc}"
    return True, f"{path} writable"


async def run_health(settings: Settings, knowledge_dir: Path) -> int:
    checks: list[tuple[str, bool, str]] = []
    try:
        kb = load_knowledge(knowledge_dir)
        checks.append(("knowledge", True, f"{len(kb.models)} models valid"))
    except KnowledgeError as exc:
        checks.append(("knowledge", False, f"{len(exc.problems)} problem(s), first: {exc.problems[0]}"))
    ok, detail = await check_database(settings.db_path)
    checks.append(("database", ok, detail))
    path = settings.health_file or settings.db_path.with_suffix(".health")
    age = heartbeat_age(path)
    limit = settings.health_max_age
    if age is None:
        checks.append(("gateway", False, f"no heartbeat ACK recorded in {path} (is the bot running?)"))
    elif age > limit:
        checks.append(("gateway", False, f"no heartbeat ACK from Discord for {age:.0f} s (limit {limit:.0f} s): "
                                         "the connection is down or silent"))
    else:
        checks.append(("gateway", True, f"last heartbeat ACK {age:.0f} s ago"))
    for name, passed, text in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {text}")
    return 0 if all(passed for _, passed, _ in checks) else 1
