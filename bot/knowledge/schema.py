"""The shape of the knowledge files, written once and used twice: to validate the YAML with
friendly messages, and to print a JSON Schema for editors (`riderbot kb schema`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.model import (
    MEANINGS,
    MODEL_KINDS,
    QUESTION_FORMS,
    REPLIES,
    THRESHOLD_METRICS,
    TOPIC_IDS,
    VERDICTS,
)


@dataclass(frozen=True)
class Spec:
    kind: str  # "str" | "num" | "bool" | "list" | "obj" | "map"
    required: bool = False
    enum: tuple[str, ...] | None = None
    item: Spec | None = None  # list items
    fields: dict[str, Spec] = field(default_factory=dict)  # obj fields
    keys: tuple[str, ...] | None = None  # map: allowed keys
    values: Spec | None = None  # map values
    description: str = ""
    nonempty: bool = False


def S(required: bool = False, **kw: Any) -> Spec:
    return Spec("str", required=required, **kw)


QUOTE = Spec(
    "obj",
    fields={
        "source": S(True, description="id of a file in knowledge/sources/ (file name without .txt)"),
        "text": S(True, description="verbatim text from the source (whitespace may differ)", nonempty=True),
    },
)

REPLY_RULE = Spec(
    "map",
    keys=(*QUESTION_FORMS, "ban"),
    values=S(enum=REPLIES),
    description="question form (permission | restriction) -> the direct reply when this rider answers it",
)

RIDER = Spec(
    "obj",
    fields={
        "verdict": S(True, enum=VERDICTS),
        "answer": S(True, nonempty=True, description="one or two plain-English sentences, in our own words"),
        "details": S(),
        "note": S(description="why our verdict differs from the reference fact sheet"),
        "quotes": Spec("list", item=QUOTE),
        "reply": REPLY_RULE,
        "excluded_regions": Spec(
            "list",
            item=S(nonempty=True),
            description="region ids from knowledge/places.yaml whose residents or companies get no rights",
        ),
        "excluded_scope": S(
            description="when the exclusion covers only some of the licence's models: which ones"
        ),
        "more_places": Spec(
            "bool", description="the text may exclude places not listed (e.g. a supported-countries list)"
        ),
    },
)

THRESHOLD = Spec(
    "obj",
    fields={
        "metric": S(True, enum=THRESHOLD_METRICS),
        "value": Spec("num", required=True, description="the number itself, e.g. 700000000"),
        "currency": S(description="ISO currency code for revenue thresholds, e.g. USD"),
        "when": S(description="when it is measured, in our words"),
        "who": S(description="who is counted, in our words"),
        "above": S(True, nonempty=True, description="what happens above the threshold, in our words"),
        "quote": Spec("obj", required=True, fields=QUOTE.fields),
    },
)

RIDERS = Spec("map", keys=TOPIC_IDS, values=RIDER)
STRINGS = Spec("list", item=S(nonempty=True))

TOPICS_FILE = Spec(
    "obj",
    fields={
        "knowledge_date": S(True, description="date the knowledge was last reviewed (YYYY-MM-DD)"),
        "topics": Spec(
            "map",
            required=True,
            keys=TOPIC_IDS,
            values=Spec(
                "obj",
                fields={
                    "name": S(True),
                    "question": S(True),
                    "phrasings": Spec("list", required=True, item=S(nonempty=True)),
                    "weak_phrasings": Spec("list", item=S(nonempty=True)),
                    "form": S(enum=QUESTION_FORMS, description="the form of the topic's own question"),
                    "replies": Spec(
                        "map",
                        keys=(*QUESTION_FORMS, "ban"),
                        values=Spec("map", keys=VERDICTS, values=S(enum=REPLIES)),
                    ),
                    "card": Spec("map", keys=VERDICTS, values=S(nonempty=True)),
                    "meaning": Spec("map", keys=VERDICTS, values=S(enum=MEANINGS)),
                    "open_lead": Spec("map", keys=VERDICTS, values=S(nonempty=True)),
                },
            ),
        ),
        "card_phrasings": STRINGS,
    },
)

PLACES_FILE = Spec(
    "obj",
    fields={
        "case_sensitive": STRINGS,
        "who_words": STRINGS,
        "not_places": Spec("map", values=STRINGS),
        "regions": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "name": S(True, nonempty=True),
                    "words": STRINGS,
                    "members": Spec("list", required=True, item=S(nonempty=True)),
                },
            ),
        ),
        "countries": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "name": S(True, nonempty=True),
                    "words": Spec("list", required=True, item=S(nonempty=True)),
                    "adjectives": STRINGS,
                    "cities": STRINGS,
                },
            ),
        ),
    },
)

USES_FILE = Spec(
    "obj",
    fields={
        "uses": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "name": S(True, nonempty=True),
                    "question": Spec("list", required=True, item=S(nonempty=True)),
                    "policy": Spec("list", required=True, item=S(nonempty=True)),
                    "qualified": STRINGS,
                },
            ),
        ),
    },
)

QUANTITIES_FILE = Spec(
    "obj",
    fields={
        "margin": Spec("num"),
        "metrics": Spec("map", required=True, keys=(*THRESHOLD_METRICS, "users"), values=STRINGS),
        "periods": Spec("map", keys=("monthly", "yearly"), values=STRINGS),
        "earning": STRINGS,
        "multipliers": Spec("map", required=True, values=Spec("num")),
        "currencies": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "symbols": Spec("list", required=True, item=S(nonempty=True)),
                    "usd": Spec("num", required=True),
                },
            ),
        ),
    },
)

GENERAL_FILE = Spec(
    "obj",
    fields={
        "entries": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "question": S(True, nonempty=True),
                    "reply": S(enum=REPLIES),
                    "replies": Spec("map", keys=(*QUESTION_FORMS, "ban"), values=S(enum=REPLIES)),
                    "answer": S(True, nonempty=True),
                    "details": S(),
                    "phrasings": Spec("list", required=True, item=S(nonempty=True)),
                    "quotes": Spec("list", item=QUOTE),
                },
            ),
        ),
    },
)

_PHRASES = Spec("list", item=S(nonempty=True))
LANGUAGE_FILE = Spec(
    "obj",
    fields={
        "language": S(True, nonempty=True),
        "name": S(True, nonempty=True),
        "scripts": Spec("list", required=True, item=S(enum=("latin", "han", "kana", "hangul"))),
        "answer_note": S(),
        "forms": Spec("map", keys=("permission", "restriction", "cost", "ban", "open"), values=_PHRASES),
        "topics": Spec("map", keys=TOPIC_IDS, values=_PHRASES),
        "opposite": Spec("map", keys=TOPIC_IDS, values=_PHRASES),
        "card": _PHRASES,
        "licence_words": _PHRASES,
        "chatter": _PHRASES,
        "split_before": _PHRASES,
        "follow_up": _PHRASES,
        "premise": _PHRASES,
        "code_words": _PHRASES,
        "weight_words": _PHRASES,
        "model_markers": _PHRASES,
        "name_suffixes": _PHRASES,
        "not_models": _PHRASES,
        "deictic": _PHRASES,
        "requests": _PHRASES,
        "not_licence": _PHRASES,
        "question_starts": _PHRASES,
        "asks": _PHRASES,
        "common_words": _PHRASES,
        "multipliers": Spec("map", values=Spec("num")),
    },
)

LICENSE_FILE = Spec(
    "obj",
    fields={
        "id": S(True, nonempty=True),
        "name": S(True, nonempty=True),
        "version": S(True, nonempty=True),
        "url": S(True, nonempty=True),
        "sources": Spec("list", required=True, item=S(nonempty=True)),
        "aliases": STRINGS,
        "osi_approved": Spec("bool"),
        "thresholds": Spec("list", item=THRESHOLD),
        "riders": Spec("map", required=True, keys=TOPIC_IDS, values=RIDER),
    },
)

MODEL = Spec(
    "obj",
    fields={
        "id": S(True, nonempty=True),
        "name": S(True, nonempty=True),
        "version": S(True, nonempty=True),
        "license": S(True, nonempty=True, description="licence id (a file in knowledge/licenses/)"),
        "released": S(),
        "aliases": Spec("list", required=True, item=S(nonempty=True)),
        "license_evidence": Spec(
            "list",
            required=True,
            item=QUOTE,
            description="verbatim line(s) of the licensor's model card, README or LICENSE saying "
            "which licence this model is under (a file in knowledge/sources/)",
        ),
        "base": S(
            description="id of the model this one was fine-tuned or distilled from: its terms apply too"
        ),
        "kind": S(enum=MODEL_KINDS),
        "url": S(description="the model's official page"),
        "notes": STRINGS,
        "derivatives": Spec(
            "list",
            item=Spec(
                "obj",
                fields={"name": S(True, nonempty=True), "aliases": STRINGS, "note": S(True, nonempty=True)},
            ),
        ),
        "riders": RIDERS,
    },
)

FAMILY_FILE = Spec(
    "obj",
    fields={
        "family": S(True, nonempty=True),
        "name": S(True, nonempty=True),
        "aliases": STRINGS,
        "not_covered": Spec(
            "list",
            item=Spec(
                "obj",
                fields={
                    "name": S(True, nonempty=True),
                    "url": S(True, nonempty=True, description="the official page or licence link"),
                    "aliases": STRINGS,
                    "license": S(description="the licence's name, if known (not verified)"),
                    "note": S(),
                },
            ),
            description="names that look like this family's models but whose terms are not verified: the bot says "
            "it knows the name but has not verified the terms, and links the official page",
        ),
        "series": Spec(
            "list",
            item=Spec(
                "obj",
                fields={
                    "name": S(True, nonempty=True),
                    "aliases": Spec("list", required=True, item=S(nonempty=True)),
                    "members": Spec("list", required=True, item=S(nonempty=True)),
                },
            ),
            description='named groups inside the family ("Qwen2.5"): asking about one offers only its members',
        ),
        "models": Spec("list", required=True, item=MODEL),
    },
)

# A line of evidence a maintainer entered from Discord or the command line: the quoted text and the
# page it is from. It is checked against knowledge/sources/ like any quote; until a source there
# holds it, the model is marked maintainer-entered and the answer says so.
ENTERED_EVIDENCE = Spec(
    "obj",
    fields={
        "text": S(
            True, nonempty=True, description="the verbatim line saying which licence the model is under"
        ),
        "url": S(
            True, nonempty=True, description="the page it is quoted from (model card, README, release notes)"
        ),
        "source": S(
            description="id of a file in knowledge/sources/ holding the text, once it is saved there"
        ),
    },
)

NEW_MODEL = Spec(
    "obj",
    fields={
        **{k: v for k, v in MODEL.fields.items() if k not in ("license_evidence", "riders", "derivatives")},
        "license_evidence": Spec("list", required=True, item=ENTERED_EVIDENCE),
    },
    description="a model added under an existing licence (every rider comes from the licence)",
)

EDITS_FILE = Spec(
    "obj",
    fields={
        "models": Spec(
            "map",
            required=True,
            values=Spec(
                "obj",
                fields={
                    "aliases": STRINGS,
                    "answers": Spec("map", keys=TOPIC_IDS, values=S(nonempty=True)),
                },
            ),
        ),
        "new_models": Spec("list", item=NEW_MODEL),
    },
)

_TYPE_NAMES = {
    "num": "a number",
    "str": "text",
    "bool": "true or false",
    "list": "a list",
    "obj": "a mapping",
    "map": "a mapping",
}


def check(value: Any, spec: Spec, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (field path, message) for every way `value` does not fit `spec`."""
    here = path or "(top level)"
    if spec.kind == "str":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            yield here, f"must be text, got {_describe(value)}"
            return
        if spec.nonempty and not str(value).strip():
            yield here, "must not be empty"
        if spec.enum is not None and str(value) not in spec.enum:
            yield here, f"{str(value)!r} is not one of: {', '.join(spec.enum)}"
        return
    if spec.kind == "num":
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield here, f"must be a number, got {_describe(value)}"
        return
    if spec.kind == "bool":
        if not isinstance(value, bool):
            yield here, f"must be true or false, got {_describe(value)}"
        return
    if spec.kind == "list":
        if not isinstance(value, list):
            yield here, f"must be a list, got {_describe(value)}"
            return
        for i, item in enumerate(value):
            yield from check(item, spec.item or S(), f"{path}[{i}]")
        return
    if not isinstance(value, dict):
        yield here, f"must be {_TYPE_NAMES[spec.kind]}, got {_describe(value)}"
        return
    if spec.kind == "map":
        for key, item in value.items():
            if spec.keys is not None and key not in spec.keys:
                yield _join(path, str(key)), f"unknown topic {key!r}; topics are: {', '.join(spec.keys)}"
                continue
            yield from check(item, spec.values or S(), _join(path, str(key)))
        return
    for key in value:
        if key not in spec.fields:
            yield _join(path, str(key)), f"unknown key {key!r}; allowed keys: {', '.join(spec.fields)}"
    for name, sub in spec.fields.items():
        if name not in value or value[name] is None:
            if sub.required:
                yield _join(path, name), "missing required field"
            continue
        yield from check(value[name], sub, _join(path, name))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def to_json_schema(spec: Spec) -> dict[str, Any]:
    out: dict[str, Any]
    if spec.kind == "str":
        out = {"type": "string"}
        if spec.enum:
            out["enum"] = list(spec.enum)
        if spec.nonempty:
            out["minLength"] = 1
    elif spec.kind == "num":
        out = {"type": "number"}
    elif spec.kind == "bool":
        out = {"type": "boolean"}
    elif spec.kind == "list":
        out = {"type": "array", "items": to_json_schema(spec.item or S())}
    elif spec.kind == "map":
        value_schema = to_json_schema(spec.values or S())
        out = {"type": "object"}
        if spec.keys:
            out["properties"] = {k: value_schema for k in spec.keys}
            out["additionalProperties"] = False
        else:
            out["additionalProperties"] = value_schema
    else:
        out = {
            "type": "object",
            "properties": {k: to_json_schema(v) for k, v in spec.fields.items()},
            "required": [k for k, v in spec.fields.items() if v.required],
            "additionalProperties": False,
        }
    if spec.description:
        out["description"] = spec.description
    return out


def json_schema() -> dict[str, Any]:
    """One JSON Schema document covering the three kinds of knowledge file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "riderbot knowledge file",
        "description": "knowledge/topics.yaml, licenses/*.yaml, models/*.yaml or edits/*.yaml",
        "$defs": {
            "topics_file": to_json_schema(TOPICS_FILE),
            "license_file": to_json_schema(LICENSE_FILE),
            "family_file": to_json_schema(FAMILY_FILE),
            "edits_file": to_json_schema(EDITS_FILE),
        },
        "anyOf": [
            {"$ref": "#/$defs/topics_file"},
            {"$ref": "#/$defs/license_file"},
            {"$ref": "#/$defs/family_file"},
            {"$ref": "#/$defs/edits_file"},
        ],
    }
