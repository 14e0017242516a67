"""Knowledge edits made by maintainers (Discord `/kb alias | edit | add-model`, `riderbot kb ...`),
as overlays on the bundled knowledge.

An edit is a small record (``Edit``: kind alias | answer | add-model, the family and model it
changes, a JSON-able payload). The edits live in the database (Storage.add_kb_edit stores an edit
and its audit row in one transaction), never in the knowledge files: the bundled knowledge can be
read-only (the Docker image) and is replaced by every new release, while the database is on the
data volume. The live knowledge is the bundled knowledge with the edits applied on top, in order,
as the same overlay the loader reads from ``knowledge/edits/<family>.yaml`` (``overlays``), so a
change is validated exactly like a file edit (``propose`` loads the whole knowledge base with it).

When newer bundled knowledge arrives, ``apply_edits`` applies the edits again: the ones that still
fit are applied, an answer edit whose bundled text changed since is applied and reported as stale,
and one that no longer fits (its model is gone, its alias is now another model's) is left out and
reported, never dropped. ``diff`` writes the edits as a unified patch against the bundled
knowledge (the overlay files it would add), to send upstream.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.loader import KnowledgeError, Problem, load_knowledge, read_edits
from bot.knowledge.model import KnowledgeBase
from bot.textnorm import normalize

EDIT_KINDS = ("alias", "answer", "add-model")
HEADER = (
    "# Edits made by riderbot's maintainers (Discord /kb commands or `riderbot kb ...`).\n"
    "# Kept apart from the hand-written family file so its comments survive; validated like it.\n"
)
ALIAS_MAX, ANSWER_MAX, NAME_MAX, EVIDENCE_MAX = 100, 1000, 100, 1000
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class EditRefused(Exception):
    """The edit would make the knowledge base invalid (or is not a valid edit); nothing was changed."""


@dataclass(frozen=True)
class Edit:
    kind: str
    family: str
    model: str
    payload: dict[str, Any]
    id: int | None = None  # the database row, once stored
    by: int | None = None
    at: float | None = None
    base_hash: str | None = None  # answer edits: the hash of the bundled text they replace

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Edit:
        return cls(
            kind=row["kind"],
            family=row["family"] or "",
            model=row["model"] or "",
            payload=row["payload"],
            id=row.get("id"),
            by=row.get("created_by"),
            at=row.get("created_at"),
            base_hash=row.get("base_hash"),
        )

    def describe(self) -> str:
        where = f"#{self.id} " if self.id is not None else ""
        if self.kind == "alias":
            return f'{where}alias "{self.payload["alias"]}" for {self.model}'
        if self.kind == "answer":
            return f"{where}answer for {self.model}, {self.payload['topic']}"
        return f"{where}new model {self.model} ({self.payload['model']['license']})"


@dataclass
class Applied:
    """The knowledge with the edits applied, and what happened to each edit."""

    kb: KnowledgeBase
    base: KnowledgeBase  # without the edits
    applied: list[Edit] = field(default_factory=list)
    skipped: list[tuple[Edit, list[str]]] = field(default_factory=list)  # no longer fit: left out
    stale: list[Edit] = field(default_factory=list)  # answer edits whose bundled text changed since

    def report(self) -> list[str]:
        lines = [
            f"edit {e.describe()} no longer fits the bundled knowledge and is not applied: {'; '.join(p)}"
            for e, p in self.skipped
        ]
        lines += [
            f"edit {e.describe()}: the bundled answer changed since this edit was made; "
            "the edit is still applied (check it with `riderbot kb diff`)"
            for e in self.stale
        ]
        return lines


# -- checking text -----------------------------------------------------------------------------------


def check_text(text: str, what: str) -> None:
    """Refuse text that cannot be stored and read back as it is: a lone surrogate (from a broken
    client or an undecodable command-line byte), NUL and other control characters, noncharacters."""
    for i, ch in enumerate(text):
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            why = "a lone surrogate, not valid Unicode"
        elif unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            why = "a control character"
        elif 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
            why = "a Unicode noncharacter"
        else:
            continue
        raise EditRefused(
            f"the {what} contains U+{code:04X} at position {i + 1} ({why}); retype it without that character"
        )


def _clean(text: str, what: str, limit: int) -> str:
    check_text(text, what)
    text = " ".join(text.split())
    if not text:
        raise EditRefused(f"the {what} is empty")
    if len(text) > limit:
        raise EditRefused(f"the {what} is {len(text):,} characters long; the limit is {limit:,}")
    return text


def clean_alias(alias: str) -> str:
    """An alias as stored: whitespace collapsed, refused when empty, too long or not valid Unicode."""
    return _clean(alias, "alias", ALIAS_MAX)


def text_hash(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


# -- making edits -------------------------------------------------------------------------------------


def alias_edit(kb: KnowledgeBase, model_id: str, alias: str) -> Edit:
    model = kb.models.get(model_id)
    if model is None:
        raise EditRefused(f"unknown model {model_id!r}")
    alias = clean_alias(alias)
    if alias in model.aliases:
        raise EditRefused(f"{alias!r} is already an alias of {model_id}")
    return Edit("alias", model.family, model_id, {"alias": alias})


def answer_edit(
    kb: KnowledgeBase, model_id: str, topic: str, text: str, base: KnowledgeBase | None = None
) -> Edit:
    model = kb.models.get(model_id)
    if model is None:
        raise EditRefused(f"unknown model {model_id!r}")
    if topic not in kb.topics:
        raise EditRefused(f"unknown topic {topic!r}")
    text = _clean(text, "answer", ANSWER_MAX)
    bundled = (base or kb).models.get(model_id)
    rider = bundled.riders.get(topic) if bundled else None
    return Edit(
        "answer",
        model.family,
        model_id,
        {"topic": topic, "text": text},
        base_hash=text_hash(rider.answer if rider else None),
    )


def model_edit(
    kb: KnowledgeBase,
    *,
    family: str,
    model_id: str,
    name: str,
    license_id: str,
    evidence_url: str,
    evidence_text: str,
    aliases: Iterable[str] = (),
    version: str | None = None,
    kind: str | None = None,
    url: str | None = None,
) -> Edit:
    """A model under a licence riderbot already has: every rider comes from the licence."""
    if family not in kb.families:
        raise EditRefused(f"unknown family {family!r}; families: {', '.join(sorted(kb.families))}")
    if license_id not in kb.licenses:
        raise EditRefused(f"unknown licence {license_id!r}")
    check_text(model_id, "model id")
    if not MODEL_ID.match(model_id):
        raise EditRefused(
            f"the model id {model_id!r} must be 1-64 lower-case letters, digits, '.', '_' or '-', e.g. flux.1-dev"
        )
    if model_id in kb.models:
        raise EditRefused(f"there already is a model {model_id!r}")
    name = _clean(name, "name", NAME_MAX)
    evidence_text = _clean(evidence_text, "evidence line", EVIDENCE_MAX)
    evidence_url = _clean(evidence_url, "evidence URL", 500)
    if not re.match(r"^https://\S+$", evidence_url):
        raise EditRefused("the evidence URL must be an https:// link to the licensor's page")
    entry: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "version": _clean(version or name, "version", NAME_MAX),
        "license": license_id,
        "aliases": [_clean(a, "alias", ALIAS_MAX) for a in aliases if a.strip()],
        "license_evidence": [{"text": evidence_text, "url": evidence_url}],
    }
    if kind:
        entry["kind"] = kind
    if url:
        entry["url"] = _clean(url, "model URL", 500)
    return Edit("add-model", family, model_id, {"model": entry})


# -- applying edits ----------------------------------------------------------------------------------


def overlays(edits: Iterable[Edit], start: dict[str, Any] | None = None) -> dict[str, Any]:
    """The overlay data (as in knowledge/edits/<family>.yaml) that ``edits`` make, applied in order
    on top of ``start`` (the overlay files the knowledge folder already has)."""
    out: dict[str, Any] = copy.deepcopy({k: v for k, v in (start or {}).items() if v is not None})
    for edit in edits:
        overlay = out.setdefault(edit.family, {"models": {}})
        overlay.setdefault("models", {})
        if edit.kind == "alias":
            aliases = overlay["models"].setdefault(edit.model, {}).setdefault("aliases", [])
            if edit.payload["alias"] not in aliases:
                aliases.append(edit.payload["alias"])
        elif edit.kind == "answer":
            answers = overlay["models"].setdefault(edit.model, {}).setdefault("answers", {})
            answers[edit.payload["topic"]] = edit.payload["text"]
        elif edit.kind == "add-model":
            overlay.setdefault("new_models", []).append(copy.deepcopy(edit.payload["model"]))
        else:
            raise ValueError(f"unknown edit kind {edit.kind!r}")
    return out


def build(root: Path | str, edits: Sequence[Edit]) -> KnowledgeBase:
    """The knowledge in ``root`` with ``edits`` applied; raises KnowledgeError."""
    root = Path(root)
    return load_knowledge(root, edits=overlays(edits, read_edits(root)))


def apply_edits(root: Path | str, edits: Sequence[Edit], base: KnowledgeBase | None = None) -> Applied:
    """Apply the stored edits to the knowledge in ``root`` (which must itself be valid: a
    KnowledgeError from it is raised). Edits that no longer fit are left out and reported."""
    root = Path(root)
    base = base or load_knowledge(root)
    try:
        kb = build(root, edits) if edits else base
        applied = list(edits)
        skipped: list[tuple[Edit, list[str]]] = []
    except KnowledgeError:  # find which: one at a time, in order
        applied, skipped, kb = [], [], base
        for edit in edits:
            try:
                kb = build(root, [*applied, edit])
            except KnowledgeError as exc:
                skipped.append((edit, [short(p) for p in exc.problems]))
            else:
                applied.append(edit)
    stale = [
        e
        for e in applied
        if e.kind == "answer" and e.base_hash is not None and e.base_hash != _base_hash(base, e)
    ]
    return Applied(kb, base, applied, skipped, stale)


def _base_hash(base: KnowledgeBase, edit: Edit) -> str | None:
    model = base.models.get(edit.model)
    rider = model.riders.get(edit.payload["topic"]) if model else None
    return text_hash(rider.answer if rider else None)


def propose(root: Path | str, edits: Sequence[Edit], new: Edit) -> KnowledgeBase:
    """The knowledge with ``new`` applied after ``edits`` (which fit: Applied.applied), or
    EditRefused with what is wrong."""
    try:
        return build(root, [*edits, new])
    except KnowledgeError as exc:
        raise EditRefused("; ".join(short(p) for p in exc.problems[:5])) from None


def short(problem: Problem) -> str:
    """A problem without the overlay file's name (an edit made in Discord has no file)."""
    if "/edits/" in f"/{problem.file}":
        return ": ".join(x for x in (problem.entry, problem.field) if x) + ": " + problem.message
    return str(problem)


