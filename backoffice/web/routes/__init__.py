"""The inbox's pages, one module per part of it."""

from __future__ import annotations

from fastapi import APIRouter

from backoffice.web.routes import (
    admin,
    applications,
    auth,
    broadcasts,
    case,
    faq,
    queue,
    statistics,
    surveys,
)
from backoffice.web.session import PageNotFoundError


def build_router() -> APIRouter:
    """A fresh router for one app (tests build several side by side)."""
    router = APIRouter(prefix="/backoffice", include_in_schema=False)
    router.include_router(auth.router)
    router.include_router(queue.router)
    router.include_router(case.router)
    router.include_router(surveys.router)
    router.include_router(broadcasts.router)
    router.include_router(faq.router)
    router.include_router(applications.router)
    router.include_router(statistics.router)
    router.include_router(admin.router)

    @router.get("/{anything:path}")
    async def not_found(anything: str) -> None:
        """Any other address under the inbox: its own 404 page."""
        raise PageNotFoundError

    return router
