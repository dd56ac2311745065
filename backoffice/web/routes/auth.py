"""Logging in and out of the inbox, and choosing its language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from backoffice import officers
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.web import session as web_session
from backoffice.web.pages import render
from backoffice.web.session import (
    LANGUAGE_COOKIE,
    LOGIN_NONCE_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    CsrfError,
    WebOfficer,
)
from bot.domain.i18n import LOCALES, N_

router = APIRouter()

Field = Annotated[str, Form(max_length=256)]


def login_page(request: Request, *, error: str | None = None, username: str = "") -> Response:
    """The login form with a fresh nonce, so its CSRF token is bound to this browser."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or web_session.new_login_nonce()
    response = render(
        request,
        "login.html",
        csrf_seed=nonce,
        error=error,
        username=username,
        status_code=401 if error else 200,
    )
    web_session.set_cookie(request, response, LOGIN_NONCE_COOKIE, nonce)
    return response


@router.get("/login")
async def show_login(request: Request) -> Response:
    return login_page(request)


@router.post("/login")
async def log_in(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Field,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Sign in exactly as `POST /api/v1/auth/token` does, and keep its token in the cookie."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not web_session.csrf_matches(runtime.secret_key, nonce, csrf):
        raise CsrfError
    issued = await officers.sign_in(
        session,
        username=username,
        password=password,
        ttl_seconds=runtime.settings.token_ttl_seconds,
        now=runtime.clock.now(),
    )
    await session.commit()  # the audit entry of a failed attempt too
    if issued is None:
        return login_page(request, error=N_("inbox.login.wrong"), username=username)
    response = RedirectResponse("/backoffice/", status_code=303)
    web_session.set_cookie(request, response, SESSION_COOKIE, issued.token)
    web_session.forget_cookie(request, response, LOGIN_NONCE_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
async def log_out(request: Request, officer: WebOfficer, session: SessionDep) -> Response:
    """End the session at once: the token is refused from now on, here and in the API."""
    response = RedirectResponse("/backoffice/login", status_code=303)
    web_session.forget_cookie(request, response, SESSION_COOKIE)
    return response


@router.get("/language/{locale}")
async def choose_language(request: Request, locale: str, next: str = "/backoffice/") -> Response:
    """Remember the officer's language; only a page of the inbox is gone back to."""
    target = next if next.startswith("/backoffice/") and "//" not in next else "/backoffice/"
    response = RedirectResponse(target, status_code=303)
    if locale in LOCALES:
        web_session.set_cookie(request, response, LANGUAGE_COOKIE, locale)
    return response
