"""Junk numbers get a 4xx with a reason, never a 5xx: ids beyond what the
database holds, NaN and infinity; and every integer parameter of the API is bounded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN_PASSWORD
from tests.support.accounts import bearer, login
from tests.support.journeys import file_complaint
from tests.support.web import WebCitizen

TOO_BIG = 2**63 + 1
BEYOND_POSTGRESQL = 2**31  # ids are 32-bit INTEGER columns there


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, "admin", ADMIN_PASSWORD))


@pytest.mark.parametrize(
    ("path", "given"),
    [
        ("/api/v1/statistics", {"to": "0001-01-01"}),  # the schema run found this one: a 500
        ("/api/v1/statistics", {"from": "9999-12-31"}),
        ("/api/v1/cases", {"to": "9999-12-31"}),  # the day after it is no date
        ("/api/v1/surveys/ikm/results", {"to": "9999-12-31"}),
        ("/api/v1/surveys/ikm/suggestions", {"from": "1999-12-31"}),
    ],
)
async def test_days_beyond_the_years_a_period_may_span_are_422(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, given: dict[str, str]
) -> None:
    response = await client.get(path, params=given, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(given))]


async def test_the_statistics_page_ignores_a_day_it_cannot_use(
    client: httpx.AsyncClient,
) -> None:
    form = {"username": "admin", "password": ADMIN_PASSWORD}
    await client.get("/backoffice/login")
    login_page = await client.get("/backoffice/login")
    token = login_page.text.split('name="csrf" value="')[1].split('"')[0]
    await client.post("/backoffice/login", data=form | {"csrf": token})
    page = await client.get("/backoffice/statistics", params={"to": "0001-01-01"})
    assert page.status_code == 200  # the default period instead: no 500
    assert "Statistik" in page.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cases/{ref}/media/{big}"),
        ("POST", "/api/v1/alerts/{big}/ack"),
        ("GET", "/api/v1/dead-letters/{big}"),
        ("POST", "/api/v1/dead-letters/{big}/replay"),
        ("GET", "/api/v1/cases/{ref}/media/-1"),
        ("GET", f"/api/v1/cases/{{ref}}/media/{BEYOND_POSTGRESQL}"),
        ("POST", f"/api/v1/alerts/{BEYOND_POSTGRESQL}/ack"),
        ("GET", f"/api/v1/dead-letters/{BEYOND_POSTGRESQL}"),
    ],
)
async def test_ids_the_database_cannot_hold_are_422(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
) -> None:
    ref = await file_complaint(await WebCitizen.open(client))
    response = await client.request(method, path.format(ref=ref, big=TOO_BIG), headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "path"


@pytest.mark.parametrize(
    "params",
    [
        {"after": TOO_BIG},
        {"after": BEYOND_POSTGRESQL},
        {"wait": "nan"},
        {"wait": "inf"},
        {"after": -1},
    ],
)
async def test_the_web_chat_poll_takes_only_sane_numbers(
    citizen: WebCitizen, params: dict[str, Any]
) -> None:
    response = await citizen.http.get("/chat/api/messages", params=params, headers=citizen.headers)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "location",
    [
        b'{"latitude": NaN, "longitude": 104.75}',
        b'{"latitude": -2.97, "longitude": Infinity}',
        b'{"latitude": -2.97, "longitude": -Infinity}',
        b'{"latitude": 1e400, "longitude": 104.75}',
    ],
)
async def test_a_location_must_be_finite(citizen: WebCitizen, location: bytes) -> None:
    body = b'{"client_id": "finite-test-1", "location": ' + location + b"}"
    response = await citizen.http.post(
        "/chat/api/messages",
        content=body,
        headers=citizen.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "finite number" in response.text


def integer_parameters(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                kinds = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
                for kind in kinds:
                    if kind.get("type") == "integer":
                        found.append((f"{method.upper()} {path}", parameter["name"], kind))
    return found


def test_every_integer_parameter_has_bounds(app: FastAPI) -> None:
    found = integer_parameters(app.openapi())
    assert len(found) >= 10, "the walk finds the parameters"
    unbounded = [
        (route, name)
        for route, name, kind in found
        if "maximum" not in kind or "minimum" not in kind
    ]
    assert unbounded == []
    assert all(kind["maximum"] < BEYOND_POSTGRESQL for _, _, kind in found)
