"""Knowledge edits that survive and cannot break riderbot (issue 12), without Docker: the same code
path with a temporary knowledge folder (the bundled knowledge) and database (the /data volume).

- seeding, an upgrade to newer bundled knowledge (edits re-applied; the ones that no longer fit
  reported, never dropped) and ``riderbot kb diff`` (a patch that ``git apply`` takes);
- all or nothing under SIGKILL, and a concurrent writer never losing an edit;
- invalid Unicode refused with a clear message, never written;
- the alias word list and the eval gate;
- a model a maintainer adds, marked until its evidence is saved under sources/.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import livekb
from bot.cli import main
from bot.gate import EvalGate, alias_problem, candidate_matcher
from bot.knowledge import default_knowledge_dir, load_knowledge
from bot.knowledge.edits import EditRefused, alias_edit, answer_edit, check_text, model_edit, propose
from bot.knowledge.loader import MAINTAINER_ENTERED
from bot.matching import Matcher
from bot.rendering import render_text
from bot.rendering.embeds import answer_embed
from bot.storage import open_storage
from tests.minikb import SOURCE, write_kb

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def toy(tmp_path) -> Path:
    return write_kb(tmp_path)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def save(storage, live, make, check=None):
    return await livekb.save(storage, live, make, by=1, guild_id=None, before=None, after="x", check=check)


# -- seeding, upgrade, diff ------------------------------------------------------------------------


async def test_first_start_then_newer_bundled_knowledge_keeps_every_edit(toy, tmp_path):
    storage = await open_storage(tmp_path / "data.db")
    try:
        live, notes, problems = await livekb.start(storage, toy)
        assert "first start on this database" in notes[0] and not problems
        assert json.loads(await storage.get_meta(livekb.BASE_META))["models"] == 2
        live, _ = await save(storage, live, lambda live: alias_edit(live.kb, "toy-1", "toyzilla"))
        live, _ = await save(storage, live, lambda live: alias_edit(live.kb, "toy-2", "toybox two"))
        answer = "Yes, redistribute it with the licence (edited)."
        live, _ = await save(
            storage,
            live,
            lambda live: answer_edit(live.kb, "toy-1", "redistribution", answer, base=live.base),
        )
        assert (await livekb.start(storage, toy))[1:] == ([], [])  # same bundle: nothing to say

        # a new image: newer knowledge, which now gives "toybox two" to toy-1 and rewrites the
        # redistribution answer the maintainers had edited
        family = yaml.safe_load((toy / "models" / "toy.yaml").read_text())
        family["models"][0]["aliases"].append("toybox two")
        (toy / "models" / "toy.yaml").write_text(yaml.safe_dump(family, sort_keys=False))
        lic = yaml.safe_load((toy / "licenses" / "toy.yaml").read_text())
        lic["riders"]["redistribution"]["answer"] = "Yes, keep the notice (new upstream text)."
        (toy / "licenses" / "toy.yaml").write_text(yaml.safe_dump(lic, sort_keys=False))
        topics = yaml.safe_load((toy / "topics.yaml").read_text())
        topics["knowledge_date"] = "2027-01-01"
        (toy / "topics.yaml").write_text(yaml.safe_dump(topics, sort_keys=False))

        live, notes, problems = await livekb.start(storage, toy)
        assert "the bundled knowledge changed" in notes[0] and "2027-01-01" in notes[0]
        assert "2 maintainer edit(s) applied on top of it, 1 left out" in notes[0]
        assert any(
            'alias "toybox two" for toy-2 no longer fits' in p and "already used by model toy-1" in p
            for p in problems
        )
        assert any("bundled answer changed since this edit" in p for p in problems)
        assert "toyzilla" in live.kb.models["toy-1"].aliases
        assert live.kb.models["toy-1"].riders["redistribution"].answer == answer  # the edit still wins
        assert len(await storage.kb_edits()) == 3  # the one left out is kept, not dropped
    finally:
        await storage.close()


def test_kb_diff_is_a_patch_that_git_applies_to_the_bundled_knowledge(toy, tmp_path, capsys, monkeypatch):
    async def edit() -> None:
        storage = await open_storage(tmp_path / "data.db")
        try:
            live = await livekb.load(storage, toy)
            live, _ = await save(storage, live, lambda live: alias_edit(live.kb, "toy-1", "toyzilla"))
            await save(
                storage,
                live,
                lambda live: model_edit(
                    live.kb,
                    family="toy",
                    model_id="toy-3",
                    name="Toy 3",
                    license_id="toy",
                    evidence_url="https://example.org/toy-3",
                    evidence_text="Toy 3 is released under the Toy License 1.0.",
                    aliases=["toy three"],
                ),
            )
        finally:
            await storage.close()

    asyncio.run(edit())
    monkeypatch.setenv("RIDERBOT_DB", str(tmp_path / "data.db"))
    code, patch, _ = run(capsys, "--knowledge", str(toy), "kb", "diff")
    assert code == 0 and "+++ b/knowledge/edits/toy.yaml" in patch
    assert "toy-3: its evidence (https://example.org/toy-3) is not in knowledge/sources/ yet" in patch
    repo = tmp_path / "upstream"
    shutil.copytree(toy, repo / "knowledge")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "edits.patch").write_text(patch)
    subprocess.run(["git", "apply", "edits.patch"], cwd=repo, check=True)
    upstream = load_knowledge(repo / "knowledge")  # the patched folder loads on its own
    assert "toyzilla" in upstream.models["toy-1"].aliases
    assert upstream.models["toy-3"].maintainer_entered  # until its evidence is saved there
    # ...which clears the mark
    (repo / "knowledge" / "sources" / "toy-3-card.txt").write_text(
        "source: https://example.org/toy-3\nretrieved: 2027-01-02\n---\nToy 3 is released under the Toy License 1.0.\n"
    )
    saved = load_knowledge(repo / "knowledge").models["toy-3"]
    assert not saved.maintainer_entered and saved.license_evidence[0].source == "toy-3-card"


# -- all or nothing, and never lost -----------------------------------------------------------------


def _worker(db: Path, root: Path, kind: str, count: int, prefix: str, pause: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.edit_worker", str(db), str(root), kind, str(count), prefix, str(pause)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _consistent(db: Path, root: Path) -> tuple[int, int]:
    """Every stored edit has its audit row and every audit row its edit; the knowledge loads."""
    storage = await open_storage(db)
    try:
        edits = await storage.kb_edits()
        audited = [r for r in await storage.history(limit=100_000, scope="all") if r["action"] == "edit"]
        assert sorted(e["payload"]["text"] for e in edits) == sorted(r["after"] for r in audited)
        live = await livekb.load(storage, root)
        assert not live.applied.skipped
        if edits:
            assert live.kb.models["toy-1"].riders["redistribution"].answer == edits[-1]["payload"]["text"]
        return len(edits), len(audited)
    finally:
        await storage.close()


async def test_a_knowledge_edit_is_all_or_nothing_under_sigkill(toy, tmp_path):
    db = tmp_path / "data.db"
    files = {p: p.read_bytes() for p in toy.rglob("*") if p.is_file()}
    rng = random.Random(12)
    stored = 0
    for round_ in range(6):
        worker = _worker(db, toy, "answer", 10_000, f"r{round_}")
        assert worker.stdout is not None
        first = await asyncio.to_thread(worker.stdout.readline)  # it is storing edits now
        assert first.startswith("stored"), worker.stderr.read() if worker.stderr else first
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        worker.send_signal(signal.SIGKILL)
        confirmed = [first, *worker.stdout.read().splitlines()]
        worker.wait()
        edits, _ = await _consistent(db, toy)
        assert edits >= stored + len(confirmed)  # every edit it reported stored is there
        stored = edits
    # nothing is ever written to the knowledge folder (so no stray .tmp either)
    assert {p: p.read_bytes() for p in toy.rglob("*") if p.is_file()} == files


async def test_the_cli_and_the_bot_never_lose_each_others_edits(toy, tmp_path):
    db = tmp_path / "data.db"
    storage = await open_storage(db, busy_timeout=10.0)
    try:
        live = await livekb.load(storage, toy)
        # two command lines, each storing an edit every ~20 ms (a person is slower), and the bot
        workers = [_worker(db, toy, "alias", 25, f"cli{n} alias", 0.02) for n in range(2)]
        for worker in workers:  # both are storing edits now
            assert (await asyncio.to_thread(worker.stdout.readline)).startswith("stored")
        for i in range(25):  # the bot's side, meanwhile
            live, _ = await save(
                storage, live, lambda live, i=i: alias_edit(live.kb, "toy-1", f"bot alias {i}")
            )
        for worker in workers:
            out, err = await asyncio.to_thread(worker.communicate)
            assert worker.returncode == 0, err
        live = await livekb.load(storage, toy)
        authors = [e["created_by"] for e in await storage.kb_edits()]
    finally:
        await storage.close()
    aliases = set(live.kb.models["toy-1"].aliases)
    wanted = {f"bot alias {i}" for i in range(25)} | {
        f"cli{n} alias {i}" for n in range(2) for i in range(25)
    }
    assert wanted <= aliases and len(authors) == 75
    switches = sum(a != b for a, b in zip(authors, authors[1:], strict=False))
    assert switches >= 2, "".join(str(a) for a in authors)  # the writers really did interleave


# -- text that cannot round-trip ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["llama\ud800", "bad\udcff", "nul\x00here", "odd\ufffe"])
def test_text_that_cannot_round_trip_is_refused_with_a_clear_message(text):
    with pytest.raises(EditRefused, match=r"U\+[0-9A-F]{4} at position \d+ .*retype it"):
        check_text(text, "alias")


def test_the_cli_refuses_a_lone_surrogate_and_writes_nothing(toy, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("RIDERBOT_DB", str(tmp_path / "data.db"))
    code, _, err = run(
        capsys, "--knowledge", str(toy), "kb", "alias", "toy-1", "toy\udcff"
    )  # an undecodable byte
    assert code == 2 and "lone surrogate" in err and "Traceback" not in err
    assert run(capsys, "--knowledge", str(toy), "kb", "edits")[1] == "no maintainer edits\n"
    assert run(capsys, "--knowledge", str(toy), "kb", "validate")[0] == 0  # the next start still works


# -- the gate ----------------------------------------------------------------------------------------


def test_ordinary_words_are_refused_as_aliases(shipped_kb):
    for word in ("use", "model", "open source", "commercial", "free", "license", "can I"):
        assert alias_problem(word, shipped_kb), word
    for name in ("L2-chat", "the og llama", "llama2-13b", "zebuforge"):
        assert alias_problem(name, shipped_kb) is None, name


def test_the_eval_refuses_the_alias_that_broke_the_eval(shipped_kb):
    """The issue's own case: `alias:model` on Llama 2 (the word list refuses it first; the eval,
    alone, refuses it too, naming the questions it breaks)."""
    root = default_knowledge_dir()
    gate, current = EvalGate(root / "eval"), Matcher(shipped_kb)

    def with_alias(alias: str):
        return candidate_matcher(propose(root, [], alias_edit(shipped_kb, "llama-2", alias)), [])

    now = gate.outcomes(current)
    broken = gate.check(current, with_alias("model"), old=now)
    assert len(broken) >= 10 and any("llama-2" in b.after for b in broken)
    assert gate.check(current, with_alias("zebuforge"), old=now) == []


def test_a_change_that_breaks_a_question_is_refused_with_the_question(toy):
    (toy / "eval").mkdir()
    (toy / "eval" / "toy.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "q": "can i use toy 1 commercially",
                    "expect": "answered",
                    "model": "toy-1",
                    "topic": "commercial-use",
                },
                {"q": "is acme ok commercially", "expect": "unanswered"},
            ]
        )
    )
    kb = load_knowledge(toy)
    gate = EvalGate(toy / "eval")
    broken = gate.check(Matcher(kb), Matcher(propose(toy, [], alias_edit(kb, "toy-1", "acme"))))
    assert [b.item.q for b in broken] == ["is acme ok commercially"]
    assert gate.check(Matcher(kb), Matcher(propose(toy, [], alias_edit(kb, "toy-1", "toyzilla")))) == []


# -- a model a maintainer adds ------------------------------------------------------------------------


def test_an_added_model_is_marked_until_its_evidence_is_saved(toy):
    kb = load_knowledge(toy)

    def added(line: str):
        edit = model_edit(
            kb,
            family="toy",
            model_id="toy-3",
            name="Toy 3",
            license_id="toy",
            evidence_url="https://example.org/toy-3",
            evidence_text=line,
        )
        return propose(toy, [], edit)

    entered = added("Toy 3 is under the Toy License 1.0, says its card.")
    model = entered.models["toy-3"]
    assert model.maintainer_entered and model.license_evidence[0].source == MAINTAINER_ENTERED
    assert model.riders == kb.models["toy-1"].riders or set(model.riders) == set(kb.licenses["toy"].riders)
    answer = Matcher(entered).match("can i use toy 3 commercially?")
    assert answer.model == "toy-3"
    text = render_text(entered, answer)
    assert "Entered by riderbot's maintainers from https://example.org/toy-3" in text
    embed = answer_embed(entered, answer).to_dict()
    assert "Entered by riderbot's maintainers" in json.dumps(embed)
    # a line a saved source holds is quoted from it: not marked
    quoted = added("TOY LICENSE 1.0").models["toy-3"]
    assert not quoted.maintainer_entered and quoted.license_evidence[0].source == "toy-license"
    assert "TOY LICENSE 1.0" in SOURCE
    with pytest.raises(EditRefused, match="https://"):
        model_edit(
            kb,
            family="toy",
            model_id="toy-4",
            name="Toy 4",
            license_id="toy",
            evidence_url="example.org",
            evidence_text="x",
        )
    with pytest.raises(EditRefused, match="already"):
        model_edit(
            kb,
            family="toy",
            model_id="toy-1",
            name="Toy",
            license_id="toy",
            evidence_url="https://e.org",
            evidence_text="x",
        )


def test_riderbot_kb_add_model_from_the_cli(toy, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("RIDERBOT_DB", str(tmp_path / "data.db"))
    code, out, err = run(
        capsys,
        "--knowledge",
        str(toy),
        "kb",
        "add-model",
        "--family",
        "toy",
        "--id",
        "toy-3",
        "--name",
        "Toy 3",
        "--license",
        "Toy License",
        "--evidence-url",
        "https://example.org/toy-3",
        "--evidence-line",
        "Toy 3 is under the Toy License.",
        "--alias",
        "toyzilla",
    )
    assert code == 0, err
    assert "maintainer edit #1" in out and "entered by the maintainers" in out
    answer = json.loads(
        run(capsys, "--knowledge", str(toy), "ask", "--json", "can i use toyzilla commercially")[1]
    )
    assert answer["model"] == "toy-3"
    history = run(capsys, "--knowledge", str(toy), "kb", "edits")[1]
    assert "new model toy-3 (toy)" in history
