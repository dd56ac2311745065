"""Application statuses (SKCK, izin keramaian, SP2HP) as the front office publishes them.

Who may do what (DESIGN §1): supervisors and admins publish statuses — a
status reaches subscribed citizens at once, so it is the front office's
accountable word — and every signed-in officer reads them (to answer a
citizen who asks in a case). Each write and read is audited under the
officer's name.

Numbers are 1 to 40 letters, digits, '.', '_' or '-', in segments separated
by single slashes (`SKCK/123/XI/2026` is one number: the route takes the
rest of the path). They are stored in upper case, so `skck/123` and
`SKCK/123` name one application. A number's last segment cannot be
`history`: `.../history` is the application's status history.

The front office's daily export is imported in bulk (`POST /applications/import`,
`backoffice.application_import`), each row as one PUT would write it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from backoffice import application_import, applications
from backoffice.api.deps import CurrentOfficer, RuntimeDep, SessionDep
from backoffice.application_import import ImportFileError, ImportFormat
from backoffice.officers import Role, SignedInOfficer
from backoffice.schemas.applications import (
    ApplicationHistoryPublic,
    ApplicationPublic,
    ApplicationPut,
    ApplicationsPublic,
    ImportReportPublic,
)
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


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}
FORMATS = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "application/json": ImportFormat.JSON,
}


@router.get("")
async def list_applications(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    kind: ApplicationKind | None = None,
    status_words: Annotated[
        str | None, Query(alias="status", max_length=200, description="words of the status")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="words of the number or applicant's name")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ApplicationsPublic:
    """The applications, the latest status change first (no names or dates of birth here)."""
    found = await applications.list_applications(
        session,
        officer=officer,
        kind=kind,
        status=status_words,
        q=q,
        page=page,
        per_page=per_page,
        now=runtime.clock.now(),
    )
    await session.commit()
    return found


@router.post(
    "/import",
    openapi_extra=IMPORT_BODY,
    responses={
        400: {"description": "The file cannot be read (not CSV/JSON, missing columns)"},
        413: {"description": "The file is too large"},
        415: {"description": "Neither a CSV nor a JSON file"},
    },
)
async def import_applications(
    request: Request, session: SessionDep, runtime: RuntimeDep, officer: WriterOfficer
) -> ImportReportPublic:
    """Import the front office's export: a CSV or JSON file (multipart field `file`, or the
    raw body as `text/csv` or `application/json`). Each row is written as one PUT would
    (a changed status tells subscribed citizens); bad rows are rejected with the reason
    and the row number, and the others imported. The report counts created, updated,
    unchanged and rejected rows."""
    data, fmt = await _upload(request, runtime.settings.max_request_bytes)
    try:
        rows = application_import.parse(data, fmt)
    except ImportFileError as unreadable:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(unreadable)) from None
    now = runtime.clock.now()
    report = await application_import.import_rows(
        session,
        officer=officer,
        rows=rows,
        fmt=fmt,
        translator=runtime.translator,
        now=now,
        today=now.astimezone(runtime.translator.zone).date(),
        survey_delay=timedelta(seconds=runtime.settings.survey_delay_seconds),
    )
    await session.commit()
    runtime.sender.wake()
    return report


async def _upload(request: Request, max_bytes: int) -> tuple[bytes, ImportFormat]:
    """The uploaded file and its format, from a multipart form or the raw body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=5) as form:  # closes the spooled file
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(
                    status.HTTP_400_BAD_REQUEST, detail="send the export in the form field 'file'"
                )
            data = await upload.read(max_bytes + 1)
            name = (upload.filename or "").lower()
            fmt = (
                ImportFormat.JSON
                if name.endswith(".json")
                else ImportFormat.CSV
                if name.endswith(".csv")
                else FORMATS.get((upload.content_type or "").lower())
            )
    else:
        data = await request.body()
        fmt = FORMATS.get(content_type)
    if fmt is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="send a CSV (text/csv, *.csv) or JSON (application/json, *.json) file",
        )
    if len(data) > max_bytes:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, detail=f"at most {max_bytes} bytes"
        )
    return data, fmt


@router.get("/{kind}/{number:path}/history", responses=NOT_FOUND)
async def read_application_history(
    kind: ApplicationKind,
    number: Number,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
) -> ApplicationHistoryPublic:
    """Every status the application went through, oldest first, with who set it and how."""
    found = await applications.application_history(
        session, officer=officer, kind=kind, number=number, now=runtime.clock.now()
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {kind.value} {number!r}")
    await session.commit()
    return found


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
    stored, result = await applications.put_application(
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
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
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
