"""Private files on the local disk: created once, readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def create_private_file(path: Path, text: str) -> bool:
    """Write `text` to a new file with mode 0600; False (and no change) if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    return True
