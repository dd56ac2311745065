"""Bulk import of the front office's daily export of application statuses.

The export is CSV (a header row naming the columns; comma, semicolon or tab
separated; UTF-8, with or without a byte-order mark) or JSON (a list of
objects, or ``{"applications": [...]}``). Columns: `kind`, `number`,
`status`, `applicant_name`, `birth_date` (YYYY-MM-DD), and optionally `note`
and `completed`; others are ignored.

Each row is checked as a `PUT /api/v1/applications/{kind}/{number}` body
would be and then written by the very same service
(`backoffice.applications.put_application`): a changed status tells the
subscribed citizens, a completed one invites them to rate the service, the
status history and the audit log record it. A bad row is rejected with its
reason and row number; the others are still imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.applications import put_application
from backoffice.officers import SignedInOfficer
from backoffice.schemas.applications import (
    ApplicationPut,
    ImportReportPublic,
    ImportRowPublic,
    ImportRowResult,
)
from bot.domain.applications import MAX_NUMBER_CHARS, ApplicationKind, normalize_number
from bot.domain.i18n import Translator

MAX_ROWS = 5000
REQUIRED = ("kind", "number", "status", "applicant_name", "birth_date")
OPTIONAL = ("note", "completed")
BODY_FIELDS = ("status", "applicant_name", "birth_date", "note", "completed")
DELIMITERS = (",", ";", "\t")
SOURCE = "import"


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not the rows in it)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    row: int  # CSV: the line in the file (header = 1); JSON: the item's place, from 1
    fields: dict[str, Any] | None  # None: not an object (JSON)


class RowRejectedError(ValueError):
    """One row cannot be imported; the message says why."""


def parse(data: bytes, fmt: ImportFormat) -> list[ImportRow]:
    """The rows of an export; raises `ImportFileError` for an unreadable file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text") from None
    rows = _csv_rows(text) if fmt is ImportFormat.CSV else _json_rows(text)
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"at most {MAX_ROWS} rows per import, not {len(rows)}")
    return rows


def _csv_rows(text: str) -> list[ImportRow]:
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise ImportFileError(f"not readable as CSV: {error}") from None
    if not lines:
        raise ImportFileError("the file is empty")
    header = [name.strip().lower() for name in lines[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"missing columns: {', '.join(missing)}")
    wanted = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets leave at the end
        fields = {
            name: cells[index].strip()
            for name, index in wanted.items()
            if index < len(cells) and cells[index].strip()
        }
        rows.append(ImportRow(number, fields))
    return rows


def _json_rows(text: str) -> list[ImportRow]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ImportFileError(f"not valid JSON: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("applications"), list):
        document = document["applications"]
    if not isinstance(document, list):
        raise ImportFileError('expected a list of applications, or {"applications": [...]}')
    return [
        ImportRow(place, item if isinstance(item, dict) else None)
        for place, item in enumerate(document, start=1)
    ]


def checked(
    fields: dict[str, Any] | None, today: date
) -> tuple[ApplicationKind, str, ApplicationPut]:
    """A row as the PUT route would take it; raises `RowRejectedError` saying why not."""
    if fields is None:
        raise RowRejectedError("not an object")
    kind = fields.get("kind")
    if kind not in {k.value for k in ApplicationKind}:
        raise RowRejectedError(f"kind: one of {', '.join(k.value for k in ApplicationKind)}")
    given = fields.get("number")
    number = normalize_number(given) if isinstance(given, str) else None
    if number is None or not isinstance(given, str) or given != given.strip():
        raise RowRejectedError(
            f"number: 1 to {MAX_NUMBER_CHARS} letters, digits, '.', '_', '-' and inner '/', "
            "with at most one word"
        )
    try:
        body = ApplicationPut.model_validate(
            {name: fields[name] for name in BODY_FIELDS if name in fields}
        )
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "row"
        raise RowRejectedError(f"{where}: {first['msg']}") from None
    if body.birth_date > today:
        raise RowRejectedError("birth_date: a date of birth cannot be in the future")
    return ApplicationKind(kind), number, body


async def import_rows(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    rows: Iterable[ImportRow],
    fmt: ImportFormat,
    translator: Translator,
    now: datetime,
    today: date,
    survey_delay: timedelta,
) -> ImportReportPublic:
    """Import every acceptable row in the caller's session; the per-row report."""
    report: list[ImportRowPublic] = []
    for row in rows:
        kind_seen = row.fields.get("kind") if row.fields else None
        number_seen = row.fields.get("number") if row.fields else None
        try:
            kind, number, body = checked(row.fields, today)
        except RowRejectedError as rejected:
            report.append(
                ImportRowPublic(
                    row=row.row,
                    kind=kind_seen if isinstance(kind_seen, str) else None,
                    number=number_seen[:MAX_NUMBER_CHARS] if isinstance(number_seen, str) else None,
                    result=ImportRowResult.REJECTED,
                    reason=str(rejected),
                    notified=0,
                )
            )
            continue
        stored, result = await put_application(
            session,
            officer=officer,
            kind=kind,
            number=number,
            body=body,
            translator=translator,
            now=now,
            survey_delay=survey_delay,
            source=SOURCE,
        )
        outcome = (
            ImportRowResult.CREATED
            if result.created
            else ImportRowResult.UPDATED
            if result.changed
            else ImportRowResult.UNCHANGED
        )
        report.append(
            ImportRowPublic(
                row=row.row,
                kind=kind.value,
                number=stored.number,
                result=outcome,
                reason=None,
                notified=result.notified,
            )
        )
    summary = ImportReportPublic(
        created=_count(report, ImportRowResult.CREATED),
        updated=_count(report, ImportRowResult.UPDATED),
        unchanged=_count(report, ImportRowResult.UNCHANGED),
        rejected=_count(report, ImportRowResult.REJECTED),
        notified=sum(item.notified for item in report),
        rows=report,
    )
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.APPLICATIONS_IMPORT,
        target=None,
        detail={
            "format": fmt.value,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": summary.rejected,
            "notified": summary.notified,
        },
        now=now,
    )
    return summary


def _count(report: list[ImportRowPublic], result: ImportRowResult) -> int:
    return sum(1 for item in report if item.result is result)
