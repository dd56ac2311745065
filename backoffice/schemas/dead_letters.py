"""What `/api/v1/dead-letters` returns. The payload only in one letter's view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DeadLetterPublic(BaseModel):
    id: int
    source: str = Field(
        description="`telegram:webhook`, `whatsapp:webhook`, `web:webhook`, or "
        "`outbox:<channel>:<row>` for a message that could not be sent"
    )
    reason: str
    created_at: datetime
    replayed_at: datetime | None
    payload_chars: int


class DeadLetterDetailPublic(DeadLetterPublic):
    payload: str = Field(description="as the platform sent it, or the message as queued")


class DeadLettersPublic(BaseModel):
    items: list[DeadLetterPublic]
    total: int
