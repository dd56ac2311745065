"""What one client address and one web-chat session may cost: new sessions, stored files.

A web session costs nothing to open, and each one used to bring a fresh
allowance of everything (issue 14: five sessions, five urgent cases in
0.07 s). So new sessions are limited per client address (`client_address`,
through the trusted proxies), and the files a session and an address may
have stored per day are counted in files and in bytes. Messages themselves
are not refused by address: mobile carriers put many citizens behind one
address, and an urgent message must always be taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request

from bot.domain.clock import Clock
from bot.handlers.allowances import Allowances
from bot.handlers.client_address import Network, client_address
from bot.settings import Settings

DAY = timedelta(days=1)


@dataclass(frozen=True)
class WebLimits:
    trusted: tuple[Network, ...]
    sessions: Allowances  # per address
    session_files: Allowances
    session_bytes: Allowances
    address_files: Allowances
    address_bytes: Allowances

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> WebLimits:
        def per(capacity: int, period: timedelta) -> Allowances:
            return Allowances(
                capacity=capacity,
                period=period,
                max_keys=settings.web_tracked_addresses,
                clock=clock,
            )

        return cls(
            trusted=settings.trusted_proxy_networks,
            sessions=per(settings.web_sessions_per_address_per_hour, timedelta(hours=1)),
            session_files=per(settings.web_uploads_per_session_per_day, DAY),
            session_bytes=per(settings.web_upload_bytes_per_session_per_day, DAY),
            address_files=per(settings.web_uploads_per_address_per_day, DAY),
            address_bytes=per(settings.web_upload_bytes_per_address_per_day, DAY),
        )

    def address(self, request: Request) -> str:
        return client_address(request, self.trusted)

    def new_session(self, address: str) -> float:
        """0 and counted when `address` may open a session now; else seconds to wait."""
        return self.sessions.take(address)

    def store_file(self, browser: str, address: str, size: int) -> float:
        """0 and counted when a file of `size` bytes may be stored; else seconds to wait."""
        costs = (
            (self.session_files, browser, 1),
            (self.session_bytes, browser, size),
            (self.address_files, address, 1),
            (self.address_bytes, address, size),
        )
        waits = [allowance.wait(key, cost) for allowance, key, cost in costs]
        if any(waits):
            return max(waits)
        for allowance, key, cost in costs:
            allowance.spend(key, cost)
        return 0.0


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1, a day at most (never infinite)."""
    day = int(DAY.total_seconds())
    return str(max(1, math.ceil(seconds)) if seconds < day else day)
