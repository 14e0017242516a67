"""Text normalisation shared by knowledge validation (alias collisions), storage (grouping) and matching.

Pure functions. The same normalisation is applied to aliases and to questions, so that "Llama-2",
"llama2", "LLAMA 2" and "meta-llama/Llama-2-7b-hf" all become comparable token sequences; accented
Latin letters are folded ("Médium" = "medium", "được" = "duoc"); a run of Chinese, Japanese or Korean
characters stays one token here (the matcher's Tokenizer splits it into the words it knows).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "＇": "'"})
_LETTER_DIGIT = re.compile(r"([a-z])(?=\d)")
_PLUS = re.compile(r"(?<=[a-z0-9])\+(?![+a-z0-9])")  # "Command R+" is not "Command R"
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_TOKEN = re.compile(rf"\d+(?:\.\d+)*[a-z0-9]*|[a-z]+|[{CJK}]+")
_BRITISH = {"licence": "license", "licences": "licenses", "licenced": "licensed", "licencing": "licensing"}
# letters NFKD does not decompose
_SPECIAL = {
    "đ": "d",
    "Đ": "D",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "þ": "th",
    "ð": "d",
}


def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    code = ord(ch)
    if 0x00C0 <= code <= 0x024F or 0x1E00 <= code <= 0x1EFF:  # Latin-1, Latin Extended, Vietnamese
        return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return ch


def fold(text: str) -> str:
    """NFKC, straight quotes and dashes, accents removed from Latin letters (never from kana or Hangul)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if text.isascii():
        return text
    return "".join(_fold_char(ch) if ord(ch) >= 0x80 else ch for ch in text)


def is_cjk(token: str) -> bool:
    return bool(token) and _CJK_RUN.fullmatch(token) is not None


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens; a letter run followed by digits is split ("llama2" -> llama, 2),
    dotted version numbers stay whole ("3.1"), digits followed by letters stay whole ("70b"),
    "++" is kept as a word so "OpenRAIL++-M" is not "OpenRAIL-M", and a CJK run is one token."""
    text = _PLUS.sub(" plus ", fold(text).lower().replace("++", " plusplus "))
    text = _LETTER_DIGIT.sub(r"\1 ", text)
    return tuple(_BRITISH.get(t, t) for t in _TOKEN.findall(text))


def normalize(text: str) -> str:
    """The canonical form of a name or question: its tokens joined by single spaces."""
    return " ".join(tokens(text))


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


_UNENCODABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text that can be stored, sent and printed anywhere: a lone surrogate (what a broken client
    sends, or undecodable bytes read with surrogateescape) and NUL become U+FFFD; valid surrogate
    pairs are joined first. The same rule as the storage's (bot.storage.sql.clean_text)."""
    if not _UNENCODABLE.search(text):
        return text
    joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _UNENCODABLE.sub("\ufffd", joined)


class Tokenizer:
    """Tokens for matching: like `tokens`, but a CJK run is split into the words of a vocabulary
    (longest first; characters no word covers become one-character tokens), so "llama 3可以商用吗"
    gives llama, 3, 可以商用, 吗 when "可以商用" is a known phrase. The vocabulary is the knowledge's
    own CJK phrasings; no external dictionary is needed to find them."""

    def __init__(self, cjk_words: Iterable[str] = ()):
        words = {w for w in (normalize(x) for x in cjk_words) if w and all(is_cjk(p) for p in w.split())}
        # a phrase written with a space ("월간 활성 사용자") is matched as its parts
        self._vocab = {part for w in words for part in w.split()}
        self._longest = max((len(w) for w in self._vocab), default=1)
        self.tokens = lru_cache(maxsize=65536)(self._tokens)

    def _tokens(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        for tok in tokens(text):
            if is_cjk(tok):
                out.extend(self.segment(tok))
            else:
                out.append(tok)
        return tuple(out)

    def segment(self, run: str) -> list[str]:
        out: list[str] = []
        i, n = 0, len(run)
        while i < n:
            for size in range(min(self._longest, n - i), 0, -1):
                piece = run[i : i + size]
                if size == 1 or piece in self._vocab:
                    out.append(piece)
                    i += size
                    break
        return out
