"""`/api/v1/applications` over HTTP: create and replace, validation, roles, the
audit trail, and subscribed citizens told of status changes in their chat."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from backoffice.officers import Role
from bot.domain.applications import ApplicationKind
from bot.domain.clock import ManualClock
from bot.outbox import delivery
from bot.runtime import Runtime
from bot.services.application_lookup import subscribe
from bot.services.applications import get_application
from bot.storage.direct import run_on
from bot.storage.tables import audit_log, contacts, outbox
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen

URL = "/api/v1/applications"
SKCK_URL = f"{URL}/skck/SKCK/123/XI/2026"
BODY: dict[str, Any] = {
    "status": "Sedang diverifikasi",
    "applicant_name": "Budi Santoso",
    "birth_date": "1990-08-17",
    "note": "Tunggu pesan berikutnya.",
}


@pytest.fixture
async def officer(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> dict[str, str]:
    """One who may publish statuses: a supervisor."""
    return await officer_with_role(client, runtime, clock, Role.SUPERVISOR)


async def application_audit(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(audit_log)
            .where(audit_log.c.action.like("application.%"))
            .order_by(audit_log.c.id)
        )
        return [dict(row._mapping) for row in rows]


async def outbox_count(runtime: Runtime, contact_id: int) -> int:
    async with runtime.db.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.contact_id == contact_id)
        )
    return int(count or 0)


async def test_an_officer_creates_then_updates_an_application(
    client: httpx.AsyncClient, officer: dict[str, str], clock: ManualClock
) -> None:
    created = await client.put(SKCK_URL, json=BODY, headers=officer)
    assert created.status_code == 201, created.text
    first = created.json()
    assert first == {
        **BODY,
        "kind": "skck",
        "number": "SKCK/123/XI/2026",
        "status_changed_at": first["status_changed_at"],
        "created_at": first["created_at"],
        "updated_at": first["updated_at"],
        "subscribers": 0,
    }
    assert datetime.fromisoformat(first["status_changed_at"]) == clock.now()

    clock.advance(600)
    note_only = await client.put(SKCK_URL, json=BODY | {"note": None}, headers=officer)
    assert note_only.status_code == 200, note_only.text
    assert note_only.json()["note"] is None
    assert note_only.json()["status_changed_at"] == first["status_changed_at"]
    assert note_only.json()["updated_at"] != first["updated_at"]

    clock.advance(600)
    changed = await client.put(SKCK_URL, json=BODY | {"status": "Selesai"}, headers=officer)
    assert changed.status_code == 200
    assert datetime.fromisoformat(changed.json()["status_changed_at"]) == clock.now()
    assert changed.json()["created_at"] == first["created_at"]

    read = await client.get(SKCK_URL, headers=officer)
    assert read.status_code == 200
    assert read.json() == changed.json()


async def test_numbers_are_case_insensitive_and_kinds_separate(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    assert (await client.put(f"{URL}/sp2hp/lp-b.77_x", json=BODY, headers=officer)).json()[
        "number"
    ] == "LP-B.77_X"
    again = await client.put(f"{URL}/sp2hp/LP-B.77_X", json=BODY, headers=officer)
    assert again.status_code == 200
    other_kind = await client.put(f"{URL}/izin_keramaian/lp-b.77_x", json=BODY, headers=officer)
    assert other_kind.status_code == 201
    assert (await client.get(f"{URL}/skck/LP-B.77_X", headers=officer)).status_code == 404


async def test_an_unknown_application_is_404(
    client: httpx.AsyncClient, officer: dict[str, str], runtime: Runtime
) -> None:
    response = await client.get(f"{URL}/skck/NOPE-1", headers=officer)
    assert response.status_code == 404
    assert "NOPE-1" in response.json()["detail"]
    assert await application_audit(runtime) == []


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        (f"{URL}/ktp/123", BODY, ["path", "kind"]),
        (f"{URL}/skck/{'9' * 41}", BODY, ["path", "number"]),
        (f"{URL}/skck/12%2A3", BODY, ["path", "number"]),
        (f"{URL}/skck/12%203", BODY, ["path", "number"]),
        (f"{URL}/skck/123/", BODY, ["path", "number"]),
        (SKCK_URL, BODY | {"birth_date": "17-08-1990"}, ["body", "birth_date"]),
        (SKCK_URL, BODY | {"birth_date": "1990-02-30"}, ["body", "birth_date"]),
        (SKCK_URL, BODY | {"birth_date": 650851200}, ["body", "birth_date"]),
        (SKCK_URL, BODY | {"birth_date": "1899-12-31"}, ["body", "birth_date"]),
        (SKCK_URL, BODY | {"birth_date": "2026-11-28"}, ["body", "birth_date"]),
        (SKCK_URL, {k: v for k, v in BODY.items() if k != "birth_date"}, ["body", "birth_date"]),
        (SKCK_URL, BODY | {"status": "   "}, ["body", "status"]),
        (SKCK_URL, BODY | {"status": "x" * 501}, ["body", "status"]),
        (SKCK_URL, BODY | {"note": "x" * 2001}, ["body", "note"]),
        (SKCK_URL, BODY | {"applicant_name": ""}, ["body", "applicant_name"]),
        (SKCK_URL, BODY | {"applicant_name": "x" * 201}, ["body", "applicant_name"]),
        (SKCK_URL, BODY | {"notes": "typo"}, ["body", "notes"]),
    ],
    ids=[
        "kind",
        "long-number",
        "star",
        "space",
        "trailing-slash",
        "dmy-date",
        "no-such-day",
        "timestamp",
        "too-early",
        "future",
        "no-date",
        "blank-status",
        "long-status",
        "long-note",
        "no-name",
        "long-name",
        "extra-field",
    ],
)
async def test_bad_input_is_422_with_a_reason_and_nothing_changes(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    runtime: Runtime,
    path: str,
    body: dict[str, Any],
    where: list[str],
) -> None:
    response = await client.put(path, json=body, headers=officer)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == where
    assert error["msg"]
    assert await application_audit(runtime) == []
    async with runtime.db.connect() as conn:
        assert (
            await get_application(conn, kind=ApplicationKind.SKCK, number="SKCK/123/XI/2026")
            is None
        )


async def test_the_longest_fields_are_accepted(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    body = BODY | {"status": "s" * 500, "note": "n" * 2000, "applicant_name": "a" * 200}
    response = await client.put(f"{URL}/skck/{'9' * 40}", json=body, headers=officer)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "s" * 500


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
async def test_supervisors_and_admins_publish(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, role: Role
) -> None:
    headers = await officer_with_role(client, runtime, clock, role)
    assert (await client.put(SKCK_URL, json=BODY, headers=headers)).status_code == 201
    assert (await client.get(SKCK_URL, headers=headers)).status_code == 200


async def test_an_officer_reads_but_may_not_publish(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, officer: dict[str, str]
) -> None:
    assert (await client.put(SKCK_URL, json=BODY, headers=officer)).status_code == 201
    clerk = await officer_with_role(client, runtime, clock, Role.OFFICER)
    refused = await client.put(SKCK_URL, json=BODY | {"status": "Ditolak"}, headers=clerk)
    assert refused.status_code == 403
    assert "may not publish" in refused.json()["detail"]
    shown = await client.get(SKCK_URL, headers=clerk)
    assert shown.status_code == 200
    assert shown.json()["status"] == BODY["status"]


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PUT", BODY)])
async def test_strangers_get_401(
    client: httpx.AsyncClient, runtime: Runtime, method: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, SKCK_URL, json=body)
    assert response.status_code == 401
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert (await client.request(method, SKCK_URL, json=body, headers=bad_token)).status_code == 401
    assert await application_audit(runtime) == []


async def test_writes_and_views_are_audited_without_personal_data(
    client: httpx.AsyncClient, officer: dict[str, str], runtime: Runtime
) -> None:
    await client.put(SKCK_URL, json=BODY, headers=officer)
    await client.put(SKCK_URL, json=BODY | {"note": "Bawa KTP."}, headers=officer)
    await client.put(SKCK_URL, json=BODY | {"status": "Ditolak"}, headers=officer)
    await client.get(SKCK_URL, headers=officer)
    rows = await application_audit(runtime)
    target = "skck:SKCK/123/XI/2026"
    assert [(row["action"], row["actor"], row["target"]) for row in rows] == [
        ("application.put", "supervisor", target),
        ("application.put", "supervisor", target),
        ("application.put", "supervisor", target),
        ("application.view", "supervisor", target),
    ]
    assert [json.loads(row["detail"]) for row in rows] == [
        {"created": True, "status_changed": False, "notified": 0},
        {"created": False, "status_changed": False, "notified": 0},
        {"created": False, "status_changed": True, "notified": 0},
        {},
    ]
    assert all(row["officer_id"] is not None for row in rows)
    everything = json.dumps(rows, default=str)
    for personal in ("Budi", "Santoso", "1990", "08-17", "Ditolak", "KTP"):
        assert personal not in everything


async def contact_id_of(citizen: WebCitizen, runtime: Runtime, *, locale: str) -> int:
    """The contact behind a web citizen (who says hello first), speaking `locale`."""
    await citizen.say("halo")
    async with runtime.db.begin() as conn:
        contact_id = int(await conn.scalar(select(func.max(contacts.c.id))) or 0)
        await conn.execute(
            update(contacts).where(contacts.c.id == contact_id).values(locale=locale)
        )
    return contact_id


async def subscribe_to(runtime: Runtime, clock: ManualClock, number: str, contact_id: int) -> None:
    async with runtime.db.begin() as conn:
        stored = await get_application(conn, kind=ApplicationKind.SKCK, number=number)
    assert stored is not None
    assert await runtime.runner.writer.run(
        lambda tx: subscribe(tx, contact_id=contact_id, application_id=stored.id, now=clock.now())
    )


async def test_subscribers_are_told_of_a_status_change_in_their_language(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    indonesian = await WebCitizen.open(client)
    english = await WebCitizen.open(client)
    bystander = await WebCitizen.open(client)
    ids = {
        "id": await contact_id_of(indonesian, runtime, locale="id"),
        "en": await contact_id_of(english, runtime, locale="en"),
    }
    bystander_id = await contact_id_of(bystander, runtime, locale="id")
    assert (await client.put(SKCK_URL, json=BODY, headers=officer)).status_code == 201
    for contact_id in ids.values():
        await subscribe_to(runtime, clock, "SKCK/123/XI/2026", contact_id)
    queued = {
        contact_id: await outbox_count(runtime, contact_id)
        for contact_id in (*ids.values(), bystander_id)
    }

    clock.advance(3600)
    note_only = BODY | {"note": "Bawa KTP asli.", "applicant_name": "Budi S."}
    response = await client.put(SKCK_URL, json=note_only, headers=officer)
    assert response.json()["subscribers"] == 2
    for contact_id in ids.values():
        assert await outbox_count(runtime, contact_id) == queued[contact_id]

    clock.advance(3600)
    verbatim = "SELESAI — ambil di loket 3 {besok} *08.00*"
    changed = await client.put(SKCK_URL, json=note_only | {"status": verbatim}, headers=officer)
    assert changed.status_code == 200
    moment = datetime.fromisoformat(changed.json()["status_changed_at"])
    assert moment == clock.now()

    received = {"id": await indonesian.read(), "en": await english.read()}
    assert [m["text"] for m in received["id"]] == [
        "🔔 Ada pembaruan status permohonan yang Anda ikuti:\n\n"
        f"SKCK nomor SKCK/123/XI/2026\nStatus: {verbatim}\n"
        f"Diperbarui: {runtime.translator.datetime('id', moment)}\n"
        "Langkah berikutnya: Bawa KTP asli."
    ]
    assert [m["text"] for m in received["en"]] == [
        "🔔 There is news about an application you follow:\n\n"
        f"SKCK (police clearance certificate) no. SKCK/123/XI/2026\nStatus: {verbatim}\n"
        f"Updated: {runtime.translator.datetime('en', moment)}\n"
        "Next step: Bawa KTP asli."
    ]
    assert runtime.translator.datetime("id", moment) != runtime.translator.datetime("en", moment)
    assert await outbox_count(runtime, bystander_id) == queued[bystander_id]
    audit = await application_audit(runtime)
    assert json.loads(audit[-1]["detail"])["notified"] == 2


async def test_a_whatsapp_subscriber_outside_the_window_gets_it_once_they_write(
    client: httpx.AsyncClient, officer: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    await client.put(SKCK_URL, json=BODY | {"note": None}, headers=officer)
    async with runtime.db.begin() as conn:
        contact_id = (
            await conn.execute(
                insert(contacts)
                .values(
                    channel="whatsapp",
                    external_id="ID.1234567890",
                    locale="id",
                    locale_chosen=False,
                    broadcast_opt_in=False,
                    reachable=True,
                    last_inbound_at=datetime(2026, 11, 1, tzinfo=UTC),
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
                .returning(contacts.c.id)
            )
        ).scalar_one()
    await subscribe_to(runtime, clock, "SKCK/123/XI/2026", contact_id)
    changed = BODY | {"status": "Selesai", "note": None}
    assert (await client.put(SKCK_URL, json=changed, headers=officer)).status_code == 200
    async with runtime.db.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.channel, outbox.c.status, outbox.c.payload).where(
                    outbox.c.contact_id == contact_id
                )
            )
        ).all()
    # The news waits; a notice for the update template is queued beside it (sent
    # only where such a template is configured, see tests/test_whatsapp_delivery.py).
    assert [(row.channel, row.status) for row in rows] == [
        ("whatsapp", "held"),
        ("whatsapp", "pending"),
    ]
    assert json.loads(rows[1].payload)["meta"][delivery.REFERENCE] == "SKCK/123/XI/2026"
    text = json.loads(rows[0].payload)["text"]
    assert "Status: Selesai" in text
    assert "Langkah berikutnya" not in text
    async with runtime.db.begin() as conn:  # what the runner does when the citizen writes
        now = clock.now()
        released = await run_on(
            conn, lambda tx: delivery.release_held(tx, contact_id=contact_id, now=now)
        )
        assert released == 1
