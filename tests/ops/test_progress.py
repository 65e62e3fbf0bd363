"""Progress bars are drawn on a terminal only, and never with `--no-progress`."""

from __future__ import annotations

import io

from rich.console import Console

from connector.cli.progress import count_progress


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=80), out


def test_a_counting_bar_is_drawn_on_a_terminal() -> None:
    term, out = console(terminal=True)
    with count_progress(term, "pushing activities", None) as bar:
        bar.set_total(3)
        for _ in range(3):
            bar.advance()
    text = out.getvalue()
    assert "pushing activities" in text and "3/3" in text


def test_no_bar_when_not_a_terminal_or_when_turned_off() -> None:
    for terminal, enabled in ((False, True), (True, False)):
        plain, out = console(terminal=terminal)
        with count_progress(plain, "pushing activities", 3, enabled) as bar:
            bar.advance(3)
        assert out.getvalue() == ""
