"""The audit log: admins read what officers and the service did.

Admins only (DESIGN §1 and issue #12): besides officers' actions it says who
looked at which named reporter's personal data (`case.view` and
`case.media_download` with `personal_data: true`), an oversight record that
is not for the officers it watches.

Among the entries the service writes itself: an application number whose
status lookups were paused after too many wrong answers
(`application.lookup_paused`), and duty alerts nobody acknowledged in time
(`alert.escalated`). Entries hold no personal data of citizens.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from backoffice import audit
from backoffice.api.deps import CaseScope, CurrentOfficer, SessionDep
from backoffice.officers import Role, SignedInOfficer
from backoffice.schemas.audit import AuditEntriesPublic, AuditEntryPublic

READER_ROLES = frozenset({Role.ADMIN})

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)


def require_reader(officer: CurrentOfficer) -> SignedInOfficer:
    if officer.role not in READER_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only admins read the audit log")
    return officer


@router.get("")
async def read_audit_log(
    session: SessionDep,
    _reader: Annotated[SignedInOfficer, Depends(require_reader)],
    scope: CaseScope,
    action: Annotated[audit.AuditAction | None, Query(description="only this action")] = None,
    target: Annotated[str | None, Query(max_length=64, description="only this target")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEntriesPublic:
    """Newest first; entries about cases the reader may not see are left out."""
    entries, total = await audit.list_entries(
        session, action=action, target=target, page=page, per_page=per_page, case_scope=scope
    )
    items = [
        AuditEntryPublic(
            id=entry.id or 0,
            actor=entry.actor,
            action=audit.AuditAction(entry.action),
            target=entry.target,
            detail=json.loads(entry.detail),
            created_at=entry.created_at,
        )
        for entry in entries
    ]
    return AuditEntriesPublic(items=items, total=total)
