"""Application statuses (SKCK, izin keramaian, SP2HP) as the front office publishes them.

Who may do what (DESIGN §1): supervisors and admins publish statuses — a
status reaches subscribed citizens at once, so it is the front office's
accountable word — and every signed-in officer reads them (to answer a
citizen who asks in a case). Each write and read is audited under the
officer's name.

Numbers are 1 to 40 letters, digits, '.', '_' or '-', in segments separated
by single slashes (`SKCK/123/XI/2026` is one number: the route takes the
rest of the path). They are stored in upper case, so `skck/123` and
`SKCK/123` name one application.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError

from backoffice import applications
from backoffice.api.deps import CurrentOfficer, RuntimeDep, SessionDep
from backoffice.officers import Role, SignedInOfficer
from backoffice.schemas.applications import ApplicationPublic, ApplicationPut
from bot.domain.applications import MAX_NUMBER_CHARS, NUMBER_PATTERN, ApplicationKind
from bot.runtime import Runtime

WRITER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})

router = APIRouter(
    prefix="/applications",
    tags=["applications"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such application"}}
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created", "model": ApplicationPublic}
}

Number = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_NUMBER_CHARS,
        pattern=NUMBER_PATTERN,
        description="e.g. `SKCK/123/XI/2026`; letters, digits, '.', '_', '-' and inner '/'",
    ),
]


def require_writer(officer: CurrentOfficer) -> SignedInOfficer:
    if officer.role not in WRITER_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="this role may not publish application statuses"
        )
    return officer


WriterOfficer = Annotated[SignedInOfficer, Depends(require_writer)]


@router.put("/{kind}/{number:path}", responses=CREATED)
async def put_application(
    kind: ApplicationKind,
    number: Number,
    body: ApplicationPut,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WriterOfficer,
) -> ApplicationPublic:
    """Create (201) or replace (200) an application. `status` reaches citizens
    verbatim; a changed status (not a changed note or name) is sent to every
    citizen subscribed to the application, in their chat and language."""
    _check_not_future(body.birth_date, runtime)
    stored, created = await applications.put_application(
        session,
        officer=officer,
        kind=kind,
        number=number,
        body=body,
        translator=runtime.translator,
        now=runtime.clock.now(),
        survey_delay=timedelta(seconds=runtime.settings.survey_delay_seconds),
    )
    await session.commit()
    runtime.sender.wake()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return stored


@router.get("/{kind}/{number:path}", responses=NOT_FOUND)
async def read_application(
    kind: ApplicationKind,
    number: Number,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
) -> ApplicationPublic:
    found = await applications.read_application(
        session, officer=officer, kind=kind, number=number, now=runtime.clock.now()
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {kind.value} {number!r}")
    await session.commit()
    return found


def _check_not_future(born: date, runtime: Runtime) -> None:
    today = runtime.clock.now().astimezone(runtime.translator.zone).date()
    if born > today:
        raise RequestValidationError(
            [
                {
                    "type": "date_future",
                    "loc": ("body", "birth_date"),
                    "msg": "a date of birth cannot be in the future",
                    "input": born.isoformat(),
                }
            ]
        )
