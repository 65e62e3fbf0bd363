"""``python -m connector.sandbox serve ...``: the same as ``connector sandbox serve ...``."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from connector.cli import main

    main(["sandbox", *sys.argv[1:]])
