"""Field maps: which report columns become which store fields, per customer.

A field map is one YAML file per customer (`field_maps/<customer>.yaml`), validated by the
pydantic model in `model.py` and published as JSON Schema. Everything here is pure logic
except reading the file in `loader.py`:

    loader.py       YAML (with line numbers and ${VAR} interpolation) -> FieldMap
    model.py        the schema; `extra="forbid"` so typos are caught
    transforms.py   the registry of cell transforms (trim, email, phone, date, ...)
    apply.py        report row -> MappedRow | Reject; requested_columns
    check.py        field map vs. a report's columns and types
    schema.py       JSON Schema export
"""

from __future__ import annotations

from connector.fieldmap.apply import (
    MappedRow,
    Reject,
    apply_map,
    preview_rows,
    requested_columns,
)
from connector.fieldmap.check import ReportColumnProblem, check_against_report, check_report_shape
from connector.fieldmap.fields import STORE_FIELDS, StoreField
from connector.fieldmap.loader import load_field_map, load_field_map_file, parse_field_map_text
from connector.fieldmap.model import (
    ActivitiesSpec,
    CrmSpec,
    FieldMap,
    FieldSpec,
    ProspectSpec,
    ScheduleSpec,
    SourceSpec,
)
from connector.fieldmap.problems import InvalidFieldMapError, Problem
from connector.fieldmap.schema import json_schema
from connector.fieldmap.transforms import TRANSFORMS, Invalid, Transform

__all__ = [
    "STORE_FIELDS",
    "TRANSFORMS",
    "ActivitiesSpec",
    "CrmSpec",
    "FieldMap",
    "FieldSpec",
    "Invalid",
    "InvalidFieldMapError",
    "MappedRow",
    "Problem",
    "ProspectSpec",
    "Reject",
    "ReportColumnProblem",
    "ScheduleSpec",
    "SourceSpec",
    "StoreField",
    "Transform",
    "apply_map",
    "check_against_report",
    "check_report_shape",
    "json_schema",
    "load_field_map",
    "load_field_map_file",
    "parse_field_map_text",
    "preview_rows",
    "requested_columns",
]
