"""What keeps the bot's event-loop turns short under a burst (the lag rows of `riderbot bench`):
discord.py's gateway reader yields after each event, and a group commit resumes its callers a few
per turn."""

from __future__ import annotations

import asyncio

from bot.client import yield_between_gateway_events
from bot.storage import Asked, open_storage
from bot.storage.core import WAKE_PER_TURN


class _Socket:
    """Stands in for discord.py's DiscordWebSocket: handling an event starts its answer as a task."""

    def __init__(self) -> None:
        self.order: list[str] = []

    async def received_message(self, msg: str, /) -> None:
        self.order.append(f"parsed {msg}")

        async def answer() -> None:
            self.order.append(f"answered {msg}")

        asyncio.get_running_loop().create_task(answer())


def test_the_gateway_reader_lets_answers_run_between_buffered_events():
    async def read_backlog(ws: _Socket) -> list[str]:
        for msg in ("a", "b", "c"):  # already buffered: no await in between would suspend
            await ws.received_message(msg)
        await asyncio.sleep(0)
        return ws.order

    class Patched(_Socket):
        pass

    before = asyncio.run(read_backlog(_Socket()))
    assert before[:3] == ["parsed a", "parsed b", "parsed c"]  # the whole backlog in one turn
    yield_between_gateway_events(Patched)
    yield_between_gateway_events(Patched)  # idempotent: one yield per event, not two
    assert asyncio.run(read_backlog(Patched())) == [
        "parsed a",
        "answered a",
        "parsed b",
        "answered b",
        "parsed c",
        "answered c",
    ]


async def test_a_committed_batch_resumes_its_callers_a_few_per_turn(tmp_path):
    store = await open_storage(tmp_path / "turns.db")
    turn = 0

    async def ticker() -> None:
        nonlocal turn
        while True:
            turn += 1
            await asyncio.sleep(0)

    resumed: list[int] = []

    async def ask(i: int) -> None:
        await store.log_question(Asked(f"is model{i} ok for commercial use", "unanswered", guild_id=1))
        resumed.append(turn)

    tick = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(ask(i) for i in range(100)))  # one group commit (or a few)
    finally:
        tick.cancel()
        await store.close()
    per_turn: dict[int, int] = {}
    for t in resumed:
        per_turn[t] = per_turn.get(t, 0) + 1
    assert len(resumed) == 100
    assert max(per_turn.values()) <= WAKE_PER_TURN <= 16  # a turn resumes ~2 ms of replies, not 30
