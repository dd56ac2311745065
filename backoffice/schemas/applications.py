"""What `/api/v1/applications` accepts and returns.

`status` is the front office's own wording and reaches citizens verbatim
(nothing is translated); `note` is the next step, if any. `birth_date` is the
second factor citizens give when they look an application up, so it is
required and written exactly `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from bot.domain.applications import EARLIEST_BIRTH_YEAR, ApplicationKind
from bot.services.applications import MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_STATUS_CHARS

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: Any) -> Any:
    """Only `YYYY-MM-DD` (pydantic alone would also take timestamps and datetimes)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or ISO_DATE.fullmatch(value) is None:
        raise ValueError("write the date as YYYY-MM-DD")
    return value


def _not_too_early(value: date) -> date:
    if value.year < EARLIEST_BIRTH_YEAR:
        raise ValueError(f"a date of birth is in {EARLIEST_BIRTH_YEAR} or later")
    return value


def _none_if_empty(value: str | None) -> str | None:
    return value or None


Status = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_STATUS_CHARS)
]
ApplicantName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS)
]
BirthDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_not_too_early)]
Note = Annotated[
    str | None,
    StringConstraints(strip_whitespace=True, max_length=MAX_NOTE_CHARS),
    AfterValidator(_none_if_empty),
]


class ApplicationBase(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    status: Status
    applicant_name: ApplicantName
    birth_date: BirthDate
    note: Note = None


class ApplicationPut(ApplicationBase):
    """What the front office sends. `completed`: the service is over (the SKCK is ready,
    the permit issued); with a changed status it invites the subscribed citizens to rate
    the service. The status wording is free text, so completion is said, never guessed."""

    completed: bool = False


class ApplicationPublic(ApplicationBase):
    kind: ApplicationKind
    number: str
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime
    subscribers: int


class ApplicationListItem(BaseModel):
    """An application in a list: no applicant name or date of birth (open one to see them)."""

    kind: ApplicationKind
    number: str
    status: str
    note: str | None
    status_changed_at: datetime
    updated_at: datetime


class ApplicationsPublic(BaseModel):
    items: list[ApplicationListItem]
    total: int


class ApplicationStatusChangePublic(BaseModel):
    from_status: str | None
    to_status: str
    note: str | None
    source: str = Field(description="`api` (one PUT) or `import` (a bulk import)")
    actor: str
    at: datetime


class ApplicationHistoryPublic(BaseModel):
    kind: ApplicationKind
    number: str
    history: list[ApplicationStatusChangePublic] = Field(description="oldest first")


class ImportRowResult(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


class ImportRowPublic(BaseModel):
    row: int = Field(description="CSV: the line in the file (the header is 1); JSON: 1, 2, …")
    kind: str | None
    number: str | None
    result: ImportRowResult
    reason: str | None = Field(description="why the row was rejected")
    notified: int = Field(description="subscribed citizens told of a new status")


class ImportReportPublic(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    notified: int
    rows: list[ImportRowPublic]
