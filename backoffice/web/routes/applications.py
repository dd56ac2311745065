"""Applications (SKCK, izin keramaian, SP2HP): search, one application with its
history, a status change, and the front office's export imported with its per-row
report — on `backoffice.applications` and `backoffice.application_import`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from backoffice import application_import, applications
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.application_import import ImportFileError, ImportFormat
from backoffice.officers import Role, SignedInOfficer
from backoffice.web.pages import render
from backoffice.web.session import (
    CsrfChecked,
    PageNotFoundError,
    SupervisorOfficer,
    WebOfficer,
)
from bot.domain.applications import KIND_LABELS, ApplicationKind, normalize_number
from bot.domain.i18n import N_

router = APIRouter(prefix="/applications")

Text = Annotated[str, Query(max_length=200)]
Field = Annotated[str, Form(max_length=2000)]
SHOWN = 100
INVALID = N_("inbox.applications.invalid")
UNREADABLE = N_("inbox.applications.unreadable")
SAVED = N_("inbox.applications.saved")
IMPORT_LABELS = {
    "created": N_("inbox.applications.created"),
    "updated": N_("inbox.applications.updated"),
    "unchanged": N_("inbox.applications.unchanged"),
    "rejected": N_("inbox.applications.rejected"),
}


def kind_of(value: str) -> ApplicationKind | None:
    try:
        return ApplicationKind(value) if value else None
    except ValueError:
        return None


async def list_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SignedInOfficer,
    *,
    kind: str = "",
    status: str = "",
    q: str = "",
    status_code: int = 200,
    **context: Any,
) -> Response:
    found = await applications.list_applications(
        session,
        officer=officer,
        kind=kind_of(kind),
        status=status or None,
        q=q or None,
        page=1,
        per_page=SHOWN,
        now=runtime.clock.now(),
    )
    await session.commit()
    return render(
        request,
        "applications.html",
        officer=officer,
        applications=found,
        kind_names=KIND_LABELS,
        import_labels=IMPORT_LABELS,
        may_write=officer.role in (Role.SUPERVISOR, Role.ADMIN),
        query={"kind": kind, "status": status, "q": q},
        status_code=status_code,
        **context,
    )


@router.get("")
async def search(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    kind: Text = "",
    status: Text = "",
    q: Text = "",
) -> Response:
    return await list_page(request, session, runtime, officer, kind=kind, status=status, q=q)


@router.post("/import", dependencies=[CsrfChecked])
async def import_export(
    request: Request, session: SessionDep, runtime: RuntimeDep, officer: SupervisorOfficer
) -> Response:
    """Each row written as one PUT would; the page shows the per-row report."""
    upload = (await request.form()).get("file")
    limit = runtime.settings.max_request_bytes
    data, name = b"", ""
    if isinstance(upload, UploadFile):
        data, name = await upload.read(limit + 1), upload.filename or ""
    fmt = ImportFormat.JSON if name.lower().endswith(".json") else ImportFormat.CSV
    try:
        if not data or len(data) > limit:
            raise ImportFileError("send one CSV or JSON file, at most the request limit")
        rows = application_import.parse(data, fmt)
    except ImportFileError as unreadable:
        return await list_page(
            request,
            session,
            runtime,
            officer,
            error=UNREADABLE,
            reason=str(unreadable),
            status_code=400,
        )
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
    return await list_page(request, session, runtime, officer, report=report)


def application_address(kind: str, number: str) -> tuple[ApplicationKind, str]:
    found_kind, found_number = kind_of(kind), normalize_number(number)
    if found_kind is None or found_number is None:
        raise PageNotFoundError
    return found_kind, found_number


async def detail_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SignedInOfficer,
    kind: ApplicationKind,
    number: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    now = runtime.clock.now()
    found = await applications.read_application(
        session, officer=officer, kind=kind, number=number, now=now
    )
    history = await applications.application_history(
        session, officer=officer, kind=kind, number=number, now=now
    )
    if found is None or history is None:
        raise PageNotFoundError
    await session.commit()
    return render(
        request,
        "application.html",
        officer=officer,
        application=found,
        history=history.history,
        kind_names=KIND_LABELS,
        may_write=officer.role in (Role.SUPERVISOR, Role.ADMIN),
        status_code=status_code,
        **context,
    )


@router.get("/{kind}/{number:path}")
async def show(
    request: Request,
    kind: str,
    number: str,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    done: str = "",
) -> Response:
    found_kind, found_number = application_address(kind, number)
    return await detail_page(
        request, session, runtime, officer, found_kind, found_number, done=SAVED if done else None
    )


@router.post("/{kind}/{number:path}", dependencies=[CsrfChecked])
async def change(
    request: Request,
    kind: str,
    number: str,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SupervisorOfficer,
    status: Field = "",
    note: Field = "",
    applicant_name: Field = "",
    birth_date: Annotated[str, Form(max_length=10)] = "",
    completed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """A new status, as `PUT /api/v1/applications/{kind}/{number}`: subscribed citizens
    are told of a changed status in their chat."""
    found_kind, found_number = application_address(kind, number)
    today = runtime.clock.now().astimezone(runtime.translator.zone).date()
    fields = {
        "kind": found_kind.value,
        "number": found_number,
        "status": status,
        "note": note or None,
        "applicant_name": applicant_name,
        "birth_date": birth_date,
        "completed": bool(completed),
    }
    try:  # the import's own check of a row: the rules of the PUT route
        _, _, body = application_import.checked(fields, today)
    except application_import.RowRejectedError as invalid:
        return await detail_page(
            request,
            session,
            runtime,
            officer,
            found_kind,
            found_number,
            error=INVALID,
            reason=str(invalid),
            status_code=422,
        )
    await applications.put_application(
        session,
        officer=officer,
        kind=found_kind,
        number=found_number,
        body=body,
        translator=runtime.translator,
        now=runtime.clock.now(),
        survey_delay=timedelta(seconds=runtime.settings.survey_delay_seconds),
    )
    await session.commit()
    runtime.sender.wake()
    return RedirectResponse(
        f"/backoffice/applications/{found_kind.value}/{found_number}?done=1", status_code=303
    )
