"""The FAQ as admins edit it: the services behind `/api/v1/faq`.

Each function runs in the caller's session; writes add their audit entry
there and the route commits. The entries themselves are `bot.services.faq`'s.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.faq import FaqBase, FaqPublic, FaqsPublic
from bot.domain.faq import Faq, make_faq
from bot.services import faq


def _public(entry: Faq) -> FaqPublic:
    return FaqPublic.model_validate(
        {
            "id": entry.id,
            "title": entry.title,
            "questions": entry.questions,
            "answer": entry.answer,
            "sample": entry.sample,
            "updated_at": entry.updated_at,
        }
    )


async def list_faqs(session: AsyncSession) -> FaqsPublic:
    entries = await faq.list_faqs(await session.connection())
    return FaqsPublic(items=[_public(entry) for entry in entries], total=len(entries))


async def read_faq(session: AsyncSession, *, faq_id: str) -> FaqPublic | None:
    entry = await faq.get_faq(await session.connection(), faq_id)
    return None if entry is None else _public(entry)


async def put_faq(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    faq_id: str,
    body: FaqBase,
    now: datetime,
) -> tuple[FaqPublic, bool]:
    """Create or replace the entry `faq_id`; the stored entry and whether it is new."""
    entry = make_faq(
        faq_id,
        title=body.title.model_dump(),
        questions=body.questions.model_dump(),
        answer=body.answer.model_dump(),
        sample=body.sample,
        updated_at=now,
    )
    created = await faq.put_faq(await session.connection(), entry, now=now)
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.FAQ_PUT,
        target=faq_id,
        detail={"created": created, "sample": entry.sample},
        now=now,
    )
    return _public(entry), created


async def delete_faq(
    session: AsyncSession, *, officer: SignedInOfficer, faq_id: str, now: datetime
) -> bool:
    """Remove the entry `faq_id`; False (and nothing audited) when there is none."""
    deleted = await faq.delete_faq(await session.connection(), faq_id)
    if deleted:
        await audit.record(
            session,
            actor=officer.username,
            officer_id=officer.id,
            action=audit.AuditAction.FAQ_DELETE,
            target=faq_id,
            detail={},
            now=now,
        )
    return deleted
