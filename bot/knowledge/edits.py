"""Knowledge edits made by moderators (Discord `/kb alias`, `/kb edit`, `riderbot kb alias`).

Edits go to overlay files, `knowledge/edits/<family>.yaml`, never into the hand-written family
files: those keep their comments, key order and layout untouched (PyYAML cannot round-trip
comments, and an overlay needs no extra dependency). The overlay is plain YAML under version
control, so a maintainer can review it and fold it into the family file by hand.

Every edit is validated first by loading the whole knowledge base with the new overlay; an
invalid edit raises EditRefused and writes nothing. A valid one is written atomically
(temporary file in the same folder, fsync, os.replace), so a crash leaves either the old or the
new file, never half of one.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.loader import KnowledgeError, load_knowledge, read_edits
from bot.knowledge.model import KnowledgeBase

HEADER = (
    "# Edits made by moderators (Discord /kb commands or `riderbot kb alias`).\n"
    "# Kept apart from the hand-written family file so its comments survive; validated like it.\n"
)


class EditRefused(Exception):
    """The edit would make the knowledge base invalid; nothing was changed."""


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _apply(root: Path, kb: KnowledgeBase, model_id: str, change: Any) -> tuple[KnowledgeBase, Path]:
    model = kb.models.get(model_id)
    if model is None:
        raise EditRefused(f"unknown model {model_id!r}")
    family = model.family
    edits = {fid: data for fid, data in read_edits(root).items() if data is not None}
    overlay = copy.deepcopy(edits.get(family) or {"models": {}})
    entry = overlay["models"].setdefault(model_id, {})
    change(entry)
    new_edits = {**edits, family: overlay}
    try:
        new_kb = load_knowledge(root, edits=new_edits)
    except KnowledgeError as exc:
        raise EditRefused("; ".join(str(p) for p in exc.problems)) from None
    path = root / "edits" / f"{family}.yaml"
    write_atomic(path, HEADER + yaml.safe_dump(overlay, sort_keys=False, allow_unicode=True, width=100))
    return new_kb, path


def add_alias(root: Path | str, kb: KnowledgeBase, model_id: str, alias: str) -> KnowledgeBase:
    alias = " ".join(alias.split())
    if not alias:
        raise EditRefused("the alias is empty")
    if len(alias) > 100:
        raise EditRefused("aliases are at most 100 characters")

    def change(entry: dict) -> None:
        entry.setdefault("aliases", [])
        if alias in entry["aliases"]:
            raise EditRefused(f"{alias!r} is already an alias of {model_id}")
        entry["aliases"].append(alias)

    return _apply(Path(root), kb, model_id, change)[0]


def edit_answer(root: Path | str, kb: KnowledgeBase, model_id: str, topic: str, text: str) -> KnowledgeBase:
    text = " ".join(text.split())
    if not text:
        raise EditRefused("the answer is empty")
    if len(text) > 1000:
        raise EditRefused("answers are at most 1,000 characters: one or two sentences")
    if topic not in kb.topics:
        raise EditRefused(f"unknown topic {topic!r}")

    def change(entry: dict) -> None:
        entry.setdefault("answers", {})[topic] = text

    return _apply(Path(root), kb, model_id, change)[0]
