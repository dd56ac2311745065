"""The audit log as admins read it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backoffice.audit import AuditAction, AuditValue


class AuditEntryPublic(BaseModel):
    id: int
    actor: str = Field(description="an officer's username, or `pintu` for the service itself")
    action: AuditAction
    target: str | None
    detail: dict[str, AuditValue]
    created_at: datetime


class AuditEntriesPublic(BaseModel):
    items: list[AuditEntryPublic]
    total: int
