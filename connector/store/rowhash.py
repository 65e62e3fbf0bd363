"""The change hash of a stored prospect: a keyed BLAKE2b digest of its field values.

A page of a pull writes a prospect only when this digest differs from the stored one, so the
digest must change whenever any value does, and never otherwise. The values are encoded as a
JSON array (unambiguous: `None` and `""` differ, and no value can run into its neighbour), in
the store's column order, then hashed with the customer's key: the stored digest says nothing
about the values to anyone without that key, and equal people of two customers have unrelated
digests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache

#: Bytes of digest (32 hex characters): ample for change detection.
DIGEST_SIZE = 16
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@lru_cache(maxsize=256)
def _keyed(key: bytes) -> hashlib.blake2b:
    """A fresh hasher holding `key` (copying it is cheaper than keying a new one per row)."""
    return hashlib.blake2b(key=key, digest_size=DIGEST_SIZE)


def row_hash(key: bytes, values: Sequence[str | None]) -> str:
    """The hex digest of `values` (one per store column, in column order) under `key`.

    `key` is at most 64 bytes (BLAKE2b's limit); ValueError otherwise.
    """
    hasher = _keyed(key).copy()
    hasher.update(_encode(values).encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


def customer_hash_key(customer_id: str) -> bytes:
    """A hash key derived from `customer_id` alone, for rows stored without the pull.

    The pull keys its hash with `privacy.keys.change_hash_key` (derived from the customer's
    data key, so gone with it); this key serves callers that save rows directly.
    """
    return hashlib.blake2b(
        customer_id.encode("utf-8"), digest_size=32, person=b"connector rows"
    ).digest()
