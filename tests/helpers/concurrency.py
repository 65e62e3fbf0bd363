"""Helpers for tests that race writers against each other."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(*writers: Callable[[], object]) -> list[Exception]:
    """Run `writers` in threads released together; the exceptions they raised."""
    start = threading.Barrier(len(writers))
    errors: list[Exception] = []

    def write(writer: Callable[[], object]) -> None:
        start.wait()
        try:
            writer()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
