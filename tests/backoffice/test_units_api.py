"""The unit tree over HTTP, and incidents routed to the unit whose area holds their place."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backoffice.bootstrap import ensure_units
from backoffice.officers import Role
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import units
from tests.conftest import ADMIN_PASSWORD
from tests.support.office import sign_in
from tests.support.units import UNITS_URL, officer_in, refs_listed
from tests.support.web import WebCitizen

# Polres Palembang as a rough square around the city, Polsek Ilir Barat as a circle in it.
PALEMBANG = [[-2.90, 104.65], [-2.90, 104.85], [-3.10, 104.85], [-3.10, 104.65]]
ILIR_BARAT = {"centre": [-2.98, 104.74], "radius_km": 3}
IN_ILIR_BARAT = (-2.985, 104.745)  # about 0.8 km from its centre
IN_PALEMBANG_ONLY = (-3.05, 104.80)  # inside the square, about 12 km from that centre
FAR_AWAY = (-3.80, 103.50)  # Lahat


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def add(client: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(UNITS_URL, json=body, headers=admin)


async def test_the_root_and_internal_affairs_exist_from_the_start(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    officer = await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit=None)
    response = await client.get(UNITS_URL, headers=officer)
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "code": "polda",
                "name": "Polda",
                "parent": None,
                "area": None,
                "children": [
                    {
                        "code": "propam",
                        "name": "Propam",
                        "parent": "polda",
                        "area": None,
                        "children": [],
                    }
                ],
            }
        ]
    }


async def test_workers_starting_together_create_each_unit_once(
    runtime: Runtime, settings: Settings
) -> None:
    await asyncio.gather(*(ensure_units(runtime.db, settings, runtime.clock) for _ in range(4)))
    async with runtime.db.connect() as conn:
        codes = sorted((await conn.execute(select(units.c.code))).scalars())
    assert codes == ["polda", "propam"]


async def test_admins_grow_the_tree(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await add(
        client, admin, code="polres-plg", name="Polrestabes Palembang", parent="polda"
    )
    assert created.status_code == 201
    assert created.json() == {
        "code": "polres-plg",
        "name": "Polrestabes Palembang",
        "parent": "polda",
        "area": None,
        "children": [],
    }
    polsek = await add(
        client,
        admin,
        code="polsek-ib1",
        name="Polsek Ilir Barat I",
        parent="polres-plg",
        area=ILIR_BARAT,
    )
    assert polsek.status_code == 201
    assert polsek.json()["area"] == {"centre": [-2.98, 104.74], "radius_km": 3.0}
    tree = (await client.get(UNITS_URL, headers=admin)).json()
    [root] = tree["items"]
    assert [child["code"] for child in root["children"]] == ["propam", "polres-plg"]
    assert [child["code"] for child in root["children"][1]["children"]] == ["polsek-ib1"]
    again = await add(client, admin, code="polres-plg", name="Lagi", parent="polda")
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"code": "Polres A", "name": "x", "parent": "polda"}, None),
        ({"code": "", "name": "x", "parent": "polda"}, None),
        ({"code": "polres-a", "name": " ", "parent": "polda"}, None),
        ({"code": "polres-a", "name": "x", "parent": "nowhere"}, "no unit with code 'nowhere'"),
        (
            {"code": "polres-a", "name": "x", "parent": "polda", "area": {"polygon": [[0, 0]]}},
            "3 to",
        ),
        (
            {"code": "polres-a", "name": "x", "parent": "polda", "area": {"centre": [0, 0]}},
            "radius_km",
        ),
        (
            {
                "code": "a",
                "name": "x",
                "parent": "polda",
                "area": {"centre": [95, 0], "radius_km": 1},
            },
            "latitude",
        ),
        ({"code": "a", "name": "x", "parent": "polda", "area": {"square": 1}}, "polygon"),
    ],
)
async def test_a_bad_unit_is_422_with_a_reason(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], reason: str | None
) -> None:
    response = await add(client, admin, **body)
    assert response.status_code == 422
    if reason is not None:
        assert reason in response.json()["detail"]


async def report_at(client: httpx.AsyncClient, place: tuple[float, float]) -> None:
    citizen = await WebCitizen.open(client)
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Pencurian/jambret")
    await citizen.press("Sedang/baru terjadi")
    latitude, longitude = place
    shared = await citizen.post({"location": {"latitude": latitude, "longitude": longitude}})
    assert shared.status_code == 202
    await citizen.read()
    await citizen.say("Tas dirampas dua orang bermotor, mereka kabur ke arah jembatan.")
    await citizen.press("Lewati")
    await citizen.give_name()
    await citizen.press("Kirim")


async def test_an_incident_goes_to_the_deepest_unit_whose_area_holds_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    polres = {"polygon": PALEMBANG}
    assert (
        await add(client, admin, code="polres-plg", name="P", parent="polda", area=polres)
    ).status_code == 201
    assert (
        await add(client, admin, code="polsek-ib1", name="S", parent="polres-plg", area=ILIR_BARAT)
    ).status_code == 201

    for place in (IN_ILIR_BARAT, IN_PALEMBANG_ONLY, FAR_AWAY):
        await report_at(client, place)

    queue = (await client.get("/api/v1/cases", params={"sort": "oldest"}, headers=admin)).json()
    assert [item["unit"] for item in queue["items"]] == ["polsek-ib1", "polres-plg", "polda"]
    [polsek_case] = await refs_listed(client, admin, unit="polsek-ib1")
    assert polsek_case == queue["items"][0]["ref"]


async def test_an_urgent_incident_is_routed_when_its_place_is_shared(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (
        await add(client, admin, code="polsek-ib1", name="S", parent="polda", area=ILIR_BARAT)
    ).status_code == 201
    citizen = await WebCitizen.open(client)
    await citizen.say("lapor")
    await citizen.press("Ya, ada bahaya")
    await citizen.press("Kekerasan/penganiayaan")
    await citizen.press("Sedang/baru terjadi")
    latitude, longitude = IN_ILIR_BARAT
    await citizen.post({"location": {"latitude": latitude, "longitude": longitude}})
    await citizen.read()

    [item] = (await client.get("/api/v1/cases", headers=admin)).json()["items"]
    assert (item["priority"], item["unit"]) == ("urgent", "polsek-ib1")
