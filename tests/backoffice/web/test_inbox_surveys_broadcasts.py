"""The survey results and broadcasts pages over HTTP, with the roles that may use them."""

from __future__ import annotations

import httpx
import pytest

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.broadcasts import SECOND_ADMIN, SECOND_ADMIN_PASSWORD, second_admin, send_all
from tests.support.inbox import InboxOfficer
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen, texts

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"broadcast_approval_min": 2})


async def survey(client: httpx.AsyncClient, marks: list[str], last: str = "lewati") -> None:
    citizen = await WebCitizen.open(client)
    await citizen.say("survei")
    for mark in marks:
        await citizen.say(mark)
    assert "Terima kasih, Bapak/Ibu!" in texts(await citizen.say(last))


async def subscriber(client: httpx.AsyncClient) -> WebCitizen:
    citizen = await WebCitizen.open(client)
    await citizen.say("langganan")
    return citizen


async def test_the_survey_page_shows_the_index_the_bars_and_the_suggestions(
    admin: InboxOfficer, client: httpx.AsyncClient
) -> None:
    await survey(client, ["4"] + ["3"] * 8)
    await survey(client, ["3"] * 9, last=f"Loket ditambah {HOSTILE}")
    page = await admin.get("/backoffice/surveys", service="general")
    assert page.status_code == 200
    assert "76,39 · C" in page.text  # the worked example of DOMAIN.md §1, Indonesian numbers
    assert page.text.count('<rect class="bar"') == 9
    assert "Persyaratan" in page.text
    assert "Loket ditambah &lt;img" in page.text
    assert HOSTILE not in page.text
    assert '<label for="s-from">' in page.text

    elsewhere = await admin.get("/backoffice/surveys", service="skck")
    assert "Belum ada jawaban lengkap" in elsewhere.text
    backwards = await admin.get("/backoffice/surveys", **{"from": "2026-12-01", "to": "2026-11-01"})
    assert backwards.status_code == 422
    unknown = await admin.get("/backoffice/surveys", survey="nope")
    assert unknown.status_code == 404


async def test_officers_get_the_403_page_for_surveys_and_broadcasts(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await officer_with_role(client, runtime, clock, Role.OFFICER)
    officer = await InboxOfficer.signed_in(client, "officer", "officer-password")
    for path in ("/backoffice/surveys", "/backoffice/broadcasts"):
        page = await officer.get(path)
        assert page.status_code == 403
        assert "Tidak diizinkan" in page.text
    queue = await officer.get("/backoffice/")
    assert 'href="/backoffice/surveys"' not in queue.text
    await officer.close()


async def test_a_broadcast_scheduled_on_the_page_waits_for_another_admin(
    admin: InboxOfficer, client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    first, second = await subscriber(client), await subscriber(client)
    await admin.get("/backoffice/broadcasts")
    created = await admin.post(
        "/backoffice/broadcasts", {"message_id": "Operasi Zebra mulai Senin.", "message_en": ""}
    )
    assert created.status_code == 303
    page = await admin.get("/backoffice/broadcasts", done="created")
    assert "menunggu persetujuan" in page.text
    assert "Menunggu persetujuan admin lain." in page.text
    assert "/approve" not in page.text  # never offered to its author
    refused = await admin.post("/backoffice/broadcasts/1/approve")
    assert refused.status_code == 403

    await second_admin(client, runtime, clock)
    other = await InboxOfficer.signed_in(client, SECOND_ADMIN, SECOND_ADMIN_PASSWORD)
    seen = await other.get("/backoffice/broadcasts")
    assert 'action="/backoffice/broadcasts/1/approve"' in seen.text
    approved = await other.post("/backoffice/broadcasts/1/approve")
    assert approved.status_code == 303
    again = await other.post("/backoffice/broadcasts/1/approve")
    assert again.status_code == 409
    await send_all(runtime)
    for citizen in (first, second):
        assert "Operasi Zebra mulai Senin." in [m["text"] for m in await citizen.read()]
    rows = await other.get("/backoffice/broadcasts/rows")
    assert "selesai" in rows.text
    assert "<html" not in rows.text
    await other.close()


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"message_id": " "}, "at least one language"),
        ({"message_id": "Hai", "cron": "61 * * * *"}, "not valid"),
        ({"message_id": "Hai", "when": "2026-11-27T09:00"}, "in the past"),
        ({"message_id": "Hai", "when": "kemarin"}, "Invalid isoformat"),
        ({"message_id": "Hai", "channel": "sms"}, "audience.channel"),
        ({"message_id": "Hai", "active_within_days": "nol"}, "active_within_days"),
    ],
)
async def test_an_invalid_broadcast_is_refused_with_its_reason(
    admin: InboxOfficer, form: dict[str, str], reason: str
) -> None:
    await admin.get("/backoffice/broadcasts")
    refused = await admin.post("/backoffice/broadcasts", form)
    assert refused.status_code == 422
    assert "Siaran tidak dapat dibuat" in refused.text
    assert reason in refused.text


async def test_broadcast_actions_need_the_csrf_token(admin: InboxOfficer) -> None:
    refused = await admin.post("/backoffice/broadcasts", {"message_id": "Hai"}, csrf=False)
    assert refused.status_code == 403
    page = await admin.get("/backoffice/broadcasts")
    assert "Belum ada siaran." in page.text
