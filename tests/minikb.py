"""A tiny, valid knowledge base written into a temporary folder, for loader and matcher tests.

Tests break it on purpose (one error kind each) and check the message.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.knowledge import TOPIC_IDS

SOURCE = """source: example.org/LICENSE @ 0000
retrieved: 2026-11-26
---
TOY LICENSE 1.0
1. Grant. You may use, copy and modify the Toy Model for any purpose.
2. Outputs. You will not use outputs of the Toy Model to
   train any other model.
"""

TOPICS = {
    "knowledge_date": "2026-11-26",
    "topics": {
        t: {"name": t.replace("-", " ").title(), "question": f"{t}?", "phrasings": [t.replace("-", " ")]}
        for t in TOPIC_IDS
    },
}
TOPICS["topics"]["commercial-use"]["phrasings"] = ["commercial", "commercially"]
TOPICS["topics"]["outputs-training"]["phrasings"] = ["output train", "synthetic data"]


def rider(
    verdict: str = "yes", quote: str | None = "You may use, copy and modify the Toy Model for any purpose."
) -> dict:
    out = {"verdict": verdict, "answer": f"The answer is {verdict}."}
    if quote is not None:
        out["quotes"] = [{"source": "toy-license", "text": quote}]
    return out


def license_data() -> dict:
    riders = {t: rider() for t in TOPIC_IDS}
    riders["outputs-training"] = rider(
        "no", "You will not use outputs of the Toy Model to train any other model."
    )
    riders["user-threshold"] = rider("not-addressed", None)
    return {
        "id": "toy",
        "name": "Toy License",
        "version": "1.0",
        "url": "https://example.org/toy",
        "sources": ["toy-license"],
        "aliases": ["toy licence"],
        "riders": riders,
    }


EVIDENCE = [{"source": "toy-license", "text": "TOY LICENSE 1.0"}]


def family_data() -> dict:
    return {
        "family": "toy",
        "name": "Toy",
        "aliases": ["toy"],
        "models": [
            {
                "id": "toy-1",
                "name": "Toy 1",
                "version": "1",
                "license": "toy",
                "aliases": ["toy 1", "toymodel1"],
                "license_evidence": EVIDENCE,
            },
            {
                "id": "toy-2",
                "name": "Toy 2",
                "version": "2",
                "license": "toy",
                "aliases": ["toy 2", "org/Toy-2-7B-chat"],
                "license_evidence": EVIDENCE,
                "riders": {"outputs-training": rider("yes")},
            },
        ],
    }


def write_kb(
    root: Path,
    *,
    topics: dict | None = None,
    license: dict | None = None,
    family: dict | None = None,
    raw_license: str | None = None,
) -> Path:
    """Write the toy knowledge base (with optional replacements) and return its folder."""
    kb = root / "knowledge"
    for sub in ("licenses", "models", "sources"):
        (kb / sub).mkdir(parents=True, exist_ok=True)
    (kb / "sources" / "toy-license.txt").write_text(SOURCE, encoding="utf-8")
    (kb / "topics.yaml").write_text(yaml.safe_dump(topics or TOPICS, sort_keys=False), encoding="utf-8")
    lic_text = (
        raw_license if raw_license is not None else yaml.safe_dump(license or license_data(), sort_keys=False)
    )
    (kb / "licenses" / "toy.yaml").write_text(lic_text, encoding="utf-8")
    (kb / "models" / "toy.yaml").write_text(
        yaml.safe_dump(family or family_data(), sort_keys=False), encoding="utf-8"
    )
    return kb
