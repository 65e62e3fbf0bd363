"""A generated key ring in CONNECTOR_SECRET_KEYS: it wraps the customers' data keys, which
every pull and every recorded activity needs (on PostgreSQL no local key file stands in)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connector.config import get_settings


@pytest.fixture(autouse=True)
def key_ring(monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly generated one-key ring; tests about other key sources change it themselves."""
    key = Fernet.generate_key().decode("ascii")
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", key)
    get_settings.cache_clear()
    return key
