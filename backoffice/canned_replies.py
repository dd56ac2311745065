"""Canned replies: the services behind `/api/v1/canned-replies`, and filling one in.

Admins keep them; every officer may list and send them. A canned reply is
sent as `POST /api/v1/cases/{ref}/replies {"canned_id": n}`: the text in the
citizen's language, with `{ref}` the case's reference and `{officer}` the
replying officer's name.

Exceptions: `CannedReplyNotFoundError` (404), `CannedReplyExistsError` (409).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.canned_replies import (
    CannedRepliesPublic,
    CannedReplyCreate,
    CannedReplyPublic,
    CannedReplyUpdate,
    CannedTexts,
)
from bot.storage.models import CannedReply, Case, Contact, Officer


class CannedReplyNotFoundError(LookupError):
    def __init__(self, reply_id: int) -> None:
        super().__init__(f"no canned reply {reply_id}")


class CannedReplyExistsError(Exception):
    def __init__(self, title: str) -> None:
        super().__init__(f"a canned reply titled {title!r} exists")


async def list_replies(session: AsyncSession) -> CannedRepliesPublic:
    rows = await session.exec(select(CannedReply).order_by(col(CannedReply.title)))
    return CannedRepliesPublic(items=[_public(row) for row in rows])


async def add_reply(
    session: AsyncSession, *, officer: SignedInOfficer, body: CannedReplyCreate, now: datetime
) -> CannedReplyPublic:
    row = CannedReply(
        title=body.title, texts=body.texts.model_dump_json(), created_at=now, updated_at=now
    )
    await _save(session, row, body.title)
    await _record(session, officer, audit.AuditAction.CANNED_REPLY_ADD, row, now)
    return _public(row)


async def edit_reply(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    reply_id: int,
    body: CannedReplyUpdate,
    now: datetime,
) -> CannedReplyPublic:
    row = await _found(session, reply_id)
    if body.title is not None:
        row.title = body.title
    if body.texts is not None:
        row.texts = body.texts.model_dump_json()
    row.updated_at = now
    await _save(session, row, row.title)
    await _record(session, officer, audit.AuditAction.CANNED_REPLY_EDIT, row, now)
    return _public(row)


async def delete_reply(
    session: AsyncSession, *, officer: SignedInOfficer, reply_id: int, now: datetime
) -> None:
    row = await _found(session, reply_id)
    await _record(session, officer, audit.AuditAction.CANNED_REPLY_DELETE, row, now)
    await session.delete(row)


async def fill_in(
    session: AsyncSession, *, reply_id: int, case: Case, officer: SignedInOfficer
) -> str:
    """The canned reply as this case's citizen reads it, signed by this officer."""
    texts = CannedTexts.model_validate_json((await _found(session, reply_id)).texts)
    locale = (await session.exec(select(Contact.locale).where(Contact.id == case.contact_id))).one()
    name = (await session.exec(select(Officer.full_name).where(Officer.id == officer.id))).one()
    text = texts.en if locale == "en" else texts.id
    return text.format(ref=case.ref, officer=name or officer.username)


async def _found(session: AsyncSession, reply_id: int) -> CannedReply:
    row = await session.get(CannedReply, reply_id)
    if row is None:
        raise CannedReplyNotFoundError(reply_id)
    return row


async def _save(session: AsyncSession, row: CannedReply, title: str) -> None:
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise CannedReplyExistsError(title) from None


async def _record(
    session: AsyncSession,
    officer: SignedInOfficer,
    action: audit.AuditAction,
    row: CannedReply,
    now: datetime,
) -> None:
    await audit.record_by(session, officer, action, str(row.id), {"title": row.title}, now)


def _public(row: CannedReply) -> CannedReplyPublic:
    assert row.id is not None, "a stored row has an id"
    return CannedReplyPublic(
        id=row.id,
        title=row.title,
        texts=CannedTexts.model_validate(json.loads(row.texts)),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
