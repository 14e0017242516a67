"""Read knowledge/ from disk, validate it, and build a KnowledgeBase.

Every problem is collected (not just the first) and reported as `file: entry: field: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import schema
from bot.knowledge.model import (
    TOPIC_IDS,
    Country,
    Derivative,
    Family,
    GeneralEntry,
    KnowledgeBase,
    Language,
    License,
    Model,
    NotCovered,
    Places,
    Quantities,
    Quote,
    Region,
    Rider,
    Series,
    Threshold,
    Topic,
    Use,
)
from bot.textnorm import collapse_ws, normalize

HEADER_END = "---"
# libyaml's C parser when PyYAML was built with it (it usually is): same results, ~10x faster
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + ": " + self.message


class KnowledgeError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def default_knowledge_dir() -> Path:
    """The bundled knowledge: the copy an installed wheel ships (the package ``bot.bundled_knowledge``),
    else the repository's top-level ``knowledge/`` (a checkout or an editable install)."""
    bot_dir = Path(__file__).resolve().parents[1]
    shipped = bot_dir / "bundled_knowledge"
    return shipped if (shipped / "topics.yaml").is_file() else bot_dir.parent / "knowledge"


def source_body(text: str) -> str | None:
    """The text after the provenance header (the first line that is exactly '---')."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.rstrip("\r\n") == HEADER_END:
            return "".join(lines[i + 1 :])
    return None


class _Loader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.card_phrasings: tuple[str, ...] = ()

    def problem(self, file: Path | str, entry: str, field: str, message: str) -> None:
        name = str(file.relative_to(self.root.parent)) if isinstance(file, Path) else file
        self.problems.append(Problem(name, entry, field, message))

    def read_yaml(self, path: Path) -> Any:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, "", "", f"cannot read file: {exc}")
            return None
        try:
            return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(path, "", "", f"YAML syntax error at {where}: {what}")
            return None

    def check_spec(self, path: Path, entry: str, data: Any, spec: schema.Spec, prefix: str = "") -> bool:
        found = list(schema.check(data, spec, prefix))
        for field, message in found:
            self.problem(path, entry, field, message)
        return not found

    # -- sources ---------------------------------------------------------------------------
    def load_sources(self) -> dict[str, str]:
        bodies: dict[str, str] = {}
        folder = self.root / "sources"
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            try:
                text = path.read_text(encoding="utf-8")
                body = source_body(text)
            except (OSError, UnicodeDecodeError) as exc:
                self.problem(path, "", "", f"cannot read file: {exc}")
                continue
            if body is None:
                self.problem(path, "", "", "no provenance header: the header must end with a line '---'")
                continue
            header = text[: len(text) - len(body)]
            keys = {line.split(":", 1)[0].strip().lower() for line in header.splitlines() if ":" in line}
            if not keys & {"source", "url"} or "retrieved" not in keys:
                self.problem(
                    path,
                    "",
                    "",
                    "the provenance header needs a 'source:' (repository/path @ commit, or URL) "
                    "and a 'retrieved:' line",
                )
            bodies[path.stem] = body
        return bodies

    # -- topics ----------------------------------------------------------------------------
    def load_topics(self) -> tuple[dict[str, Topic], str]:
        path = self.root / "topics.yaml"
        if not path.is_file():
            self.problem(path, "", "", "file is missing")
            return {}, ""
        data = self.read_yaml(path)
        if data is None or not self.check_spec(path, "", data, schema.TOPICS_FILE):
            return {}, ""
        topics = {}
        for tid in TOPIC_IDS:
            raw = data["topics"].get(tid)
            if raw is None:
                self.problem(
                    path, f"topic {tid}", "", "missing: every topic needs a name, question and phrasings"
                )
                continue
            topics[tid] = Topic(
                id=tid,
                name=str(raw["name"]),
                question=str(raw["question"]),
                phrasings=tuple(str(p) for p in raw["phrasings"]),
                weak_phrasings=tuple(str(p) for p in raw.get("weak_phrasings") or ()),
                replies={
                    form: {v: str(r) for v, r in (rules or {}).items()}
                    for form, rules in (raw.get("replies") or {}).items()
                },
                form=str(raw.get("form") or "permission"),
                card_labels={str(k): str(v) for k, v in (raw.get("card") or {}).items()},
                meanings={str(k): str(v) for k, v in (raw.get("meaning") or {}).items()},
                open_leads={str(k): str(v) for k, v in (raw.get("open_lead") or {}).items()},
            )
        self.card_phrasings = tuple(str(p) for p in data.get("card_phrasings") or ())
        return topics, str(data["knowledge_date"])

    # -- the language data: places, uses, quantities, general entries, languages ------------------------
    def optional(self, name: str, spec: schema.Spec) -> Any:
        """A data file that may be absent (a small test knowledge base): its data, or None."""
        path = self.root / name
        if not path.is_file():
            return None
        data = self.read_yaml(path)
        if data is None or not self.check_spec(path, "", data, spec):
            return None
        return data

    def load_places(self) -> Places:
        data = self.optional("places.yaml", schema.PLACES_FILE)
        if data is None:
            return Places()
        path = self.root / "places.yaml"
        countries = {
            str(cid): Country(
                str(cid),
                str(c["name"]),
                tuple(str(w) for w in c["words"]),
                tuple(str(w) for w in c.get("cities") or ()),
                tuple(str(w) for w in c.get("adjectives") or ()),
            )
            for cid, c in data["countries"].items()
        }
        regions = {}
        for rid, r in data["regions"].items():
            for i, member in enumerate(r["members"]):
                if str(member) not in countries:
                    self.problem(path, f"region {rid}", f"members[{i}]", f"unknown country {member!r}")
            regions[str(rid)] = Region(
                str(rid),
                str(r["name"]),
                tuple(str(w) for w in r.get("words") or ()),
                frozenset(str(m) for m in r["members"]),
            )
        return Places(
            regions,
            countries,
            frozenset(str(w) for w in data.get("case_sensitive") or ()),
            tuple(str(w) for w in data.get("who_words") or ()),
            {str(k): tuple(str(w) for w in v or ()) for k, v in (data.get("not_places") or {}).items()},
        )

    def load_uses(self) -> dict[str, Use]:
        data = self.optional("uses.yaml", schema.USES_FILE)
        return {
            str(uid): Use(
                str(uid),
                str(u["name"]),
                tuple(str(w) for w in u["question"]),
                tuple(str(w).lower() for w in u["policy"]),
                tuple(str(w) for w in u.get("qualified") or ()),
            )
            for uid, u in ((data or {}).get("uses") or {}).items()
        }

    def load_quantities(self) -> Quantities:
        data = self.optional("quantities.yaml", schema.QUANTITIES_FILE)
        if data is None:
            return Quantities()
        return Quantities(
            margin=float(data.get("margin", 0.2)),
            metrics={str(k): tuple(str(w) for w in v or ()) for k, v in data["metrics"].items()},
            multipliers={str(k).lower(): float(v) for k, v in data["multipliers"].items()},
            periods={str(k): tuple(str(w) for w in v or ()) for k, v in (data.get("periods") or {}).items()},
            earning=tuple(str(w) for w in data.get("earning") or ()),
            currencies={
                str(k).upper(): (tuple(str(x).lower() for x in v["symbols"]), float(v["usd"]))
                for k, v in data["currencies"].items()
            },
        )

    def load_general(self) -> dict[str, GeneralEntry]:
        data = self.optional("general.yaml", schema.GENERAL_FILE)
        return {
            str(gid): GeneralEntry(
                id=str(gid),
                question=str(g["question"]),
                answer=" ".join(str(g["answer"]).split()),
                phrasings=tuple(str(p) for p in g["phrasings"]),
                reply=str(g["reply"]) if g.get("reply") else None,
                details=" ".join(str(g["details"]).split()) if g.get("details") else None,
                quotes=_quotes(g.get("quotes")),
                replies={str(k): str(v) for k, v in (g.get("replies") or {}).items()},
            )
            for gid, g in ((data or {}).get("entries") or {}).items()
        }

    def load_languages(self) -> dict[str, Language]:
        folder = self.root / "languages"
        out: dict[str, Language] = {}
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            data = self.read_yaml(path)
            if data is None or not self.check_spec(path, "", data, schema.LANGUAGE_FILE):
                continue
            lid = str(data["language"])
            if lid != path.stem:
                self.problem(path, "", "language", f"must be the file's name ({path.stem!r})")

            def phrases(key: str, d: dict = data) -> tuple[str, ...]:
                return tuple(str(p) for p in d.get(key) or ())

            out[lid] = Language(
                id=lid,
                name=str(data["name"]),
                scripts=tuple(str(x) for x in data["scripts"]),
                forms={str(k): tuple(str(p) for p in v or ()) for k, v in (data.get("forms") or {}).items()},
                topics={
                    str(k): tuple(str(p) for p in v or ()) for k, v in (data.get("topics") or {}).items()
                },
                opposite={
                    str(k): tuple(str(p) for p in v or ()) for k, v in (data.get("opposite") or {}).items()
                },
                card=phrases("card"),
                answer_note=str(data["answer_note"]) if data.get("answer_note") else None,
                licence_words=phrases("licence_words"),
                chatter=phrases("chatter"),
                split_before=phrases("split_before"),
                follow_up=phrases("follow_up"),
                premise=phrases("premise"),
                code_words=phrases("code_words"),
                weight_words=phrases("weight_words"),
                model_markers=phrases("model_markers"),
                name_suffixes=phrases("name_suffixes"),
                not_models=phrases("not_models"),
                deictic=phrases("deictic"),
                requests=phrases("requests"),
                not_licence=phrases("not_licence"),
                question_starts=phrases("question_starts"),
                asks=phrases("asks"),
                common_words=phrases("common_words"),
                multipliers={str(k).lower(): float(v) for k, v in (data.get("multipliers") or {}).items()},
            )
        return out


MAINTAINER_ENTERED = "maintainer-entered"
"""The source of an evidence line a maintainer entered that no file in knowledge/sources/ holds yet."""


def _entered_evidence(
    raw: list[dict[str, Any]], collapsed: dict[str, str]
) -> tuple[tuple[Quote, ...], str | None]:
    """Evidence a maintainer entered (text + URL): a line some saved source holds is quoted from it,
    like any other; a line none holds yet is quoted as maintainer-entered. Returns the quotes and
    the first URL."""
    quotes = []
    for item in raw:
        text = str(item["text"]).strip()
        wanted = collapse_ws(text)
        named = str(item["source"]) if item.get("source") else None
        found = (
            named
            if named in collapsed and wanted in collapsed[named]
            else next((sid for sid in sorted(collapsed) if wanted in collapsed[sid]), None)
        )
        quotes.append(Quote(text=text, source=found or MAINTAINER_ENTERED))
    return tuple(quotes), (str(raw[0]["url"]) if raw else None)


def _entered_notes(evidence: tuple[Quote, ...], url: str | None) -> list[str]:
    if any(q.source == MAINTAINER_ENTERED for q in evidence):
        return [
            f"Entered by riderbot's maintainers from {url}: that evidence is not yet saved in "
            "riderbot's sources, so check it there."
        ]
    return []


def _quotes(raw: list[dict[str, Any]] | None) -> tuple[Quote, ...]:
    return tuple(Quote(text=str(q["text"]).strip(), source=str(q["source"])) for q in raw or ())


def _rider(raw: dict[str, Any]) -> Rider:
    return Rider(
        verdict=str(raw["verdict"]),
        answer=" ".join(str(raw["answer"]).split()),
        quotes=_quotes(raw.get("quotes")),
        details=str(raw["details"]).strip() if raw.get("details") else None,
        note=str(raw["note"]).strip() if raw.get("note") else None,
        reply={str(k): str(v) for k, v in (raw.get("reply") or {}).items()},
        excluded_regions=tuple(str(r) for r in raw.get("excluded_regions") or ()),
        excluded_scope=" ".join(str(raw["excluded_scope"]).split()) if raw.get("excluded_scope") else None,
        more_places=bool(raw.get("more_places")),
    )


def _threshold(raw: dict[str, Any]) -> Threshold:
    return Threshold(
        metric=str(raw["metric"]),
        value=float(raw["value"]),
        quote=Quote(text=str(raw["quote"]["text"]).strip(), source=str(raw["quote"]["source"])),
        currency=str(raw["currency"]).upper() if raw.get("currency") else None,
        when=" ".join(str(raw["when"]).split()) if raw.get("when") else None,
        who=" ".join(str(raw["who"]).split()) if raw.get("who") else None,
        above=" ".join(str(raw["above"]).split()),
    )


def _region_ids(root: Path) -> set[str] | None:
    """The region ids knowledge/places.yaml defines (None when there is no places file)."""
    path = root / "places.yaml"
    if not path.is_file():
        return None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
    except (OSError, yaml.YAMLError):
        return None
    return {str(r) for r in (data.get("regions") or {})}


def read_edits(root: Path) -> dict[str, Any]:
    """The edit overlays (knowledge/edits/<family>.yaml) as raw data, by family id; {} if none."""
    folder = root / "edits"
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            out[path.stem] = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {
                "models": {}
            }
        except (OSError, yaml.YAMLError):
            out[path.stem] = None  # reported properly by load_knowledge
    return out


def load_knowledge(root: Path | str | None = None, edits: dict[str, Any] | None = None) -> KnowledgeBase:
    """Load and validate the knowledge folder; raise KnowledgeError listing every problem.

    `edits` replaces the overlays in knowledge/edits/ (family id -> file data): that is how a
    pending edit is validated before anything is written.
    """
    root = Path(root) if root is not None else default_knowledge_dir()
    ld = _Loader(root)
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), "", "", "knowledge folder not found")])
    overlays: dict[str, Any] = {}
    edit_dir = root / "edits"
    if edits is None:
        for path in sorted(edit_dir.glob("*.yaml")) if edit_dir.is_dir() else []:
            data = ld.read_yaml(path)
            if data is not None and ld.check_spec(path, "", data, schema.EDITS_FILE):
                overlays[path.stem] = data
    else:
        for fid, data in edits.items():
            if ld.check_spec(edit_dir / f"{fid}.yaml", "", data, schema.EDITS_FILE):
                overlays[fid] = data
    unused = {(fid, mid) for fid, data in overlays.items() for mid in data["models"]}

    bodies = ld.load_sources()
    collapsed = {sid: collapse_ws(body) for sid, body in bodies.items()}
    topics, knowledge_date = ld.load_topics()
    places, uses, quantities = ld.load_places(), ld.load_uses(), ld.load_quantities()
    general, languages = ld.load_general(), ld.load_languages()

    def check_quotes(path: Path, entry: str, field: str, quotes: tuple[Quote, ...]) -> None:
        for i, q in enumerate(quotes):
            where = f"{field}[{i}]"
            if q.source not in collapsed:
                ld.problem(
                    path,
                    entry,
                    f"{where}.source",
                    f"unknown source {q.source!r} (no knowledge/sources/{q.source}.txt)",
                )
            elif collapse_ws(q.text) not in collapsed[q.source]:
                start = collapse_ws(q.text)[:60]
                ld.problem(
                    path, entry, f"{where}.text", f'quote not found in source {q.source!r}: "{start}..."'
                )

    region_ids = _region_ids(root)

    def check_rider(path: Path, entry: str, field: str, rider: Rider) -> None:
        if not rider.quotes and rider.verdict not in ("not-addressed", "not-verified"):
            ld.problem(
                path, entry, f"{field}.quotes", f"a {rider.verdict!r} verdict needs at least one quote"
            )
        check_quotes(path, entry, f"{field}.quotes", rider.quotes)
        for i, region in enumerate(rider.excluded_regions):
            if region_ids is not None and region not in region_ids:
                ld.problem(
                    path,
                    entry,
                    f"{field}.excluded_regions[{i}]",
                    f"unknown region {region!r} (regions are defined in knowledge/places.yaml)",
                )

    # -- licences ------------------------------------------------------------------------------
    licenses: dict[str, License] = {}
    license_files: dict[str, Path] = {}
    broken: set[str] = set()
    lic_dir = root / "licenses"
    for path in sorted(lic_dir.glob("*.yaml")) if lic_dir.is_dir() else []:
        data = ld.read_yaml(path)
        if data is None:
            broken.add(path.stem)
            continue
        entry = f"license {data.get('id', path.stem)}" if isinstance(data, dict) else path.stem
        if not ld.check_spec(path, entry, data, schema.LICENSE_FILE):
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                broken.add(data["id"])  # reported once here, not again by every model using it
            continue
        lid = str(data["id"])
        if lid in licenses:
            ld.problem(path, entry, "id", f"duplicate licence id {lid!r} (also in {license_files[lid].name})")
            continue
        for i, sid in enumerate(data["sources"]):
            if sid not in bodies:
                ld.problem(
                    path, entry, f"sources[{i}]", f"unknown source {sid!r} (no knowledge/sources/{sid}.txt)"
                )
        riders = {}
        for tid, raw in data["riders"].items():
            riders[tid] = _rider(raw)
            check_rider(path, entry, f"riders.{tid}", riders[tid])
        thresholds = tuple(_threshold(t) for t in data.get("thresholds") or ())
        for i, t in enumerate(thresholds):
            check_quotes(path, entry, f"thresholds[{i}]", (t.quote,))
            if t.value <= 0:
                ld.problem(path, entry, f"thresholds[{i}].value", "must be a positive number")
            if t.metric.endswith("revenue") and not t.currency:
                ld.problem(
                    path,
                    entry,
                    f"thresholds[{i}].currency",
                    "a revenue threshold needs its currency (e.g. USD)",
                )
        licenses[lid] = License(
            id=lid,
            name=str(data["name"]),
            version=str(data["version"]),
            url=str(data["url"]),
            sources=tuple(str(s) for s in data["sources"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            riders=riders,
            osi_approved=data.get("osi_approved"),
            file=str(path.relative_to(root.parent)),
            thresholds=thresholds,
        )
        license_files[lid] = path

    # -- model families --------------------------------------------------------------------------
    edited_aliases: dict[str, int] = {}  # model id -> how many of its aliases an overlay added
    entered_ids: set[str] = set()  # models an overlay added
    models: dict[str, Model] = {}
    model_files: dict[str, Path] = {}
    families: dict[str, Family] = {}
    mod_dir = root / "models"
    for path in sorted(mod_dir.glob("*.yaml")) if mod_dir.is_dir() else []:
        data = ld.read_yaml(path)
        if data is None:
            continue
        fam_entry = f"family {data.get('family', path.stem)}" if isinstance(data, dict) else path.stem
        if not ld.check_spec(path, fam_entry, data, schema.FAMILY_FILE):
            continue
        fid = str(data["family"])
        if fid in families:
            ld.problem(
                path, fam_entry, "family", f"duplicate family id {fid!r} (also in {families[fid].file})"
            )
            continue
        members = []
        family_overlay = overlays.get(fid) or {}
        added = [(raw, True) for raw in family_overlay.get("new_models") or ()]
        for raw, entered in [(raw, False) for raw in data["models"]] + added:
            if entered:  # a model a maintainer added (`new_models` of edits/<family>.yaml)
                path = edit_dir / f"{fid}.yaml"
            mid = str(raw["id"])
            entry = f"model {mid}"
            if mid in models:
                ld.problem(path, entry, "id", f"duplicate model id {mid!r} (also in {model_files[mid].name})")
                continue
            lid = str(raw["license"])
            lic = licenses.get(lid)
            if lic is None and lid in broken:
                continue
            if lic is None:
                known = ", ".join(sorted(licenses)) or "none loaded"
                ld.problem(path, entry, "license", f"unknown licence id {lid!r} (known: {known})")
                continue
            overrides = {tid: _rider(r) for tid, r in (raw.get("riders") or {}).items()}
            for tid, rider in overrides.items():
                check_rider(path, entry, f"riders.{tid}", rider)
            edit = (overlays.get(fid) or {"models": {}})["models"].get(mid) or {}
            unused.discard((fid, mid))
            for tid, text in (edit.get("answers") or {}).items():
                base = overrides.get(tid) or lic.riders.get(tid)
                if base is None:
                    ld.problem(
                        edit_dir / f"{fid}.yaml", entry, f"answers.{tid}", "no rider to edit for this topic"
                    )
                    continue
                overrides[tid] = replace(base, answer=" ".join(str(text).split()))
            edited_aliases[mid] = len(edit.get("aliases") or ())
            if entered:
                entered_ids.add(mid)
            raw = {**raw, "aliases": [*raw["aliases"], *(edit.get("aliases") or ())]}
            resolved = {tid: overrides.get(tid) or lic.riders.get(tid) for tid in TOPIC_IDS}
            for tid, maybe in resolved.items():
                if maybe is None:
                    ld.problem(
                        path,
                        entry,
                        f"riders.{tid}",
                        f"no rider for this topic: add it to licence {lid!r} or as an override here",
                    )
            evidence_url = None
            maintainer_entered = False
            if entered:
                evidence, evidence_url = _entered_evidence(raw["license_evidence"], collapsed)
                maintainer_entered = any(q.source == MAINTAINER_ENTERED for q in evidence)
                raw = {**raw, "notes": [*(raw.get("notes") or ()), *_entered_notes(evidence, evidence_url)]}
            else:
                evidence = _quotes(raw.get("license_evidence"))
            if not evidence:
                ld.problem(
                    path,
                    entry,
                    "license_evidence",
                    "needs at least one verbatim line saying which licence this model is under",
                )
            if not entered:  # an entered line is quoted from a source only where one holds it
                check_quotes(path, entry, "license_evidence", evidence)
            derivatives = tuple(
                Derivative(
                    name=str(d["name"]),
                    aliases=tuple(str(a) for a in d.get("aliases") or ()),
                    note=" ".join(str(d["note"]).split()),
                )
                for d in raw.get("derivatives") or ()
            )
            models[mid] = Model(
                id=mid,
                name=str(raw["name"]),
                family=fid,
                version=str(raw["version"]),
                license=lid,
                aliases=tuple(str(a) for a in raw["aliases"]),
                riders={t: r for t, r in resolved.items() if r is not None},
                overrides=frozenset(overrides),
                released=str(raw["released"]) if raw.get("released") else None,
                notes=tuple(" ".join(str(n).split()) for n in raw.get("notes") or ()),
                derivatives=derivatives,
                license_evidence=evidence,
                file=str(path.relative_to(root.parent)),
                base=str(raw["base"]) if raw.get("base") else None,
                kind=str(raw["kind"]) if raw.get("kind") else None,
                url=str(raw["url"]) if raw.get("url") else None,
                maintainer_entered=maintainer_entered,
                evidence_url=evidence_url,
            )
            model_files[mid] = path
            members.append(mid)
        families[fid] = Family(
            id=fid,
            name=str(data["name"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            members=tuple(members),
            file=str(path.relative_to(root.parent)),
            not_covered=tuple(
                NotCovered(
                    name=str(n["name"]),
                    url=str(n["url"]),
                    aliases=tuple(str(a) for a in n.get("aliases") or ()),
                    license_name=str(n["license"]) if n.get("license") else None,
                    note=" ".join(str(n["note"]).split()) if n.get("note") else None,
                )
                for n in data.get("not_covered") or ()
            ),
            series=tuple(
                Series(
                    name=str(x["name"]),
                    aliases=tuple(str(a) for a in x["aliases"]),
                    members=tuple(str(m) for m in x["members"]),
                )
                for x in data.get("series") or ()
            ),
        )

    # -- cross references: bases, series ---------------------------------------------------------------
    for m in models.values():
        if m.base is None:
            continue
        seen: set[str] = {m.id}
        cur: str | None = m.base
        while cur is not None and cur in models and cur not in seen:
            seen.add(cur)
            cur = models[cur].base
        if m.base not in models:
            ld.problem(model_files[m.id], f"model {m.id}", "base", f"unknown model {m.base!r}")
        elif cur is not None and cur in seen:
            ld.problem(
                model_files[m.id], f"model {m.id}", "base", "the chain of base models loops back to itself"
            )
    for f in families.values():
        for i, series in enumerate(f.series):
            for j, member in enumerate(series.members):
                if member not in f.members:
                    ld.problem(
                        root.parent / f.file,
                        f"family {f.id}",
                        f"series[{i}].members[{j}]",
                        f"{member!r} is not a model of this family",
                    )

    for fid, data in sorted(overlays.items()):
        if data.get("new_models") and fid not in families:
            ld.problem(edit_dir / f"{fid}.yaml", "", "new_models", f"no family {fid!r} to add models to")
    for fid, mid in sorted(unused):
        ld.problem(edit_dir / f"{fid}.yaml", f"model {mid}", "", f"no model {mid!r} in family {fid!r}")

    # -- aliases: one owner per normalised spelling ----------------------------------------------------
    owners: dict[str, str] = {}

    def claim(alias: str, owner: str, path: Path | str, entry: str, field: str) -> None:
        norm = normalize(alias)
        if not norm:
            ld.problem(path, entry, field, f"alias {alias!r} has no letters or digits")
            return
        prev = owners.get(norm)
        if prev is not None and prev != owner:
            ld.problem(path, entry, field, f"alias {alias!r} (normalised {norm!r}) is already used by {prev}")
            return
        owners[norm] = owner

    family_aliases = {
        fid: {normalize(a) for a in data.aliases} for fid, data in families.items() if len(data.members) > 1
    }

    def claim_model(m: Model, path: Path) -> None:
        claim(m.name, f"model {m.id}", path, f"model {m.id}", "name")
        if normalize(m.id) not in family_aliases.get(
            m.family, set()
        ):  # "gemma": the family's name, not an alias
            claim(m.id, f"model {m.id}", path, f"model {m.id}", "id")

    # the hand-written knowledge first, then what overlays add: a collision is the overlay's
    for m in models.values():
        if m.id in entered_ids:
            continue
        path = model_files[m.id]
        claim_model(m, path)
        own = len(m.aliases) - edited_aliases.get(m.id, 0)
        for i, a in enumerate(m.aliases[:own]):
            claim(a, f"model {m.id}", path, f"model {m.id}", f"aliases[{i}]")
        for d in m.derivatives:
            for i, a in enumerate((d.name, *d.aliases)):
                claim(
                    a,
                    f"derivative {d.name} of model {m.id}",
                    path,
                    f"model {m.id}",
                    f"derivatives {d.name} aliases[{i}]",
                )
    for f in families.values():
        for i, a in enumerate(f.aliases):
            if len(f.members) == 1 and owners.get(normalize(a)) == f"model {f.members[0]}":
                continue  # a one-model family may share its name with that model ("bloom")
            claim(a, f"family {f.id}", root.parent / f.file, f"family {f.id}", f"aliases[{i}]")
        for i, nc in enumerate(f.not_covered):
            for a in (nc.name, *nc.aliases):
                claim(
                    a,
                    f"the not-covered name {nc.name!r} of family {f.id}",
                    root.parent / f.file,
                    f"family {f.id}",
                    f"not_covered[{i}]",
                )
        for i, series in enumerate(f.series):
            for a in series.aliases:
                claim(
                    a,
                    f"series {series.name!r} of family {f.id}",
                    root.parent / f.file,
                    f"family {f.id}",
                    f"series[{i}].aliases",
                )
    for lic in licenses.values():
        for i, a in enumerate((lic.name, *lic.aliases)):
            claim(
                a,
                f"license {lic.id}",
                license_files[lic.id],
                f"license {lic.id}",
                f"aliases[{i}]" if i else "name",
            )
    for m in models.values():
        extra = edited_aliases.get(m.id, 0)
        if m.id not in entered_ids and not extra:
            continue
        path = edit_dir / f"{m.family}.yaml"
        if m.id in entered_ids:
            claim_model(m, path)
            extra = len(m.aliases)
        first = len(m.aliases) - extra
        for i, a in enumerate(m.aliases[first:], first):
            claim(a, f"model {m.id}", path, f"model {m.id}", f"aliases[{i}]")

    for general_entry in general.values():
        check_quotes(root / "general.yaml", f"entry {general_entry.id}", "quotes", general_entry.quotes)

    if not models and not ld.problems:
        ld.problem(mod_dir, "", "", "no models found")
    if ld.problems:
        raise KnowledgeError(ld.problems)
    return KnowledgeBase(
        topics=topics,
        licenses=licenses,
        models=models,
        families=families,
        sources=bodies,
        knowledge_date=knowledge_date,
        card_phrasings=ld.card_phrasings,
        places=places,
        quantities=quantities,
        uses=uses,
        general=general,
        languages=languages,
    )
