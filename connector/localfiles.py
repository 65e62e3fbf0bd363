"""Private files on the local disk: readable by their owner only, whatever the umask.

Directories the connector creates are 0700, files holding personal data or secrets 0600;
modes are set explicitly after creation, so a permissive umask cannot widen them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


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


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) with mode 0700; an existing directory is left as is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, 0o700)


def make_private_file(path: Path) -> None:
    """Create `path` empty if it is missing, and make it 0600 (owner read-write only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def open_private(path: Path) -> BinaryIO:
    """Open `path` for writing (truncated) as a 0600 file, for exports and other copies."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")
