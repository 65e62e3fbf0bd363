"""``python -m connector.sandbox serve ...``."""

from __future__ import annotations

from connector.sandbox.cli import app

if __name__ == "__main__":
    app()
