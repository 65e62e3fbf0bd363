"""In-memory record tables that can hold a million rows without a million dicts.

A `RecordTable` maps 18-char ids to field dicts (canonical field names, Python values: str,
int, bool, `date`, aware `datetime`, None). Rows come from two places:

* *generated* rows 0..N-1, produced on demand by a pure function of the row number (the
  seeded contact generator), so a 1M-row org costs almost no memory and builds instantly;
* *stored* rows: records created later, and generated rows that someone looked up through
  the public mapping interface. ``table[id]`` promotes a generated row to a stored dict, so
  tests may edit it in place (``org.contacts[cid]["Email"] = ...``) and the change sticks.

Internal readers use `peek` (no promotion). Deleting moves a row to the recycle bin, which
``queryAll`` still sees (with ``IsDeleted = true``).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from connector.sandbox.ids import IdSequence

Row = dict[str, Any]
RowGenerator = Callable[[int], Row]


class RecordTable(MutableMapping[str, Row]):
    """Records of one sObject type, in id (= creation) order."""

    def __init__(
        self,
        sobject: str,
        ids: IdSequence,
        generator: RowGenerator | None = None,
        generated: int = 0,
    ) -> None:
        self.sobject = sobject
        self.ids = ids
        self._generator = generator
        self._generated = generated if generator else 0
        self._next_index = self._generated
        self._rows: dict[str, Row] = {}
        self._deleted: dict[str, Row] = {}
        self._lock = threading.RLock()
        self.version = 0

    # -- reading without promotion ---------------------------------------------------------
    def peek(self, record_id: str) -> Row | None:
        """The live row for `record_id` without promoting it, or None (deleted or unknown)."""
        row = self._rows.get(record_id)
        if row is not None:
            return row
        index = self._generated_index(record_id)
        if index is None or record_id in self._deleted:
            return None
        assert self._generator is not None
        return self._generator(index)

    def peek_index(self, index: int) -> Row | None:
        """The live row with sequence number `index` (generated or stored), or None."""
        if index < self._generated and not self._rows and not self._deleted:
            assert self._generator is not None
            return self._generator(index)
        return self.peek(self.ids.id_for(index))

    @property
    def generated_count(self) -> int:
        """How many rows are generated on demand (row numbers 0..count-1)."""
        return self._generated

    def generated_row(self, index: int) -> Row:
        """Generated row `index` as originally generated (ignores edits and deletions)."""
        assert self._generator is not None and index < self._generated
        return self._generator(index)

    def peek_any(self, record_id: str) -> Row | None:
        """Like `peek`, but also finds rows in the recycle bin."""
        row = self.peek(record_id)
        return row if row is not None else self._deleted.get(record_id)

    def is_generated_untouched(self, index: int) -> bool:
        """True when row `index` is a generated row that was never promoted nor deleted."""
        if index >= self._generated:
            return False
        record_id = self.ids.id_for(index)
        return record_id not in self._rows and record_id not in self._deleted

    def touched_generated_ids(self) -> list[str]:
        """Ids of generated rows that were promoted or deleted (their data may differ)."""
        with self._lock:
            candidates = list(self._rows) + list(self._deleted)
        return [rid for rid in candidates if self._generated_index(rid) is not None]

    def deleted_rows(self) -> list[Row]:
        """Rows in the recycle bin, with IsDeleted true, in id order."""
        with self._lock:
            return [self._deleted[rid] for rid in sorted(self._deleted)]

    def iter_rows(self) -> Iterator[Row]:
        """Every live row in id order, without promotion."""
        for record_id in self:
            row = self.peek(record_id)
            if row is not None:
                yield row

    def live_count(self) -> int:
        return len(self)

    # -- writing ---------------------------------------------------------------------------
    def new_id(self) -> str:
        """Reserve the next id of this table's sequence."""
        with self._lock:
            record_id = self.ids.id_for(self._next_index)
            self._next_index += 1
            return record_id

    def insert(self, fields: Row) -> str:
        """Store a new record (an Id is assigned unless `fields` has one); return its id."""
        with self._lock:
            record_id = fields.get("Id") or self.new_id()
            self._rows[record_id] = {**fields, "Id": record_id}
            self.version += 1
            return record_id

    # -- MutableMapping --------------------------------------------------------------------
    def __getitem__(self, record_id: str) -> Row:
        with self._lock:
            row = self._rows.get(record_id)
            if row is None:
                generated = self.peek(record_id)
                if generated is None:
                    raise KeyError(record_id)
                row = self._rows[record_id] = generated
            self.version += 1  # the caller may edit the dict in place
            return row

    def __setitem__(self, record_id: str, row: Row) -> None:
        with self._lock:
            self._deleted.pop(record_id, None)
            self._rows[record_id] = {**row, "Id": record_id}
            self.version += 1

    def __delitem__(self, record_id: str) -> None:
        with self._lock:
            row = self.peek(record_id)
            if row is None:
                raise KeyError(record_id)
            self._rows.pop(record_id, None)
            self._deleted[record_id] = {**row, "IsDeleted": True}
            self.version += 1

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and self.peek(record_id) is not None

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            stored = sorted(rid for rid in self._rows if self._generated_index(rid) is None)
            deleted = set(self._deleted)
        generated = (
            rid
            for rid in (self.ids.id_for(i) for i in range(self._generated))
            if rid not in deleted
        )
        return heapq.merge(generated, stored)

    def __len__(self) -> int:
        with self._lock:
            stored = sum(1 for rid in self._rows if self._generated_index(rid) is None)
            deleted_generated = sum(
                1 for rid in self._deleted if self._generated_index(rid) is not None
            )
        return self._generated - deleted_generated + stored

    def _generated_index(self, record_id: str) -> int | None:
        if not self._generated:
            return None
        index = self.ids.index_of(record_id)
        if index is None or index >= self._generated or self.ids.id_for(index) != record_id:
            return None
        return index
