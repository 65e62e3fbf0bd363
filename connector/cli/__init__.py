"""The `connector` command: every operator and deployment task in one place.

Each sub-command parses its options, calls one module, and renders the result with Rich.
Every failure becomes one line on stderr and an exit code from `exit_codes.EXIT_CODES`
(`--debug` shows the traceback). Command modules import their heavy dependencies (the store,
the CRM client, the web app, the sandbox) inside the commands, so `connector --help` and
simple commands start at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from connector.cli.common import err_console, setup_logging, state
from connector.cli.exit_codes import exit_code_epilog
from connector.cli.failures import report_failure
from connector.logs import log_context

app = typer.Typer(
    name="connector",
    help=(
        "Keep a sales-engagement platform in sync with each customer's CRM (Salesforce).\n\n"
        "Start with `connector demo` (a local sandbox org, OAuth, pull and push in one go), "
        "then `connector fieldmap check CUSTOMER`, `connector auth jwt CUSTOMER` and "
        "`connector sync CUSTOMER` for a real customer."
    ),
    epilog=exit_code_epilog(),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"max_content_width": 120},
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what is being done."),
    debug: bool = typer.Option(False, "--debug", help="Log everything; show tracebacks."),
) -> None:
    state.debug = debug
    setup_logging(verbose, debug)


def _mount() -> None:
    from connector.cli import (
        activities_cmds,
        auth,
        db_cmds,
        demo,
        fieldmap_cmds,
        ops_cmds,
        privacy_cmds,
        sandbox_cmds,
        status_cmds,
        sync_cmds,
        tokens_cmds,
    )

    sync_cmds.register(app)
    privacy_cmds.register(app)
    demo.register(app)
    app.add_typer(fieldmap_cmds.app, name="fieldmap")
    activities_cmds.register(app)
    ops_cmds.register(app)
    status_cmds.register(app)
    tokens_cmds.register(app)
    app.add_typer(activities_cmds.app, name="activities")
    app.add_typer(sandbox_cmds.app, name="sandbox")
    app.add_typer(auth.auth_app, name="auth")
    app.add_typer(auth.secrets_app, name="secrets")
    app.add_typer(db_cmds.db_app, name="db")


_mount()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `connector` console script: run, then exit with a documented code."""
    if not sys.stdout.isatty():
        # piped help and tables are not cut at 80 columns
        os.environ.setdefault("COLUMNS", "120")
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with log_context():  # a command's bound customer and run end with it
            code = app(args=args, prog_name="connector", standalone_mode=False)
    except SystemExit:
        raise
    except BaseException as exc:
        if state.debug or "--debug" in args:
            raise
        sys.exit(report_failure(exc, err_console))
    if isinstance(code, int) and code:
        sys.exit(code)
