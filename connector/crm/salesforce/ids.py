"""Salesforce record ids: the 15-character case-sensitive form and its 18-character twin.

Salesforce accepts both; reports and the API usually return 18 characters, people often copy
15. The three extra characters encode which of the first 15 are upper case, so converting is
pure and lossless. Comparing ids in their 18-character form makes both spellings match.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_15 = re.compile(r"^[0-9A-Za-z]{15}$")


def to_18(record_id: str) -> str:
    """The 18-character form of a 15-character id; any other text is returned unchanged."""
    if not _ID_15.match(record_id):
        return record_id
    suffix = ""
    for start in range(0, 15, 5):
        chunk = record_id[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return record_id + suffix
