"""`connector webhook-secret`: the per-customer secret an admin puts in Salesforce."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from connector.cli import app
from connector.web.signing import customer_secret


def test_webhook_secret_prints_the_customers_derived_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONNECTOR_WEBHOOK_SECRET", "master-secret-for-the-cli-test-0123456789")
    result = CliRunner().invoke(app, ["webhook-secret", "acme"])
    assert result.exit_code == 0
    assert result.output.strip() == customer_secret(
        "master-secret-for-the-cli-test-0123456789", "acme"
    )


def test_webhook_secret_without_master_secret_says_what_to_set() -> None:
    result = CliRunner().invoke(app, ["webhook-secret", "acme"])
    assert result.exit_code != 0
    assert "CONNECTOR_WEBHOOK_SECRET" in str(result.exception)
