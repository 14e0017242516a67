"""Text normalisation shared by knowledge validation (alias collisions) and matching.

Pure functions. The same normalisation is applied to aliases and to questions, so that
"Llama-2", "llama2", "LLAMA 2" and "meta-llama/Llama-2-7b-hf" all become comparable
token sequences.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_LETTER_DIGIT = re.compile(r"([a-z])(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)*[a-z0-9]*|[a-z]+")
_BRITISH = {"licence": "license", "licences": "licenses", "licenced": "licensed", "licencing": "licensing"}


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens; a letter run followed by digits is split ("llama2" -> llama, 2),
    dotted version numbers stay whole ("3.1"), digits followed by letters stay whole ("70b"),
    and "++" is kept as a word so "OpenRAIL++-M" is not "OpenRAIL-M"."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower().replace("++", " plusplus ")
    text = _LETTER_DIGIT.sub(r"\1 ", text)
    return tuple(_BRITISH.get(t, t) for t in _TOKEN.findall(text))


def normalize(text: str) -> str:
    """The canonical form of a name or question: its tokens joined by single spaces."""
    return " ".join(tokens(text))


def collapse_ws(text: str) -> str:
    return " ".join(text.split())
