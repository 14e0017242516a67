"""Faults end in one sentence: a database that is garbage, truncated, read-only, locked, in a
missing or uncreatable folder, deleted or full raises StorageError naming the file and the
problem, leaves no thread behind, and the commands print that sentence and exit at once."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Asked, StorageError, open_storage

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.secret-token-value-0123456789abcd"


def storage_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("riderbot-sqlite")]


def one_sentence(text: str) -> None:
    assert "\n" not in text.strip() and "Traceback" not in text and text.strip().endswith("."), text


async def made_db(path: Path) -> Path:
    store = await open_storage(path)
    for i in range(200):
        await store.log_question(
            Asked(f"question {i} about some model nobody knows {'x' * 300}", "unanswered")
        )
    await store.close()
    return path


def garbage(path: Path) -> Path:
    path.write_bytes(os.urandom(8192))
    return path


async def truncated(path: Path) -> Path:
    await made_db(path)
    return cut_in_half(path)


def cut_in_half(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def delete_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def read_only(path: Path):
    """chmod 444, and for root (who ignores permissions) the immutable flag when it can be set."""
    path.chmod(0o444)
    immutable = False
    if os.geteuid() == 0:
        if (
            shutil.which("chattr") is None
            or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
        ):
            path.chmod(0o644)
            pytest.skip("running as root without chattr: cannot make a file read-only")
        immutable = True
    try:
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(0o644)


@contextlib.contextmanager
def locked(path: Path):
    """Another process's write transaction holds the database."""
    con = sqlite3.connect(path, isolation_level=None, timeout=0)
    con.execute("BEGIN EXCLUSIVE")
    try:
        yield path
    finally:
        con.execute("ROLLBACK")
        con.close()


async def expect_open_error(path, *words: str, **options) -> str:
    before = len(storage_threads())
    with pytest.raises(StorageError) as info:
        await open_storage(path, busy_timeout=0.3, **options)
    message = str(info.value)
    one_sentence(message)
    assert str(path) in message
    for word in words:
        assert word in message, message
    assert len(storage_threads()) == before  # the database thread was stopped
    return message


# -- opening ----------------------------------------------------------------------------------
async def test_garbage_truncated_and_folder_faults(tmp_path):
    await expect_open_error(garbage(tmp_path / "garbage.db"), "not a SQLite database")
    await expect_open_error(await truncated(tmp_path / "cut.db"), "truncated")
    (tmp_path / "a-file").write_text("not a folder")
    await expect_open_error(tmp_path / "a-file" / "sub" / "riderbot.db", "cannot be created")
    await expect_open_error(tmp_path / "missing" / "riderbot.db", "does not exist", create=False)
    assert not (tmp_path / "missing").exists()
    await expect_open_error(tmp_path / "nofile.db", "does not exist", create=False)
    assert not (tmp_path / "nofile.db").exists()
    (tmp_path / "folder.db").mkdir()
    await expect_open_error(tmp_path / "folder.db", "is a folder")


async def test_read_only_database(tmp_path):
    path = await made_db(tmp_path / "ro.db")
    with read_only(path):
        await expect_open_error(path, "read-only")


async def test_locked_database(tmp_path):
    path = await made_db(tmp_path / "locked.db")
    with locked(path):
        start = time.monotonic()
        await expect_open_error(path, "locked by another process")
        assert time.monotonic() - start < 5


async def test_unreachable_postgres_is_one_sentence():
    with pytest.raises(StorageError) as info:
        await open_storage("postgresql://riderbot:secret@127.0.0.1:1/riderbot", busy_timeout=2)
    message = str(info.value)
    one_sentence(message)
    assert (
        "PostgreSQL database riderbot on 127.0.0.1:1 cannot be reached" in message and "secret" not in message
    )


async def test_missing_postgres_database_is_one_sentence():
    url = os.environ.get("RIDERBOT_TEST_POSTGRES")
    if not url:
        pytest.skip("needs RIDERBOT_TEST_POSTGRES")
    from tests.pg import with_database

    with pytest.raises(StorageError) as info:
        await open_storage(with_database(url, "riderbot_no_such_database"), busy_timeout=2)
    one_sentence(str(info.value))
    assert "does not exist" in str(info.value)


