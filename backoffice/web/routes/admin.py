"""Admin pages: officers, units, canned replies and dead letters — each on the
service its API route calls (`accounts`, `units`, `canned_replies`, `dead_letters`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from backoffice import accounts, canned_replies, dead_letters, units
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.officers import (
    InvalidOfficerError,
    LastAdminError,
    OfficerExistsError,
    SignedInOfficer,
    UnknownOfficerError,
)
from backoffice.schemas.canned_replies import CannedReplyCreate, CannedReplyUpdate
from backoffice.schemas.officers import OfficerCreate, OfficerUpdate
from backoffice.schemas.units import UnitCreate
from backoffice.web.pages import render
from backoffice.web.routes.case import flat_units
from backoffice.web.session import AdminOfficer, CsrfChecked, PageNotFoundError
from bot.domain.i18n import N_

router = APIRouter(prefix="/admin")

Short = Annotated[str, Form(max_length=256)]
Long = Annotated[str, Form(max_length=4000)]
REFUSED = N_("inbox.admin.refused")
DONE = {
    "officer": N_("inbox.admin.officer_saved"),
    "unit": N_("inbox.admin.unit_saved"),
    "canned": N_("inbox.admin.canned_saved"),
    "canned_deleted": N_("inbox.admin.canned_deleted"),
    "replayed": N_("inbox.admin.replayed"),
}
LETTERS_SHOWN = 100


def actor(admin: SignedInOfficer) -> accounts.Actor:
    return accounts.Actor(username=admin.username, officer_id=admin.id)


def reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(error)


def done_to(page: str, what: str) -> Response:
    return RedirectResponse(f"/backoffice/admin/{page}?done={what}", status_code=303)


def given(**fields: str) -> dict[str, Any]:
    """The fields a form filled in (an empty field means "leave as it is")."""
    return {name: value for name, value in fields.items() if value != ""}


# -- officers ----------------------------------------------------------------


async def officers_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: SignedInOfficer,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    found = await accounts.list_officers(session, actor=actor(admin), now=runtime.clock.now())
    tree = await units.load_tree(await session.connection())
    await session.commit()
    return render(
        request,
        "admin_officers.html",
        officer=admin,
        officers=found,
        units=flat_units(units.public_tree(tree).items),
        status_code=status_code,
        **context,
    )


@router.get("/officers")
async def officers(
    request: Request, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer, done: str = ""
) -> Response:
    return await officers_page(request, session, runtime, admin, done=DONE.get(done[:16]))


@router.post("/officers", dependencies=[CsrfChecked])
async def add_officer(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
    username: Short = "",
    password: Short = "",
    role: Short = "",
    unit: Short = "",
    full_name: Short = "",
) -> Response:
    try:
        body = OfficerCreate.model_validate(
            given(username=username, password=password, role=role, unit=unit, full_name=full_name)
        )
        await accounts.create_officer(
            session,
            actor=actor(admin),
            username=body.username,
            password=body.password,
            role=body.role,
            unit=body.unit,
            full_name=body.full_name,
            now=runtime.clock.now(),
        )
    except (ValidationError, InvalidOfficerError, OfficerExistsError) as error:
        await session.rollback()
        return await officers_page(
            request, session, runtime, admin, error=REFUSED, reason=reason(error), status_code=422
        )
    await session.commit()
    return done_to("officers", "officer")


@router.post("/officers/{username}", dependencies=[CsrfChecked])
async def change_officer(
    request: Request,
    username: str,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
    role: Short = "",
    unit: Short = "",
    active: Short = "",
    password: Short = "",
) -> Response:
    """Role, unit, active or a new password; disabling or a new password ends every
    session of that officer at once."""
    try:
        body = OfficerUpdate.model_validate(
            given(role=role, unit=unit, active=active, password=password)
        )
        await accounts.change_officer(
            session,
            actor=actor(admin),
            username=username[:64],
            change=accounts.OfficerChange(
                role=body.role, unit=body.unit, active=body.active, password=body.password
            ),
            now=runtime.clock.now(),
        )
    except UnknownOfficerError:
        raise PageNotFoundError from None
    except (ValidationError, InvalidOfficerError, LastAdminError) as error:
        await session.rollback()
        return await officers_page(
            request, session, runtime, admin, error=REFUSED, reason=reason(error), status_code=422
        )
    await session.commit()
    return done_to("officers", "officer")


# -- units -------------------------------------------------------------------


async def units_page(
    request: Request,
    session: SessionDep,
    admin: SignedInOfficer,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    tree = await units.load_tree(await session.connection())
    return render(
        request,
        "admin_units.html",
        officer=admin,
        units=flat_units(units.public_tree(tree).items),
        status_code=status_code,
        **context,
    )


@router.get("/units")
async def unit_tree(
    request: Request, session: SessionDep, admin: AdminOfficer, done: str = ""
) -> Response:
    return await units_page(request, session, admin, done=DONE.get(done[:16]))


@router.post("/units", dependencies=[CsrfChecked])
async def add_unit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
    code: Short = "",
    name: Short = "",
    parent: Short = "",
) -> Response:
    try:
        body = UnitCreate.model_validate({"code": code, "name": name, "parent": parent})
        await units.create_unit(session, officer=admin, body=body, now=runtime.clock.now())
    except (ValidationError, units.UnitError) as error:
        await session.rollback()
        return await units_page(
            request, session, admin, status_code=422, error=REFUSED, reason=reason(error)
        )
    await session.commit()
    return done_to("units", "unit")


# -- canned replies ------------------------------------------------------------


async def canned_page(
    request: Request,
    session: SessionDep,
    admin: SignedInOfficer,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    found = await canned_replies.list_replies(session)
    return render(
        request,
        "admin_canned.html",
        officer=admin,
        replies=found.items,
        status_code=status_code,
        **context,
    )


@router.get("/canned-replies")
async def canned(
    request: Request, session: SessionDep, admin: AdminOfficer, done: str = ""
) -> Response:
    return await canned_page(request, session, admin, done=DONE.get(done[:16]))


def canned_body(kind: type[BaseModel], title: str, text_id: str, text_en: str) -> Any:
    return kind.model_validate({"title": title, "texts": {"id": text_id, "en": text_en}})


@router.post("/canned-replies", dependencies=[CsrfChecked])
async def add_canned(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
    title: Short = "",
    text_id: Long = "",
    text_en: Long = "",
) -> Response:
    try:
        body = canned_body(CannedReplyCreate, title, text_id, text_en)
        await canned_replies.add_reply(session, officer=admin, body=body, now=runtime.clock.now())
    except (ValidationError, canned_replies.CannedReplyExistsError) as error:
        await session.rollback()
        return await canned_page(
            request, session, admin, error=REFUSED, reason=reason(error), status_code=422
        )
    await session.commit()
    return done_to("canned-replies", "canned")


@router.post("/canned-replies/{reply_id}", dependencies=[CsrfChecked])
async def edit_canned(
    request: Request,
    reply_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
    title: Short = "",
    text_id: Long = "",
    text_en: Long = "",
) -> Response:
    if not 0 < reply_id < 2**63:
        raise PageNotFoundError
    try:
        body = canned_body(CannedReplyUpdate, title, text_id, text_en)
        await canned_replies.edit_reply(
            session, officer=admin, reply_id=reply_id, body=body, now=runtime.clock.now()
        )
    except canned_replies.CannedReplyNotFoundError:
        raise PageNotFoundError from None
    except (ValidationError, canned_replies.CannedReplyExistsError) as error:
        await session.rollback()
        return await canned_page(
            request, session, admin, error=REFUSED, reason=reason(error), status_code=422
        )
    await session.commit()
    return done_to("canned-replies", "canned")


@router.post("/canned-replies/{reply_id}/delete", dependencies=[CsrfChecked])
async def delete_canned(
    reply_id: int, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> Response:
    if not 0 < reply_id < 2**63:
        raise PageNotFoundError
    try:
        await canned_replies.delete_reply(
            session, officer=admin, reply_id=reply_id, now=runtime.clock.now()
        )
    except canned_replies.CannedReplyNotFoundError:
        raise PageNotFoundError from None
    await session.commit()
    return done_to("canned-replies", "canned_deleted")


# -- dead letters --------------------------------------------------------------


@router.get("/dead-letters")
async def letters(
    request: Request, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer, done: str = ""
) -> Response:
    found, total = await dead_letters.list_dead_letters(
        session,
        officer=admin,
        replayed=None,
        page=1,
        per_page=LETTERS_SHOWN,
        now=runtime.clock.now(),
    )
    await session.commit()
    return render(
        request,
        "admin_dead_letters.html",
        officer=admin,
        letters=found,
        total=total,
        done=DONE.get(done[:16]),
    )


@router.get("/dead-letters/{letter_id}")
async def letter(
    request: Request, letter_id: int, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> Response:
    """One letter with its payload (personal data: the look is audited)."""
    if not 0 < letter_id < 2**63:
        raise PageNotFoundError
    return await letter_page(request, letter_id, session, runtime, admin)


async def letter_page(
    request: Request,
    letter_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: SignedInOfficer,
    error: str | None = None,
) -> Response:
    try:
        found = await dead_letters.view_dead_letter(
            session, officer=admin, letter_id=letter_id, now=runtime.clock.now()
        )
    except dead_letters.UnknownDeadLetterError:
        raise PageNotFoundError from None
    await session.commit()
    return render(
        request,
        "admin_dead_letter.html",
        officer=admin,
        letter=found,
        error=REFUSED if error else None,
        reason=error,
        status_code=409 if error else 200,
    )


@router.post("/dead-letters/{letter_id}/replay", dependencies=[CsrfChecked])
async def replay(
    request: Request, letter_id: int, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> Response:
    if not 0 < letter_id < 2**63:
        raise PageNotFoundError
    try:
        await dead_letters.replay_dead_letter(
            session, officer=admin, runtime=runtime, letter_id=letter_id
        )
    except dead_letters.UnknownDeadLetterError:
        raise PageNotFoundError from None
    except (dead_letters.AlreadyReplayedError, dead_letters.NotReplayableError) as refused:
        await session.rollback()
        return await letter_page(request, letter_id, session, runtime, admin, str(refused))
    await session.commit()
    return done_to("dead-letters", "replayed")
