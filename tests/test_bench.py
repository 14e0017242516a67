"""The benchmark's own machinery: synthetic knowledge is valid and answerable, checks catch regressions."""

from __future__ import annotations

from bot.bench import TARGETS, check_targets, write_synthetic
from bot.knowledge import default_knowledge_dir, load_knowledge
from bot.matching import ANSWERED, Matcher


def test_synthetic_knowledge_validates_and_its_models_are_found(tmp_path):
    questions = write_synthetic(default_knowledge_dir(), tmp_path / "kb", factor=2)
    kb = load_knowledge(tmp_path / "kb")
    shipped = load_knowledge()
    assert len(kb.models) == 2 * len(shipped.models)
    matcher = Matcher(kb)
    answered = [matcher.match(q) for q in questions]
    synthetic = [a for a in answered if a.status == ANSWERED and a.model and a.model.endswith("-s1")]
    assert len(synthetic) > len(shipped.models) // 2  # most generated questions reach a generated model


def _report(qps_1x: float, p99_100x: float) -> dict:
    size = {"qps": qps_1x, "load_s": 0.1, "rss_mb": 40.0, "speedup": 10.0, "p99_ms": 0.2}
    return {"sizes": [{"factor": 1, **size}, {"factor": 100, **size, "qps": 2000, "p99_ms": p99_100x}]}


def test_checks_pass_at_target_and_fail_on_regression():
    assert all(c["ok"] for c in check_targets(_report(TARGETS["qps_1x"], 1.0)))
    failed = [c["check"] for c in check_targets(_report(TARGETS["qps_1x"] / 2, 1.0)) if not c["ok"]]
    assert failed == ["questions/s at 1x"]
    # --quick only fails on a gross (10x) regression
    assert all(c["ok"] for c in check_targets(_report(TARGETS["qps_1x"] / 5, 20.0), slack=10.0))
    assert not all(c["ok"] for c in check_targets(_report(TARGETS["qps_1x"] / 20, 1.0), slack=10.0))


def test_storage_checks_hold_p99_flatness_and_grouping():
    from bot.bench_storage import storage_checks

    def report(p99_small, p99_big, grouped=1.0):
        return {
            "rows": [
                {"backend": "sqlite", "open_entries": 1000, "p99_ms": p99_small, "grouped": 1.0},
                {"backend": "sqlite", "open_entries": 100_000, "p99_ms": p99_big, "grouped": grouped},
            ]
        }

    assert all(c["ok"] for c in storage_checks(report(1.0, 1.4), 1.0))
    failed = [c["check"] for c in storage_checks(report(1.0, 1.9), 1.0) if not c["ok"]]
    assert failed == ["log question p99 100,000 vs 1,000 open (sqlite)"]  # not flat
    assert not all(c["ok"] for c in storage_checks(report(1.0, 2.5), 1.0))  # over 2 ms
    assert not all(c["ok"] for c in storage_checks(report(1.0, 1.0, grouped=0.5), 1.0))
    # --quick fails only on a 10x regression
    assert all(c["ok"] for c in storage_checks(report(1.0, 10.0, grouped=0.2), 10.0))
    assert not all(c["ok"] for c in storage_checks(report(2.0, 30.0), 10.0))


def test_storage_bench_questions_are_distinct_and_typos_group(tmp_path):
    import asyncio

    from bot.bench_storage import fill, measure, questions
    from bot.storage import open_storage

    texts = questions(400, seed=2)
    assert len(set(texts)) == 400

    async def run():
        store = await open_storage(tmp_path / "b.db")
        try:
            await fill(store, texts[:300])
            return await measure(store, texts[:300], texts[300:], 100)
        finally:
            await store.close()

    row = asyncio.run(run())
    assert row["grouped"] >= 0.9 and row["p99_ms"] < 50


def test_taught_wordings_and_event_loop_lag_are_checked_with_10x_slack_in_quick():
    from bot.bench import LEARNED

    def report(learned_qps: float, lag_ms: float) -> dict:
        base = _report(TARGETS["qps_1x"], 1.0)
        base["learned"] = [{"learned": 0, "qps": 6000}, {"learned": LEARNED, "qps": learned_qps}]
        base["e2e_queue"] = [{"burst": 100, "queue_entries": 10_000, "lag_max_ms": lag_ms}]
        return base

    names = lambda checks: [c["check"] for c in checks if not c["ok"]]  # noqa: E731
    assert names(check_targets(report(TARGETS["learned_qps_10k"], TARGETS["lag_max_ms"]))) == []
    assert names(check_targets(report(TARGETS["learned_qps_10k"] / 2, TARGETS["lag_max_ms"] * 2))) == [
        "questions/s with 10,000 taught wordings",
        "event-loop lag max, 100 mentions with 10,000 queued (ms)",
    ]
    assert names(check_targets(report(TARGETS["learned_qps_10k"] / 5, 150.0), slack=10.0)) == []
    assert len(names(check_targets(report(TARGETS["learned_qps_10k"] / 20, 300.0), slack=10.0))) == 2


def test_the_lag_probe_sees_a_stall():
    import asyncio
    import time

    from bot.bench_e2e import LagProbe

    async def run() -> float:
        probe = LagProbe()
        probe.start()
        await asyncio.sleep(0.02)
        time.sleep(0.05)  # noqa: ASYNC251 - the event loop blocked for 50 ms, on purpose
        await asyncio.sleep(0.02)
        await probe.stop()
        return probe.max_ms

    assert 40 <= asyncio.run(run()) < 500


def test_a_burst_answered_by_the_bot_in_its_own_process_reports_its_lag():
    """The lag rows of `riderbot bench`: `riderbot run`'s code in a child process against the fake
    Discord, its lag probe started and read through signals, every mention answered."""
    import asyncio

    from bot.bench_e2e import e2e_burst

    row = asyncio.run(e2e_burst(burst=40, queue_entries=200, bot_process=True))
    assert row["bot_process"] and row["answers"] == 40
    assert row["queue_after"] >= 200  # the queue the parent filled is the one the child used
    assert 0 < row["lag_max_ms"] < 1000
