"""`/docs`: Swagger UI for the officer API, from files inside the package.

FastAPI's own page fetches Swagger UI from a CDN and starts it with an
inline script: blank without internet, and refused by a strict CSP. This one
serves the vendored swagger-ui-dist (`static/swagger/`, see
`static/VENDORED.md`) and starts it from `static/swagger-init.js`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from backoffice.web.pages import STATIC_PATH, environment

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    page = (
        environment()
        .get_template("docs.html")
        .render(title=app.title, openapi_url=app.openapi_url, static=STATIC_PATH)
    )
    return HTMLResponse(page)
