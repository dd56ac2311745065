"""The admin pages of the inbox over HTTP."""

from __future__ import annotations

import httpx

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from tests.support.inbox import InboxOfficer
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen, texts

HOSTILE = "<img src=x onerror=alert(1)>"
ENTRY = {
    "faq_id": "samsat_keliling",
    "title_id": "Samsat keliling",
    "title_en": "Mobile Samsat",
    "questions_id": "jadwal samsat keliling\nsamsat keliling dimana",
    "questions_en": "mobile samsat schedule",
    "answer_id": f"Samsat keliling ada di Lapangan Merdeka setiap Sabtu. {HOSTILE}",
    "answer_en": "The mobile Samsat is at Lapangan Merdeka every Saturday.",
}


async def test_an_admin_adds_an_faq_entry_the_bot_answers_with_then_deletes_it(
    admin: InboxOfficer, client: httpx.AsyncClient
) -> None:
    page = await admin.get("/backoffice/admin/faq")
    assert page.status_code == 200
    assert '<label for="faq-new-id">' in page.text
    saved = await admin.post("/backoffice/admin/faq", ENTRY)
    assert saved.status_code == 303
    listed = await admin.get("/backoffice/admin/faq", done="saved")
    assert "Samsat keliling" in listed.text
    assert HOSTILE not in listed.text

    citizen = await WebCitizen.open(client)
    assert "Lapangan Merdeka setiap Sabtu" in texts(await citizen.say("jadwal samsat keliling"))

    deleted = await admin.post("/backoffice/admin/faq/samsat_keliling/delete")
    assert deleted.status_code == 303
    assert "samsat_keliling" not in (await admin.get("/backoffice/admin/faq")).text
    again = await admin.post("/backoffice/admin/faq/samsat_keliling/delete")
    assert again.status_code == 404


async def test_an_invalid_faq_entry_is_refused_with_its_reason(admin: InboxOfficer) -> None:
    await admin.get("/backoffice/admin/faq")
    too_long = await admin.post("/backoffice/admin/faq", ENTRY | {"title_id": "x" * 25})
    assert too_long.status_code == 422
    assert "title.id" in too_long.text
    bad_id = await admin.post("/backoffice/admin/faq", ENTRY | {"faq_id": "Bad Id!"})
    assert bad_id.status_code == 422
    no_token = await admin.post("/backoffice/admin/faq", ENTRY, csrf=False)
    assert no_token.status_code == 403


async def test_only_admins_edit_the_faq(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await officer_with_role(client, runtime, clock, Role.SUPERVISOR)
    supervisor = await InboxOfficer.signed_in(client, "supervisor", "supervisor-password")
    assert (await supervisor.get("/backoffice/admin/faq")).status_code == 403
    assert (await supervisor.post("/backoffice/admin/faq", ENTRY)).status_code == 403
    await supervisor.close()
