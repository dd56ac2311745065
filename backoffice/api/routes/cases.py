"""Cases: the queue, one case's timeline, working it (PATCH), notes, replying and closing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status

from backoffice import canned_replies, case_changes, cases
from backoffice.api.deps import (
    CaseDep,
    CaseForUpdateDep,
    CaseScope,
    CurrentOfficer,
    RuntimeDep,
    SessionDep,
)
from backoffice.api.params import Day
from backoffice.schemas.cases import (
    CaseClose,
    CaseDetailPublic,
    CaseKind,
    CaseMessagePublic,
    CasePublic,
    CaseSort,
    CasesPublic,
    CaseUpdate,
    NoteCreate,
    Priority,
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
UPDATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Officers may not move a case, assign others or lift confidentiality"},
    422: {"description": "An unknown unit or assignee, or an assignee who could not see it"},
}
Code = Annotated[str, Query(max_length=64)]


@router.get("", responses={422: {"description": "A bad filter, or an unknown unit or assignee"}})
async def read_cases(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    scope: CaseScope,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    kind: CaseKind | None = None,
    category: Code | None = None,
    unit: Annotated[str | None, Query(max_length=40, description="a unit's code")] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="a username")] = None,
    priority: Priority | None = None,
    anonymous: bool | None = None,
    confidential: bool | None = None,
    created_from: Annotated[
        Day | None, Query(alias="from", description="created on or after this day (local)")
    ] = None,
    created_to: Annotated[
        Day | None, Query(alias="to", description="created on or before this day (local)")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="words in the reference, description or messages"),
    ] = None,
    sort: Annotated[
        CaseSort,
        Query(description="`urgent` (default): urgent first, then overdue, then newest"),
    ] = CaseSort.URGENT,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    sla: Annotated[SlaState | None, Query(description="cases in this SLA state")] = None,
) -> CasesPublic:
    """The cases the officer may see, filtered and sorted."""
    zone = ZoneInfo(runtime.settings.timezone)
    filters = cases.CaseFilters(
        status=case_status,
        kind=kind,
        category=category,
        unit=unit,
        assignee=assignee,
        priority=priority,
        anonymous=anonymous,
        confidential=confidential,
        created_from=_day_start(created_from, zone),
        created_to=_day_start(created_to + timedelta(days=1), zone) if created_to else None,
        q=q,
        sort=sort,
        sla=sla,
    )
    try:
        found = await cases.list_cases(
            session,
            officer=officer,
            scope=scope,
            filters=filters,
            page=page,
            per_page=per_page,
            now=runtime.clock.now(),
        )
    except cases.InvalidFilterError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    await session.commit()
    return found


def _day_start(day: date | None, zone: ZoneInfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=zone)


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
        session,
        officer=officer,
        scope=scope,
        case=case,
        evidence_key=runtime.evidence_key,
        now=runtime.clock.now(),
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
    """Send the citizen a reply on the channel they used; taking the case first is not needed.

    `{"canned_id": n}` sends a canned reply in the citizen's language, with `{ref}`
    and `{officer}` filled in.
    """
    text = body.text
    if body.canned_id is not None:
        try:
            text = await canned_replies.fill_in(
                session, reply_id=body.canned_id, case=case, officer=officer
            )
        except canned_replies.CannedReplyNotFoundError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    assert text is not None, "ReplyCreate holds a text or a canned reply"
    try:
        message = await cases.reply_to_case(
            session,
            officer=officer,
            case=case,
            text=text,
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


@router.patch("/{ref}", responses=NOT_FOUND | UPDATE_RESPONSES)
async def update_case(
    body: CaseUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    case: CaseForUpdateDep,
) -> CasePublic:
    """Take or assign the case, change its status (leaving resolved or closed reopens
    it), priority, unit or confidentiality; the citizen is told of status changes."""
    try:
        changed = await case_changes.update_case(
            session,
            officer=officer,
            case=case,
            changes=body,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sla=runtime.sla,
        )
    except case_changes.ChangeForbiddenError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from None
    except case_changes.InvalidChangeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    shown = await cases.public_case(session, case, runtime.clock.now())
    await session.commit()
    if changed:
        runtime.sender.wake()
    return shown


@router.post("/{ref}/notes", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
async def create_note(
    body: NoteCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    case: CaseForUpdateDep,
) -> CaseMessagePublic:
    """An internal note (`direction` `note`) for officers; never sent to the citizen."""
    note = await cases.add_note(
        session, officer=officer, case=case, text=body.text, now=runtime.clock.now()
    )
    await session.commit()
    return note
