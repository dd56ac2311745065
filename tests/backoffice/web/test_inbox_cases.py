"""The queue and a case's page over HTTP: what officers see, do, and never see."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import update

from bot.runtime import Runtime
from bot.storage.tables import audit_log, contacts
from tests.support.duty import alert_of, open_urgent_case
from tests.support.images import IDENTIFYING, jpeg_photo
from tests.support.inbox import InboxOfficer
from tests.support.incidents import file_report
from tests.support.journeys import file_complaint
from tests.support.office import Office
from tests.support.outbox import settle
from tests.support.web import WebCitizen, texts

HOSTILE = "<img src=x onerror=alert(1)>"
REPORTER_NAME = "Budi Santoso"


async def named_every_contact(runtime: Runtime) -> None:
    async with runtime.db.begin() as conn:
        await conn.execute(update(contacts).values(display_name=REPORTER_NAME))


async def test_the_queue_lists_the_cases_with_their_fields(
    admin: InboxOfficer, citizen: WebCitizen
) -> None:
    ref = await file_complaint(citizen)
    page = await admin.get("/backoffice/")
    assert page.status_code == 200
    assert f'href="/backoffice/cases/{ref}"' in page.text
    assert "Pengaduan" in page.text
    assert "Perilaku petugas" in page.text
    assert "baru" in page.text
    assert "1 kasus" in page.text


async def test_the_queue_filters_and_searches(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    incident = await file_report(runtime, "Tabrakan motor di simpang Jakabaring")
    only_incidents = await admin.get("/backoffice/", kind="incident")
    assert incident.ref in only_incidents.text
    assert ref not in only_incidents.text
    searched = await admin.get("/backoffice/", q="jakabaring")
    assert incident.ref in searched.text
    assert ref not in searched.text
    nonsense = await admin.get("/backoffice/", status="nonsense", kind="<b>")
    assert nonsense.status_code == 200
    assert "<b>" not in nonsense.text


async def test_the_live_part_answers_204_until_something_changes(
    admin: InboxOfficer, citizen: WebCitizen
) -> None:
    page = await admin.get("/backoffice/")
    marker = re.search(r'data-marker="([0-9a-f]+)"', page.text)
    assert marker
    same = await admin.get("/backoffice/queue/rows", since=marker.group(1))
    assert same.status_code == 204

    ref = await file_complaint(citizen)
    fresh = await admin.get("/backoffice/queue/rows", since=marker.group(1))
    assert fresh.status_code == 200
    assert ref in fresh.text
    assert 'hx-trigger="every 5s"' in fresh.text
    assert "<html" not in fresh.text  # a fragment


async def test_hostile_citizen_text_is_shown_as_text(
    admin: InboxOfficer, citizen: WebCitizen
) -> None:
    ref = await file_complaint(citizen, description=f"Petugas meminta uang {HOSTILE} kemarin.")
    await citizen.say(f"tambahan {HOSTILE}")
    for path in ("/backoffice/", f"/backoffice/cases/{ref}"):
        page = await admin.get(path, q="petugas") if path.endswith("/") else await admin.get(path)
        assert HOSTILE not in page.text
    case = await admin.get(f"/backoffice/cases/{ref}")
    assert "&lt;img src=x onerror=alert(1)&gt;" in case.text


async def test_the_case_page_shows_the_thread_and_the_reply_reaches_the_citizen(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert page.status_code == 200
    assert '<label for="reply-text">' in page.text
    assert "Kemarin sore petugas di loket SKCK" in page.text

    sent = await admin.post(f"/backoffice/cases/{ref}/reply", {"text": "Sedang kami periksa."})
    assert sent.status_code == 303
    await settle(runtime)
    assert "Sedang kami periksa." in texts(await citizen.read())
    after = await admin.get(f"/backoffice/cases/{ref}", done="reply")
    assert "Sedang kami periksa." in after.text
    assert "Balasan disimpan" in after.text
    assert "ticks-" in after.text


async def test_actions_without_the_csrf_token_are_refused(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await admin.get(f"/backoffice/cases/{ref}")
    for path, field in (("reply", "text"), ("close", "resolution")):
        refused = await admin.post(f"/backoffice/cases/{ref}/{path}", {field: "x"}, csrf=False)
        assert refused.status_code == 403
    office = Office(admin.http, runtime)
    [case] = await office.cases()
    assert case["status"] == "new"
    assert await office.messages_of(case["id"]) == []


async def test_an_empty_reply_and_a_reply_to_a_closed_case_are_refused_with_a_reason(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await admin.get(f"/backoffice/cases/{ref}")
    empty = await admin.post(f"/backoffice/cases/{ref}/reply", {"text": "   "})
    assert empty.status_code == 422
    assert "tidak boleh kosong" in empty.text

    closed = await admin.post(f"/backoffice/cases/{ref}/close", {"resolution": "Selesai."})
    assert closed.status_code == 303
    await settle(runtime)
    late = await admin.post(f"/backoffice/cases/{ref}/reply", {"text": "Satu lagi."})
    assert late.status_code == 409
    assert "sudah ditutup" in late.text
    again = await admin.post(f"/backoffice/cases/{ref}/close", {"resolution": "Lagi."})
    assert again.status_code == 409


async def test_an_unknown_case_is_the_404_page(admin: InboxOfficer) -> None:
    response = await admin.get("/backoffice/cases/PGD-ZZZZZZ")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text


async def test_an_anonymous_case_shows_no_name_anywhere(
    admin: InboxOfficer, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    anonymous = await WebCitizen.open(client)
    ref = await file_complaint(anonymous, anonymous=True)
    await named_every_contact(runtime)
    for page in (await admin.get("/backoffice/"), await admin.get(f"/backoffice/cases/{ref}")):
        assert REPORTER_NAME not in page.text
        assert "anonim" in page.text
    [contact] = await Office(admin.http, runtime).rows(contacts)
    case = await admin.get(f"/backoffice/cases/{ref}")
    assert contact["external_id"] not in case.text


async def test_a_named_case_shows_the_reporter(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await named_every_contact(runtime)
    page = await admin.get(f"/backoffice/cases/{ref}")
    assert REPORTER_NAME in page.text


async def test_an_incident_shows_its_place_with_a_map_link_and_its_time_in_words(
    admin: InboxOfficer, runtime: Runtime
) -> None:
    filed = await file_report(runtime, "Tabrakan di simpang")
    page = await admin.get(f"/backoffice/cases/{filed.ref}")
    assert "https://www.openstreetmap.org/?mlat=" in page.text
    assert "Laporan kejadian" in page.text


async def test_viewing_a_case_is_in_the_audit_log(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await admin.get(f"/backoffice/cases/{ref}")
    rows = await Office(admin.http, runtime).rows(audit_log)
    assert ("case.view", ref) in [(row["action"], row["target"]) for row in rows]


async def test_a_citizen_message_after_the_reply_marks_the_case_live(
    admin: InboxOfficer, citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await admin.get(f"/backoffice/cases/{ref}")
    await admin.post(f"/backoffice/cases/{ref}/reply", {"text": "Mohon kirim nama petugasnya."})
    await settle(runtime)
    assert "Mohon kirim nama petugasnya." in texts(await citizen.read())
    page = await admin.get("/backoffice/")
    assert "pesan warga belum dibalas" not in page.text
    marker = re.search(r'data-marker="([0-9a-f]+)"', page.text)
    assert marker

    said = await citizen.say("tambahan: namanya Pak Joko, loket 3")
    assert f"ditambahkan ke {ref}" in texts(said)
    fresh = await admin.get("/backoffice/queue/rows", since=marker.group(1))
    assert fresh.status_code == 200
    assert "pesan warga belum dibalas" in fresh.text


async def test_the_thread_refreshes_itself_when_the_citizen_writes(
    admin: InboxOfficer, citizen: WebCitizen
) -> None:
    ref = await file_complaint(citizen)
    page = await admin.get(f"/backoffice/cases/{ref}")
    marker = re.search(r"/thread\?since=([0-9a-f]+)", page.text)
    assert marker
    same = await admin.get(f"/backoffice/cases/{ref}/thread", since=marker.group(1))
    assert same.status_code == 204
    await citizen.say("tambahan: namanya Pak Joko, loket 3")
    fresh = await admin.get(f"/backoffice/cases/{ref}/thread", since=marker.group(1))
    assert fresh.status_code == 200
    assert "namanya Pak Joko" in fresh.text
    assert "<html" not in fresh.text
    elsewhere = await admin.get("/backoffice/cases/PGD-ZZZZZZ/thread")
    assert elsewhere.status_code == 404


async def test_an_open_duty_alert_stands_out_and_is_acknowledged_from_the_queue(
    admin: InboxOfficer, runtime: Runtime
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    page = await admin.get("/backoffice/")
    assert "Peringatan piket terbuka" in page.text
    assert 'class="alerts"' in page.text
    alert_id = (await alert_of(runtime, case_id)).id
    assert f'action="/backoffice/alerts/{alert_id}/ack"' in page.text
    assert 'class="prio-urgent"' in page.text

    refused = await admin.post(f"/backoffice/alerts/{alert_id}/ack", csrf=False)
    assert refused.status_code == 403
    acked = await admin.post(f"/backoffice/alerts/{alert_id}/ack")
    assert acked.status_code == 303
    stored = await alert_of(runtime, case_id)
    assert stored.acknowledged_by == "admin"
    after = await admin.get("/backoffice/")
    assert "Peringatan piket terbuka" not in after.text
    again = await admin.post(f"/backoffice/alerts/{alert_id}/ack")
    assert again.status_code == 303  # someone was first: nothing to do
    assert (await admin.post("/backoffice/alerts/424242/ack")).status_code == 404
    rows = await Office(admin.http, runtime).rows(audit_log)
    assert [row["target"] for row in rows if row["action"] == "alert.ack"] == [ref]


async def test_an_anonymous_photo_is_shown_inline_without_its_metadata(
    admin: InboxOfficer, client: httpx.AsyncClient
) -> None:
    photo = jpeg_photo()
    citizen = await WebCitizen.open(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say("Jalan rusak di depan kantor, sudah berbulan-bulan.")
    assert (await citizen.upload(photo.data)).status_code == 202
    await citizen.read()
    await citizen.press("Ya, anonim")
    done = await citizen.press("Kirim")
    found = re.search(r"PGD-[0-9A-Z]{6}", texts(done))
    assert found
    ref = found.group(0)
    page = await admin.get(f"/backoffice/cases/{ref}")
    image = re.search(rf'<img class="photo" src="(/backoffice/cases/{ref}/media/\d+)"', page.text)
    assert image, "the photo is shown in the thread"
    served = await admin.get(image.group(1))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content == photo.clean
    for identifying in IDENTIFYING:
        assert identifying not in served.content
