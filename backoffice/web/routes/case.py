"""One case: its thread, and what an officer does with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from backoffice import cases, inbox, media
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.schemas.cases import CaseClose, ReplyCreate
from backoffice.web.pages import render
from backoffice.web.scope import WebCase, WebScope
from backoffice.web.session import CsrfChecked, PageNotFoundError, WebOfficer
from bot.domain.i18n import N_
from bot.services.casework import CaseClosedError
from bot.storage.models import Case

router = APIRouter(prefix="/cases")

Text = Annotated[str, Form(max_length=8000)]
INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
EMPTY = N_("inbox.error.empty")
CLOSED = N_("inbox.error.closed")
DONE = {
    "reply": N_("inbox.done.reply"),
    "close": N_("inbox.done.close"),
}


async def case_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: Case,
    *,
    template: str = "case.html",
    error: str | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    """`template` (the page, or its thread alone) for the case, its read audited."""
    assert case.id is not None
    marker = await inbox.thread_marker(session, case_id=case.id)
    detail = await cases.view_case(
        session, officer=officer, scope=scope, case=case, now=runtime.clock.now()
    )
    await session.commit()
    files = {attachment.id: attachment for attachment in detail.attachments}
    return render(
        request,
        template,
        thread_marker=marker,
        officer=officer,
        case=detail,
        files=files,
        inline_images=INLINE_IMAGES,
        error=error,
        done=DONE.get(done or ""),
        status_code=status_code,
    )


@router.get("/{ref}/thread")
async def thread(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    since: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The thread alone, asked for every few seconds; 204 while nothing changed."""
    assert case.id is not None
    if since and since == await inbox.thread_marker(session, case_id=case.id):
        return Response(status_code=204)
    return await case_page(request, session, runtime, officer, scope, case, template="_thread.html")


@router.get("/{ref}")
async def show_case(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    done: str = "",
) -> Response:
    return await case_page(request, session, runtime, officer, scope, case, done=done[:16])


def back_to(case: Case, done: str) -> Response:
    return RedirectResponse(f"/backoffice/cases/{case.ref}?done={done}#thread", status_code=303)


@router.post("/{ref}/reply", dependencies=[CsrfChecked])
async def reply(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    text: Text = "",
) -> Response:
    """The reply goes to the citizen on their channel, as from the API."""
    try:
        body = ReplyCreate(text=text)
        await cases.reply_to_case(
            session,
            officer=officer,
            case=case,
            text=body.text,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sla=runtime.sla,
        )
    except ValidationError:
        return await refused(request, session, runtime, officer, scope, case, EMPTY)
    except CaseClosedError:
        return await refused(request, session, runtime, officer, scope, case, CLOSED)
    await session.commit()
    runtime.sender.wake()
    return back_to(case, "reply")


@router.post("/{ref}/close", dependencies=[CsrfChecked])
async def close(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    resolution: Text = "",
) -> Response:
    try:
        body = CaseClose(resolution=resolution)
        await cases.close_case(
            session,
            officer=officer,
            case=case,
            resolution=body.resolution,
            translator=runtime.translator,
            now=runtime.clock.now(),
            survey_delay=timedelta(seconds=runtime.settings.survey_delay_seconds),
            sla=runtime.sla,
        )
    except ValidationError:
        return await refused(request, session, runtime, officer, scope, case, EMPTY)
    except CaseClosedError:
        return await refused(request, session, runtime, officer, scope, case, CLOSED)
    await session.commit()
    runtime.sender.wake()
    return back_to(case, "close")


async def refused(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: Case,
    reason: str,
) -> Response:
    """The case page again, saying why nothing was done (409 closed, else 422)."""
    await session.rollback()
    await session.refresh(case)  # a rollback expires what the session loaded
    status_code = 409 if reason == CLOSED else 422
    return await case_page(
        request, session, runtime, officer, scope, case, error=reason, status_code=status_code
    )


@router.get("/{ref}/media/{media_id}")
async def case_file(
    media_id: int, session: SessionDep, runtime: RuntimeDep, officer: WebOfficer, case: WebCase
) -> Response:
    """A photo of the case, shown in the thread: for an anonymous report only its copy
    without metadata (`backoffice.media`, as the API serves it)."""
    if not 0 < media_id < 2**63:
        raise PageNotFoundError
    try:
        found = await media.case_file(
            session,
            officer=officer,
            case=case,
            media_id=media_id,
            media_root=runtime.settings.media_dir,
            now=runtime.clock.now(),
        )
    except LookupError:
        raise PageNotFoundError from None
    await session.commit()
    return FileResponse(
        found.path,
        media_type=found.mime_type,
        filename=found.filename,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store"},
    )
