"""Fact maps of summary and matrix runs, shaped as "Decode the Fact Map" documents them.

* SUMMARY, grouped down by one column: a grouping per distinct value (sorted, blanks first),
  keyed ``"0"``, ``"1"``, …; the fact map holds each grouping's detail rows and count under
  ``"<key>!T"`` and the grand total (no rows) under ``"T!T"``.
* MATRIX, grouped down and across: aggregates only, under ``"<down>!<across>"``, with
  ``"<down>!T"``, ``"T!<across>"`` subtotals and ``"T!T"``; a matrix run gives no detail rows.

Only the first grouping level is produced (the sandbox's reports group by one column each way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connector.sandbox.tables import Row

Cells = Callable[[Row], list[dict[str, Any]]]
Label = Callable[[Row], Any]


def _aggregate(count: int) -> list[dict[str, Any]]:
    return [{"label": f"{count:,}", "value": count}]


def _groups(rows: list[Row], value_of: Label) -> list[tuple[Any, list[Row]]]:
    buckets: dict[Any, list[Row]] = {}
    for row in rows:
        buckets.setdefault(value_of(row), []).append(row)
    ordered = sorted(buckets, key=lambda v: (v not in (None, ""), str(v or "").casefold()))
    return [(value, buckets[value]) for value in ordered]


def _groupings(groups: list[tuple[Any, list[Row]]]) -> dict[str, Any]:
    return {
        "groupings": [
            {
                "key": str(n),
                "label": "-" if v in (None, "") else str(v),
                "value": v,
                "groupings": [],
            }
            for n, (v, _) in enumerate(groups)
        ]
    }


def summary(
    rows: list[Row], total: int, down: Label, cells: Cells, include_details: bool
) -> dict[str, Any]:
    """``factMap`` and ``groupingsDown`` of a summary run over `rows` (already cut to 2,000)."""
    groups = _groups(rows, down)
    fact_map: dict[str, Any] = {}
    for key, (_, members) in enumerate(groups):
        fact_map[f"{key}!T"] = {
            "rows": [{"dataCells": cells(r)} for r in members] if include_details else [],
            "aggregates": _aggregate(len(members)),
        }
    fact_map["T!T"] = {"rows": [], "aggregates": _aggregate(total)}
    return {"factMap": fact_map, "groupingsDown": _groupings(groups)}


def matrix(rows: list[Row], total: int, down: Label, across: Label) -> dict[str, Any]:
    """``factMap``, ``groupingsDown`` and ``groupingsAcross`` of a matrix run (no rows)."""
    downs, acrosses = _groups(rows, down), _groups(rows, across)
    fact_map: dict[str, Any] = {}
    for d, (_, d_rows) in enumerate(downs):
        fact_map[f"{d}!T"] = {"aggregates": _aggregate(len(d_rows))}
        for a, (a_value, _) in enumerate(acrosses):
            count = sum(1 for r in d_rows if across(r) == a_value)
            fact_map[f"{d}!{a}"] = {"aggregates": _aggregate(count)}
    for a, (_, a_rows) in enumerate(acrosses):
        fact_map[f"T!{a}"] = {"aggregates": _aggregate(len(a_rows))}
    fact_map["T!T"] = {"aggregates": _aggregate(total)}
    return {
        "factMap": fact_map,
        "groupingsDown": _groupings(downs),
        "groupingsAcross": _groupings(acrosses),
    }
