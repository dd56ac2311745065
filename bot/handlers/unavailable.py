"""503 for any route that meets a fault of the database itself (`bot.storage.faults`).

A webhook answered 503 is redelivered by its platform (Telegram retries,
Meta retries for days), so nothing is lost while the database is away; a
500 would say the request was wrong, a 200 that it was kept. Other database
errors stay 500s. Only the error's type and the path are logged: database
errors carry the statement's parameters, and query strings carry secrets.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc

from bot.storage.faults import DatabaseUnavailable, is_unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
CAUGHT = (
    DatabaseUnavailable,
    exc.DBAPIError,
    exc.DisconnectionError,
    exc.TimeoutError,
    sqlite3.Error,
    ConnectionError,
    TimeoutError,
)


async def database_unavailable(request: Request, error: Exception) -> Response:
    if not is_unavailable(error):
        raise error
    log.warning(
        "database unavailable (%s): %s %s answered 503",
        type(error).__name__,
        request.method,
        request.url.path,
    )
    return JSONResponse(
        {"detail": "the database is unavailable for a moment; try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install(app: FastAPI) -> None:
    for kind in CAUGHT:
        app.add_exception_handler(kind, database_unavailable)
