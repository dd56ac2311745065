"""Working cases over HTTP: recusal, confidential cases, PATCH, notes, reopening,
filters and order, anonymous masking, and the emergency's first words kept."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log
from tests.conftest import ADMIN_PASSWORD
from tests.support.journeys import file_complaint
from tests.support.office import sign_in
from tests.support.units import CASES_URL, grow_tree, move, officer_in, refs_listed
from tests.support.web import WebCitizen, texts

REPORTER = "Siti Rahma"  # the name a named web citizen gives (tests/support/web.py)


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def case_of(client: httpx.AsyncClient, headers: dict[str, str], ref: str) -> dict[str, Any]:
    response = await client.get(f"{CASES_URL}/{ref}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"{CASES_URL}/{ref}", json=body, headers=headers)


# Recusal and confidential cases


async def test_a_complaint_about_an_officer_is_filed_to_internal_affairs(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    root_officer = await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit=None)
    propam = await officer_in(client, runtime, username="sari", role=Role.OFFICER, unit="propam")
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen)  # "Perilaku petugas", on the web chat

    assert (await case_of(client, admin, ref))["unit"] == "propam"
    assert (await client.get(f"{CASES_URL}/{ref}", headers=root_officer)).status_code == 404
    assert await refs_listed(client, root_officer) == []
    assert await refs_listed(client, root_officer, q="kuitansi") == []
    assert await refs_listed(client, propam) == [ref]
    assert (await case_of(client, propam, ref))["confidential"] is False


async def test_a_confidential_case_is_for_its_units_supervisors_and_its_assignee(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    officer = await officer_in(client, runtime, username="sari", role=Role.OFFICER, unit="propam")
    await officer_in(client, runtime, username="dewi", role=Role.OFFICER, unit="propam")
    chief = await officer_in(client, runtime, username="kasi", role=Role.SUPERVISOR, unit="propam")
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, confidential=True)

    assert (await case_of(client, admin, ref))["confidential"] is True
    assert (await client.get(f"{CASES_URL}/{ref}", headers=officer)).status_code == 404
    assert await refs_listed(client, officer) == []
    assert await refs_listed(client, chief) == [ref]
    assert await refs_listed(client, chief, confidential="true") == [ref]

    assigned = await patch(client, chief, ref, assignee="sari")

    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == "sari"
    assert await refs_listed(client, officer) == [ref]  # the assignee sees it
    assert (
        await client.post(f"{CASES_URL}/{ref}/notes", json={"text": "ok"}, headers=officer)
    ).status_code == 201
    dewi = await sign_in(client, "dewi", "dewi-password")
    assert (await client.get(f"{CASES_URL}/{ref}", headers=dewi)).status_code == 404
    lifted = await patch(client, officer, ref, confidential=False)
    assert lifted.status_code == 403  # only supervisors and admins lift it


async def test_an_officer_who_makes_a_case_confidential_no_longer_sees_it(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    officer = await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit=None)
    chief = await officer_in(client, runtime, username="kasat", role=Role.SUPERVISOR, unit=None)
    ref = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")

    made = await patch(client, officer, ref, confidential=True)

    assert made.status_code == 200
    assert made.json()["confidential"] is True
    assert (await client.get(f"{CASES_URL}/{ref}", headers=officer)).status_code == 404
    assert await refs_listed(client, chief) == [ref]


# PATCH


async def test_an_officer_takes_a_case_and_the_citizen_hears_it_is_in_progress(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    officer = await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit=None)
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, category="Pelayanan publik")

    taken = await patch(client, officer, ref, assignee="budi", status="in_progress")

    assert taken.status_code == 200, taken.text
    assert (taken.json()["assignee"], taken.json()["status"]) == ("budi", "in_progress")
    assert await refs_listed(client, officer, assignee="budi") == [ref]
    told = texts(await citizen.read())
    assert f"Laporan {ref} Bapak/Ibu sedang kami tangani" in told
    case = await case_of(client, officer, ref)
    assert [(h["from"], h["to"], h["actor"]) for h in case["status_history"]] == [
        (None, "new", "citizen"),
        ("new", "in_progress", "budi"),
    ]
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "case.update")
        )
        [detail] = [json.loads(row.detail) for row in rows]
    assert detail == {"assignee": "budi", "from_status": "new", "status": "in_progress"}


async def test_waiting_for_the_citizen_and_resolving_are_told_in_their_language(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, category="Pelayanan publik")
    await citizen.say("bahasa")
    await citizen.press("English")

    assert (await patch(client, admin, ref, status="waiting_citizen")).status_code == 200
    assert "we are waiting for information from you" in texts(await citizen.read())
    assert (await patch(client, admin, ref, status="resolved")).status_code == 200
    assert f"Your report {ref} has been resolved" in texts(await citizen.read())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"unit": "polres-x"}, "no unit with code 'polres-x'"),
        ({"assignee": "nobody"}, "no active officer named 'nobody'"),
        ({"assignee": "andi"}, "andi could not see this case"),
    ],
)
async def test_a_bad_unit_or_assignee_is_422_with_a_reason(
    client: httpx.AsyncClient,
    runtime: Runtime,
    admin: dict[str, str],
    body: dict[str, str],
    reason: str,
) -> None:
    await grow_tree(client, admin)
    await officer_in(client, runtime, username="andi", role=Role.OFFICER, unit="polres-b")
    ref = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")

    response = await patch(client, admin, ref, **body)

    assert response.status_code == 422
    assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "closed"},
        {"status": "new"},
        {"priority": "asap"},
        {"confidential": "maybe"},
        {"colour": "red"},
    ],
)
async def test_a_bad_patch_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, str]
) -> None:
    ref = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")
    assert (await patch(client, admin, ref, **body)).status_code == 422


async def test_a_supervisor_assigns_within_their_units_and_a_move_drops_a_blind_assignee(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    await grow_tree(client, admin)
    chief = await officer_in(
        client, runtime, username="kapolres", role=Role.SUPERVISOR, unit="polres-a"
    )
    await officer_in(client, runtime, username="andi", role=Role.OFFICER, unit="polsek-a1")
    ref = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")
    await move(client, admin, ref, "polsek-a1")

    assert (await patch(client, chief, ref, assignee="andi")).json()["assignee"] == "andi"
    moved = await patch(client, chief, ref, unit="polres-b")

    assert moved.status_code == 200
    assert (moved.json()["unit"], moved.json()["assignee"]) == ("polres-b", None)
    assert (await client.get(f"{CASES_URL}/{ref}", headers=chief)).status_code == 404


# Notes, closing and reopening


async def test_a_note_stays_in_the_office(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, category="Pelayanan publik")
    await citizen.read(wait=0)

    response = await client.post(
        f"{CASES_URL}/{ref}/notes", json={"text": "Cek CCTV loket 2."}, headers=admin
    )

    assert response.status_code == 201
    note = response.json()
    assert (note["direction"], note["text"], note["author"]) == (
        "note",
        "Cek CCTV loket 2.",
        "admin",
    )
    assert note["delivery_status"] is None
    case = await case_of(client, admin, ref)
    assert [(m["direction"], m["text"]) for m in case["messages"]] == [
        ("note", "Cek CCTV loket 2.")
    ]
    assert await citizen.read(wait=0.2) == []
    bad = await client.post(f"{CASES_URL}/{ref}/notes", json={"text": " "}, headers=admin)
    assert bad.status_code == 422


async def test_a_reopened_case_takes_replies_again(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, category="Pelayanan publik")
    closed = await client.post(
        f"{CASES_URL}/{ref}/close", json={"resolution": "Sudah ditegur."}, headers=admin
    )
    assert closed.status_code == 200
    refused = await client.post(f"{CASES_URL}/{ref}/replies", json={"text": "x"}, headers=admin)
    assert refused.status_code == 409
    await citizen.read()

    reopened = await patch(client, admin, ref, status="in_progress")

    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["closed_at"]) == ("in_progress", None)
    assert f"Laporan {ref} Bapak/Ibu kami buka kembali" in texts(await citizen.read())
    answer = await client.post(
        f"{CASES_URL}/{ref}/replies", json={"text": "Kami periksa lagi."}, headers=admin
    )
    assert answer.status_code == 201
    assert "Kami periksa lagi." in texts(await citizen.read())
    history = (await case_of(client, admin, ref))["status_history"]
    assert [(h["from"], h["to"]) for h in history][-2:] == [
        ("new", "closed"),
        ("closed", "in_progress"),
    ]


# The queue: anonymous masking, filters, order, the emergency's words


async def test_an_anonymous_case_shows_no_reporter_in_the_queue_search_or_detail(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    citizen = await WebCitizen.open(client)
    ref = await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    named = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")

    queue = await client.get(CASES_URL, headers=admin)
    found = await client.get(
        CASES_URL, params={"q": "kuitansi", "anonymous": "true"}, headers=admin
    )
    detail = await client.get(f"{CASES_URL}/{ref}", headers=admin)

    assert [item["ref"] for item in found.json()["items"]] == [ref]
    by_ref = {item["ref"]: item for item in queue.json()["items"]}
    assert by_ref[ref]["reporter"] is None
    assert by_ref[named]["reporter"] == {"display_name": REPORTER}
    assert found.json()["items"][0]["reporter"] is None
    assert detail.json()["reporter"] is None
    for response in (found, detail):
        assert REPORTER not in response.text
        assert "0812" not in response.text


async def test_the_emergencys_first_words_are_found_in_its_case(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    citizen = await WebCitizen.open(client)
    await citizen.say("tolong ada begal di jalan sudirman sekarang")

    # The report is finished in other words; the case keeps the first ones.
    await citizen.press("Kekerasan/penganiayaan")
    await citizen.press("Sedang/baru terjadi")
    await citizen.say("Jl. Sudirman depan Pasar Cinde")
    await citizen.say("Dua orang bermotor merampas tas seorang ibu dengan senjata tajam.")
    await citizen.press("Lewati")
    await citizen.give_name()
    await citizen.press("Kirim")

    [urgent] = (await client.get(CASES_URL, params={"q": "begal"}, headers=admin)).json()["items"]
    assert urgent["priority"] == "urgent"
    detail = await case_of(client, admin, urgent["ref"])
    assert detail["description"].startswith("Dua orang bermotor")
    assert ("in", "tolong ada begal di jalan sudirman sekarang") in [
        (m["direction"], m["text"]) for m in detail["messages"]
    ]


async def test_the_queue_puts_urgent_then_overdue_then_newest_first(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    old = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")
    clock.advance(timedelta(days=7).total_seconds())  # past its three working days
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)  # a new shift
    citizen = await WebCitizen.open(client)
    await citizen.say("tolong ada perampokan sekarang")
    [urgent] = await refs_listed(client, admin, priority="urgent")
    clock.advance(60)
    newest = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")

    assert await refs_listed(client, admin) == [urgent, old, newest]
    assert await refs_listed(client, admin, sort="newest") == [newest, urgent, old]
    assert await refs_listed(client, admin, sort="oldest") == [old, urgent, newest]
    assert await refs_listed(client, admin, sort="due") == [old, urgent, newest]


async def test_the_queue_filters_by_every_field(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], clock: ManualClock
) -> None:
    await grow_tree(client, admin)
    conduct = await file_complaint(await WebCitizen.open(client))
    clock.advance(timedelta(days=2).total_seconds())
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)  # a new shift
    service = await file_complaint(await WebCitizen.open(client), category="Pelayanan publik")
    anonymous = await file_complaint(
        await WebCitizen.open(client), anonymous=True, category="Pelayanan publik"
    )
    await move(client, admin, anonymous, "polres-a")
    await patch(client, admin, service, assignee="admin", priority="high")

    assert await refs_listed(client, admin, unit="propam") == [conduct]
    assert await refs_listed(client, admin, unit="polda") == [service]
    assert await refs_listed(client, admin, unit="polres-a") == [anonymous]
    assert await refs_listed(client, admin, category="officer_conduct") == [conduct]
    assert await refs_listed(client, admin, assignee="admin") == [service]
    assert await refs_listed(client, admin, priority="high") == [service]
    assert await refs_listed(client, admin, anonymous="true") == [anonymous]
    assert await refs_listed(client, admin, kind="incident") == []
    assert await refs_listed(client, admin, status="new") == [anonymous, service, conduct]
    assert await refs_listed(client, admin, **{"from": "2026-11-29"}) == [anonymous, service]
    assert await refs_listed(client, admin, to="2026-11-27") == [conduct]
    for params in ({"unit": "nowhere"}, {"assignee": "nobody"}, {"from": "kemarin"}, {"sort": "x"}):
        assert (await client.get(CASES_URL, params=params, headers=admin)).status_code == 422
