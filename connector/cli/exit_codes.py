"""The `connector` command's exit codes: one table, shown by `connector --help` and the README."""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
AUTH = 3
CRM = 4
STORE = 5
SECRETS = 6
PARTIAL = 7
INTERRUPTED = 130

#: (code, meaning), in the order the help and the README list them.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "done"),
    (FAILED, "failed (unexpected error or declined prompt); nothing more was done"),
    (USAGE, "usage or configuration: fix the command line, a file or a setting"),
    (AUTH, "authorisation: reconnect the customer (`connector auth ...`)"),
    (CRM, "the CRM or the network refused; the message names the host"),
    (STORE, "the store: database unreachable, corrupt or busy"),
    (SECRETS, "the key ring cannot decrypt (CONNECTOR_SECRET_KEYS)"),
    (PARTIAL, "done only in part: the message says what to finish by hand"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
)


def exit_code_epilog() -> str:
    """The table as the help's epilog (one line per code)."""
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"Exit codes:\n{rows}"
