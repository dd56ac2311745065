"""What the officer API accepts and returns (the `XCreate` / `XPublic` shapes).

A case's reporter is shown by display name only, never by a channel
identity (chat id, phone number, WhatsApp id), and not at all when the case
is anonymous (DESIGN §6).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.domain.sla import SlaState
from bot.services.casework import CaseStatus
from bot.storage.models import MAX_ROW_ID

MAX_REPLY_CHARS = 4000
MAX_RESOLUTION_CHARS = 2000


class CaseKind(StrEnum):
    COMPLAINT = "complaint"
    INCIDENT = "incident"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: datetime


class LocationPublic(BaseModel):
    """Where an incident happened; coordinates exactly as the citizen shared them."""

    latitude: float | None
    longitude: float | None
    address: str | None


class OccurredPublic(BaseModel):
    """When an incident happened, as far as the citizen's words tell."""

    at: datetime | None = Field(description="the start of when it happened, if understood")
    words: str | None = Field(description="the citizen's own words for the time, if typed")


class ReporterPublic(BaseModel):
    display_name: str | None


class SlaPublic(BaseModel):
    """A case's SLA clocks (DESIGN §6): complaints in working days, incidents in minutes."""

    state: SlaState = Field(description="`ok`, `due_soon`, `breached`, `met` or `paused`")
    clock: str | None = Field(
        description="the clock running now: `first_response`, `follow_up` or `resolution`"
    )
    due_at: datetime | None = Field(description="when the clock running now runs out")
    first_response_due_at: datetime | None
    first_response_at: datetime | None = Field(description="the first officer reply")
    follow_up_due_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    waiting_since: datetime | None = Field(
        description="waiting for the citizen since then: the clocks stand still"
    )


class CasePublic(BaseModel):
    ref: str
    kind: CaseKind
    status: CaseStatus
    category: str
    description: str
    channel: str
    anonymous: bool
    priority: str = Field(description="`urgent`, `high` or `normal`")
    sla_due_at: datetime | None = Field(description="the first answer is due by then")
    location: LocationPublic | None
    occurred: OccurredPublic | None = Field(description="incidents: when it happened")
    reporter: ReporterPublic | None = Field(description="null for anonymous cases")
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    sla_state: SlaState = Field(description="`ok`, `due_soon`, `breached`, `met` or `paused`")
    sla: SlaPublic
    unit: str = Field(description="code of the unit the case belongs to")
    assignee: str | None = Field(description="username of the officer it is assigned to")
    confidential: bool = Field(
        description="rahasia: seen only by its unit's supervisors, its assignee and admins"
    )


class CaseListItemPublic(CasePublic):
    duplicate_count: int = Field(
        description="incident reports linked to this one as possibly the same event"
    )


class CasesPublic(BaseModel):
    items: list[CaseListItemPublic]
    total: int


class CaseMessagePublic(BaseModel):
    id: int
    direction: Direction
    text: str
    author: str = Field(description="an officer's username, or `citizen`")
    attachment_id: int | None
    delivery_status: str | None
    created_at: datetime


class StatusChangePublic(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_status: CaseStatus | None = Field(alias="from")
    to_status: CaseStatus = Field(alias="to")
    actor: str
    at: datetime


class AttachmentPublic(BaseModel):
    """A file the citizen sent; its content is not part of this listing."""

    id: int
    sha256: str | None = Field(
        description="SHA-256 of the original as received, kept as evidence; "
        "null for anonymous reports"
    )
    evidence_hash: str | None = Field(
        description="anonymous reports: HMAC-SHA256 under the server's evidence key of "
        "`{ref}:{sha256 of the original}`, in place of the plain SHA-256"
    )
    mime_type: str
    size: int
    created_at: datetime
    metadata_stripped: bool = Field(
        description="the download is a copy without metadata (GPS, device): anonymous reports"
    )
    download_url: str | None = Field(
        description="null when an anonymous report's file has no copy without metadata"
    )


class DuplicatePublic(BaseModel):
    """Another incident report that looks like the same event (place, time, words)."""

    ref: str
    score: float = Field(description="how alike the two reports are, 0..100")
    created_at: datetime
    status: CaseStatus


class CaseDetailPublic(CasePublic):
    messages: list[CaseMessagePublic]
    status_history: list[StatusChangePublic]
    attachments: list[AttachmentPublic]
    possible_duplicates: list[DuplicatePublic] = Field(
        description="incident reports linked to this one, most alike first"
    )


ReplyText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REPLY_CHARS)
]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class ReplyCreate(BaseModel):
    """A reply: typed `text`, or a canned reply by `canned_id`, filled in the
    citizen's language (`{ref}`, `{officer}`)."""

    text: ReplyText | None = None
    canned_id: RowId | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ReplyCreate:
        if (self.text is None) == (self.canned_id is None):
            raise ValueError("give either text or canned_id")
        return self


class NoteCreate(BaseModel):
    text: ReplyText


class PatchStatus(StrEnum):
    """What `PATCH` may set; closing needs a resolution (`POST .../close`)."""

    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting_citizen"
    RESOLVED = "resolved"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class CaseUpdate(BaseModel):
    """Any of these; `assignee` null unassigns. Officers may take a case (themselves
    as assignee), change its status and priority and make it confidential; moving it
    to another unit, assigning others and lifting confidentiality is for supervisors
    and admins."""

    model_config = ConfigDict(extra="forbid")

    status: PatchStatus | None = None
    priority: Priority | None = None
    unit: Annotated[str, StringConstraints(max_length=40)] | None = None
    assignee: Annotated[str, StringConstraints(max_length=64)] | None = None
    confidential: bool | None = None


class CaseSort(StrEnum):
    URGENT = "urgent"  # urgent first, then overdue, then newest
    NEWEST = "newest"
    OLDEST = "oldest"
    DUE = "due"  # soonest due first, no due time last


class CaseClose(BaseModel):
    resolution: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_RESOLUTION_CHARS),
    ]
