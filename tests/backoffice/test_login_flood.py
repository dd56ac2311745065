"""A flood of sign-ins: password checks run a few at a time, the rest are
refused at once (503 with Retry-After) instead of queueing without end.

Memory follows: each running check holds Argon2's 64 MiB, so at most the cap
times that, however many sign-ins arrive (`python -m bench.login_flood`
measures it).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from backoffice.security import PasswordChecks
from bot.settings import Settings
from tests.support.accounts import login


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # two checks at once, two more waiting, at the real Argon2 cost (64 MiB each)
    return settings.model_copy(
        update={
            "password_checks_concurrent": 2,
            "password_checks_waiting": 2,
            "password_cost": "recommended",
        }
    )


async def test_a_flood_of_logins_never_runs_more_checks_than_the_cap(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checks: PasswordChecks = app.state.password_checks
    flood = await asyncio.gather(*(login(client, f"guess{n}", "salah-sandi-1") for n in range(200)))
    statuses = {response.status_code for response in flood}
    assert statuses == {401, 503}, statuses
    busy = [response for response in flood if response.status_code == 503]
    assert all(response.headers["Retry-After"] == "1" for response in busy)
    assert busy, "beyond the short line, refused at once instead of queued"
    assert 1 <= checks.peak <= 2
