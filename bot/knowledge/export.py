"""`riderbot kb export --json`: the resolved knowledge as plain data."""

from __future__ import annotations

from typing import Any

from bot.knowledge.model import TOPIC_IDS, KnowledgeBase


def export_json(kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "knowledge_date": kb.knowledge_date,
        "models": [
            {
                "id": m.id,
                "name": m.name,
                "family": m.family,
                "version": m.version,
                "license": m.license,
                "aliases": list(m.aliases),
                "riders": {
                    t: {
                        "verdict": m.riders[t].verdict,
                        "answer": m.riders[t].answer,
                        "quotes": [{"text": q.text, "source": q.source} for q in m.riders[t].quotes],
                    }
                    for t in TOPIC_IDS
                    if t in m.riders
                },
            }
            for m in kb.models.values()
        ],
        "licenses": [
            {"id": lic.id, "name": lic.name, "version": lic.version, "url": lic.url}
            for lic in kb.licenses.values()
        ],
    }
