"""The officer API on cases, driven over HTTP against complaints filed on the web chat."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log, cases, contacts
from tests.conftest import ADMIN_PASSWORD
from tests.support.images import jpeg_photo
from tests.support.journeys import DESCRIPTION, file_complaint
from tests.support.office import sign_in
from tests.support.web import WebCitizen, texts

CASES_URL = "/api/v1/cases"
REPORTER_NAME = "Budi Santoso"


@pytest.fixture
async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin's authorization header."""
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def new_citizen(client: httpx.AsyncClient) -> WebCitizen:
    return await WebCitizen.open(client)


async def name_every_contact(runtime: Runtime) -> None:
    """Web chat contacts have no name; give them one the API must guard."""
    async with runtime.db.begin() as conn:
        await conn.execute(update(contacts).values(display_name=REPORTER_NAME))


async def external_ids(runtime: Runtime) -> list[str]:
    async with runtime.db.connect() as conn:
        return list((await conn.execute(select(contacts.c.external_id))).scalars())


async def audit_rows(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(audit_log).order_by(audit_log.c.id))
        return [dict(row._mapping) for row in rows]


async def list_cases(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(CASES_URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def reply(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str, text: str
) -> httpx.Response:
    return await client.post(f"{CASES_URL}/{ref}/replies", json={"text": text}, headers=headers)


async def close(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str, resolution: str
) -> httpx.Response:
    return await client.post(
        f"{CASES_URL}/{ref}/close", json={"resolution": resolution}, headers=headers
    )


# The queue


async def test_the_queue_lists_cases_newest_first_with_their_fields(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    first = await file_complaint(await new_citizen(client))
    clock.advance(60)
    second = await file_complaint(await new_citizen(client), anonymous=True)
    await name_every_contact(runtime)

    response = await client.get(CASES_URL, headers=headers)
    body = response.json()

    assert body["total"] == 2
    assert [item["ref"] for item in body["items"]] == [second, first]
    named = body["items"][1]
    assert named["kind"] == "complaint"
    assert named["status"] == "new"
    assert named["category"] == "officer_conduct"
    assert named["description"] == DESCRIPTION
    assert named["channel"] == "web"
    assert named["anonymous"] is False
    assert named["priority"] == "normal"
    assert named["location"] is None
    assert named["reporter"] == {"display_name": REPORTER_NAME}
    assert named["created_at"] == named["updated_at"]
    anonymous = body["items"][0]
    assert anonymous["anonymous"] is True
    assert anonymous["reporter"] is None
    assert all(external_id not in response.text for external_id in await external_ids(runtime))


async def test_filters_by_status_and_kind(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    open_ref = await file_complaint(await new_citizen(client))
    closed_ref = await file_complaint(await new_citizen(client))
    assert (await close(client, headers, closed_ref, "Sudah ditindaklanjuti.")).status_code == 200

    def refs(body: dict[str, Any]) -> list[str]:
        return [item["ref"] for item in body["items"]]

    assert refs(await list_cases(client, headers, status="new")) == [open_ref]
    assert refs(await list_cases(client, headers, status="closed")) == [closed_ref]
    assert (await list_cases(client, headers, kind="complaint"))["total"] == 2
    assert await list_cases(client, headers, kind="incident") == {"items": [], "total": 0}
    both = await list_cases(client, headers, kind="complaint", status="closed")
    assert refs(both) == [closed_ref]


async def test_pages_split_the_queue_and_total_counts_all(
    client: httpx.AsyncClient, headers: dict[str, str], clock: ManualClock
) -> None:
    filed = []
    for _ in range(3):
        filed.append(await file_complaint(await new_citizen(client)))
        clock.advance(1)
    newest_first = filed[::-1]

    one = await list_cases(client, headers, page=1, per_page=2)
    two = await list_cases(client, headers, page=2, per_page=2)
    beyond = await list_cases(client, headers, page=3, per_page=2)

    assert [item["ref"] for item in one["items"]] == newest_first[:2]
    assert [item["ref"] for item in two["items"]] == newest_first[2:]
    assert beyond["items"] == []
    assert one["total"] == two["total"] == beyond["total"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 201},
        {"per_page": 0},
        {"page": 0},
        {"page": "first"},
        {"status": "lost"},
        {"kind": "gossip"},
        {"q": "x" * 201},
    ],
)
async def test_bad_query_parameters_are_422_with_a_reason(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]
) -> None:
    response = await client.get(CASES_URL, params=params, headers=headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", next(iter(params))]
    assert error["msg"]


async def test_per_page_up_to_200_is_fine(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    assert (await list_cases(client, headers, per_page=200))["total"] == 0


async def test_search_covers_description_and_messages_ignoring_case(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    extortion = await file_complaint(await new_citizen(client))
    follower = await new_citizen(client)
    rude = await file_complaint(
        follower, description="Petugas jaga membentak saya waktu bertanya soal antrean SIM."
    )
    await follower.say("Nama petugasnya Bripka Sutarno, di loket nomor tiga.")
    await follower.press(f"Tambahkan ke {rude}")  # issue #10: asked before it joins the case

    def refs(body: dict[str, Any]) -> list[str]:
        return [item["ref"] for item in body["items"]]

    assert refs(await list_cases(client, headers, q="KUITANSI")) == [extortion]
    assert refs(await list_cases(client, headers, q="sutarno")) == [rude]
    assert refs(await list_cases(client, headers, q=rude.lower())) == [rude]
    assert (await list_cases(client, headers, q="petugas"))["total"] == 2
    assert (await list_cases(client, headers, q="kapal selam"))["total"] == 0
    assert (await list_cases(client, headers, q="  "))["total"] == 2


@pytest.mark.parametrize(
    "q", ["%", "_", "Rp50_000", "' OR 1=1 --", "\\", "'; DROP TABLE cases; --"]
)
async def test_search_input_is_only_ever_text(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, q: str
) -> None:
    await file_complaint(await new_citizen(client))
    assert await list_cases(client, headers, q=q) == {"items": [], "total": 0}
    async with runtime.db.connect() as conn:
        assert len((await conn.execute(select(cases))).all()) == 1


async def test_search_matches_wildcard_characters_literally(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ref = await file_complaint(
        await new_citizen(client), description="Diskon 100% untuk tilang_online katanya, penipuan."
    )
    assert [item["ref"] for item in (await list_cases(client, headers, q="100%"))["items"]] == [ref]
    assert (await list_cases(client, headers, q="tilang_online"))["total"] == 1
    assert (await list_cases(client, headers, q="tilangXonline"))["total"] == 0


# One case


async def test_a_case_shows_its_timeline_history_and_location(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen)
    async with runtime.db.begin() as conn:
        await conn.execute(
            update(cases).values(
                latitude=-2.976073412345, longitude=104.775431298765, address="Jl. Merdeka 1"
            )
        )

    response = await client.get(f"{CASES_URL}/{ref}", headers=headers)

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["ref"] == ref
    assert case["description"] == DESCRIPTION
    assert case["location"] == {
        "latitude": -2.976073412345,
        "longitude": 104.775431298765,
        "address": "Jl. Merdeka 1",
    }
    assert case["messages"] == []
    assert case["attachments"] == []
    [filed] = case["status_history"]
    assert filed == {"from": None, "to": "new", "actor": "citizen", "at": case["created_at"]}


async def test_a_reference_is_found_in_any_letter_case(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ref = await file_complaint(await new_citizen(client))
    response = await client.get(f"{CASES_URL}/{ref.lower()}", headers=headers)
    assert response.json()["ref"] == ref


async def test_an_unknown_reference_is_404_with_a_reason(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in ("", "/replies", "/close"):
        method = client.get if not path else client.post
        kwargs: dict[str, Any] = {"json": {"text": "x", "resolution": "x"}} if path else {}
        response = await method(f"{CASES_URL}/PGD-ZZZZZZ{path}", headers=headers, **kwargs)
        assert response.status_code == 404
        assert "PGD-ZZZZZZ" in response.json()["detail"]


async def test_photos_are_listed_without_their_file_path(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    citizen = await new_citizen(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)
    jpeg = jpeg_photo().data
    assert (await citizen.upload(jpeg)).status_code == 202
    await citizen.read()
    await citizen.press("Ya, anonim")
    done = await citizen.press("Kirim")
    [ref] = {item["ref"] for item in (await list_cases(client, headers))["items"]}
    assert ref in texts(done)

    response = await client.get(f"{CASES_URL}/{ref}", headers=headers)

    [photo] = response.json()["attachments"]
    # An anonymous report: a keyed hash of the original, never its plain SHA-256.
    original = hashlib.sha256(jpeg).hexdigest()
    assert photo["sha256"] is None
    key = runtime.evidence_key
    keyed = hmac.new(key, f"{ref}:{original}".encode(), hashlib.sha256).hexdigest()
    assert photo["evidence_hash"] == keyed
    assert original not in response.text
    assert photo["size"] == len(jpeg)
    assert photo["mime_type"] == "image/jpeg"
    assert set(photo) == {
        "id",
        "sha256",
        "evidence_hash",
        "mime_type",
        "size",
        "created_at",
        "metadata_stripped",
        "download_url",
    }
    assert str(runtime.settings.media_dir) not in response.text


async def test_an_anonymous_case_never_shows_who_filed_it(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen, anonymous=True)
    await citizen.say("Saya tambahkan: kejadiannya sekitar jam tiga sore.")
    await name_every_contact(runtime)

    listed = await client.get(CASES_URL, headers=headers)
    viewed = await client.get(f"{CASES_URL}/{ref}", headers=headers)

    assert viewed.json()["reporter"] is None
    assert {message["author"] for message in viewed.json()["messages"]} == {"citizen"}
    for response in (listed, viewed):
        assert REPORTER_NAME not in response.text
        assert all(external_id not in response.text for external_id in await external_ids(runtime))


# Replying and closing


async def test_a_reply_reaches_the_citizen_and_their_answer_joins_the_timeline(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen)

    response = await reply(client, headers, ref, "  Mohon sebutkan jam kejadiannya.  ")

    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["direction"] == "out"
    assert stored["text"] == "Mohon sebutkan jam kejadiannya."
    assert stored["author"] == "admin"
    assert stored["delivery_status"] == "queued"
    told = texts(await citizen.read())
    assert "Mohon sebutkan jam kejadiannya." in told
    assert ref in told

    await citizen.say("Sekitar jam empat sore, hari Senin.")
    await citizen.press(f"Tambahkan ke {ref}")  # issue #10: asked before it joins the case

    case = (await client.get(f"{CASES_URL}/{ref}", headers=headers)).json()
    assert [(m["direction"], m["text"]) for m in case["messages"]] == [
        ("out", "Mohon sebutkan jam kejadiannya."),
        ("in", "Sekitar jam empat sore, hari Senin."),
    ]
    assert case["messages"][0]["id"] == stored["id"]
    assert case["messages"][0]["delivery_status"] == "sent"
    assert case["messages"][1]["author"] == "citizen"
    assert case["status"] == "in_progress"
    assert [(h["from"], h["to"], h["actor"]) for h in case["status_history"]] == [
        (None, "new", "citizen"),
        ("new", "in_progress", "admin"),
    ]


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   \n "}, {"text": "x" * 4001}, {}, {"text": None}, {"message": "hi"}],
)
async def test_a_bad_reply_is_422_and_nothing_is_sent(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen)
    response = await client.post(f"{CASES_URL}/{ref}/replies", json=body, headers=headers)
    assert response.status_code == 422
    # A bad text is the text's fault; no text (nor canned reply) at all, the body's.
    assert response.json()["detail"][0]["loc"][:2] in (["body", "text"], ["body"])
    assert (await client.get(f"{CASES_URL}/{ref}", headers=headers)).json()["messages"] == []


async def test_a_reply_of_4000_characters_is_fine(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ref = await file_complaint(await new_citizen(client))
    assert (await reply(client, headers, ref, "x" * 4000)).status_code == 201


async def test_closing_tells_the_citizen_and_ends_replies(
    client: httpx.AsyncClient, headers: dict[str, str], clock: ManualClock
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen)
    clock.advance(3600)

    response = await close(client, headers, ref, "Petugas yang bersangkutan telah ditegur.")

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["ref"] == ref
    assert case["status"] == "closed"
    assert case["resolution"] == "Petugas yang bersangkutan telah ditegur."
    assert case["closed_at"] == case["updated_at"] != case["created_at"]
    told = texts(await citizen.read())
    assert ref in told
    assert "Petugas yang bersangkutan telah ditegur." in told

    late = await reply(client, headers, ref, "Satu hal lagi.")
    assert late.status_code == 409
    assert ref in late.json()["detail"]
    again = await close(client, headers, ref, "Lagi.")
    assert again.status_code == 409
    assert "already closed" in again.json()["detail"]
    timeline = (await client.get(f"{CASES_URL}/{ref}", headers=headers)).json()
    assert [m["direction"] for m in timeline["messages"]] == ["note"]


@pytest.mark.parametrize("body", [{"resolution": ""}, {"resolution": "x" * 2001}, {}])
async def test_a_bad_closing_is_422(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> None:
    ref = await file_complaint(await new_citizen(client))
    response = await client.post(f"{CASES_URL}/{ref}/close", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "resolution"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
async def test_every_role_can_work_a_case_of_their_unit(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, role: Role
) -> None:
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username="sari",
            password="sari-password",
            role=role,
            full_name="Sari",
            now=clock.now(),
        )
        await session.commit()
    own = await sign_in(client, "sari", "sari-password")
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen, category="Pelayanan publik")  # the root unit's

    assert (await list_cases(client, own))["total"] == 1
    assert (await client.get(f"{CASES_URL}/{ref}", headers=own)).status_code == 200
    assert (await reply(client, own, ref, "Kami proses.")).json()["author"] == "sari"
    assert (await close(client, own, ref, "Selesai.")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/PGD-ZZZZZZ"),
        ("POST", "/PGD-ZZZZZZ/replies"),
        ("POST", "/PGD-ZZZZZZ/close"),
    ],
)
async def test_every_case_route_needs_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, f"{CASES_URL}{path}", json={"text": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# The audit log


async def test_every_action_is_audited_without_citizens_data(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    citizen = await new_citizen(client)
    ref = await file_complaint(citizen)
    await name_every_contact(runtime)

    await list_cases(client, headers, q="kuitansi", status="new")
    await client.get(f"{CASES_URL}/{ref}", headers=headers)
    await reply(client, headers, ref, "Mohon datang ke Propam hari Senin.")
    await close(client, headers, ref, "Sudah diperiksa Propam.")

    rows = [row for row in await audit_rows(runtime) if row["actor"] == "admin"]
    assert [(row["action"], row["target"]) for row in rows] == [
        ("auth.login", None),
        ("cases.list", None),
        ("case.view", ref),
        ("case.reply", ref),
        ("case.close", ref),
    ]
    assert all(row["officer_id"] == rows[0]["officer_id"] for row in rows)
    listing = json.loads(rows[1]["detail"])
    assert listing == {
        "kind": None,
        "page": 1,
        "per_page": 50,
        "searched": True,
        "sort": "urgent",
        "status": "new",
        "unit": None,
        "total": 1,
        "named_shown": 1,
    }
    logged = json.dumps([str(row) for row in rows])
    for private in (
        "kuitansi",
        "Propam",
        REPORTER_NAME,
        DESCRIPTION[:20],
        *await external_ids(runtime),
    ):
        assert private not in logged
