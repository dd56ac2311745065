"""Who is signed in to the web inbox, and the CSRF token each form carries.

The session cookie holds the same opaque token `POST /api/v1/auth/token`
issues (`backoffice.officers.sign_in`), so disabling an officer, revoking a
token and the login lockout apply to the pages exactly as to the API. The
cookie is HttpOnly, SameSite=Strict, and Secure when the request came over
HTTPS.

CSRF tokens are bound to what they protect, so nothing is stored for them:
signed in, a form's token is an HMAC of the session token; on the login form
(no session yet) an HMAC of a random nonce kept in its own cookie. Every
state-changing request must send it back, in the form field `csrf` or, from
htmx, in the `X-CSRF-Token` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response

from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.officers import Role, SignedInOfficer, officer_for_token

SESSION_COOKIE = "pintu_session"
LOGIN_NONCE_COOKIE = "pintu_login"
LANGUAGE_COOKIE = "pintu_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
COOKIE_PATH = "/backoffice"


class NotSignedInError(Exception):
    """The request carries no valid session: the page sends the officer to log in."""


class PageNotFoundError(Exception):
    """Nothing to show here for this officer (also a case out of their view)."""


class ForbiddenError(Exception):
    """The officer is signed in but their role may not do this."""


class CsrfError(Exception):
    """A state-changing request without the right CSRF token."""


def csrf_token(secret: bytes, seed: str) -> str:
    """The token forms protected by `seed` (a session token or a login nonce) carry."""
    return hmac.new(secret, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret: bytes, seed: str | None, sent: str | None) -> bool:
    if not seed or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, seed), sent)


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A cookie only the inbox gets back, never readable by scripts."""
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request)
    )


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


async def current_officer(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> SignedInOfficer:
    """The officer of the session cookie; `NotSignedInError` without a valid one."""
    token = session_token(request)
    officer = (
        None
        if token is None
        else await officer_for_token(session, token=token, now=runtime.clock.now())
    )
    if officer is None:
        raise NotSignedInError
    return officer


WebOfficer = Annotated[SignedInOfficer, Depends(current_officer)]


async def checked_csrf(
    request: Request, officer: WebOfficer, runtime: RuntimeDep
) -> AsyncIterator[None]:
    """Refuse a signed-in request whose CSRF token (form field or header) is wrong.

    The form parsed here is the one the route reads (Starlette keeps it); its
    uploaded files are closed once the request is done, or at once when refused.
    """
    sent = request.headers.get(CSRF_HEADER)
    form = None
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    try:
        if not csrf_matches(runtime.secret_key, session_token(request), sent):
            raise CsrfError
        yield
    finally:
        if form is not None:
            await form.close()


CsrfChecked = Depends(checked_csrf)


def require_role(officer: SignedInOfficer, *roles: Role) -> None:
    if officer.role not in roles:
        raise ForbiddenError


def supervisor(officer: WebOfficer) -> SignedInOfficer:
    require_role(officer, Role.SUPERVISOR, Role.ADMIN)
    return officer


def admin(officer: WebOfficer) -> SignedInOfficer:
    require_role(officer, Role.ADMIN)
    return officer


SupervisorOfficer = Annotated[SignedInOfficer, Depends(supervisor)]
AdminOfficer = Annotated[SignedInOfficer, Depends(admin)]