# -- the patch for upstream ----------------------------------------------------------------------------


def overlay_text(data: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def diff(root: Path | str, applied: Applied) -> str:
    """The maintainers' edits as a unified patch against the knowledge in ``root`` (the overlay
    files they add or change, under knowledge/edits/), to apply at the repository's root with
    ``git apply``. Edits left out (they no longer fit) are listed in the preamble, not patched."""
    root = Path(root)
    files = read_edits(root)
    merged = overlays(applied.applied, files)
    touched = sorted({e.family for e in applied.applied})
    lines = [
        f"riderbot knowledge edits: {len(applied.applied)} applied"
        + (f", {len(applied.skipped)} left out" if applied.skipped else "")
        + ". Apply at the repository's root: git apply this-file.patch",
    ]
    for edit in applied.applied:
        lines.append(f"  {edit.describe()}")
    lines.extend(f"  NOT IN THIS PATCH: {line}" for line in applied.report())
    entered = [m for m in applied.kb.models.values() if m.maintainer_entered]
    for model in entered:
        lines.append(
            f"  {model.id}: its evidence ({model.evidence_url}) is not in knowledge/sources/ yet: "
            "save the page there (with its provenance header) before merging"
        )
    out = ["\n".join(lines) + "\n\n"]
    for family in touched:
        path = root / "edits" / f"{family}.yaml"
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        new = overlay_text(merged[family])
        name = f"knowledge/edits/{family}.yaml"
        out.append(f"diff --git a/{name} b/{name}\n")
        if not old:
            out.append("new file mode 100644\n")
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{name}" if old else "/dev/null",
                tofile=f"b/{name}",
            )
        )
    return "".join(out)


def name_owners(kb: KnowledgeBase) -> dict[str, str]:
    """Every name the knowledge gives something, normalised -> what it names ("model llama-2"):
    what a server's own alias must not collide with."""
    owners: dict[str, str] = {}

    def claim(name: str, owner: str) -> None:
        norm = normalize(name)
        if norm:
            owners.setdefault(norm, owner)

    for m in kb.models.values():
        for name in (m.id, m.name, *m.aliases):
            claim(name, f"model {m.id}")
        for d in m.derivatives:
            for name in (d.name, *d.aliases):
                claim(name, f"{d.name} (a derivative of {m.id})")
    for f in kb.families.values():
        for name in f.aliases:
            claim(name, f"family {f.id}")
        for nc in f.not_covered:
            for name in (nc.name, *nc.aliases):
                claim(name, f"{nc.name} (not covered)")
        for series in f.series:
            for name in series.aliases:
                claim(name, f"series {series.name}")
    for lic in kb.licenses.values():
        for name in (lic.name, *lic.aliases):
            claim(name, f"licence {lic.id}")
    return owners
