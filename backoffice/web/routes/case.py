"""One case: its thread, and what an officer does with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from backoffice import canned_replies, case_changes, cases, inbox, media, units
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.schemas.cases import CaseClose, CaseUpdate, NoteCreate, PatchStatus, ReplyCreate
from backoffice.schemas.units import UnitPublic
from backoffice.web.pages import render
from backoffice.web.scope import WebCase, WebScope
from backoffice.web.session import CsrfChecked, PageNotFoundError, WebOfficer
from bot.domain.i18n import N_
from bot.services.casework import CaseClosedError
from bot.storage.models import Case

router = APIRouter(prefix="/cases")

Text = Annotated[str, Form(max_length=8000)]
Short = Annotated[str, Form(max_length=64)]
INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
EMPTY = N_("inbox.error.empty")
CLOSED = N_("inbox.error.closed")
INVALID = N_("inbox.error.invalid_change")
FORBIDDEN = N_("inbox.error.change_forbidden")
UNASSIGN = "-"
DONE = {
    "reply": N_("inbox.done.reply"),
    "close": N_("inbox.done.close"),
    "note": N_("inbox.done.note"),
    "update": N_("inbox.done.update"),
    "take": N_("inbox.done.take"),
    "reopen": N_("inbox.done.reopen"),
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
        session,
        officer=officer,
        scope=scope,
        case=case,
        evidence_key=runtime.evidence_key,
        now=runtime.clock.now(),
    )
    canned = await canned_replies.list_replies(session)
    tree = await units.load_tree(await session.connection())
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
        canned=canned.items,
        units=flat_units(units.public_tree(tree).items),
        patch_statuses=[status.value for status in PatchStatus],
        error=error,
        done=DONE.get(done or ""),
        status_code=status_code,
    )


def flat_units(tree: list[UnitPublic], depth: int = 0) -> list[tuple[str, str, int]]:
    """The unit tree as (code, name, depth) rows, each parent before its children."""
    rows: list[tuple[str, str, int]] = []
    for unit in tree:
        rows.append((unit.code, unit.name, depth))
        rows.extend(flat_units(unit.children, depth + 1))
    return rows


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
    canned_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The reply, typed or canned, goes to the citizen on their channel, as from the API."""
    try:
        body = ReplyCreate.model_validate({"text": text or None, "canned_id": canned_id or None})
        written = body.text
        if body.canned_id is not None:
            written = await canned_replies.fill_in(
                session, reply_id=body.canned_id, case=case, officer=officer
            )
        assert written is not None, "ReplyCreate holds a text or a canned reply"
        await cases.reply_to_case(
            session,
            officer=officer,
            case=case,
            text=written,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sla=runtime.sla,
        )
    except (ValidationError, canned_replies.CannedReplyNotFoundError):
        return await refused(request, session, runtime, officer, scope, case, EMPTY)
    except CaseClosedError:
        return await refused(request, session, runtime, officer, scope, case, CLOSED)
    await session.commit()
    runtime.sender.wake()
    return back_to(case, "reply")


@router.post("/{ref}/note", dependencies=[CsrfChecked])
async def note(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    text: Text = "",
) -> Response:
    """An internal note: for officers, never sent to the citizen."""
    try:
        body = NoteCreate(text=text)
    except ValidationError:
        return await refused(request, session, runtime, officer, scope, case, EMPTY)
    await cases.add_note(
        session, officer=officer, case=case, text=body.text, now=runtime.clock.now()
    )
    await session.commit()
    return back_to(case, "note")


@router.post("/{ref}/update", dependencies=[CsrfChecked])
async def update(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    case: WebCase,
    status: Short = "",
    priority: Short = "",
    assignee: Short = "",
    unit: Short = "",
    confidential: Short = "",
    done: Short = "update",
) -> Response:
    """Take, assign, change status or priority, move, mark confidential, reopen — as
    `PATCH /api/v1/cases/{ref}`; an empty field leaves that part as it is, and the
    assignee `-` unassigns."""
    given: dict[str, object] = {
        name: value
        for name, value in (
            ("status", status),
            ("priority", priority),
            ("unit", unit),
            ("assignee", None if assignee == UNASSIGN else assignee),
            ("confidential", {"yes": True, "no": False}.get(confidential)),
        )
        if value not in ("", None) or (name == "assignee" and assignee == UNASSIGN)
    }
    try:
        changes = CaseUpdate.model_validate(given)
        changed = await case_changes.update_case(
            session,
            officer=officer,
            case=case,
            changes=changes,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sla=runtime.sla,
        )
    except ValidationError:
        return await refused(request, session, runtime, officer, scope, case, INVALID)
    except case_changes.ChangeForbiddenError:
        return await refused(request, session, runtime, officer, scope, case, FORBIDDEN)
    except case_changes.InvalidChangeError:
        return await refused(request, session, runtime, officer, scope, case, INVALID)
    await session.commit()
    if changed:
        runtime.sender.wake()
    return await after_change(session, scope, case, done if done in DONE else "update")


async def after_change(session: SessionDep, scope: WebScope, case: Case, done: str) -> Response:
    """Back to the case, or to the queue when the change took it out of the officer's view
    (moved to another unit, say)."""
    if await cases.find_case(session, ref=case.ref, scope=scope) is None:
        return RedirectResponse("/backoffice/?done=moved", status_code=303)
    return back_to(case, done)


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
    status_code = {CLOSED: 409, FORBIDDEN: 403}.get(reason, 422)
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
            key=runtime.evidence_key,
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
