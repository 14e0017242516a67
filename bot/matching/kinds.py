"""The kinds of name the matcher indexes (an alias points at one of these)."""

MODEL, DERIVATIVE, LICENSE, FAMILY, SERIES, NOT_COVERED = (
    "model",
    "derivative",
    "license",
    "family",
    "series",
    "not-covered",
)
KIND_RANK = {NOT_COVERED: 5, MODEL: 4, DERIVATIVE: 4, LICENSE: 3, SERIES: 2, FAMILY: 1}
"""When two aliases cover the same words, the higher rank wins."""
