"""The officer web inbox at `/backoffice/` (DESIGN §5): server-rendered pages.

Jinja2 templates (`templates/`, autoescaped) and htmx for the parts that
refresh themselves (`static/`, vendored: see `static/VENDORED.md`); no
JavaScript build, no inline script or style. Every page works on the same
services as the JSON API (`backoffice.cases`, `backoffice.alerts`, …) with
the same visibility rule (`backoffice.api.deps.case_scope`), signed in with
the same tokens (`backoffice.web.session`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from backoffice.web import docs
from backoffice.web.headers import HEADERS
from backoffice.web.pages import STATIC_PATH, render
from backoffice.web.routes import build_router
from backoffice.web.session import (
    CsrfError,
    ForbiddenError,
    NotSignedInError,
    PageNotFoundError,
)
from bot.handlers.security_headers import SecurityHeaders

STATIC = Path(__file__).parent / "static"
PREFIX = "/backoffice"


def install(app: FastAPI) -> None:
    """Add the inbox to `app`: its pages, its files, its error pages and its headers,
    and `/docs` served from the package (create `app` with `docs_url=None`)."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="backoffice-static")
    app.include_router(build_router())
    app.include_router(docs.router)
    app.add_exception_handler(NotSignedInError, _to_login)
    app.add_exception_handler(PageNotFoundError, _not_found)
    app.add_exception_handler(ForbiddenError, _forbidden)
    app.add_exception_handler(CsrfError, _csrf_refused)
    app.add_middleware(SecurityHeaders, prefixes=(PREFIX, "/docs"), headers=HEADERS)


async def _to_login(request: Request, _error: Exception) -> Response:
    if request.headers.get("HX-Request"):
        # htmx follows this itself: a poll after the session ended goes to the login page.
        return Response(status_code=401, headers={"HX-Redirect": f"{PREFIX}/login"})
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


async def _not_found(request: Request, _error: Exception) -> Response:
    return render(request, "error.html", status_code=404, problem="not_found")


async def _forbidden(request: Request, _error: Exception) -> Response:
    return render(request, "error.html", status_code=403, problem="forbidden")


async def _csrf_refused(request: Request, _error: Exception) -> Response:
    return render(request, "error.html", status_code=403, problem="csrf")
