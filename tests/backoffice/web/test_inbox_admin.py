"""The admin pages of the inbox over HTTP."""

from __future__ import annotations

import httpx

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from tests.support.inbox import InboxOfficer
from tests.support.journeys import file_complaint
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


EXPORT = (
    "kind,number,status,applicant_name,birth_date,note\n"
    "skck,SKCK/123/XI/2026,Sedang diverifikasi,Budi Santoso,1990-08-17,Ambil hari Senin\n"
    f"skck,SKCK/124/XI/2026,{HOSTILE},Siti Aminah,1992-01-02,\n"
    "skck,SKCK/125/XI/2026,Selesai,Ani,2999-01-01,\n"
)


async def test_applications_are_imported_searched_shown_and_changed(admin: InboxOfficer) -> None:
    page = await admin.get("/backoffice/applications")
    assert '<label for="a-file">' in page.text
    imported = await admin.http.post(
        "/backoffice/applications/import",
        data={"csrf": admin.csrf},
        files={"file": ("export.csv", EXPORT.encode(), "text/csv")},
    )
    assert imported.status_code == 200
    assert "2 baru, 0 diperbarui, 0 tidak berubah, 1 ditolak" in imported.text
    assert "birth_date: a date of birth cannot be in the future" in imported.text
    assert HOSTILE not in imported.text

    found = await admin.get("/backoffice/applications", q="124")
    assert "SKCK/124/XI/2026" in found.text
    assert "SKCK/123/XI/2026" not in found.text
    assert "Siti Aminah" not in found.text  # names only on the application's own page

    shown = await admin.get("/backoffice/applications/skck/SKCK/123/XI/2026")
    assert shown.status_code == 200
    assert "Budi Santoso" in shown.text
    assert "Sedang diverifikasi" in shown.text
    changed = await admin.post(
        "/backoffice/applications/skck/SKCK/123/XI/2026",
        {
            "status": "SKCK dapat diambil",
            "note": "",
            "applicant_name": "Budi Santoso",
            "birth_date": "1990-08-17",
        },
    )
    assert changed.status_code == 303
    history = await admin.get("/backoffice/applications/skck/SKCK/123/XI/2026", done="1")
    assert "Sedang diverifikasi → <strong>SKCK dapat diambil</strong>" in history.text
    refused = await admin.post(
        "/backoffice/applications/skck/SKCK/123/XI/2026",
        {"status": "", "applicant_name": "Budi", "birth_date": "1990-08-17"},
    )
    assert refused.status_code == 422
    assert (await admin.get("/backoffice/applications/skck/NOPE-1")).status_code == 404
    assert (await admin.get("/backoffice/applications/ktp/1")).status_code == 404


async def test_an_unreadable_export_is_refused_with_its_reason(admin: InboxOfficer) -> None:
    await admin.get("/backoffice/applications")
    refused = await admin.http.post(
        "/backoffice/applications/import",
        data={"csrf": admin.csrf},
        files={"file": ("export.csv", b"kind,number\nskck,1\n", "text/csv")},
    )
    assert refused.status_code == 400
    assert "missing columns: status" in refused.text
    no_token = await admin.http.post(
        "/backoffice/applications/import",
        files={"file": ("export.csv", EXPORT.encode(), "text/csv")},
    )
    assert no_token.status_code == 403


async def test_officers_read_applications_but_change_none(
    admin: InboxOfficer, client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await admin.http.post(
        "/backoffice/applications/import",
        data={"csrf": admin.csrf},
        files={"file": ("export.csv", EXPORT.encode(), "text/csv")},
    )
    await officer_with_role(client, runtime, clock, Role.OFFICER)
    officer = await InboxOfficer.signed_in(client, "officer", "officer-password")
    page = await officer.get("/backoffice/applications/skck/SKCK/123/XI/2026")
    assert page.status_code == 200
    assert "Ubah status" not in page.text
    refused = await officer.post(
        "/backoffice/applications/skck/SKCK/123/XI/2026",
        {"status": "x", "applicant_name": "y", "birth_date": "1990-08-17"},
    )
    assert refused.status_code == 403
    await officer.close()


async def test_the_statistics_page_and_its_csv(
    admin: InboxOfficer, client: httpx.AsyncClient
) -> None:
    citizen = await WebCitizen.open(client)
    await file_complaint(citizen)
    page = await admin.get("/backoffice/statistics", group="kind")
    assert page.status_code == 200
    assert "<td>complaint</td>" in page.text
    assert '<label for="st-group">' in page.text
    csv = await admin.get("/backoffice/statistics.csv", group="kind")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "complaint" in csv.text
    backwards = await admin.get(
        "/backoffice/statistics", **{"from": "2026-12-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert "&#39;from&#39; is after &#39;to&#39;" in backwards.text


async def test_officers_read_no_statistics(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await officer_with_role(client, runtime, clock, Role.OFFICER)
    officer = await InboxOfficer.signed_in(client, "officer", "officer-password")
    assert (await officer.get("/backoffice/statistics")).status_code == 403
    assert (await officer.get("/backoffice/statistics.csv")).status_code == 403
    await officer.close()
