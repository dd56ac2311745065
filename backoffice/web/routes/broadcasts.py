"""Broadcasts for admins: the list with live progress, scheduling one, approving
another admin's, pausing, resuming, cancelling (`backoffice.broadcasts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backoffice import broadcasts
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.officers import SignedInOfficer
from backoffice.schemas.broadcasts import BroadcastIn
from backoffice.web.pages import render
from backoffice.web.session import AdminOfficer, CsrfChecked, PageNotFoundError
from bot.domain.i18n import N_

router = APIRouter(prefix="/broadcasts")

SHOWN = 50
Field = Annotated[str, Form(max_length=3000)]
Short = Annotated[str, Form(max_length=100)]
STATUS_LABELS = {
    "awaiting_approval": N_("inbox.broadcasts.status.awaiting_approval"),
    "scheduled": N_("inbox.broadcasts.status.scheduled"),
    "sending": N_("inbox.broadcasts.status.sending"),
    "paused": N_("inbox.broadcasts.status.paused"),
    "done": N_("inbox.broadcasts.status.done"),
    "cancelled": N_("inbox.broadcasts.status.cancelled"),
}
CONTROL_LABELS = {
    "pause": N_("inbox.broadcasts.pause"),
    "resume": N_("inbox.broadcasts.resume"),
    "cancel": N_("inbox.broadcasts.cancel"),
}
INVALID = N_("inbox.broadcasts.invalid")
NOT_YOURS = N_("inbox.broadcasts.not_yours")
CONFLICT = N_("inbox.broadcasts.conflict")
DONE = {
    "created": N_("inbox.broadcasts.created"),
    "approve": N_("inbox.broadcasts.approved"),
    "pause": N_("inbox.broadcasts.paused"),
    "resume": N_("inbox.broadcasts.resumed"),
    "cancel": N_("inbox.broadcasts.cancelled"),
}


async def page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SignedInOfficer,
    *,
    template: str = "broadcasts.html",
    status_code: int = 200,
    **context: Any,
) -> Response:
    found = await broadcasts.list_broadcasts(session, page=1, per_page=SHOWN)
    return render(
        request,
        template,
        officer=officer,
        broadcasts=found,
        broadcast_labels=STATUS_LABELS,
        control_labels=CONTROL_LABELS,
        controls={item.id: broadcasts.controls_in(item.status) for item in found.items},
        surveys=list(runtime.surveys),
        channels=sorted(runtime.broadcasts.channels),
        status_code=status_code,
        **context,
    )


@router.get("")
async def list_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: AdminOfficer,
    done: str = "",
) -> Response:
    return await page(request, session, runtime, officer, done=DONE.get(done[:16]))


@router.get("/rows")
async def rows(
    request: Request, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> Response:
    """The list alone, which the page asks for again every few seconds (progress)."""
    return await page(request, session, runtime, officer, template="_broadcast_rows.html")


def send_at(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` field's value, read in the unit's time zone; empty: now."""
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone))


@router.post("", dependencies=[CsrfChecked])
async def create(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: AdminOfficer,
    message_id: Field = "",
    message_en: Field = "",
    survey: Short = "",
    channel: Short = "",
    locale: Short = "",
    active_within_days: Short = "",
    when: Short = "",
    cron: Short = "",
) -> Response:
    """Schedule a broadcast exactly as `POST /api/v1/broadcasts` does."""
    audience: dict[str, Any] = {
        "channel": channel or None,
        "locale": locale or None,
        "active_within_days": active_within_days or None,
    }
    try:
        body = BroadcastIn(
            message={"id": message_id, "en": message_en},
            survey=survey or None,
            audience=audience,
            send_at=send_at(when, runtime.settings.timezone),
            cron=cron.strip() or None,
        )
        await broadcasts.create_broadcast(
            session,
            officer=officer,
            body=body,
            policy=broadcasts.policy_of(runtime),
            now=runtime.clock.now(),
        )
    except (ValidationError, ValueError, broadcasts.BroadcastInvalid) as invalid:
        await session.rollback()
        return await page(
            request,
            session,
            runtime,
            officer,
            error=INVALID,
            reason=_first_error(invalid),
            status_code=422,
        )
    await session.commit()
    return RedirectResponse("/backoffice/broadcasts?done=created", status_code=303)


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"
    return str(error)


@router.post("/{broadcast_id}/{action}", dependencies=[CsrfChecked])
async def change(
    request: Request,
    broadcast_id: int,
    action: str,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: AdminOfficer,
) -> Response:
    """Approve (another admin's), pause, resume or cancel."""
    if not 0 < broadcast_id < 2**63 or action not in DONE or action == "created":
        raise PageNotFoundError
    now = runtime.clock.now()
    try:
        if action == "approve":
            await broadcasts.approve_broadcast(
                session, officer=officer, broadcast_id=broadcast_id, now=now
            )
        else:
            await broadcasts.control_broadcast(
                session,
                officer=officer,
                broadcast_id=broadcast_id,
                action=broadcasts.Control(action),
                now=now,
            )
    except broadcasts.BroadcastNotFound:
        raise PageNotFoundError from None
    except broadcasts.BroadcastForbidden:
        await session.rollback()
        return await page(request, session, runtime, officer, error=NOT_YOURS, status_code=403)
    except broadcasts.BroadcastConflict:
        await session.rollback()
        return await page(request, session, runtime, officer, error=CONFLICT, status_code=409)
    await session.commit()
    runtime.sender.wake()
    return RedirectResponse(f"/backoffice/broadcasts?done={action}", status_code=303)