# -- failures while running -------------------------------------------------------------------
async def test_deleted_database_fails_every_write_logs_once_and_flags_health(tmp_path, caplog):
    path = tmp_path / "gone.db"
    store = await open_storage(path)
    try:
        await store.log_question(Asked("first question about xtts", "unanswered"))
        delete_database(path)
        caplog.set_level(logging.ERROR, logger="riderbot.storage")
        results = await asyncio.gather(
            *(store.log_question(Asked(f"question {i} about flux", "unanswered")) for i in range(20)),
            return_exceptions=True,
        )
        assert all(isinstance(r, StorageError) for r in results)
        one_sentence(str(results[0]))
        assert "was deleted while riderbot was running" in str(results[0])
        with pytest.raises(StorageError):
            await store.log_question(Asked("one more", "unanswered"))
        assert [r.levelname for r in caplog.records if r.name == "riderbot.storage"] == ["ERROR"]  # once
        assert "was deleted" in store.health_problem
    finally:
        await store.close()
    assert not storage_threads()


async def test_full_database_raises_and_recovers(tmp_path):
    store = await open_storage(tmp_path / "full.db")
    try:
        await store._raw("PRAGMA max_page_count = 40")  # a tiny disk
        with pytest.raises(StorageError) as info:
            for i in range(2000):
                await store.log_question(Asked(f"question {i} " + os.urandom(300).hex(), "unanswered"))
        assert "cannot grow" in str(info.value) and store.health_problem
        await store._raw("PRAGMA max_page_count = 100000")
        await store.log_question(Asked("is there room now", "unanswered"))
        assert store.health_problem is None
    finally:
        await store.close()


async def test_locked_by_another_process_while_running(tmp_path):
    path = tmp_path / "busy.db"
    store = await open_storage(path, busy_timeout=0.3)
    try:
        with locked(path):
            start = time.monotonic()
            with pytest.raises(StorageError, match="locked by another process"):
                await store.log_question(Asked("is xtts ok", "unanswered"))
            assert time.monotonic() - start < 3
        assert (await store.log_question(Asked("is xtts ok", "unanswered")))[1] is True
    finally:
        await store.close()


# -- the command line -------------------------------------------------------------------------
def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIDERBOT_") and k != "DISCORD_TOKEN"}
    env.update(PYTHONPATH=str(ROOT), RIDERBOT_DB=str(db), RIDERBOT_DB_TIMEOUT="0.3", **extra)
    return env


async def _cli(cwd: Path, env: dict[str, str], *argv: str) -> tuple[int, str, str, float]:
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *argv,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"riderbot {' '.join(argv)} hung") from None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - start


COMMANDS = [("ask", "is xtts ok for commercial use"), ("review", "list"), ("stats",), ("run",)]


async def test_commands_print_one_sentence_and_exit_at_once(tmp_path):
    (tmp_path / "a-file").write_text("x")
    cases = {
        "garbage": garbage(tmp_path / "garbage.db"),
        "truncated": await truncated(tmp_path / "cut.db"),
        "folder": tmp_path / "a-file" / "sub" / "riderbot.db",
    }
    runs = []
    for kind, db in cases.items():
        env = _env(db, DISCORD_TOKEN=TOKEN)
        for argv in COMMANDS:
            runs.append((kind, argv, _cli(tmp_path, env, *argv)))
        runs.append((kind, ("health",), _cli(tmp_path, env, "health")))
    results = await asyncio.gather(*(r[2] for r in runs))
    for (kind, argv, _), (code, out, err, took) in zip(runs, results, strict=True):
        label = f"{kind}: riderbot {' '.join(argv)}"
        assert "Traceback" not in out + err, label + "\n" + err
        assert took < 30, label
        if argv == ("health",):
            assert code == 1, label
            assert any(line.startswith("FAIL database: ") for line in out.splitlines()), label + out
            continue
        assert code == 3, f"{label}: exit {code}\n{err}"
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("riderbot: "), f"{label}: {err!r}"
        assert str(cases[kind]) in lines[0] or str(cases[kind].parent) in lines[0], label
    assert not (tmp_path / "a-file" / "sub").exists()


async def test_commands_on_a_locked_or_read_only_database(tmp_path):
    db = await made_db(tmp_path / "db.sqlite")
    env = _env(db, DISCORD_TOKEN=TOKEN)
    for fault, problem, wrap in (
        ("locked", "locked by another process", locked),
        ("read-only", "read-only", read_only),
    ):
        with wrap(db):
            commands = (("ask", "is xtts ok"), ("review", "list"), ("run",))
            results = await asyncio.gather(*(_cli(tmp_path, env, *argv) for argv in commands))
            for argv, (code, out, err, took) in zip(commands, results, strict=True):
                label = f"{fault}: riderbot {' '.join(argv)}"
                assert code == 3 and "Traceback" not in out + err and took < 30, (
                    f"{label}: exit {code}\n{err}"
                )
                lines = err.strip().splitlines()
                assert len(lines) == 1 and str(db) in lines[0] and problem in lines[0], f"{label}: {err!r}"


