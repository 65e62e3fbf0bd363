"""Privacy test fixtures: a configured suppression key; a key ring that wraps data keys."""

from __future__ import annotations

import pytest

from connector.config import get_settings
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)


@pytest.fixture
def suppression_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "test-suppression-key-0123456789abcdef"
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", key)
    get_settings.cache_clear()
    return key
