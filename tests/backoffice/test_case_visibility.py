"""Who sees a case (DESIGN §6): every case route against every role and unit.

One case per unit of the tree (tests/support/units.py); officers, supervisors
and admins of several units try every case route on each. A case out of
view is 404 exactly as an unknown one, and absent from the queue and
search; the audit log is for admins alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from backoffice.officers import Role
from bot.runtime import Runtime
from tests.conftest import ADMIN_PASSWORD
from tests.support.journeys import file_complaint
from tests.support.office import sign_in
from tests.support.units import CASES_URL, grow_tree, move, officer_in, refs_listed
from tests.support.web import WebCitizen

CASE_UNITS = ("polda", "polres-a", "polsek-a1", "polres-b", "propam")
# Who sees which unit's cases: officers their own unit, supervisors theirs and below.
SEES = {
    ("officer", "polda"): {"polda"},
    ("officer", "polres-a"): {"polres-a"},
    ("officer", "polsek-a1"): {"polsek-a1"},
    ("officer", "propam"): {"propam"},
    ("supervisor", "polres-a"): {"polres-a", "polsek-a1"},
    ("supervisor", "polres-b"): {"polres-b"},
    ("supervisor", "polda"): set(CASE_UNITS),
    ("admin", "polda"): set(CASE_UNITS),
}


@dataclass
class World:
    admin: dict[str, str]
    refs: dict[str, str]  # unit code -> the case filed to it


@pytest.fixture
async def world(client: httpx.AsyncClient, runtime: Runtime) -> World:
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    await grow_tree(client, admin)
    refs = {}
    for unit in CASE_UNITS:
        citizen = await WebCitizen.open(client)
        ref = await file_complaint(citizen, category="Pelayanan publik")
        if unit != "polda":
            await move(client, admin, ref, unit)
        refs[unit] = ref
    return World(admin, refs)


async def sign_in_as(
    client: httpx.AsyncClient, runtime: Runtime, world: World, role: str, unit: str
) -> dict[str, str]:
    if role == "admin":
        return world.admin
    return await officer_in(client, runtime, username=f"{role}-{unit}", role=Role(role), unit=unit)


@pytest.mark.parametrize(("role", "unit"), list(SEES))
async def test_every_case_route_honours_who_sees_the_case(
    client: httpx.AsyncClient, runtime: Runtime, world: World, role: str, unit: str
) -> None:
    headers = await sign_in_as(client, runtime, world, role, unit)
    seen = SEES[(role, unit)]

    assert sorted(await refs_listed(client, headers)) == sorted(world.refs[u] for u in seen)
    for case_unit, ref in world.refs.items():
        visible = case_unit in seen
        where = f"{role} of {unit} on a case of {case_unit}"
        url = f"{CASES_URL}/{ref}"
        detail = await client.get(url, headers=headers)
        assert detail.status_code == (200 if visible else 404), where
        if not visible:
            assert detail.json() == {"detail": f"no case with reference {ref!r}"}, where
        assert (await refs_listed(client, headers, q=ref)) == ([ref] if visible else []), where
        assert (await refs_listed(client, headers, q="kuitansi")).count(ref) == visible, where
        media = await client.get(f"{url}/media/999", headers=headers)
        assert media.status_code == 404, where
        assert ("has no file" in media.json()["detail"]) == visible, where
        note = await client.post(f"{url}/notes", json={"text": "catatan"}, headers=headers)
        assert note.status_code == (201 if visible else 404), where
        patch = await client.patch(url, json={"priority": "high"}, headers=headers)
        assert patch.status_code == (200 if visible else 404), where
        answer = await client.post(f"{url}/replies", json={"text": "Kami cek."}, headers=headers)
        assert answer.status_code == (201 if visible else 404), where
        audit = await client.get("/api/v1/audit", params={"target": ref}, headers=headers)
        if role == "admin":
            assert audit.status_code == 200
            assert (audit.json()["total"] > 0) == visible, where
        else:  # the audit log is for admins (issue #12): it watches supervisors too
            assert audit.status_code == 403, where


@pytest.mark.parametrize(("role", "unit"), list(SEES))
async def test_closing_and_reopening_honour_who_sees_the_case(
    client: httpx.AsyncClient, runtime: Runtime, world: World, role: str, unit: str
) -> None:
    headers = await sign_in_as(client, runtime, world, role, unit)
    seen = SEES[(role, unit)]
    for case_unit, ref in world.refs.items():
        visible = case_unit in seen
        url = f"{CASES_URL}/{ref}"
        closed = await client.post(f"{url}/close", json={"resolution": "Beres."}, headers=headers)
        assert closed.status_code == (200 if visible else 404)
        reopened = await client.patch(url, json={"status": "in_progress"}, headers=headers)
        assert reopened.status_code == (200 if visible else 404)
        if visible:
            assert reopened.json()["status"] == "in_progress"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cases"),
        ("GET", "/cases/PGD-ZZZZZZ"),
        ("PATCH", "/cases/PGD-ZZZZZZ"),
        ("POST", "/cases/PGD-ZZZZZZ/notes"),
        ("POST", "/cases/PGD-ZZZZZZ/replies"),
        ("POST", "/cases/PGD-ZZZZZZ/close"),
        ("GET", "/cases/PGD-ZZZZZZ/media/1"),
        ("GET", "/units"),
        ("POST", "/units"),
        ("GET", "/canned-replies"),
        ("POST", "/canned-replies"),
        ("PATCH", "/canned-replies/1"),
        ("DELETE", "/canned-replies/1"),
    ],
)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, f"/api/v1{path}", json={"text": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/units", {"code": "polres-c", "name": "Polres C", "parent": "polda"}),
        ("POST", "/canned-replies", {"title": "t", "texts": {"id": "a", "en": "b"}}),
        ("PATCH", "/canned-replies/1", {"title": "t"}),
        ("DELETE", "/canned-replies/1", None),
    ],
)
async def test_units_and_canned_replies_are_managed_by_admins_only(
    client: httpx.AsyncClient,
    runtime: Runtime,
    role: Role,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    headers = await officer_in(client, runtime, username="sari", role=role, unit=None)
    response = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == 403


async def test_officers_may_not_move_cases_or_assign_others(
    client: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    headers = await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit="polda")
    await officer_in(client, runtime, username="sari", role=Role.OFFICER, unit="polda")
    url = f"{CASES_URL}/{world.refs['polda']}"
    moved = await client.patch(url, json={"unit": "polres-a"}, headers=headers)
    assert moved.status_code == 403
    assigned = await client.patch(url, json={"assignee": "sari"}, headers=headers)
    assert assigned.status_code == 403
    taken = await client.patch(url, json={"assignee": "budi"}, headers=headers)
    assert taken.status_code == 200
    assert taken.json()["assignee"] == "budi"
    assert (await client.patch(url, json={"unit": "polda"}, headers=headers)).status_code == 200
