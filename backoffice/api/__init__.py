"""The officer API under /api/v1 (DESIGN §5)."""

from __future__ import annotations

from fastapi import APIRouter

from backoffice.api.routes import (
    alerts,
    applications,
    audit,
    auth,
    broadcasts,
    canned_replies,
    case_media,
    cases,
    dead_letters,
    faq,
    officers,
    statistics,
    surveys,
    units,
)


def build_api_router() -> APIRouter:
    """A fresh router for one app, so apps built side by side (tests) share nothing."""
    router = APIRouter(prefix="/api/v1")
    router.include_router(auth.router)
    router.include_router(cases.router)
    router.include_router(case_media.router)
    router.include_router(faq.router)
    router.include_router(applications.router)
    router.include_router(alerts.router)
    router.include_router(audit.router)
    router.include_router(surveys.router)
    router.include_router(broadcasts.router)
    router.include_router(statistics.router)
    router.include_router(units.router)
    router.include_router(canned_replies.router)
    router.include_router(officers.router)
    router.include_router(dead_letters.router)
    return router
