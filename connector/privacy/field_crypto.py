"""Field encryption with a customer's data key: AES-256-GCM per value, keyed lookup hashes.

Pure: no I/O, no key storage (that is `privacy.keys`). A stored value is
`enc1:` + url-safe base64 of (96-bit nonce ‖ ciphertext ‖ tag); the associated data is the
customer id and the column name, so a value copied into another customer's partition or
another column does not decrypt. A value without the prefix is plaintext written before
fields were encrypted and reads as it is (it is encrypted the next time its row is written).

Nonces. `seal` draws a random nonce per value. `seal_cell` (activities) derives the nonce
from the key, the column, the row's id and the value (a synthetic nonce, as in SIV modes):
equal values in different rows or columns still encrypt differently, and a nonce can only
repeat for the very same column, row and value, where GCM then yields the very same
ciphertext and reveals nothing but "unchanged". That keeps a row's stored form stable while
its content is. Prospect fields stored one `enc1:` value per column before sealed rows still
read: the nonce travels in the value.

Sealed rows. `seal_record` (the pull, every mapped prospect) stores a row's fields as ONE value:
`enc2:` + url-safe base64 of (96-bit nonce ‖ ciphertext ‖ tag), whose plaintext is the JSON
object of the row's non-null fields (`{"email": "...", ...}`: unambiguous, a missing key is a
None) and whose associated data is the JSON array `["enc2", customer id, row id]`, so a sealed
row copied to another customer or another row id does not decrypt. The nonce is a keyed
BLAKE2b digest (96 bits, a key derived from the data key for this purpose only) of the
associated data followed by the plaintext (a JSON array is self-delimiting, so the pair is
encoded unambiguously). Why no nonce is ever reused for a different plaintext under one key:
a data key belongs to one customer; equal nonces mean equal digests, and equal digests mean
equal (associated data, plaintext) pairs, hence the very same ciphertext, unless two
different row versions collide in 96 bits of a keyed hash whose key never leaves this
process: about n²/2^97 for n row versions ever sealed under one key (10^9 of them: under
2^-37). A sealed row's nonce and any other nonce under the key (random or `seal_cell`) are
unrelated 96-bit values. The row's stored form is stable while its content
is, and the nonce (public anyway: it travels in the value) doubles as the row's change hash:
it changes whenever any field does, is keyed per customer and is gone with the data key.

Hashes. `lookup_hash` (forgotten people) and `change_hash_key` (change detection) come from
keys derived from the data key: once the data key is destroyed, neither can be computed or
tested against guesses any more.

Errors: `SecretError` when a value does not decrypt (wrong or destroyed key), naming the
column, never the value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connector.errors import SecretError

PREFIX = "enc1:"
#: The prefix of a sealed row (all of a prospect's fields in one value).
ROW_PREFIX = "enc2:"
KEY_BYTES = 32
NONCE_BYTES = 12
_LOOKUP_LABEL = b"connector/lookup-hash/v1"
_CHANGE_LABEL = b"connector/change-hash/v1"
_NONCE_LABEL = b"connector/synthetic-nonce/v1"
_SEALED_ROW_LABEL = b"connector/sealed-row-nonce/v2"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
#: A JSON string as `json.dumps(..., ensure_ascii=False)` writes one (the encoder's own
#: function, in C where available).
_json_string = json.encoder.encode_basestring


def _row_plaintext(fields: Mapping[str, str | None]) -> bytes:
    """The UTF-8 text of `json.dumps(kept, ensure_ascii=False, separators=(",", ":"))` of
    `fields`' non-null items `kept`, written by orjson: the very same bytes for text values
    (string escapes, separators and key order; a property test holds the two encoders to
    it), at a fifth of the cost per row."""
    if fields.__class__ is not dict or None in fields.values():
        fields = {name: value for name, value in fields.items() if value is not None}
    return orjson.dumps(fields)


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def derive_key(data_key: bytes, label: bytes) -> bytes:
    """A 256-bit key for one purpose (`label`), derived from the data key."""
    return hmac.new(data_key, label, hashlib.sha256).digest()


def is_sealed(value: object) -> bool:
    """Whether `value` is an encrypted field value (rather than legacy plaintext)."""
    return isinstance(value, str) and value.startswith(PREFIX)


def associated_data(customer_id: str, column: str) -> bytes:
    """What binds a value to its customer and column (authenticated, not encrypted)."""
    return f"{customer_id}\x1f{column}".encode()


def row_associated_data(customer_id: str, row_id: str) -> bytes:
    """What binds a sealed row to its customer and row id (authenticated, not encrypted)."""
    # compact JSON of ["enc2", customer_id, row_id], joined from its parts (the pull's hot path)
    return f'["enc2",{_json_string(customer_id)},{_json_string(row_id)}]'.encode()


class FieldCipher:
    """Encrypts and decrypts one customer's field values with its data key.

    `repr` never shows the key. Raises SecretError from `open` when a value does not decrypt.
    """

    def __init__(self, customer_id: str, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise SecretError(f"a data key must be {KEY_BYTES} bytes", customer=customer_id)
        self.customer_id = customer_id
        self._aead = AESGCM(data_key)
        self._lookup_key = derive_key(data_key, _LOOKUP_LABEL)
        self._change_key = derive_key(data_key, _CHANGE_LABEL)
        self._nonce_key = derive_key(data_key, _NONCE_LABEL)
        self._sealed_row = hashlib.blake2b(
            key=derive_key(data_key, _SEALED_ROW_LABEL), digest_size=NONCE_BYTES
        )

    def __repr__(self) -> str:
        return f"FieldCipher({self.customer_id!r})"

    @property
    def change_hash_key(self) -> bytes:
        """The key of the customer's change-detection hash (derived from the data key)."""
        return self._change_key

    @property
    def lookup_key(self) -> bytes:
        """The key of the customer's lookup hashes (derived from the data key)."""
        return self._lookup_key

    def lookup_hash(self, message: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) of `message`, for finding a value without storing it."""
        return hmac.new(self._lookup_key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, column: str, value: str | None) -> str | None:
        """`value` encrypted for `column` with a random nonce; None stays None."""
        if value is None:
            return None
        return self._seal(column, value, os.urandom(NONCE_BYTES))

    def seal_cell(self, column: str, row_id: str, value: str | None) -> str | None:
        """`value` of `column` in row `row_id`, encrypted with a synthetic nonce (see module)."""
        if value is None:
            return None
        message = f"{column}\x1f{row_id}\x1f{value}".encode()
        nonce = hmac.new(self._nonce_key, message, hashlib.sha256).digest()[:NONCE_BYTES]
        return self._seal(column, value, nonce)

    def _seal(self, column: str, value: str, nonce: bytes) -> str:
        sealed = self._aead.encrypt(
            nonce, value.encode("utf-8"), associated_data(self.customer_id, column)
        )
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, column: str, value: str | None) -> str | None:
        """The plaintext of a stored value of `column` (legacy plaintext passes through; a
        sealed row's value in a field column is refused: it opens only as its row)."""
        if not is_sealed(value):
            return _not_a_row(self.customer_id, column, value)
        assert value is not None
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(self.customer_id, column)
            )
            return plain.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            raise undecryptable(self.customer_id, column) from None

    def seal_record(self, row_id: str, fields: Mapping[str, str | None]) -> tuple[str, str]:
        """Row `row_id`'s fields sealed as one value, and its change hash (hex): see the
        module (the nonce is a keyed digest of the row, and is the change hash)."""
        data = row_associated_data(self.customer_id, row_id)
        message = _row_plaintext(fields)
        hasher = self._sealed_row.copy()
        hasher.update(data)
        hasher.update(message)
        nonce = hasher.digest()
        raw = nonce + self._aead.encrypt(nonce, message, data)
        sealed = binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).decode("ascii")
        return ROW_PREFIX + sealed, nonce.hex()

    def open_record(self, row_id: str, sealed: str) -> dict[str, str]:
        """The fields of a sealed row (`seal_record`) stored for `row_id`."""
        try:
            raw = base64.urlsafe_b64decode(sealed[len(ROW_PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES],
                raw[NONCE_BYTES:],
                row_associated_data(self.customer_id, row_id),
            )
            fields = json.loads(plain.decode("utf-8"))
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            raise undecryptable(self.customer_id, "sealed row") from None
        if not isinstance(fields, dict):
            raise undecryptable(self.customer_id, "sealed row")
        return fields

    def open_row(self, fields: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
        """`fields` with the values of `columns` decrypted (other keys as they are).

        A row holding a sealed value (`sealed`, opened with the row's `crm_id`) reads the
        `columns` it holds from it, the others from their own columns (encrypted or legacy
        plaintext), and the `sealed` key is left out."""
        opened = dict(fields)
        sealed = opened.pop("sealed", None)
        inside: dict[str, str] = {}
        if isinstance(sealed, str) and sealed.startswith(ROW_PREFIX):
            inside = self.open_record(str(opened["crm_id"]), sealed)
        for name in columns:
            if name in inside:
                opened[name] = inside[name]
                continue
            value = opened.get(name)
            if isinstance(value, str):
                opened[name] = self.open(name, value)
        return opened


class NoKeyCipher(FieldCipher):
    """The cipher of a customer without a data key: legacy plaintext reads, nothing decrypts.

    Readers get it when the key was never created (nothing was encrypted yet) or has been
    destroyed (the customer was erased): encrypted values then raise SecretError.
    """

    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id

    @property
    def change_hash_key(self) -> bytes:
        raise undecryptable(self.customer_id, "change hash")

    @property
    def lookup_key(self) -> bytes:
        raise undecryptable(self.customer_id, "lookup hash")

    def lookup_hash(self, message: str) -> str:
        raise undecryptable(self.customer_id, "lookup hash")

    def seal(self, column: str, value: str | None) -> str | None:
        raise undecryptable(self.customer_id, column)

    def seal_cell(self, column: str, row_id: str, value: str | None) -> str | None:
        raise undecryptable(self.customer_id, column)

    def open(self, column: str, value: str | None) -> str | None:
        if is_sealed(value):
            raise undecryptable(self.customer_id, column)
        return _not_a_row(self.customer_id, column, value)

    def seal_record(self, row_id: str, fields: Mapping[str, str | None]) -> tuple[str, str]:
        raise undecryptable(self.customer_id, "sealed row")

    def open_record(self, row_id: str, sealed: str) -> dict[str, str]:
        raise undecryptable(self.customer_id, "sealed row")


def _not_a_row(customer_id: str, column: str, value: str | None) -> str | None:
    """`value` (legacy plaintext) unless it is a sealed row's value, which a field never holds."""
    if value is not None and value.startswith(ROW_PREFIX):
        raise undecryptable(customer_id, column)
    return value


def undecryptable(customer_id: str, column: str) -> SecretError:
    """The error for a value that the customer's data key (if any) does not open."""
    return SecretError(
        f"cannot decrypt the {column} of customer {customer_id!r}: its data key is missing "
        "(never created, or destroyed by an erasure) or does not fit",
        customer=customer_id,
    )
