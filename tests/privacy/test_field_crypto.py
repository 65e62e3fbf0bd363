"""Field encryption as documented: AES-GCM per value, customer and column bound as associated
data, legacy plaintext read as it is, keyed hashes that need the data key."""

from __future__ import annotations

import base64
import json
from types import MappingProxyType

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import SecretError
from connector.privacy.field_crypto import (
    NONCE_BYTES,
    PREFIX,
    ROW_PREFIX,
    FieldCipher,
    NoKeyCipher,
    is_sealed,
    new_data_key,
    row_associated_data,
)

EMAIL = "ada.lovelace@example.com"


@pytest.fixture
def acme() -> FieldCipher:
    return FieldCipher("acme", new_data_key())


def test_a_sealed_value_opens_to_itself_and_does_not_contain_it(acme: FieldCipher) -> None:
    sealed = acme.seal("email", EMAIL)
    assert sealed is not None and sealed.startswith(PREFIX)
    assert EMAIL not in sealed
    assert acme.open("email", sealed) == EMAIL


def test_equal_values_seal_to_different_ciphertexts(acme: FieldCipher) -> None:
    assert acme.seal("email", EMAIL) != acme.seal("email", EMAIL)


def test_equal_values_of_different_rows_or_columns_are_stored_differently(
    acme: FieldCipher,
) -> None:
    cells = {
        acme.seal_cell("email", "003A", EMAIL),
        acme.seal_cell("email", "003B", EMAIL),
        acme.seal_cell("first_name", "003A", EMAIL),
    }
    assert len(cells) == 3


def test_an_unchanged_cell_is_stored_the_same_so_change_detection_sees_no_change(
    acme: FieldCipher,
) -> None:
    def seal_row(row_id: str, fields: dict[str, str | None]) -> dict[str, str | None]:
        return {name: acme.seal_cell(name, row_id, value) for name, value in fields.items()}

    first = seal_row("003A", {"email": EMAIL, "phone": None})
    again = seal_row("003A", {"email": EMAIL, "phone": None})
    changed = seal_row("003A", {"email": "other@example.com", "phone": None})
    assert first == again
    assert first["phone"] is None
    assert changed["email"] != first["email"]
    assert acme.open_row(first, ("email", "phone")) == {"email": EMAIL, "phone": None}


def test_a_value_sealed_for_one_customer_does_not_open_with_anothers_key() -> None:
    key = new_data_key()
    sealed = FieldCipher("acme", key).seal("email", EMAIL)
    with pytest.raises(SecretError, match="'beta'"):
        FieldCipher("beta", new_data_key()).open("email", sealed)
    # even with the very same key bytes, the customer id is bound as associated data
    with pytest.raises(SecretError):
        FieldCipher("beta", key).open("email", sealed)


def test_a_value_moved_to_another_column_does_not_open(acme: FieldCipher) -> None:
    sealed = acme.seal("email", EMAIL)
    with pytest.raises(SecretError, match="full_name"):
        acme.open("full_name", sealed)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]), id="tag"),
        pytest.param(lambda raw: bytes([raw[0] ^ 1]) + raw[1:], id="nonce"),
        pytest.param(lambda raw: raw[: NONCE_BYTES + 3], id="truncated"),
    ],
)
def test_a_tampered_value_does_not_open(acme: FieldCipher, damage: object) -> None:
    sealed = acme.seal("email", EMAIL)
    assert sealed is not None
    raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
    tampered = PREFIX + base64.urlsafe_b64encode(damage(raw)).decode()  # type: ignore[operator]
    with pytest.raises(SecretError) as caught:
        acme.open("email", tampered)
    assert EMAIL not in str(caught.value)


def test_a_value_that_is_not_base64_does_not_open(acme: FieldCipher) -> None:
    with pytest.raises(SecretError):
        acme.open("email", PREFIX + "not base64 at all!")


