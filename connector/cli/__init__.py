"""The `connector` command: every operator and deployment task in one place.

Each sub-command parses its options, calls one module, and renders the result with Rich.
`ConnectorError`s become one clear line on stderr and a non-zero exit code (`--debug` shows
the traceback).
"""

from __future__ import annotations

import sys

import click
import typer

from connector.cli.common import err_console, setup_logging, state
from connector.errors import ConnectorError, scrub

app = typer.Typer(
    name="connector",
    help=(
        "Keep a sales-engagement platform in sync with each customer's CRM (Salesforce).\n\n"
        "Start with `connector demo` (a local sandbox org, OAuth, pull and push in one go), "
        "then `connector fieldmap check CUSTOMER`, `connector auth jwt CUSTOMER` and "
        "`connector sync CUSTOMER` for a real customer."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
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
        demo,
        fieldmap_cmds,
        ops_cmds,
        privacy_cmds,
        sync_cmds,
        tokens_cmds,
    )

    sync_cmds.register(app)
    privacy_cmds.register(app)
    demo.register(app)
    app.add_typer(fieldmap_cmds.app, name="fieldmap")
    activities_cmds.register(app)
    ops_cmds.register(app)
    tokens_cmds.register(app)
    app.add_typer(activities_cmds.app, name="activities")
    from connector.cli.auth import auth_app, secrets_app
    from connector.sandbox.cli import app as sandbox_app

    app.add_typer(sandbox_app, name="sandbox", help="Run the local Salesforce-compatible sandbox.")

    app.add_typer(auth_app, name="auth")
    app.add_typer(secrets_app, name="secrets")


_mount()


def main() -> None:
    """Entry point of the `connector` console script."""
    try:
        code = app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except ConnectorError as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/] {scrub(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
