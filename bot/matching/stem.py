"""A tiny suffix stemmer: enough to make "trained", "training" and "trains" meet at "train".

Applied identically to topic phrasings and to questions, so it only has to be consistent,
not linguistically right.
"""

from __future__ import annotations

from functools import lru_cache

_IRREGULAR = {"used": "use", "uses": "use", "using": "use", "usage": "use", "sold": "sell", "ran": "run"}
_SUFFIXES = ("ings", "ing", "ies", "ied", "ed", "ly", "es", "s", "e")
_SECOND = ("ings", "ing", "ied", "ed", "ly")


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    if token in _IRREGULAR:
        return _IRREGULAR[token]
    if not token.isalpha() or len(token) <= 3:
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)]
            if suffix in ("s", "es"):
                for second in _SECOND:
                    if token.endswith(second) and len(token) - len(second) >= 3:
                        return token[: -len(second)]
            return token
    return token
