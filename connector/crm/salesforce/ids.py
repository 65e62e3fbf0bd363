"""Salesforce record ids: the 15-character case-sensitive form and its 18-character twin.

Salesforce accepts both; reports and the API usually return 18 characters, people often copy
15. The three extra characters encode which of the first 15 are upper case, so converting is
pure and lossless, and an 18-character id means the same record whatever the case it is typed
in: `to_15` reads the case of the first 15 back from the suffix. `canonical_id` is the form
to compare and hash: the case-sensitive 15 characters plus their suffix, as Salesforce writes
it, so every spelling of one record gives the same text.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_15 = re.compile(r"^[0-9A-Za-z]{15}$")
_ID_18 = re.compile(r"^[0-9A-Za-z]{18}$")


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


def to_15(record_id: str) -> str:
    """The case-sensitive 15-character id of an 18-character id typed in any case.

    Each suffix character flags which of its 5 characters are upper case. A 15-character id
    is returned as given (its case is its identity); any other text, or an 18-character text
    whose suffix is not a valid checksum for its characters, is returned unchanged.
    """
    if not _ID_18.match(record_id):
        return record_id
    chars = list(record_id[:15])
    for chunk, flag in enumerate(record_id[15:].upper()):
        bits = _SUFFIX_ALPHABET.find(flag)
        if bits < 0:
            return record_id
        for offset in range(5):
            position = chunk * 5 + offset
            upper = bool(bits >> offset & 1)
            if chars[position].isalpha():
                chars[position] = chars[position].upper() if upper else chars[position].lower()
            elif upper:  # a digit cannot be upper case: not a checksum of these characters
                return record_id
    return "".join(chars)


def canonical_id(record_id: str) -> str:
    """One spelling per record: 15- and 18-character ids, the latter in any case, give the
    18-character id Salesforce writes; any other text is returned unchanged."""
    return to_18(to_15(record_id))