async def test_health_reports_a_missing_database_without_creating_it(tmp_path):
    db = tmp_path / "data" / "riderbot.db"
    code, out, err, _ = await _cli(tmp_path, _env(db), "health")
    assert code == 1 and "Traceback" not in out + err
    assert f"FAIL database: the folder {db.parent} for the database {db} does not exist." in out
    assert not db.parent.exists()


def test_out_of_range_numbers_are_usage_errors(capsys):
    for argv in (
        ["review", "show", "99999999999999999999999"],
        ["review", "list", "--limit", "99999999999999999999"],
        ["review", "dismiss", "0", "--reason", "x"],
        ["stats", "--days", "-3"],
        ["review", "list", "--guild", "99999999999999999999"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2, argv
        err = capsys.readouterr().err
        assert "must be between" in err and "Traceback" not in err, err


def test_questions_over_1000_characters_are_refused_and_not_stored(capsys, monkeypatch):
    long = "is xtts ok for commercial use " + "x" * 1000
    assert main(["ask", long]) == 2
    assert "1,030 characters long" in capsys.readouterr().err
    monkeypatch.setattr(
        sys, "stdin", io.StringIO(f"is xtts ok for commercial use\n{long}\nis flux ok commercially\n")
    )
    assert main(["ask", "--json", "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3 and "error" in lines[1] and "1,030 characters" in lines[1]["error"]
    assert "error" not in lines[0] and "error" not in lines[2]
    assert main(["review", "list", "--json"]) == 0
    assert all(len(e["question"]) <= 1000 for e in json.loads(capsys.readouterr().out))


async def test_ask_from_stdin_with_invalid_utf_8_answers_every_line(tmp_path):
    """Bytes that are not UTF-8 (a stray 0xff, an encoded lone surrogate) under strict decoding, as in
    a container without a UTF-8 locale: every line is answered and stored, U+FFFD in place of the bytes."""
    db = tmp_path / "riderbot.db"
    env = _env(db, PYTHONIOENCODING="utf-8:strict")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "ask",
        "--json",
        "-",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdin = b"is zq1x \xff\xfe ok for commercial use\nis zq2x \xed\xa0\x80 ok for commercial use\nis mistral 7b free for commercial use\n"
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [line["status"] for line in lines] == ["unanswered", "unanswered", "answered"]
    assert [line["unknown_model"] for line in lines[:2]] == ["zq1x", "zq2x"]
    con = sqlite3.connect(db)
    try:
        stored = sorted(q for (q,) in con.execute("SELECT question FROM queue"))
    finally:
        con.close()
    assert stored == [
        "is zq1x \ufffd\ufffd ok for commercial use",
        "is zq2x \ufffd\ufffd\ufffd ok for commercial use",
    ]


async def test_close_with_the_database_locked_is_bounded_and_says_what_was_not_written(
    tmp_path, caplog, monkeypatch
):
    """A busy timeout far longer than the shutdown allows: close() gives the writes CLOSE_SECONDS,
    then the waiting ones fail at once (their callers get StorageError) and the rows left are logged."""
    from bot.storage import core

    monkeypatch.setattr(core, "CLOSE_SECONDS", 0.5)
    CLOSE_SECONDS = core.CLOSE_SECONDS
    path = tmp_path / "busy.db"
    store = await open_storage(path, busy_timeout=60)
    caplog.set_level(logging.ERROR, logger="riderbot.storage")
    with locked(path):
        waiting = asyncio.ensure_future(
            store.log_question(Asked("is xtts ok for commercial use", "unanswered"))
        )
        await store.record_event("answered", "llama-2", None, "commercial-use", 1, "discord", 1.0)
        await asyncio.sleep(0.1)
        start = time.monotonic()
        await store.close()
        took = time.monotonic() - start
    assert took < CLOSE_SECONDS + 1, f"close took {took:.2f} s"
    with pytest.raises(StorageError, match="locked by another process"):
        await waiting
    assert any(
        "1 buffered answer/stats row(s) could not be written" in r.getMessage() for r in caplog.records
    )
    assert not storage_threads()
