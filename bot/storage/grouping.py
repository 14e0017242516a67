"""Which open queue entry a new question is a repeat of: pure functions over index keys.

Two questions are the same one when their normalised texts are equal or nearly so (typos,
punctuation, word order: rapidfuzz ``token_sort_ratio`` >= GROUP_SIMILARITY), never when they
differ in a number ("llama 5" vs "llama 6"), and only within one server (or within DMs).

Instead of comparing a question with every open entry, each open entry is indexed in
``queue_terms`` by rows (server key, number signature, term, length, entry id):

- one row for its exact key: the hash of its sorted tokens ("=" prefix), so a reordering or a
  change of punctuation or case is found by one index probe;
- one row per word left out ("-" prefix, the hash of the other sorted tokens), so a question with
  one word mistyped is found by one probe too, however many entries share its common words;
- one row per distinct word (two letters or more; numbers are already in the signature).

A new question probes the exact key and each of its words, restricted to the same server and
number signature and to lengths that could still reach the similarity threshold, each probe
capped at TERM_LIMIT rows. The CANDIDATES entries sharing the most words are scored with
``token_sort_ratio``. The cost depends on the question's length, not on the size of the queue.

The cap makes it approximate: an entry found only through common words may be missed when more
than TERM_LIMIT entries of the same length share them; a miss creates a second entry (which
moderators can dismiss as a duplicate), it never merges different questions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

from rapidfuzz import fuzz, process

from bot.textnorm import normalize

GROUP_SIMILARITY = 92.0  # token_sort_ratio at which two questions count as the same one
TERM_LIMIT = 16  # index rows read per word of the question
MAX_TERMS = 8  # words of a question probed (the longest ones: rare words are long words)
PREFIX, PREFIX_MIN = 4, 6  # the two longest words (of 6+ letters) are also probed by their first 4 letters
CANDIDATES = 24  # entries sharing the most words that are scored with token_sort_ratio
DROP_ONE_MIN, DROP_ONE_MAX = 3, 24  # words a question needs for drop-one keys (longer ones: words only)
DROP_ONE_LIMIT = 8  # entries read through the drop-one keys


def normalized(question: str) -> str:
    return normalize(question) or " ".join(question.split()).lower()


def guild_key(guild_id: int | None) -> int:
    """Index key of a server; DMs and the command line share 0 (snowflakes are never 0)."""
    return guild_id or 0


def number_signature(norm: str) -> str:
    return " ".join(sorted({t for t in norm.split() if any(c.isdigit() for c in t)}))


def sorted_text(norm: str) -> str:
    return " ".join(sorted(norm.split()))


def exact_term(norm: str) -> str:
    return "=" + hashlib.sha1(sorted_text(norm).encode("utf-8")).hexdigest()[:20]


def words(norm: str) -> list[str]:
    """The distinct words of a question worth indexing, longest first."""
    seen = {t for t in norm.split() if len(t) >= 2 and not any(c.isdigit() for c in t)}
    return sorted(seen, key=lambda t: (-len(t), t))


def drop_one_terms(norm: str) -> list[str]:
    """The question's keys with one word left out ("-" prefix): a question with one word mistyped
    shares one of them with its entry (the one without that word), found by an index probe whatever
    the size of the queue. Only for questions of DROP_ONE_MIN to DROP_ONE_MAX words."""
    toks = sorted(norm.split())
    if not DROP_ONE_MIN <= len(toks) <= DROP_ONE_MAX:
        return []
    keys = {" ".join(toks[:i] + toks[i + 1 :]) for i in range(len(toks))}
    return sorted("-" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:20] for k in keys)


def terms(norm: str) -> list[str]:
    return [exact_term(norm), *words(norm)]


def index_terms(norm: str) -> list[str]:
    """Every key an open entry is indexed by: its exact key, its drop-one keys, its words."""
    return [exact_term(norm), *drop_one_terms(norm), *words(norm)]


def length(norm: str) -> int:
    return len(sorted_text(norm))


def length_window(n: int) -> tuple[int, int]:
    """Lengths m for which token_sort_ratio can reach the threshold: the Indel distance is at least
    |n - m| and the ratio is 1 - distance / (n + m)."""
    t = GROUP_SIMILARITY / 100.0
    low = math.floor(n * t / (2 - t))
    high = math.ceil(n * (2 - t) / t)
    return low, high


def best_match(norm: str, candidates: Mapping[int, str]) -> int | None:
    """The candidate id most similar to ``norm`` at or above the threshold, else None."""
    if not candidates:
        return None
    hit = process.extractOne(norm, candidates, scorer=fuzz.token_sort_ratio, score_cutoff=GROUP_SIMILARITY)
    return hit[2] if hit else None
