"""Salesforce record ids: key prefixes, the 3-character checksum, and ordered id sequences.

A Salesforce id is 15 case-sensitive characters (3-char key prefix, 2-char pod, 10-char
counter) plus a 3-character checksum that makes the 18-char form case-insensitive-safe. Each
checksum character encodes, for one 5-char chunk of the 15-char id, which positions hold an
uppercase letter (bit i set = char i is A-Z), mapped onto ``A-Z0-5``.

The sandbox writes the counter in base 62 with the alphabet ``0-9A-Za-z`` (ASCII order) and a
fixed width, so for one key prefix **string order equals creation order**. Keyset paging by Id
(``WHERE Id > :last ORDER BY Id``, or a report filter ``CONTACT_ID greaterThan``) is then well
defined, and an id can be turned back into its sequence number without a lookup table.
"""

from __future__ import annotations

import string

CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
COUNTER_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
COUNTER_WIDTH = 10
POD = "5g"

KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "EmailMessage": "02s",
    "User": "005",
    "Organization": "00D",
    "Report": "00O",
    "Folder": "00l",
    "QueryLocator": "0r8",
    "ReportInstance": "0LG",
    "OutboundNotification": "04l",
    "OutboundAction": "04k",
}
_DIGIT_VALUE = {char: value for value, char in enumerate(COUNTER_ALPHABET)}
_UPPER_TO_BIT = str.maketrans(
    {char: "1" if char in string.ascii_uppercase else "0" for char in COUNTER_ALPHABET}
)


def checksum(id15: str) -> str:
    """Return the 3-character suffix that turns a 15-character id into its 18-character form."""
    if len(id15) != 15:
        raise ValueError(f"expected a 15-character id, got {len(id15)} characters")
    flags = id15.translate(_UPPER_TO_BIT)
    if len(flags) != 15 or not flags.isdigit():
        raise ValueError(f"{id15!r} is not alphanumeric")
    # bit i of a chunk's number is char i of that chunk, so read each chunk's flags backwards
    return (
        CHECKSUM_ALPHABET[int(flags[4::-1], 2)]
        + CHECKSUM_ALPHABET[int(flags[9:4:-1], 2)]
        + CHECKSUM_ALPHABET[int(flags[14:9:-1], 2)]
    )


def to_18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id (18-char input is re-checked)."""
    if len(record_id) == 15:
        return record_id + checksum(record_id)
    if len(record_id) == 18:
        if checksum(record_id[:15]) != record_id[15:].upper():
            raise ValueError(f"bad checksum in id {record_id!r}")
        return record_id[:15] + record_id[15:].upper()
    raise ValueError(f"an id has 15 or 18 characters, got {len(record_id)}")


def is_valid_id(record_id: str) -> bool:
    """True when `record_id` is a well-formed 15- or 18-character id."""
    if not isinstance(record_id, str) or not record_id.isalnum():
        return False
    try:
        to_18(record_id)
    except ValueError:
        return False
    return True


def normalize_id(value: str) -> str:
    """Return the 18-char form of an id, or `value` unchanged when it is not an id."""
    return to_18(value) if is_valid_id(value) else value


def encode_counter(number: int) -> str:
    """Write `number` as a fixed-width base-62 string whose ASCII order follows the number."""
    if number < 0:
        raise ValueError("id counters are non-negative")
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = COUNTER_ALPHABET[digit] + digits
    if len(digits) > COUNTER_WIDTH:
        raise ValueError("id counter overflow")
    return digits.rjust(COUNTER_WIDTH, "0")


def decode_counter(text: str) -> int:
    """Inverse of `encode_counter`."""
    number = 0
    for char in text:
        number = number * 62 + _DIGIT_VALUE[char]
    return number


class IdSequence:
    """Ids of one key prefix, numbered from 0; `id_for(n)` and `index_of(id)` are inverses.

    The sandbox never stores a table from sequence numbers to ids: the 1M-row benchmark org
    derives each contact's id from its row number on demand.
    """

    def __init__(self, prefix: str, offset: int = 0) -> None:
        if len(prefix) != 3:
            raise ValueError("a key prefix has 3 characters")
        self.prefix = prefix
        self.offset = offset
        self._head = prefix + POD

    def id_for(self, index: int) -> str:
        """The 18-character id of sequence number `index`."""
        id15 = self._head + encode_counter(index + self.offset)
        return id15 + checksum(id15)

    def index_of(self, record_id: str) -> int | None:
        """The sequence number of `record_id`, or None when the id is not from this sequence."""
        if not is_valid_id(record_id) or not record_id.startswith(self._head):
            return None
        number = decode_counter(record_id[5:15]) - self.offset
        return number if number >= 0 else None
