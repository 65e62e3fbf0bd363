"""Turn pydantic's validation errors into field-map problems with lines, keys and fixes.

pydantic reports locations in model terms (`('prospect', 'fields', 'emial', '[key]')`) with
messages meant for programmers. Here each location is walked against the YAML data to find
the key a person wrote and its line, and the message is rewritten as "problem; fix".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from connector.fieldmap.fields import STORE_FIELDS, suggest, unknown_name
from connector.fieldmap.model import FieldMap
from connector.fieldmap.problems import KeyPath, Problem, key_text
from connector.fieldmap.validators import PATTERN_HELP

_SEE_EXAMPLE = "see field_maps/example.yaml"
_EXPECTED = {
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "model_type": "a mapping (indented key: value lines)",
    "model_attributes_type": "a mapping (indented key: value lines)",
    "dict_type": "a mapping (indented key: value lines)",
    "list_type": "a list (e.g. [A, B])",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return "text"


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or str(origin) == "<class 'types.UnionType'>":
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = next((m for m in members if _is_model(m) or get_origin(m)), members[0])
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def known_keys(path: Sequence[str | int]) -> list[str] | None:
    """The keys allowed in the mapping at `path` (e.g. ("crm",) -> login_url, auth, ...).

    None when `path` does not lead to a section of the model (such as a free-form mapping).
    """
    annotation: Any = FieldMap
    parts = list(path)
    while parts:
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            field = annotation.model_fields.get(str(parts.pop(0)))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (dict, list):
            parts.pop(0)
            annotation = get_args(annotation)[-1]
        else:
            return None
    annotation = _unwrap(annotation)
    return list(annotation.model_fields) if _is_model(annotation) else None


def _has(node: Any, part: int | str) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _data_path(loc: Sequence[int | str], data: Any, missing: bool) -> tuple[KeyPath, bool]:
    """The key path the person wrote for pydantic's `loc`, and whether it names a dict key."""
    path: list[str | int] = []
    node = data
    is_key = False
    for index, part in enumerate(loc):
        if part == "[key]":
            is_key = True
        elif _has(node, part):
            path.append(part)
            node = node[part]
        elif missing and index == len(loc) - 1:
            path.append(part)
    return tuple(path), is_key


def _message(error: ErrorDetails, path: KeyPath, is_key: bool) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = str(path[-1]) if path else ""
    if kind == "missing":
        return f"missing required key {name!r}; add it ({_SEE_EXAMPLE})"
    if kind == "extra_forbidden":
        known = known_keys(path[:-1]) or []
        return unknown_name("key", name, known) + "; fix the spelling or remove it"
    if kind == "literal_error" and is_key and path[:2] == ("prospect", "fields"):
        return unknown_name("store field", str(value), STORE_FIELDS)
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = suggest(str(value), allowed) or "; use one of those"
        return f"{value!r} is not one of {', '.join(allowed)}{hint}"
    if kind == "string_pattern_mismatch":
        help_text = PATTERN_HELP.get(str(ctx.get("pattern")), f"must match {ctx.get('pattern')}")
        return f"{value!r} {help_text}"
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_describe(value)}; {_SEE_EXAMPLE}"
    if kind == "too_short" and isinstance(value, Mapping | list):
        return f"must not be empty; add an entry or remove {name!r} ({_SEE_EXAMPLE})"
    return f"{error['msg']}; {_SEE_EXAMPLE}"


def _line(path: KeyPath, lines: Mapping[KeyPath, int]) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def problems_from(exc: ValidationError, data: Any, lines: Mapping[KeyPath, int]) -> list[Problem]:
    """One problem per pydantic error, at the line of the key the error is about.

    Several errors at one key (as unions produce) are reported once.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        path, is_key = _data_path(error["loc"], data, error["type"] == "missing")
        key = key_text(path)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(_line(path, lines), key, _message(error, path, is_key)))
    return problems
