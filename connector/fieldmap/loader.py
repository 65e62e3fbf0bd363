"""Load a customer's field map from `field_maps/<customer>.yaml` into a `FieldMap`.

Reading is the only I/O here; parsing collects every problem (YAML syntax, duplicate keys,
unset environment variables, schema violations, a customer id that does not match the file
name, open choices left marked `# TODO`) and raises one `InvalidFieldMapError` (a
`FieldMapError`) listing them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from connector.errors import FieldMapError
from connector.fieldmap.diagnostics import problems_from
from connector.fieldmap.model import FieldMap
from connector.fieldmap.problems import InvalidFieldMapError, Problem
from connector.fieldmap.todo import open_choices
from connector.fieldmap.validators import CUSTOMER_ID
from connector.fieldmap.yamltree import Document, read_yaml

_TOP_KEYS = "customer, crm, source, prospect, activities, schedule"


def _validate(document: Document) -> tuple[FieldMap | None, list[Problem]]:
    data = document.data
    if data is None and not document.problems:
        return None, [Problem(1, "", f"the field map is empty; add {_TOP_KEYS}")]
    if not isinstance(data, dict):
        if document.problems:
            return None, []
        return None, [Problem(1, "", f"expected a mapping with keys {_TOP_KEYS}")]
    try:
        return FieldMap.model_validate(data), []
    except ValidationError as exc:
        already = {problem.key for problem in document.problems}
        found = problems_from(exc, data, document.lines)
        return None, [problem for problem in found if problem.key not in already]


def _customer_problem(document: Document, expected: str) -> Problem | None:
    data = document.data
    customer = data.get("customer") if isinstance(data, dict) else None
    if not isinstance(customer, str) or customer == expected:
        return None
    return Problem(
        document.lines.get(("customer",)),
        "customer",
        f"customer {customer!r} does not match the file name {expected!r}; "
        f"set customer: {expected} or rename the file to {customer}.yaml",
    )


def _parse(
    text: str,
    source: str,
    env: Mapping[str, str] | None,
    expect_customer: str | None,
    source_path: Path | None,
) -> FieldMap:
    document = read_yaml(text, os.environ if env is None else env)
    field_map, problems = _validate(document)
    problems = [*document.problems, *problems, *open_choices(text)]
    mismatch = _customer_problem(document, expect_customer) if expect_customer else None
    if mismatch:
        problems.append(mismatch)
    if problems or field_map is None:
        raise InvalidFieldMapError(source, problems or [Problem(None, "", "invalid field map")])
    field_map._attach_source(source_path, document.lines)
    return field_map


def parse_field_map_text(
    text: str,
    path: str | Path = "<field map>",
    *,
    env: Mapping[str, str] | None = None,
    expect_customer: str | None = None,
) -> FieldMap:
    """Parse field-map YAML `text`; `path` only labels messages (source_path stays None).

    `env` replaces os.environ for `${VAR}` interpolation; `expect_customer` (the file stem)
    must equal `customer` when given. Raises InvalidFieldMapError (a FieldMapError) listing
    every problem; never any other exception for bad input.
    """
    return _parse(text, str(path), env, expect_customer, None)


def load_field_map_file(path: Path, *, env: Mapping[str, str] | None = None) -> FieldMap:
    """Read and parse one field-map file; `customer` must equal the file name's stem.

    Raises FieldMapError when the file cannot be read or is not UTF-8, InvalidFieldMapError
    (a FieldMapError) when it is invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FieldMapError(
            f"not UTF-8 text ({exc.reason}); save it as UTF-8", path=str(path)
        ) from None
    except OSError as exc:
        raise FieldMapError(
            f"cannot read the field map ({exc.strerror or exc}); check the path and permissions",
            path=str(path),
        ) from exc
    return _parse(text, str(path), env, path.stem, path)


def available_customers(directory: Path) -> list[str]:
    """Customers that have a field map in `directory` (example.yaml is documentation)."""
    try:
        stems = sorted(p.stem for p in directory.glob("*.yaml") if p.is_file())
    except OSError:
        return []
    return [stem for stem in stems if stem != "example"]


def load_field_map(
    customer: str, directory: Path, *, env: Mapping[str, str] | None = None
) -> FieldMap:
    """Load `directory/<customer>.yaml`.

    Raises FieldMapError when the customer id is malformed or the file is missing (naming the
    path, the customers that do have maps, and how to create one), and InvalidFieldMapError
    when the file is invalid.
    """
    if not re.fullmatch(CUSTOMER_ID, customer):
        raise FieldMapError(
            f"{customer!r} is not a customer id; use 2-63 lower-case letters, digits, - or _"
        )
    path = directory / f"{customer}.yaml"
    if not path.is_file():
        known = ", ".join(available_customers(directory)) or "none"
        raise FieldMapError(
            f"no field map for customer {customer!r} (available: {known}); "
            f"create {path}, see {directory / 'example.yaml'}",
            path=str(path),
        )
    return load_field_map_file(path, env=env)