@pytest.mark.parametrize("legacy", [EMAIL, "", None, "+14155550101"])
def test_plaintext_stored_before_encryption_reads_as_it_is(
    acme: FieldCipher, legacy: str | None
) -> None:
    assert not is_sealed(legacy)
    assert acme.open("email", legacy) == legacy
    assert NoKeyCipher("acme").open("email", legacy) == legacy


def test_without_the_key_nothing_sealed_opens_and_no_hash_can_be_made(acme: FieldCipher) -> None:
    gone = NoKeyCipher("acme")
    with pytest.raises(SecretError, match="destroyed"):
        gone.open("email", acme.seal("email", EMAIL))
    with pytest.raises(SecretError):
        gone.lookup_hash(f"email:{EMAIL}")
    with pytest.raises(SecretError):
        gone.seal("email", EMAIL)


def test_lookup_hashes_are_keyed_per_customer(acme: FieldCipher) -> None:
    beta = FieldCipher("beta", new_data_key())
    digest = acme.lookup_hash(f"email:{EMAIL}")
    assert digest == acme.lookup_hash(f"email:{EMAIL}")
    assert digest != beta.lookup_hash(f"email:{EMAIL}")
    assert len(digest) == 64
    assert acme.change_hash_key != beta.change_hash_key
    assert acme.change_hash_key != acme.lookup_key


def test_a_cipher_never_shows_its_key(acme: FieldCipher) -> None:
    assert repr(acme) == "FieldCipher('acme')"


def test_a_data_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(SecretError, match="32 bytes"):
        FieldCipher("acme", b"short")


_FIELD_VALUES = st.none() | st.text()


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(st.text(), _FIELD_VALUES, max_size=8),
    customer=st.text(min_size=1),
    row_id=st.text(),
)
def test_a_sealed_row_is_the_json_of_its_non_null_fields_bound_to_its_customer_and_row(
    fields: dict[str, str | None], customer: str, row_id: str
) -> None:
    cipher = FieldCipher(customer, bytes(32))
    sealed, digest = cipher.seal_record(row_id, fields)

    raw = base64.urlsafe_b64decode(sealed[len(ROW_PREFIX) :])
    associated = row_associated_data(customer, row_id)
    plain = AESGCM(bytes(32)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
    kept = {name: value for name, value in fields.items() if value is not None}
    # the documented plaintext, byte for byte: compact JSON, non-ASCII as it is, key order kept
    assert plain == json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode()
    assert cipher.open_record(row_id, sealed) == kept
    assert digest == raw[:NONCE_BYTES].hex()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "".join(map(chr, range(0x20))) + '"\\/\x7f'},  # every escape JSON has
        {"name": "\u2028\u2029 é ß \U0001f600 \ufeff \ufffe"},  # written as they are
        {"a": None, "b": "x", "c": None},
        {"only": None},
        {},
    ],
)
def test_a_sealed_rows_plaintext_is_exactly_what_the_standard_encoder_writes(
    fields: dict[str, str | None],
) -> None:
    """The change hash is a digest of these bytes: any other spelling of the same row would
    make every stored row look changed once."""
    cipher = FieldCipher("acme", bytes(32))
    kept = {name: value for name, value in fields.items() if value is not None}
    expected = json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode()

    for given_as in (fields, MappingProxyType(fields)):  # a dict, and any other mapping
        sealed, _ = cipher.seal_record("003A", given_as)
        raw = base64.urlsafe_b64decode(sealed[len(ROW_PREFIX) :])
        associated = row_associated_data("acme", "003A")
        assert AESGCM(bytes(32)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated) == (
            expected
        )


def test_a_row_with_a_value_that_is_not_text_seals_as_the_same_json() -> None:
    cipher = FieldCipher("acme", bytes(32))
    fields: dict[str, object] = {"email": "a@example.com", "score": 7, "owner": None}

    sealed, _ = cipher.seal_record("003A", fields)  # type: ignore[arg-type]

    assert cipher.open_record("003A", sealed) == {"email": "a@example.com", "score": 7}
