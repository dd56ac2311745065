"""Logging in and out of the inbox, and choosing its language."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from backoffice import officers, security
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.api.routes.auth import BUSY_RETRY_SECONDS, get_password_checks
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
WRONG = N_("inbox.login.wrong")
LOCKED = N_("inbox.login.locked")
BUSY = N_("inbox.login.busy")


def login_page(
    request: Request,
    *,
    error: str | None = None,
    params: dict[str, object] | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    """The login form with a fresh nonce, so its CSRF token is bound to this browser."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or web_session.new_login_nonce()
    response = render(
        request,
        "login.html",
        csrf_seed=nonce,
        error=error,
        error_params=params or {},
        username=username,
        status_code=status,
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
    checks: Annotated[security.PasswordChecks, Depends(get_password_checks)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Sign in exactly as `POST /api/v1/auth/token` does, and keep its token in the cookie."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not web_session.csrf_matches(runtime.secret_key, nonce, csrf):
        raise CsrfError
    try:
        issued = await officers.sign_in(
            session,
            checks=checks,
            username=username,
            password=password,
            ttl_seconds=runtime.settings.token_ttl_seconds,
            lockout_seconds=runtime.settings.login_lockout_seconds,
            now=runtime.clock.now(),
        )
    except officers.LockedOutError as locked:
        minutes = max(1, math.ceil(locked.retry_after / 60))
        response = login_page(
            request, error=LOCKED, params={"minutes": minutes}, username=username, status=429
        )
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    except security.ChecksBusy:
        response = login_page(request, error=BUSY, username=username, status=503)
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response
    await session.commit()  # the audit entry and the count of a failed attempt too
    if issued is None:
        return login_page(request, error=WRONG, username=username, status=401)
    response = RedirectResponse("/backoffice/", status_code=303)
    web_session.set_cookie(request, response, SESSION_COOKIE, issued.token)
    web_session.forget_cookie(request, response, LOGIN_NONCE_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
async def log_out(
    request: Request, officer: WebOfficer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """End the session at once: the token is refused from now on, here and in the API."""
    token = web_session.session_token(request)
    assert token is not None, "a signed-in request carries its token"
    await officers.sign_out(session, officer=officer, token=token, now=runtime.clock.now())
    await session.commit()
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
