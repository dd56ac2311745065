"""Rendering the inbox's pages: Jinja2 with autoescaping, in the officer's language.

Templates say every fixed text as `t("inbox.…")`, a catalog key (the
catalog tests extract them from the templates); the labels of values the
data decides (a status, a delivery tick) are declared here with `N_`. All
text reaches the page escaped — citizens' and officers' words included —
and no template holds a script or a style: the Content-Security-Policy
(`backoffice.web.headers`) would refuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_timedelta
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backoffice.officers import Role, SignedInOfficer
from backoffice.web.session import LANGUAGE_COOKIE, csrf_token, session_token
from bot.domain.i18n import LOCALES, N_
from bot.runtime import Runtime

TEMPLATES = Path(__file__).parent / "templates"
STATIC_PATH = "/backoffice/static"

STATUS_LABELS = {
    "new": N_("inbox.status.new"),
    "in_progress": N_("inbox.status.in_progress"),
    "waiting_citizen": N_("inbox.status.waiting_citizen"),
    "resolved": N_("inbox.status.resolved"),
    "closed": N_("inbox.status.closed"),
}
KIND_LABELS = {"complaint": N_("inbox.kind.complaint"), "incident": N_("inbox.kind.incident")}
PRIORITY_LABELS = {
    "urgent": N_("inbox.priority.urgent"),
    "high": N_("inbox.priority.high"),
    "normal": N_("inbox.priority.normal"),
}
SLA_LABELS = {
    "ok": N_("inbox.sla.ok"),
    "due_soon": N_("inbox.sla.due_soon"),
    "breached": N_("inbox.sla.breached"),
    "met": N_("inbox.sla.met"),
    "paused": N_("inbox.sla.paused"),
}
ROLE_LABELS = {
    Role.OFFICER: N_("inbox.role.officer"),
    Role.SUPERVISOR: N_("inbox.role.supervisor"),
    Role.ADMIN: N_("inbox.role.admin"),
}
# A reply's way to the citizen, as ticks: the mark and what it means.
DELIVERY_TICKS = {
    "awaiting_citizen": ("⏸", N_("inbox.delivery.awaiting_citizen")),
    "template_sent": ("✉", N_("inbox.delivery.template_sent")),
    "template_delivered": ("✉✓", N_("inbox.delivery.template_delivered")),
    "template_read": ("✉✓✓", N_("inbox.delivery.template_read")),
    "template_failed": ("⚠", N_("inbox.delivery.failed")),
    "queued": ("🕓", N_("inbox.delivery.queued")),
    "sent": ("✓", N_("inbox.delivery.sent")),
    "delivered": ("✓✓", N_("inbox.delivery.delivered")),
    "read": ("✓✓", N_("inbox.delivery.read")),
    "failed": ("⚠", N_("inbox.delivery.failed")),
    "undeliverable": ("⚠", N_("inbox.delivery.undeliverable")),
}


@cache
def environment() -> Environment:
    """The one template environment (templates only; nothing of an app in it)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def locale_of(request: Request, runtime: Runtime) -> str:
    """The language the officer chose (a cookie), else the unit's default."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LOCALES else runtime.translator.default_locale


class View:
    """What a template may call, bound to one request's language and time."""

    def __init__(self, runtime: Runtime, locale: str) -> None:
        self.runtime = runtime
        self.locale = locale
        self.now = runtime.clock.now()

    def t(self, key: str, **params: object) -> str:
        return self.runtime.translator.text(self.locale, key, **params)

    def when(self, moment: datetime | None) -> str:
        return "" if moment is None else self.runtime.translator.datetime(self.locale, moment)

    def age(self, moment: datetime) -> str:
        return format_timedelta(self.now - moment, format="short", locale=self.locale)

    def number(self, value: float | int, places: int = 0) -> str:
        """`value` as the officer's locale writes numbers, with at least `places` decimals."""
        pattern = "#,##0." + "0" * places if places else None
        return format_decimal(value, format=pattern, locale=self.locale)

    def label(self, labels: Mapping[str, str], value: str | None) -> str:
        """A data value's label from `labels`, the value itself when none is known."""
        if value is None:
            return ""
        key = labels.get(value)
        return self.t(key) if key else value

    def category(self, kind: str, category: str | None) -> str:
        if not category:
            return ""
        key = f"{kind}.category.{category}"
        text = self.t(key)
        return category if text == key else text

    def ticks(self, status: str | None) -> tuple[str, str] | None:
        if status is None or status not in DELIVERY_TICKS:
            return None
        mark, key = DELIVERY_TICKS[status]
        return mark, self.t(key)


def map_link(latitude: float, longitude: float) -> str:
    """OpenStreetMap centred on the place, with a marker."""
    query = urlencode({"mlat": f"{latitude:.6f}", "mlon": f"{longitude:.6f}"})
    return f"https://www.openstreetmap.org/?{query}#map=17/{latitude:.6f}/{longitude:.6f}"


def render(
    request: Request,
    name: str,
    *,
    officer: SignedInOfficer | None = None,
    status_code: int = 200,
    csrf_seed: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `name` in the officer's language, with the CSRF token of their session
    (or of `csrf_seed` before there is one)."""
    runtime: Runtime = request.app.state.runtime
    view = View(runtime, locale_of(request, runtime))
    seed = csrf_seed or session_token(request)
    page = (
        environment()
        .get_template(name)
        .render(
            view=view,
            t=view.t,
            locale=view.locale,
            locales=LOCALES,
            officer=officer,
            is_supervisor=officer is not None and officer.role in (Role.SUPERVISOR, Role.ADMIN),
            is_admin=officer is not None and officer.role is Role.ADMIN,
            csrf=csrf_token(runtime.secret_key, seed) if seed else "",
            static=STATIC_PATH,
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            status_labels=STATUS_LABELS,
            kind_labels=KIND_LABELS,
            priority_labels=PRIORITY_LABELS,
            role_labels=ROLE_LABELS,
            sla_labels=SLA_LABELS,
            map_link=map_link,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)
