"""`riderbot bench`: how fast riderbot's own work is, measured, with a plain baseline beside it.

For the shipped knowledge base and synthetic ones 10x and 100x larger (generated model families
with their own aliases and licences, written to a temporary folder and loaded like the real one,
never shipped) it measures:

- knowledge loading + validation time, and the process's peak RSS after loading that size;
- matching throughput on one core and per-question latency p50 / p99, over a fixed mixed set of
  questions (the labelled eval questions: in scope, clarify, out of scope; plus questions about
  the synthetic models). Caches are cleared before every pass, so every question is matched cold;
- the same for a plain baseline: rapidfuzz `process.extractOne(question, choices, scorer=WRatio)`
  over every phrasing and alias string of that knowledge base, and our speed as a ratio to it;
- matching with taught phrasings: the same throughput with 0 and with 10,000 wordings moderators
  taught (synthetic questions, each linked to a model and topic), over the eval questions plus
  taught wordings asked exactly and with a typo;
- end to end (when the test fake Discord is importable, i.e. from a source checkout): a burst of
  mentions through the real discord.py client and the fake Discord in this process; and bursts of
  1,000 mentions with an empty queue and with 100k open entries (100 and 10k with --quick),
  answered by `riderbot run`'s code in a process of its own (as beside a remote Discord) with a
  lag probe inside it measuring the longest event-loop stall (bot/bench_e2e.py);
- storage (bot/bench_storage.py): logging an unanswered question with 1k, 10k and 100k open queue
  entries, on SQLite and, with RIDERBOT_BENCH_POSTGRES (or RIDERBOT_TEST_POSTGRES), PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.knowledge import TOPIC_IDS, KnowledgeBase, default_knowledge_dir, load_knowledge
from bot.matching import Matcher
from bot.textnorm import tokens

TARGETS = {
    "qps_1x": 5000.0,
    "qps_100x": 1000.0,
    "p99_ms_100x": 5.0,
    "load_s_1x": 1.0,
    "rss_mb_1x": 150.0,
    "e2e_answers_per_s": 300.0,
    "learned_qps_10k": 5000.0,
    "lag_max_ms": 20.0,
}
LEARNED = 10_000  # taught wordings in the "matching with taught phrasings" rows
QUICK_SLACK = 10.0  # --quick fails only when 10x worse than a target

_SYLLABLES = (
    "ka zu ri mo ve ta lo ni qu ex bra dor fen gli hap jor kel mun pix rol sav tek vun wex yor zim".split()
)


@dataclass
class SizeResult:
    factor: int
    models: int
    aliases: int
    load_s: float
    rss_mb: float
    questions: int
    qps: float
    p50_ms: float
    p99_ms: float
    baseline_qps: float
    baseline_p50_ms: float
    speedup: float


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def _word(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(3))
        if word not in used:
            used.add(word)
            return word


def write_synthetic(source: Path, dest: Path, factor: int, seed: int = 7) -> list[str]:
    """Copy the knowledge base to `dest` and add (factor - 1) synthetic copies of every licence and
    model family, each with its own made-up names and aliases. Returns questions about them."""
    rng = random.Random(seed)
    used: set[str] = set()
    for sub in ("sources", "licenses", "models", "languages"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
        for path in (source / sub).glob("*") if (source / sub).is_dir() else ():
            (dest / sub / path.name).write_bytes(path.read_bytes())
    for path in source.glob("*.yaml"):  # topics, places, uses, quantities, general
        (dest / path.name).write_bytes(path.read_bytes())
    if factor <= 1:
        return []
    licenses = {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (source / "licenses").glob("*.yaml")
    }
    families = [
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((source / "models").glob("*.yaml"))
    ]
    topics = yaml.safe_load((source / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    questions: list[str] = []
    for k in range(1, factor):
        lic_ids = {}
        for lid, data in licenses.items():
            word = _word(rng, used)
            new = dict(
                data,
                id=f"{lid}-s{k}",
                name=f"{word.title()} License {k}",
                aliases=[f"{word} license", f"{word} licence"],
            )
            lic_ids[lid] = new["id"]
            (dest / "licenses" / f"{new['id']}.yaml").write_text(
                yaml.safe_dump(new, sort_keys=False), encoding="utf-8"
            )
        for fam in families:
            word = _word(rng, used)
            models = []
            for i, m in enumerate(fam["models"]):
                version = f"{i + 1}.{k % 10}"
                mword = f"{word} {version}"
                aliases = [
                    mword,
                    f"{word}{version}",
                    f"{word}-{version}-instruct",
                    f"{word}-{version}-chat",
                    f"{word} {version} 7b",
                    f"{word}-{version}-70b-it",
                    f"{word}{version}-hf",
                    f"acme{k}/{word}-{version}-8b-instruct",
                    f"acme{k}/{word.title()}-{version}-base",
                    f"{word} v{version}",
                ]
                models.append(
                    {
                        "id": f"{m['id']}-s{k}",
                        "name": f"{word.title()} {version}",
                        "version": version,
                        "license": lic_ids[m["license"]],
                        "aliases": aliases,
                        "license_evidence": m["license_evidence"],
                    }
                )
                topic = rng.choice(TOPIC_IDS)
                phrase = rng.choice(topics[topic]["phrasings"])
                questions.append(
                    rng.choice(
                        ["can i {p} with {a}?", "{a} {p}", "is {a} ok, {p}", "hey does {a} allow {p}"]
                    ).format(a=rng.choice(aliases), p=phrase)
                )
            data = {
                "family": f"{fam['family']}-s{k}",
                "name": f"{word.title()} family",
                "aliases": [word],
                "models": models,
            }
            (dest / "models" / f"{data['family']}.yaml").write_text(
                yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
            )
            questions.append(f"can i use {word} commercially")  # clarify (or a one-member family)
            questions.append(f"is {word} 9.9 ok for commercial use")  # an unknown version
    return questions


def eval_questions(knowledge_dir: Path) -> list[str]:
    out: list[str] = []
    for path in sorted((knowledge_dir / "eval").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            turns = item.get("dialogue") if isinstance(item, dict) else None
            if isinstance(turns, list):  # a dialogue: each turn is a question
                out.extend(str(t["q"]) for t in turns)
            else:
                out.append(str(item["q"]))
    return out


def baseline_choices(kb: KnowledgeBase) -> list[str]:
    choices = [p for t in kb.topics.values() for p in (*t.phrasings, *t.weak_phrasings)]
    for m in kb.models.values():
        choices.extend((m.name, *m.aliases))
    for lic in kb.licenses.values():
        choices.extend((lic.name, *lic.aliases))
    for fam in kb.families.values():
        choices.extend(fam.aliases)
    return choices


def _timed(
    fn: Callable[[str], Any], questions: list[str], passes: int, clear: Callable[[], None]
) -> list[float]:
    latencies: list[float] = []
    for _ in range(passes):
        clear()
        for q in questions:
            start = time.perf_counter()
            fn(q)
            latencies.append(time.perf_counter() - start)
    return latencies


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def bench_size(
    factor: int, base_questions: list[str], passes: int, baseline_limit: int, workdir: Path
) -> SizeResult:
    folder = workdir / f"kb-{factor}x"
    synthetic_questions = write_synthetic(default_knowledge_dir(), folder, factor)
    start = time.perf_counter()
    kb = load_knowledge(folder)
    matcher = Matcher(kb)
    load_s = time.perf_counter() - start
    rss = _rss_mb()
    rng = random.Random(factor)
    questions = base_questions + rng.sample(
        synthetic_questions, min(len(synthetic_questions), len(base_questions) // 2)
    )

    def clear() -> None:
        tokens.cache_clear()
        matcher._correct.cache_clear()

    for q in questions[:100]:  # warm up (imports, CPU caches) before anything is timed
        matcher.match(q)
        process.extractOne(q, ["warm up"], scorer=fuzz.WRatio)
    ours = _timed(matcher.match, questions, passes, clear)
    choices = baseline_choices(kb)
    sample = questions[:baseline_limit]
    base = _timed(lambda q: process.extractOne(q, choices, scorer=fuzz.WRatio), sample, 1, lambda: None)
    qps = len(ours) / sum(ours)
    baseline_qps = len(base) / sum(base)
    return SizeResult(
        factor=factor,
        models=len(kb.models),
        aliases=sum(len(m.aliases) for m in kb.models.values()),
        load_s=round(load_s, 3),
        rss_mb=round(rss, 1),
        questions=len(questions),
        qps=round(qps),
        p50_ms=round(1000 * statistics.median(ours), 3),
        p99_ms=round(1000 * _pct(ours, 99), 3),
        baseline_qps=round(baseline_qps, 1),
        baseline_p50_ms=round(1000 * statistics.median(base), 3),
        speedup=round(qps / baseline_qps, 1),
    )


def bench_learned(counts: tuple[int, ...], base_questions: list[str], passes: int) -> list[dict[str, Any]]:
    """Matching throughput on the shipped knowledge with ``count`` taught wordings, for each count."""
    from bot.bench_storage import questions as synthetic_questions
    from bot.bench_storage import typo

    kb = load_knowledge()
    models = sorted(kb.models)
    rows = []
    for count in counts:
        matcher = Matcher(kb)
        rng = random.Random(5)
        taught = synthetic_questions(count, seed=3) if count else []
        start = time.perf_counter()
        for q in taught:
            matcher.learn(q, rng.choice(models), None, rng.choice(TOPIC_IDS))
        teach_s = time.perf_counter() - start
        mix = list(base_questions)
        if taught:  # a quarter more asked exactly as taught, a quarter with a typo
            mix += [rng.choice(taught) for _ in range(len(base_questions) // 4)]
            mix += [typo(rng.choice(taught), rng) for _ in range(len(base_questions) // 4)]

        def clear(m: Matcher = matcher) -> None:
            tokens.cache_clear()
            m._correct.cache_clear()

        for q in mix[:100]:
            matcher.match(q)
        latencies = _timed(matcher.match, mix, passes, clear)
        rows.append(
            {
                "learned": count,
                "teach_s": round(teach_s, 3),
                "questions": len(mix),
                "qps": round(len(latencies) / sum(latencies)),
                "p50_ms": round(1000 * statistics.median(latencies), 3),
                "p99_ms": round(1000 * _pct(latencies, 99), 3),
            }
        )
    return rows


def run_bench(quick: bool = False, e2e: bool = True, storage: bool = True) -> dict[str, Any]:
    base_questions = eval_questions(default_knowledge_dir())
    if quick:
        base_questions = base_questions[::4]
    sizes = (1, 10) if quick else (1, 10, 100)
    results = []
    with tempfile.TemporaryDirectory(prefix="riderbot-bench-") as tmp:
        for factor in sizes:
            results.append(
                bench_size(
                    factor,
                    base_questions,
                    passes=1 if quick else 3,
                    baseline_limit=60 if quick else 200,
                    workdir=Path(tmp),
                )
            )
    report: dict[str, Any] = {"quick": quick, "sizes": [r.__dict__ for r in results]}
    report["learned"] = bench_learned((0, LEARNED), base_questions, passes=1 if quick else 3)
    if e2e:
        report["e2e"] = run_e2e(100 if quick else 500)
        # a burst while the queue is big: the longest event-loop stall (and what the queue size adds)
        loaded = [(100, 10_000)] if quick else [(1000, 0), (1000, 100_000)]
        report["e2e_queue"] = [run_e2e(burst, queue, bot_process=True) for burst, queue in loaded]
    if storage:
        from bot.bench_storage import run_storage_bench

        report["storage"] = run_storage_bench(quick)
    report["checks"] = check_targets(report, slack=QUICK_SLACK if quick else 1.0)
    return report


def run_e2e(burst: int, queue_entries: int = 0, bot_process: bool = False) -> dict[str, Any] | None:
    try:
        from bot.bench_e2e import e2e_burst
    except ImportError as exc:  # pragma: no cover - only without the Discord layer
        return {"skipped": str(exc)}
    try:
        return asyncio.run(e2e_burst(burst, queue_entries=queue_entries, bot_process=bot_process))
    except ImportError as exc:  # the fake Discord lives in tests/: only in a source checkout
        return {"skipped": str(exc)}


def check_targets(report: dict[str, Any], slack: float = 1.0) -> list[dict[str, Any]]:
    by = {r["factor"]: r for r in report["sizes"]}
    checks = []

    def add(name: str, value: float, target: float, higher_is_better: bool) -> None:
        limit = target / slack if higher_is_better else target * slack
        ok = value >= limit if higher_is_better else value <= limit
        checks.append({"check": name, "value": value, "target": target, "limit": round(limit, 3), "ok": ok})

    add("questions/s at 1x", by[1]["qps"], TARGETS["qps_1x"], True)
    add("load + validate at 1x (s)", by[1]["load_s"], TARGETS["load_s_1x"], False)
    add("peak RSS after loading 1x (MB)", by[1]["rss_mb"], TARGETS["rss_mb_1x"], False)
    big = max(by)
    if big == 100:
        add("questions/s at 100x", by[100]["qps"], TARGETS["qps_100x"], True)
        add("p99 at 100x (ms)", by[100]["p99_ms"], TARGETS["p99_ms_100x"], False)
    for factor, r in by.items():
        checks.append(
            {
                "check": f"faster than baseline at {factor}x",
                "value": r["speedup"],
                "target": 1.0,
                "limit": 1.0,
                "ok": r["speedup"] > 1.0,
            }
        )
    learned = {r["learned"]: r for r in report.get("learned") or []}
    if LEARNED in learned:
        add(
            f"questions/s with {LEARNED:,} taught wordings",
            learned[LEARNED]["qps"],
            TARGETS["learned_qps_10k"],
            True,
        )
    e2e = report.get("e2e") or {}
    if "answers_per_s" in e2e:
        add("end-to-end answers/s", e2e["answers_per_s"], TARGETS["e2e_answers_per_s"], True)
    for row in report.get("e2e_queue") or []:
        if row and "lag_max_ms" in row and row["queue_entries"]:
            add(
                f"event-loop lag max, {row['burst']:,} mentions with {row['queue_entries']:,} queued (ms)",
                row["lag_max_ms"],
                TARGETS["lag_max_ms"],
                False,
            )
    if report.get("storage"):
        from bot.bench_storage import storage_checks

        checks.extend(storage_checks(report["storage"], slack))
    return checks


def format_report(report: dict[str, Any]) -> str:
    lines = [
        "| knowledge | models | aliases | load+validate | peak RSS | questions/s | p50 | p99 | baseline q/s | speed vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["sizes"]:
        lines.append(
            f"| {r['factor']}x | {r['models']} | {r['aliases']} | {r['load_s']:.2f} s | {r['rss_mb']:.0f} MB | {r['qps']:,} | "
            f"{r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms | {r['baseline_qps']:,} | {r['speedup']}x |"
        )
    if report.get("learned"):
        lines.append("")
        lines.append("| taught wordings | teach | questions | questions/s | p50 | p99 |")
        lines.append("|---:|---:|---:|---:|---:|---:|")
        for r in report["learned"]:
            lines.append(
                f"| {r['learned']:,} | {r['teach_s']:.2f} s | {r['questions']} | {r['qps']:,} | "
                f"{r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms |"
            )
    e2e = report.get("e2e")
    if e2e and "answers_per_s" in e2e:
        lines.append("")
        lines.append(
            f"end to end: {e2e['burst']} mentions through discord.py and the fake Discord: "
            f"{e2e['answers_per_s']:.0f} answers/s, round trip p50 {e2e['p50_ms']:.1f} ms, p99 {e2e['p99_ms']:.1f} ms"
        )
    elif e2e:
        lines.append(f"\nend to end: skipped ({e2e.get('skipped')})")
    loaded = [r for r in report.get("e2e_queue") or [] if r and "lag_max_ms" in r]
    if loaded:
        lines.append("")
        lines.append(
            "the bot in a process of its own"
            if all(r.get("bot_process") for r in loaded)
            else "the bot and the fake Discord in one process"
        )
        lines.append("")
        lines.append(
            "| mentions | open queue entries | answers/s | round trip p50 | p99 | event-loop lag max | lag p99 |"
        )
        lines.append("|---:|---:|---:|---:|---:|---:|---:|")
        for r in loaded:
            lines.append(
                f"| {r['burst']:,} | {r['queue_entries']:,} | {r['answers_per_s']:.0f} | {r['p50_ms']:.1f} ms | "
                f"{r['p99_ms']:.1f} ms | {r['lag_max_ms']:.1f} ms | {r['lag_p99_ms']:.1f} ms |"
            )
    if report.get("storage"):
        from bot.bench_storage import format_storage

        lines.append("")
        lines.extend(format_storage(report["storage"]))
    lines.append("")
    for c in report["checks"]:
        lines.append(
            f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['value']} (target {c['target']}, limit {c['limit']})"
        )
    return "\n".join(lines)


def main(as_json: bool, quick: bool) -> int:
    report = run_bench(quick=quick)
    print(json.dumps(report, indent=2) if as_json else format_report(report))
    return 0 if all(c["ok"] for c in report["checks"]) else 1
