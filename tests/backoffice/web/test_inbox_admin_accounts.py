"""The admin pages on accounts, units, canned replies and dead letters, over HTTP."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.outbox.deadletters import bury_now
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import audit_log, conversations, dead_letters
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.inbox import InboxOfficer
from tests.support.office import officer_with_role
from tests.support.outbox import settle
from tests.support.telegram_citizen import next_update_id, telegram_settings

CHAT = 515_151
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api)


async def test_an_admin_adds_an_officer_who_signs_in_then_disables_them(
    admin: InboxOfficer, client: httpx.AsyncClient
) -> None:
    page = await admin.get("/backoffice/admin/officers")
    assert '<label for="o-new-username">' in page.text
    added = await admin.post(
        "/backoffice/admin/officers",
        {
            "username": "sari",
            "full_name": f"Sari {HOSTILE}",
            "password": "kuat-sekali-2026",
            "role": "officer",
            "unit": "propam",
        },
    )
    assert added.status_code == 303
    listed = await admin.get("/backoffice/admin/officers", done="officer")
    assert "Akun petugas disimpan." in listed.text
    assert HOSTILE not in listed.text
    sari = await InboxOfficer.signed_in(client, "sari", "kuat-sekali-2026")
    assert (await sari.get("/backoffice/")).status_code == 200

    disabled = await admin.post(
        "/backoffice/admin/officers/sari", {"role": "officer", "unit": "propam", "active": "false"}
    )
    assert disabled.status_code == 303
    assert (await sari.get("/backoffice/")).status_code == 303  # every session ended at once
    await sari.close()

    weak = await admin.post(
        "/backoffice/admin/officers",
        {"username": "weak", "password": "password", "role": "officer", "unit": "polda"},
    )
    assert weak.status_code == 422
    taken = await admin.post(
        "/backoffice/admin/officers",
        {"username": "sari", "password": "kuat-sekali-2026", "role": "officer", "unit": "polda"},
    )
    assert taken.status_code == 422
    last = await admin.post("/backoffice/admin/officers/admin", {"active": "false"})
    assert last.status_code == 422
    assert "no active admin" in last.text
    assert (
        await admin.post("/backoffice/admin/officers/nobody", {"role": "admin"})
    ).status_code == 404


async def test_an_admin_grows_the_unit_tree(admin: InboxOfficer) -> None:
    await admin.get("/backoffice/admin/units")
    added = await admin.post(
        "/backoffice/admin/units", {"code": "polres-oki", "name": "Polres OKI", "parent": "polda"}
    )
    assert added.status_code == 303
    page = await admin.get("/backoffice/admin/units")
    assert "Polres OKI" in page.text
    again = await admin.post(
        "/backoffice/admin/units", {"code": "polres-oki", "name": "Lagi", "parent": "polda"}
    )
    assert again.status_code == 422
    orphan = await admin.post(
        "/backoffice/admin/units", {"code": "polsek-x", "name": "X", "parent": "nowhere"}
    )
    assert orphan.status_code == 422


async def test_an_admin_keeps_the_canned_replies(admin: InboxOfficer, runtime: Runtime) -> None:
    await admin.get("/backoffice/admin/canned-replies")
    form = {"title": "Terima kasih", "text_id": "Terima kasih, {ref}.", "text_en": "Thanks, {ref}."}
    assert (await admin.post("/backoffice/admin/canned-replies", form)).status_code == 303
    page = await admin.get("/backoffice/admin/canned-replies")
    assert "Terima kasih, {ref}." in page.text
    edited = await admin.post(
        "/backoffice/admin/canned-replies/1", form | {"text_id": "Terima kasih atas {ref}."}
    )
    assert edited.status_code == 303
    assert "Terima kasih atas {ref}." in (await admin.get("/backoffice/admin/canned-replies")).text
    bad = await admin.post("/backoffice/admin/canned-replies", form | {"text_id": "{nama}"})
    assert bad.status_code == 422
    deleted = await admin.post("/backoffice/admin/canned-replies/1/delete")
    assert deleted.status_code == 303
    assert (await admin.post("/backoffice/admin/canned-replies/1/delete")).status_code == 404


async def test_an_admin_inspects_and_replays_a_dead_letter(
    admin: InboxOfficer, runtime: Runtime, clock: ManualClock, fake_api: FakeBotAPI
) -> None:
    update = text_update(next_update_id(), CHAT, "halo, saya mau bertanya")
    await bury_now(
        runtime.db,
        source="telegram:webhook",
        reason="message could not be handled: OperationalError",
        payload=json.dumps(update),
        now=clock.now(),
    )
    listed = await admin.get("/backoffice/admin/dead-letters")
    assert "telegram:webhook" in listed.text
    shown = await admin.get("/backoffice/admin/dead-letters/1")
    assert "halo, saya mau bertanya" in shown.text
    replayed = await admin.post("/backoffice/admin/dead-letters/1/replay")
    assert replayed.status_code == 303
    await settle(runtime)
    assert fake_api.texts_to(CHAT), "the citizen is answered at last"
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(conversations))).scalar() == 1
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert {"dead_letter.view", "dead_letter.replay"} <= set(actions)
    again = await admin.post("/backoffice/admin/dead-letters/1/replay")
    assert again.status_code == 409
    assert (await admin.get("/backoffice/admin/dead-letters/99")).status_code == 404


async def test_only_admins_open_the_admin_pages(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await officer_with_role(client, runtime, clock, Role.SUPERVISOR)
    supervisor = await InboxOfficer.signed_in(client, "supervisor", "supervisor-password")
    for path in ("officers", "units", "canned-replies", "dead-letters", "dead-letters/1"):
        assert (await supervisor.get(f"/backoffice/admin/{path}")).status_code == 403
    refused = await supervisor.post(
        "/backoffice/admin/officers",
        {"username": "x", "password": "kuat-sekali-2026", "role": "admin", "unit": "polda"},
    )
    assert refused.status_code == 403
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(dead_letters))).scalar() == 0
    await supervisor.close()
