"""Properties: loading never crashes, transforms never raise, and mapping stores nothing extra."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from fieldmap_builders import VALID_MAP, valid_map_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import FieldMapError
from connector.fieldmap import (
    STORE_FIELDS,
    TRANSFORMS,
    FieldMap,
    FieldSpec,
    Invalid,
    MappedRow,
    Reject,
    apply_map,
    check_against_report,
    parse_field_map_text,
    requested_columns,
)
from connector.fieldmap.apply import cell_text, compile_field, compile_map, map_field
from connector.fieldmap.transforms import clean_text, run_transform

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAMLISH = st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@`$, \n\tabcxyz019.\\")))


def parses_or_fails_cleanly(text: str) -> None:
    try:
        result = parse_field_map_text(text, "x.yaml", env={})
    except FieldMapError as exc:
        assert str(exc).splitlines()[0].startswith("x.yaml")
        assert exc.problems  # type: ignore[attr-defined]
    else:
        assert isinstance(result, FieldMap)


@SETTINGS
@given(st.one_of(st.text(), YAMLISH))
def test_any_text_gives_a_field_map_or_a_field_map_error(text: str) -> None:
    parses_or_fails_cleanly(text)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(NESTED)
def test_any_yaml_data_gives_a_field_map_or_a_field_map_error(data: Any) -> None:
    parses_or_fails_cleanly(yaml.safe_dump(data))


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    return found


@SETTINGS
@given(st.data())
def test_a_valid_map_with_any_one_value_replaced_loads_or_fails_cleanly(
    data: st.DataObject,
) -> None:
    document = valid_map_data()
    path = data.draw(st.sampled_from(paths(document)[1:]))
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(NESTED)
    parses_or_fails_cleanly(yaml.safe_dump(document))


def options_for(name: str) -> FieldSpec:
    table: dict[str, dict[str, Any]] = {
        "phone": {"region": "US"},
        "date": {"format": "%m/%d/%Y", "timezone": "America/New_York"},
        "datetime": {"timezone": "Asia/Kolkata"},
        "picklist": {"values": {"A": "a", "b": None}},
        "constant": {"value": "x"},
    }
    extra = table.get(name, {})
    column = None if name == "constant" else "C"
    return FieldSpec(column=column, transform=name, **extra)


@SETTINGS
@given(st.sampled_from(sorted(TRANSFORMS)), st.text())
def test_transforms_return_a_value_or_a_reject_for_any_text(name: str, text: str) -> None:
    result = run_transform(name, text, options_for(name))
    assert result is None or isinstance(result, str | Invalid)
    if isinstance(result, str):
        assert result == result.strip() and result
        assert "\x00" not in result


COLUMN = st.from_regex(r"[A-Z][A-Z0-9_.]{0,8}", fullmatch=True)
FIELD = st.one_of(
    COLUMN,
    st.builds(
        lambda column, transform, required: {
            "column": column, "transform": transform, "required": required
        },
        COLUMN,
        st.sampled_from(["trim", "email", "upper", "lower", "title_case", "first_name", "date"]),
        st.booleans(),
    ),
    st.builds(lambda column: {"column": column, "transform": "phone", "region": "US"}, COLUMN),
    st.builds(
        lambda column, transform, required: {
            "column": column, "transform": transform, "required": required, "default": "n/a"
        },
        COLUMN,
        st.sampled_from(["trim", "email", "first_name", "last_name", "upper"]),
        st.booleans(),
    ),
    st.builds(
        lambda column: {"column": column, "transform": "picklist", "values": {"A": "a"},
                        "default": "other"},
        COLUMN,
    ),
    st.just({"transform": "constant", "value": "fixed"}),
)  # fmt: skip
CELL = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans())


@st.composite
def maps_and_rows(draw: st.DrawFn) -> tuple[FieldMap, dict[str, Any], dict[str, Any]]:
    document = valid_map_data()
    document["prospect"]["fields"] = draw(
        st.dictionaries(st.sampled_from(STORE_FIELDS), FIELD, min_size=1)
    )
    fm = parse_field_map_text(yaml.safe_dump(document, sort_keys=False), "x.yaml", env={})
    row = {column: draw(CELL) for column in requested_columns(fm)}
    extras = draw(st.dictionaries(st.text(max_size=12), CELL))
    return fm, row, {key: value for key, value in extras.items() if key not in row}


@SETTINGS
@given(maps_and_rows())
def test_mapping_keeps_exactly_the_mapped_fields_and_reads_nothing_else(
    case: tuple[FieldMap, dict[str, Any], dict[str, Any]],
) -> None:
    fm, row, extras = case
    mapped_columns: list[str] = []
    for spec in fm.prospect.fields.values():
        if spec.column is not None and spec.column not in (fm.prospect.id, *mapped_columns):
            mapped_columns.append(spec.column)
    assert requested_columns(fm) == [fm.prospect.id, *mapped_columns]

    result = apply_map(fm, {**extras, **row})
    assert isinstance(result, MappedRow | Reject)
    if isinstance(result, MappedRow):
        assert list(result.fields) == list(fm.prospect.fields)
    assert apply_map(fm, row) == result  # columns outside the map change nothing


@SETTINGS
@given(maps_and_rows(), st.data())
def test_check_against_report_catches_any_renamed_column(
    case: tuple[FieldMap, dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    fm = case[0]
    columns = {**dict.fromkeys(requested_columns(fm), "string"), fm.prospect.id: "id"}
    assert check_against_report(fm, "R", columns) == []
    renamed = data.draw(st.sampled_from(sorted(columns)))
    columns[renamed + "_RENAMED"] = columns.pop(renamed)
    problems = check_against_report(fm, "R", columns)
    assert problems and {p.column for p in problems} == {renamed}
    assert all(f"did you mean {renamed + '_RENAMED'!r}?" in p.fix for p in problems)


def test_the_base_map_used_by_the_properties_is_valid() -> None:
    assert parse_field_map_text(copy.copy(VALID_MAP), "x.yaml", env={}).customer == "acme"


def mapped_field_by_field(fm: FieldMap, row: dict[str, Any]) -> MappedRow | Reject:
    """`apply_map` spelled out with `map_field`, one field at a time."""
    raw_id = cell_text(row.get(fm.prospect.id))
    crm_id = clean_text(raw_id) if isinstance(raw_id, str) else None
    if crm_id is None or " " in crm_id:
        return Reject(None, [f"column {fm.prospect.id!r} (prospect.id) holds no CRM record id"])
    fields: dict[str, str | None] = {}
    reasons: list[str] = []
    for name, spec in fm.prospect.fields.items():
        value = map_field(spec, row)
        if isinstance(value, Invalid):
            source = f"column {spec.column!r}" if spec.column is not None else "constant"
            reasons.append(f"field {name!r} ({source}): {value.reason}")
        else:
            fields[name] = value
    return Reject(crm_id, reasons) if reasons else MappedRow(crm_id, fields)


@SETTINGS
@given(maps_and_rows())
def test_the_compiled_map_answers_as_each_field_mapped_alone(
    case: tuple[FieldMap, dict[str, Any], dict[str, Any]],
) -> None:
    fm, row, _ = case
    expected = mapped_field_by_field(fm, row)
    for name, spec in fm.prospect.fields.items():
        field = compile_field(spec)
        assert field(row) == map_field(spec, row) == field(row), name  # remembered alike
    assert apply_map(fm, row) == expected
    assert compile_map(fm) is compile_map(fm)
