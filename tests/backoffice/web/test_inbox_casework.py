"""Working a case from its page: notes, take, status, priority, reopen, canned replies,
moving it, and who then sees it (DESIGN §6) — on the services the API uses."""

from __future__ import annotations

import httpx

from backoffice.officers import Role
from bot.runtime import Runtime
from bot.storage.tables import outbox
from tests.conftest import ADMIN_PASSWORD
from tests.support.inbox import InboxOfficer
from tests.support.journeys import file_complaint
from tests.support.office import Office, sign_in
from tests.support.outbox import settle
from tests.support.units import grow_tree, officer_in
from tests.support.web import WebCitizen, texts

NOTE = "Catatan: pelapor pernah melapor hal serupa bulan lalu."


async def test_a_note_stays_with_the_officers(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await settle(runtime)
    await citizen.read(wait=0)
    office = Office(admin.http, runtime)
    sent_before = len(await office.rows(outbox))
    await admin.get(f"/backoffice/cases/{ref}")
    saved = await admin.post(f"/backoffice/cases/{ref}/note", {"text": NOTE})
    assert saved.status_code == 303
    page = await admin.get(f"/backoffice/cases/{ref}", done="note")
    assert 'class="msg msg-note"' in page.text
    assert NOTE in page.text
    assert "Catatan internal · admin" in page.text
    await settle(runtime)
    assert len(await office.rows(outbox)) == sent_before
    assert await citizen.read(wait=0) == []
    empty = await admin.post(f"/backoffice/cases/{ref}/note", {"text": " "})
    assert empty.status_code == 422


async def test_take_resolve_and_reopen_tell_the_citizen(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await settle(runtime)
    await citizen.read(wait=0)
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert '<label for="w-status">' in page.text
    taken = await admin.post(
        f"/backoffice/cases/{ref}/update", {"assignee": "admin", "done": "take"}
    )
    assert taken.status_code == 303
    office = Office(admin.http, runtime)
    case = await office.case(ref)
    assert case["assignee_id"] is not None
    assert "Kasus Anda ambil." in (await admin.get(f"/backoffice/cases/{ref}", done="take")).text

    await admin.post(f"/backoffice/cases/{ref}/update", {"status": "resolved", "priority": "high"})
    case = await office.case(ref)
    assert (case["status"], case["priority"]) == ("resolved", "high")
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert "Buka kembali" in page.text
    reopened = await admin.post(
        f"/backoffice/cases/{ref}/update", {"status": "in_progress", "done": "reopen"}
    )
    assert reopened.status_code == 303
    assert (await office.case(ref))["status"] == "in_progress"
    await settle(runtime)
    told = texts(await citizen.read())
    assert ref in told

    bad = await admin.post(f"/backoffice/cases/{ref}/update", {"status": "closed"})
    assert bad.status_code == 422
    nobody = await admin.post(f"/backoffice/cases/{ref}/update", {"assignee": "nobody"})
    assert nobody.status_code == 422


async def test_a_closed_case_is_reopened_from_its_page(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await admin.get(f"/backoffice/cases/{ref}")
    await admin.post(f"/backoffice/cases/{ref}/close", {"resolution": "Selesai."})
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert 'id="reply-text"' not in page.text
    assert "Buka kembali" in page.text
    await admin.post(f"/backoffice/cases/{ref}/update", {"status": "in_progress", "done": "reopen"})
    assert (await Office(admin.http, runtime).case(ref))["status"] == "in_progress"
    again = await admin.get(f"/backoffice/cases/{ref}", done="reopen")
    assert "Kasus dibuka kembali" in again.text
    assert 'id="reply-text"' in again.text


async def test_a_canned_reply_reaches_the_citizen_filled_in(
    admin: InboxOfficer, citizen: WebCitizen, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = await sign_in(client, "admin", ADMIN_PASSWORD)
    created = await client.post(
        "/api/v1/canned-replies",
        json={
            "title": "Sedang diproses",
            "texts": {"id": "Laporan {ref} sedang kami proses.", "en": "We are on {ref}."},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    ref = await file_complaint(citizen)
    await settle(runtime)
    await citizen.read(wait=0)
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert '<label for="reply-canned">' in page.text
    assert "Sedang diproses" in page.text
    sent = await admin.post(
        f"/backoffice/cases/{ref}/reply", {"canned_id": str(created.json()["id"]), "text": ""}
    )
    assert sent.status_code == 303
    await settle(runtime)
    assert f"Laporan {ref} sedang kami proses." in texts(await citizen.read())
    unknown = await admin.post(f"/backoffice/cases/{ref}/reply", {"canned_id": "999"})
    assert unknown.status_code == 422


async def test_an_officer_of_another_unit_gets_the_404_page(
    admin: InboxOfficer, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = await sign_in(client, "admin", ADMIN_PASSWORD)
    await grow_tree(client, headers)
    citizen = await WebCitizen.open(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    ref = await finish_complaint(citizen)
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert '<label for="w-unit">' in page.text
    moved = await admin.post(f"/backoffice/cases/{ref}/update", {"unit": "polres-a"})
    assert moved.status_code == 303

    await officer_in(client, runtime, username="andi", role=Role.OFFICER, unit="polres-a")
    await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit="polres-b")
    andi = await InboxOfficer.signed_in(client, "andi", "andi-password")
    budi = await InboxOfficer.signed_in(client, "budi", "budi-password")
    assert ref in (await andi.get("/backoffice/")).text
    assert (await andi.get(f"/backoffice/cases/{ref}")).status_code == 200
    assert '<label for="w-unit">' not in (await andi.get(f"/backoffice/cases/{ref}")).text

    assert ref not in (await budi.get("/backoffice/")).text
    for path in (f"/backoffice/cases/{ref}", f"/backoffice/cases/{ref}/thread"):
        hidden = await budi.get(path)
        assert hidden.status_code == 404
        assert "Tidak ditemukan" in hidden.text
    for action, field in (("reply", "text"), ("note", "text"), ("close", "resolution")):
        refused = await budi.post(f"/backoffice/cases/{ref}/{action}", {field: "x"})
        assert refused.status_code == 404
    searched = await budi.get("/backoffice/", q=ref)
    assert f'href="/backoffice/cases/{ref}"' not in searched.text
    assert "0 kasus" in searched.text

    forbidden = await andi.post(f"/backoffice/cases/{ref}/update", {"unit": "polres-b"})
    assert forbidden.status_code == 403
    assert "Peran Anda tidak dapat" in forbidden.text
    gone = await admin.post(f"/backoffice/cases/{ref}/update", {"unit": "polres-b"})
    assert gone.status_code == 303
    assert (await andi.get(f"/backoffice/cases/{ref}")).status_code == 404
    for officer in (andi, budi):
        await officer.close()


async def finish_complaint(citizen: WebCitizen) -> str:
    """The rest of a complaint after its category: the story, no photo, named, sent."""
    from bot.domain.references import REFERENCE_PATTERN

    await citizen.say("Petugas loket SKCK meminta uang tambahan tanpa kuitansi.")
    await citizen.press("Lewati")
    await citizen.press("Tidak, tampilkan nama saya")
    await citizen.give_name()
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found, texts(done)
    return found.group(0)
