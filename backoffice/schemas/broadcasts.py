"""What `/api/v1/broadcasts` takes and returns (DESIGN §5).

A broadcast carries no citizen's personal data: its audience is a filter,
its progress counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_MESSAGE_CHARS = 3000  # leaves room for a survey invitation under a platform's 4096
MAX_ACTIVE_DAYS = 3650

Locale = Literal["id", "en"]
ChannelName = Literal["telegram", "whatsapp", "web"]
Text = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]


class AudienceIn(BaseModel):
    """Who, of the citizens who opted in; each narrowing optional."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelName | None = None
    locale: Locale | None = None
    active_within_days: Annotated[int, Field(ge=1, le=MAX_ACTIVE_DAYS)] | None = None


class BroadcastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: dict[Locale, Text] = Field(
        description="the announcement per language; at least one must be written"
    )
    survey: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="code of a survey to invite to (e.g. `ikm`)"
    )
    audience: AudienceIn = Field(default_factory=AudienceIn)
    send_at: datetime | None = Field(
        default=None, description="ISO time with a UTC offset; null: now"
    )
    cron: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description='"m h dom mon dow" in PINTU_TIMEZONE; null: send once'
    )

    @field_validator("send_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("send_at needs a UTC offset, e.g. 2026-12-01T09:00:00+07:00")
        return value

    @model_validator(mode="after")
    def _written(self) -> BroadcastIn:
        self.message = {locale: text.strip() for locale, text in self.message.items()}
        if not any(self.message.values()):
            raise ValueError("message needs a text in at least one language (id or en)")
        return self


class BroadcastCreated(BaseModel):
    id: int
    status: str
    audience_size: int


class BroadcastCounts(BaseModel):
    """Copies of every run so far: `sent` were accepted by the platform, of which
    `delivered` reached the citizen and `read` were read; `skipped` (WhatsApp,
    outside the 24-hour window without a template) and `cancelled` never left."""

    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    opted_out: int
    skipped: int
    cancelled: int


class BroadcastPublic(BaseModel):
    id: int
    status: str  # awaiting_approval, scheduled, sending, paused, done, cancelled
    audience_size: int
    counts: BroadcastCounts
    message: dict[str, str]
    survey: str | None
    audience: AudienceIn
    send_at: datetime | None
    cron: str | None
    next_run_at: datetime | None
    run: int
    author_id: int
    approved_by_id: int | None
    created_at: datetime
    updated_at: datetime


class BroadcastsPublic(BaseModel):
    items: list[BroadcastPublic]
    total: int
