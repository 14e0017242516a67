"""`pip install .` (not editable) gives a working `riderbot ask` from any directory: the wheel carries
the bundled knowledge (as ``bot.bundled_knowledge``), the LICENSE, and not the fake Discord.

Fast on purpose: the wheel is built without build isolation (setuptools from the test extras) and
installed without its dependencies into a fresh virtualenv, which borrows them from the running one
through a plain path line (so the editable riderbot of the running environment is NOT visible)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    assert "deprecat" not in proc.stderr.lower() and "BuildBackendWarning" not in proc.stderr, proc.stderr
    (found,) = out.glob("riderbot-*.whl")
    return found


def test_the_wheel_carries_the_knowledge_and_the_licence_but_no_test_code(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {
        n.removeprefix("bot/bundled_knowledge/") for n in names if n.startswith("bot/bundled_knowledge/")
    }
    in_repo = {
        p.relative_to(ROOT / "knowledge").as_posix()
        for p in (ROOT / "knowledge").rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".txt", ".md")
    }
    assert shipped == in_repo
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "fakediscord/")) for n in names)


def test_an_installed_wheel_answers_from_another_directory(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIDERBOT_", "PYTHON"))}
    ask = subprocess.run(
        [str(env_dir / "bin" / "riderbot"), "ask", "--json", "is mistral 7b ok for commercial use"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert (answer["status"], answer["model"], answer["verdict"]) == ("answered", "mistral-7b", "yes")
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import bot, bot.knowledge as k; print(bot.__file__); print(k.default_knowledge_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1].startswith(
        str(env_dir)
    )  # the wheel's, not the checkout's
    version = subprocess.run(
        [str(env_dir / "bin" / "riderbot"), "--version"], capture_output=True, text=True, env=env
    )
    assert version.stdout.startswith("riderbot ")
