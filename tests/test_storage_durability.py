"""Nothing acknowledged is lost, across processes, on both backends: a process SIGKILLed in the
middle of a burst loses no question whose log_question returned; two processes adding knowledge
edits at once both keep theirs; a change in one process is seen by another within 2 s; closing
with a 10,000-entry queue and a burst in flight takes well under 10 s."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.bench_storage import fill, questions
from bot.storage import Asked, open_storage

ROOT = Path(__file__).resolve().parents[1]

BURST_CHILD = """
import asyncio, sys
from bot.storage import open_storage, Asked

async def main(target):
    store = await open_storage(target)
    async def one(i):
        await store.log_question(Asked(f"question {i} about model zq{i}x", "unanswered", guild_id=1, user_id=i + 1))
        print(i, flush=True)  # acknowledged: the caller may now say "I've logged it"
    print("ready", flush=True)
    for wave in range(10):  # a burst of 500 distinct questions, 50 at a time
        await asyncio.gather(*(one(wave * 50 + k) for k in range(50)))
    print("done", flush=True)
    await asyncio.sleep(60)

asyncio.run(main(sys.argv[1]))
"""

EDITS_CHILD = """
import asyncio, sys
from bot.storage import open_storage

async def main(target, who):
    store = await open_storage(target, busy_timeout=10)
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    for i in range(30):
        await store.add_kb_edit("alias", family="llama", model_id="llama-2", payload={"alias": f"{who}-{i}"}, by=int(who))
    await store.close()
    print("done", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

WATCH_CHILD = """
import asyncio, sys, time
from bot.storage import open_storage

async def main(target):
    store = await open_storage(target)
    since = await store.change_version()
    print("ready", since, flush=True)
    version = await store.wait_for_change(since, timeout=20)
    print("changed", version, time.time(), flush=True)
    await store.close()

asyncio.run(main(sys.argv[1]))
"""


async def _child(code: str, *argv: str, stdin: bool = False) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
    )


async def _line(proc: asyncio.subprocess.Process, within: float = 30) -> str:
    line = await asyncio.wait_for(proc.stdout.readline(), within)
    assert line, "the child process ended early"
    return line.decode().strip()


async def test_sigkill_in_a_burst_loses_no_acknowledged_question(storage_target):
    proc = await _child(BURST_CHILD, storage_target)
    acked: list[int] = []
    try:
        assert await _line(proc) == "ready"
        while len(acked) < 200:
            line = await _line(proc)
            if line == "done":
                break
            acked.append(int(line))
        proc.send_signal(signal.SIGKILL)  # no close, no flush: the process just stops
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    store = await open_storage(storage_target)
    try:
        stored = {r["question"] for r in await store.list_queue(limit=1000, scope=1)}
    finally:
        await store.close()
    lost = [i for i in acked if f"question {i} about model zq{i}x" not in stored]
    assert len(acked) >= 200 and lost == [], (
        f"acknowledged {len(acked)}, stored {len(stored)}, lost {len(lost)}"
    )


async def test_two_processes_adding_knowledge_edits_at_once_both_survive(storage_target):
    store = await open_storage(storage_target)  # migrate once, before the race
    await store.close()
    procs = [await _child(EDITS_CHILD, storage_target, who, stdin=True) for who in ("1", "2")]
    try:
        for proc in procs:
            assert await _line(proc) == "ready"
        for proc in procs:
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        for proc in procs:
            assert await _line(proc, 60) == "done"
            assert await proc.wait() == 0
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    store = await open_storage(storage_target)
    try:
        edits = await store.kb_edits()
        assert sorted(e["payload"]["alias"] for e in edits) == sorted(
            f"{w}-{i}" for w in "12" for i in range(30)
        )
        changes = await store.changes_since(0)
        assert [c["version"] for c in changes] == list(range(1, 61))  # one version each, in commit order
        assert len(await store.history(limit=100, scope="all")) == 60  # each with its audit row
    finally:
        await store.close()


async def test_a_change_in_one_process_is_seen_by_another_within_2_seconds(storage_target):
    store = await open_storage(storage_target)
    proc = await _child(WATCH_CHILD, storage_target)
    try:
        ready = await _line(proc)
        assert ready.startswith("ready")
        await asyncio.sleep(0.3)  # the watcher is waiting
        changed_at = time.time()
        version = await store.add_guild_alias(5, "llama-2", "the og llama", by=1)
        line = await _line(proc, 10)
        _, seen, at = line.split()
        assert int(seen) == version
        assert float(at) - changed_at < 2.0, f"seen after {float(at) - changed_at:.2f} s"
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await store.close()


async def test_close_with_a_10k_queue_and_a_burst_in_flight_is_quick(storage_target):
    store = await open_storage(storage_target)
    await fill(store, questions(10_000, seed=5))
    await store.close()
    start = time.perf_counter()
    store = await open_storage(storage_target)
    opened = time.perf_counter() - start
    asks = [
        asyncio.ensure_future(store.log_question(Asked(q, "unanswered", guild_id=1)))
        for q in questions(300, seed=6)
    ]
    for i in range(2000):
        await store.record_answer(10_000 + i, "q", "llama-2", None, "commercial-use", 1, 2, 3)
        await store.record_event("answered", "llama-2", None, "commercial-use", 1, "discord", 1.0)
    await asyncio.sleep(0)
    start = time.perf_counter()
    await store.close()
    took = time.perf_counter() - start
    done = [a for a in asks if a.done() and not a.exception()]
    assert took < 10 and opened < 5, f"open {opened:.2f} s, close {took:.2f} s"
    assert len(done) == 300  # every question in flight was written before the close returned
    again = await open_storage(storage_target)
    try:
        created = sum(a.result()[1] for a in asks)
        assert await again.count_queue(scope=1) == 10_000 + created
        assert (await again.stats(scope=1))["questions"] == 2000
    finally:
        await again.close()
