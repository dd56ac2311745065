"""What one client address and one web-chat session may cost: new sessions, stored files.

A web session costs nothing to open, and each one used to bring a fresh
allowance of everything (issue 14: five sessions, five urgent cases in
0.07 s). So new sessions are limited per client address (`client_address`,
through the trusted proxies), and the files a session and an address may
have stored per day are counted in files and in bytes, in the database, so
that every worker counts against the same allowance. Messages themselves
are not refused by address: mobile carriers put many citizens behind one
address, and an urgent message must always be taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request

from bot.handlers.client_address import Network, client_address
from bot.services.allowances import Allowance, Cost, SharedAllowances
from bot.settings import Settings

DAY = timedelta(days=1)


@dataclass(frozen=True)
class WebLimits:
    trusted: tuple[Network, ...]
    shared: SharedAllowances
    sessions: Allowance  # per address
    session_files: Allowance
    session_bytes: Allowance
    address_files: Allowance
    address_bytes: Allowance

    @classmethod
    def from_settings(cls, settings: Settings, shared: SharedAllowances) -> WebLimits:
        return cls(
            trusted=settings.trusted_proxy_networks,
            shared=shared,
            sessions=Allowance(
                "web.sessions", settings.web_sessions_per_address_per_hour, timedelta(hours=1)
            ),
            session_files=Allowance(
                "web.session_files", settings.web_uploads_per_session_per_day, DAY
            ),
            session_bytes=Allowance(
                "web.session_bytes", settings.web_upload_bytes_per_session_per_day, DAY
            ),
            address_files=Allowance(
                "web.address_files", settings.web_uploads_per_address_per_day, DAY
            ),
            address_bytes=Allowance(
                "web.address_bytes", settings.web_upload_bytes_per_address_per_day, DAY
            ),
        )

    @property
    def kinds(self) -> list[Allowance]:
        return [
            self.sessions,
            self.session_files,
            self.session_bytes,
            self.address_files,
            self.address_bytes,
        ]

    def address(self, request: Request) -> str:
        return client_address(request, self.trusted)

    async def new_session(self, address: str) -> float:
        """0 and counted when `address` may open a session now; else seconds to wait."""
        return await self.shared.take(Cost(self.sessions, address))

    async def store_file(self, browser: str, address: str, size: int) -> float:
        """0 and counted when a file of `size` bytes may be stored; else seconds to wait."""
        return await self.shared.take(
            Cost(self.session_files, browser),
            Cost(self.session_bytes, browser, size),
            Cost(self.address_files, address),
            Cost(self.address_bytes, address, size),
        )


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1, a day at most (never infinite)."""
    day = int(DAY.total_seconds())
    return str(max(1, math.ceil(seconds)) if seconds < day else day)
