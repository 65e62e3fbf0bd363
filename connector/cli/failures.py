"""Turn whatever a command raised into one line on stderr and a documented exit code.

The installed Typer may raise its own bundled Click's exceptions or Click's: both are
recognised by looking up the classes of whichever of those modules is loaded.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from connector.cli import exit_codes
from connector.errors import ConnectorError, scrub

_CLICK_MODULES = ("typer._click.exceptions", "typer.exceptions", "click.exceptions", "click")


def click_types(name: str) -> tuple[type[BaseException], ...]:
    """The classes called `name` in the loaded Click-like modules (Typer's own or Click)."""
    found: list[type[BaseException]] = []
    for module_name in _CLICK_MODULES:
        cls = getattr(sys.modules.get(module_name), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in found:
            found.append(cls)
    return tuple(found)


def _line(console: Console, text: str) -> None:
    console.print(f"[bold red]error:[/] {escape(scrub(text))}", highlight=False, soft_wrap=True)


def _usage(exc: BaseException, console: Console) -> int:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        print(ctx.get_help())
        return exit_codes.USAGE
    message = exc.format_message()  # type: ignore[attr-defined]
    path = ctx.command_path if ctx is not None else "connector"
    _line(console, f"{message.rstrip()} (see `{path} --help`)")
    return exit_codes.USAGE


def report_failure(exc: BaseException, console: Console) -> int:
    """Print one line about `exc` on `console` and return the exit code to leave with."""
    if isinstance(exc, KeyboardInterrupt):
        console.print("interrupted")
        return exit_codes.INTERRUPTED
    if isinstance(exc, ConnectorError):
        _line(console, str(exc))
        return exc.exit_code
    if isinstance(exc, click_types("UsageError")):
        return _usage(exc, console)
    if isinstance(exc, click_types("ClickException")):
        _line(console, exc.format_message())  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", exit_codes.FAILED))
    if isinstance(exc, click_types("Abort")):
        _line(console, "aborted; nothing was done")
        return exit_codes.FAILED
    if isinstance(exc, click_types("Exit")):
        return int(getattr(exc, "exit_code", 0))
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        _line(console, f"{where}{exc.strerror or exc}; check the path and its permissions")
        return exit_codes.FAILED
    _line(
        console,
        f"unexpected {type(exc).__name__}: {exc}; run again with --debug for the traceback "
        "and report it",
    )
    return exit_codes.FAILED
