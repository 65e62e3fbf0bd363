"""Report folders, saved reports and the "Contacts & Accounts" report type.

A sandbox report is a saved definition (columns, filters, boolean logic, sort) over an
explicit, sorted set of member contacts. Members are kept as a sorted array of contact row
numbers; because contact ids sort like their row numbers, keyset paging by ``CONTACT_ID``
bisects this array instead of scanning the report.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.ids import IdSequence


@dataclass(frozen=True)
class ReportColumn:
    """A column of the report type: API name, label, REST dataType and the contact field."""

    name: str
    label: str
    data_type: str
    source: str


CONTACTS_AND_ACCOUNTS = "ContactList"
REPORT_TYPE_LABEL = "Contacts & Accounts"
ID_COLUMN = "CONTACT_ID"
COLUMNS: dict[str, ReportColumn] = {
    column.name: column
    for column in (
        ReportColumn("CONTACT_ID", "Contact ID", "id", "Id"),
        ReportColumn("FIRST_NAME", "First Name", "string", "FirstName"),
        ReportColumn("LAST_NAME", "Last Name", "string", "LastName"),
        ReportColumn("EMAIL", "Email", "email", "Email"),
        ReportColumn("PHONE1", "Phone", "phone", "Phone"),
        ReportColumn("TITLE", "Title", "string", "Title"),
        ReportColumn("ACCOUNT.NAME", "Account Name", "string", "Account.Name"),
        ReportColumn("MAILING_COUNTRY", "Mailing Country", "string", "MailingCountry"),
        ReportColumn("BIRTHDATE", "Birthdate", "date", "Birthdate"),
        ReportColumn("LEAD_SOURCE", "Lead Source", "picklist", "LeadSource"),
        ReportColumn("CREATED_DATE", "Created Date", "datetime", "CreatedDate"),
        ReportColumn("LAST_UPDATE", "Last Modified Date", "datetime", "LastModifiedDate"),
    )
}


@dataclass
class Folder:
    """A report folder (``Folder`` with Type ``Report``)."""

    id: str
    name: str
    developer_name: str
    type: str = "Report"
    access_type: str = "Public"
    created: dt.datetime = field(default_factory=lambda: dt.datetime(2024, 1, 2, tzinfo=dt.UTC))


class ReportMembers:
    """The contacts a report returns, as a sorted array of contact row numbers.

    ``add``/``discard``/``in`` take contact ids; iteration yields ids in id order.
    """

    def __init__(self, ids: IdSequence, indices: Iterable[int] = ()) -> None:
        self.ids = ids
        self.indices = array("q", sorted(set(indices)))
        self.version = 0

    def _index(self, contact_id: str) -> int:
        index = self.ids.index_of(contact_id)
        if index is None:
            raise ValueError(f"{contact_id!r} is not a contact id of this org")
        return index

    def add(self, contact_id: str) -> None:
        index = self._index(contact_id)
        position = bisect_left(self.indices, index)
        if position == len(self.indices) or self.indices[position] != index:
            self.indices.insert(position, index)
            self.version += 1

    def discard(self, contact_id: str) -> None:
        index = self.ids.index_of(contact_id)
        if index is None:
            return
        position = bisect_left(self.indices, index)
        if position < len(self.indices) and self.indices[position] == index:
            del self.indices[position]
            self.version += 1

    def __contains__(self, contact_id: object) -> bool:
        if not isinstance(contact_id, str):
            return False
        index = self.ids.index_of(contact_id)
        if index is None:
            return False
        position = bisect_left(self.indices, index)
        return position < len(self.indices) and self.indices[position] == index

    def __iter__(self) -> Iterator[str]:
        return (self.ids.id_for(index) for index in self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def position_after(indices: array[int], ids: IdSequence, bound: str, inclusive: bool) -> int:
    """First position in sorted `indices` whose id is > `bound` (>= when `inclusive`)."""
    key = ids.id_for
    finder = bisect_left if inclusive else bisect_right
    return finder(indices, bound, key=key)


@dataclass
class Report:
    """A saved tabular report over the "Contacts & Accounts" report type."""

    id: str
    name: str
    developer_name: str
    folder_id: str
    members: ReportMembers
    detail_columns: list[str] = field(default_factory=lambda: list(COLUMNS))
    #: The columns its report type offers (a report of a narrower type has fewer).
    type_columns: list[str] = field(default_factory=lambda: list(COLUMNS))
    report_filters: list[dict[str, Any]] = field(default_factory=list)
    report_boolean_filter: str | None = None
    sort_by: list[dict[str, str]] = field(default_factory=list)
    description: str = ""
    report_format: str = "TABULAR"  # or SUMMARY (groupings_down) or MATRIX (down and across)
    groupings_down: list[str] = field(default_factory=list)
    groupings_across: list[str] = field(default_factory=list)
    top_rows: dict[str, Any] | None = None  # a row-limit report: {"rowLimit": N, "direction"}
    report_type: str = CONTACTS_AND_ACCOUNTS
    last_modified: dt.datetime = field(
        default_factory=lambda: dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    )


@dataclass
class ReportInstance:
    """An asynchronous run (``POST …/instances``): its request, status and, once run, result."""

    id: str
    report_id: str
    owner_id: str
    overrides: dict[str, Any] | None
    include_details: bool
    requested_at: float
    status: str = "New"
    completed_at: float | None = None
    result: dict[str, Any] | None = None
