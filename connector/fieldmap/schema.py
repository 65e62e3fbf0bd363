"""The field map's JSON Schema, for editors (`# yaml-language-server: $schema=...`) and docs.

`python -m connector.fieldmap [PATH]` rewrites field_maps/fieldmap.schema.json; a test
fails when the committed file differs from `json_schema()`, so it cannot go stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from connector.fieldmap.model import FieldMap

SCHEMA_ID = "https://github.com/connector/connector/field_maps/fieldmap.schema.json"
DEFAULT_PATH = Path("field_maps") / "fieldmap.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a field-map file, with a description on every key."""
    schema = FieldMap.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """`json_schema()` as the file is written: sorted keys, 2-space indent, final newline."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema to the given path (default field_maps/fieldmap.schema.json)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0
