"""A schema-driven run: requests generated from the app's own OpenAPI schema,
valid and invalid, to every route, signed in as an admin; none may get a 5xx.

Schemathesis draws the requests (`PINTU_SCHEMA_EXAMPLES` per route and
mode; a few in `make test`, more in `.ci/run`), derandomized so a run is
repeatable; they go to the app served on a loopback port from a worker
thread, while the test's own event loop serves them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.accounts import bearer, login
from tests.support.loopback import running
from tests.support.web import WebCitizen

EXAMPLES = int(os.environ.get("PINTU_SCHEMA_EXAMPLES", "4"))
FUZZER, FUZZER_PASSWORD = "fuzzer-admin-7", "fuzzer-rahasia-7"
# Signing out would end the run's own session; everything else is fair game.
SKIPPED = {("POST", "/api/v1/auth/logout")}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web_poll_wait_seconds": 0.0})


class Served:
    """The app under test, for `running` (its lifespan already runs)."""

    url = ""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def app(self) -> Any:
        return self._app


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    async with running(Served(app)) as server:  # type: ignore[type-var]
        yield server.url


async def fuzzer_headers(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> dict[str, str]:
    """An admin of its own, whose name no generated request will guess."""
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username=FUZZER,
            password=FUZZER_PASSWORD,
            role=Role.ADMIN,
            full_name="Fuzzer",
            now=clock.now(),
        )
        await session.commit()
    return bearer(await login(client, FUZZER, FUZZER_PASSWORD))


def server_errors(
    schema: dict[str, Any], url: str, officer: dict[str, str], citizen: dict[str, str]
) -> list[str]:
    """Every generated request that got a 5xx, as a curl-like line."""
    failures: list[str] = []
    for result in schemathesis.openapi.from_dict(schema).get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        headers = citizen if operation.path.startswith("/chat/") else officer
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                failures += examples(operation, mode, url, headers)
            except Unsatisfiable:  # nothing to make invalid: a route without parameters
                assert mode is GenerationMode.NEGATIVE
    return failures


def examples(
    operation: APIOperation, mode: GenerationMode, url: str, headers: dict[str, str]
) -> list[str]:
    """Send `EXAMPLES` requests drawn for `operation`; those answered with a 5xx."""
    failures: list[str] = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Case) -> None:
        response = case.call(base_url=url, headers=headers, timeout=30)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case.as_curl_command()}")

    send()
    return failures


async def test_no_route_answers_a_5xx_to_generated_requests(
    app: FastAPI,
    served: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    headers = await fuzzer_headers(client, runtime, clock)
    citizen = await WebCitizen.open(client)
    schema = app.openapi()
    assert len(schema["paths"]) >= 20, "the run covers the whole API"
    failures = await asyncio.to_thread(server_errors, schema, served, headers, citizen.headers)
    assert failures == []
    # the run's session held: every request was an admin's, not a stranger's
    assert (await client.get("/api/v1/officers", headers=headers)).status_code == 200
