"""Privacy test fixtures: a configured suppression key; a key ring that wraps data keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connector.config import get_settings


@pytest.fixture
def suppression_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "test-suppression-key-0123456789abcdef"
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", key)
    get_settings.cache_clear()
    return key


@pytest.fixture(autouse=True)
def key_ring(monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly generated key ring (one key) in CONNECTOR_SECRET_KEYS: it wraps data keys.

    Tests about other key sources set or delete the variable themselves."""
    key = Fernet.generate_key().decode("ascii")
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", key)
    get_settings.cache_clear()
    return key
