"""The FAQ for admins: every entry, edited whole in both languages, or removed
(`backoffice.faq`, as `PUT`/`DELETE /api/v1/faq/{id}` do)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backoffice import faq
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.officers import SignedInOfficer
from backoffice.schemas.faq import FaqBase
from backoffice.web.pages import render
from backoffice.web.session import AdminOfficer, CsrfChecked, PageNotFoundError
from bot.domain.faq import ID_PATTERN
from bot.domain.i18n import N_

router = APIRouter(prefix="/admin/faq")

Text = Annotated[str, Form(max_length=20_000)]
INVALID = N_("inbox.faq.invalid")
DONE = {"saved": N_("inbox.faq.saved"), "deleted": N_("inbox.faq.deleted")}


async def page(
    request: Request,
    session: SessionDep,
    officer: SignedInOfficer,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    entries = await faq.list_faqs(session)
    return render(
        request, "faq.html", officer=officer, faqs=entries, status_code=status_code, **context
    )


@router.get("")
async def faq_page(
    request: Request, session: SessionDep, officer: AdminOfficer, done: str = ""
) -> Response:
    return await page(request, session, officer, done=DONE.get(done[:16]))


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("", dependencies=[CsrfChecked])
async def save(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: AdminOfficer,
    faq_id: Annotated[str, Form(max_length=64)] = "",
    title_id: Text = "",
    title_en: Text = "",
    questions_id: Text = "",
    questions_en: Text = "",
    answer_id: Text = "",
    answer_en: Text = "",
    sample: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Create or replace the entry `faq_id` whole, both languages at once."""
    try:
        if ID_PATTERN.fullmatch(faq_id) is None:
            raise ValueError(f"id: {ID_PATTERN.pattern}")
        body = FaqBase(
            title={"id": title_id, "en": title_en},
            questions={"id": lines(questions_id), "en": lines(questions_en)},
            answer={"id": answer_id, "en": answer_en},
            sample=bool(sample),
        )
    except (ValidationError, ValueError) as invalid:
        return await page(
            request, session, officer, error=INVALID, reason=_reason(invalid), status_code=422
        )
    await faq.put_faq(session, officer=officer, faq_id=faq_id, body=body, now=runtime.clock.now())
    await session.commit()
    return RedirectResponse("/backoffice/admin/faq?done=saved", status_code=303)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(error)


@router.post("/{faq_id}/delete", dependencies=[CsrfChecked])
async def delete(
    faq_id: str, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> Response:
    deleted = await faq.delete_faq(
        session, officer=officer, faq_id=faq_id[:64], now=runtime.clock.now()
    )
    if not deleted:
        raise PageNotFoundError
    await session.commit()
    return RedirectResponse("/backoffice/admin/faq?done=deleted", status_code=303)
