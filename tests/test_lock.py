"""The locks (requirements.lock for the image, requirements-dev.lock for `make`) are current: every
requirement of pyproject.toml (and of fakediscord/pyproject.toml for the dev lock) is pinned at a
version it accepts, every pinned package's own requirements are pinned too, and what `make` installed
is what the lock says. Offline: nothing is resolved again. When this fails, run `make lock`."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
FIX = "run `make lock` (and commit both lock files)"


def pins(lock: Path) -> dict[str, str]:
    out = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            out[canonicalize_name(match[1])] = match[2]
    return out


def wanted(dev: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    if dev:
        reqs += project["optional-dependencies"]["test"]
        reqs += tomllib.loads((ROOT / "fakediscord" / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
    return [Requirement(r) for r in reqs]


def applies(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate({"extra": ""})


@pytest.mark.parametrize(("name", "dev"), [("requirements.lock", False), ("requirements-dev.lock", True)])
def test_the_lock_pins_every_requirement_at_a_version_it_accepts(name, dev):
    pinned = pins(ROOT / name)
    for req in wanted(dev):
        key = canonicalize_name(req.name)
        assert key in pinned, f"{req.name} is required by pyproject.toml but not pinned in {name}: {FIX}"
        assert req.specifier.contains(pinned[key], prereleases=True), (
            f"{name} pins {req.name}=={pinned[key]}, outside {req}: {FIX}"
        )


@pytest.mark.parametrize(("name", "dev"), [("requirements.lock", False), ("requirements-dev.lock", True)])
def test_the_lock_is_closed_under_dependencies(name, dev):
    pinned = pins(ROOT / name)
    for package in pinned:
        for line in metadata.requires(package) or []:
            req = Requirement(line)
            if not applies(req):
                continue
            key = canonicalize_name(req.name)
            assert key in pinned, f"{package} needs {req} but {name} does not pin it: {FIX}"
            assert req.specifier.contains(pinned[key], prereleases=True), (
                f"{package} needs {req}, {name} pins {pinned[key]}: {FIX}"
            )


def test_what_make_installed_is_what_the_dev_lock_says():
    for package, version in pins(ROOT / "requirements-dev.lock").items():
        assert metadata.version(package) == version, (
            f"{package} {metadata.version(package)} is installed, the lock says {version}: run `make install`"
        )


def test_the_runtime_lock_is_the_dev_locks_runtime_part():
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {k: dev.get(k) for k in runtime} == runtime, f"the two locks disagree: {FIX}"
