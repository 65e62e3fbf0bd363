"""The published JSON Schema matches the model and describes every key."""

from __future__ import annotations

import json
from typing import Any

from fieldmap_builders import FIELD_MAPS

from connector.fieldmap import STORE_FIELDS, TRANSFORMS, json_schema
from connector.fieldmap.schema import schema_text


def properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(schema.get("properties", {}).items())
    for name, definition in schema.get("$defs", {}).items():
        found += [(f"{name}.{key}", value) for key, value in definition["properties"].items()]
    return found


def test_the_schema_file_in_field_maps_is_up_to_date() -> None:
    path = FIELD_MAPS / "fieldmap.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == json_schema(), (
        "run: python -m connector.fieldmap"
    )
    assert path.read_text(encoding="utf-8") == schema_text()


def test_every_key_and_section_has_a_description() -> None:
    schema = json_schema()
    missing = [name for name, value in properties(schema) if not value.get("description")]
    assert missing == []
    assert all(d.get("description") for d in schema["$defs"].values())


def test_the_schema_forbids_unknown_keys_and_lists_store_fields_and_transforms() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())
    fields = schema["$defs"]["ProspectSpec"]["properties"]["fields"]
    assert fields["propertyNames"]["enum"] == list(STORE_FIELDS)
    transform = schema["$defs"]["FieldSpec"]["properties"]["transform"]
    assert transform["enum"] == list(TRANSFORMS)
