"""Cases: the queue, one case's timeline, replying and closing."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from backoffice import cases
from backoffice.api.deps import (
    CaseDep,
    CaseForUpdateDep,
    CaseScope,
    CurrentOfficer,
    RuntimeDep,
    SessionDep,
)
from backoffice.schemas.cases import (
    CaseClose,
    CaseDetailPublic,
    CaseKind,
    CaseMessagePublic,
    CasePublic,
    CasesPublic,
    ReplyCreate,
)
from bot.domain.sla import SlaState
from bot.services.casework import CaseClosedError, CaseStatus

MAX_PAGE = 1_000_000  # keeps the row offset within a 64-bit integer

router = APIRouter(
    prefix="/cases",
    tags=["cases"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No case with this reference"}}
CLOSED: dict[int | str, dict[str, Any]] = {409: {"description": "The case is closed"}}


@router.get("")
async def read_cases(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    scope: CaseScope,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    kind: CaseKind | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="words in the reference, description or messages"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    sla: Annotated[SlaState | None, Query(description="cases in this SLA state")] = None,
) -> CasesPublic:
    """The cases the officer may see, newest first."""
    found = await cases.list_cases(
        session,
        officer=officer,
        scope=scope,
        status=case_status,
        kind=kind,
        q=q,
        page=page,
        per_page=per_page,
        now=runtime.clock.now(),
        sla=sla,
    )
    await session.commit()
    return found


@router.get("/{ref}", responses=NOT_FOUND)
async def read_case(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    scope: CaseScope,
    case: CaseDep,
) -> CaseDetailPublic:
    """The case with its timeline and the incident reports that look like the same event."""
    detail = await cases.view_case(
        session, officer=officer, scope=scope, case=case, now=runtime.clock.now()
    )
    await session.commit()
    return detail


@router.post("/{ref}/replies", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND | CLOSED)
async def create_reply(
    body: ReplyCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    case: CaseForUpdateDep,
) -> CaseMessagePublic:
    """Send the citizen a reply on the channel they used; taking the case first is not needed."""
    try:
        message = await cases.reply_to_case(
            session,
            officer=officer,
            case=case,
            text=body.text,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sla=runtime.sla,
        )
    except CaseClosedError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"case {case.ref} is closed; reopen it to reply"
        ) from None
    await session.commit()
    runtime.sender.wake()
    return message


@router.post("/{ref}/close", responses=NOT_FOUND | CLOSED)
async def close_case(
    body: CaseClose,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    case: CaseForUpdateDep,
) -> CasePublic:
    """Close the case with its resolution; the citizen is told."""
    try:
        closed = await cases.close_case(
            session,
            officer=officer,
            case=case,
            resolution=body.resolution,
            translator=runtime.translator,
            now=runtime.clock.now(),
            survey_delay=timedelta(seconds=runtime.settings.survey_delay_seconds),
            sla=runtime.sla,
        )
    except CaseClosedError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"case {case.ref} is already closed"
        ) from None
    await session.commit()
    runtime.sender.wake()
    return closed
