"""Split a full-name cell into a first and a last name.

Reports often carry one "Full Name" column while the store keeps `first_name` and
`last_name`. The rules are deliberately simple and predictable: "Last, First" when there is
a comma, otherwise the first word is the first name and the last word (with any particles
such as "van" or "de" before it) is the last name; middle names, honorifics and suffixes
are dropped. A single word is a last name, as Salesforce requires a last name.
"""

from __future__ import annotations

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"})
_SUFFIXES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq", "dds", "cpa", "mba", "jd"}
)
_PARTICLES = frozenset(
    {"van", "von", "de", "del", "della", "der", "den", "di", "da", "du", "la", "le", "st"}
    | {"ter", "ten", "bin", "ibn", "al", "el", "dos", "das", "do", "af", "zu", "mac"}
)


def _bare(token: str) -> str:
    return token.casefold().strip(".,")


def _drop_honorifics(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and _bare(tokens[0]) in _HONORIFICS:
        tokens = tokens[1:]
    return tokens


def _drop_suffixes(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and _bare(tokens[-1]) in _SUFFIXES:
        tokens = tokens[:-1]
    return tokens


def _is_suffix_part(part: str) -> bool:
    return all(_bare(token) in _SUFFIXES for token in part.split())


def _split_comma_form(text: str) -> tuple[str | None, str | None] | None:
    """Split "Last, First [Middle][, Jr.]"; None when the text has no usable comma form."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    while len(parts) > 1 and _is_suffix_part(parts[-1]):
        parts.pop()
    if len(parts) < 2:
        return None
    last = _drop_suffixes(parts[0].split())
    given = _drop_honorifics(parts[1].split())
    return given[0], " ".join(last)


def split_full_name(text: str) -> tuple[str | None, str | None]:
    """Return (first name, last name) of a full name; either may be None."""
    if "," in text:
        split = _split_comma_form(text)
        if split is not None:
            return split
        text = text.replace(",", " ")
    tokens = _drop_suffixes(_drop_honorifics(text.split()))
    if not tokens:
        return None, None
    if len(tokens) == 1:
        return None, tokens[0]
    start = len(tokens) - 1
    while start > 1 and _bare(tokens[start - 1]) in _PARTICLES:
        start -= 1
    return tokens[0], " ".join(tokens[start:])
