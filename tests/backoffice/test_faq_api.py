"""`/api/v1/faq` over HTTP: officers read, admins write, every write audited; the
seeded sample; and the bot's cache picking edits up."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.services.faq import (
    DEFAULT_TTL_SECONDS,
    SELECT_FAQS,
    FaqCache,
    faqs_from_rows,
    list_faqs,
    load_shipped,
)
from bot.storage.tables import audit_log
from tests.conftest import ADMIN_PASSWORD
from tests.support.office import sign_in

FAQ_URL = "/api/v1/faq"

SIM = {
    "title": {"id": "Syarat SIM", "en": "Driving licence"},
    "questions": {
        "id": ["syarat membuat sim", "perpanjang sim yang mati"],
        "en": ["driving licence requirements"],
    },
    "answer": {"id": "Bawa KTP dan surat keterangan sehat.", "en": "Bring your ID card."},
}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await sign_in(client, "admin", ADMIN_PASSWORD)


@pytest.fixture
async def officer(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> dict[str, str]:
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username="budi",
            password="budi-password",
            role=Role.OFFICER,
            full_name="Budi",
            now=clock.now(),
        )
        await session.commit()
    return await sign_in(client, "budi", "budi-password")


async def faq_audit(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(audit_log).where(audit_log.c.action.like("faq.%")).order_by(audit_log.c.id)
        )
        return [dict(row._mapping) for row in rows]


async def test_the_shipped_sample_is_seeded(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.get(FAQ_URL, headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    shipped = load_shipped()
    assert body["total"] == len(shipped) == len(body["items"])
    by_id = {item["id"]: item for item in body["items"]}
    assert sorted(by_id) == sorted(entry.id for entry in shipped)
    for entry in shipped:
        item = by_id[entry.id]
        assert item["sample"] is True
        assert item["title"] == entry.title
        assert item["answer"] == entry.answer
        assert item["questions"] == {k: list(v) for k, v in entry.questions.items()}


async def test_an_officer_reads_one_entry(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.get(f"{FAQ_URL}/skck_fee", headers=officer)
    assert response.status_code == 200
    assert "Rp30.000" in response.json()["answer"]["id"]
    missing = await client.get(f"{FAQ_URL}/no_such_entry", headers=officer)
    assert missing.status_code == 404
    assert "no_such_entry" in missing.json()["detail"]


async def test_an_admin_creates_then_replaces_an_entry(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    created = await client.put(f"{FAQ_URL}/sim", json=SIM, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() | {"updated_at": None} == {
        "id": "sim",
        **SIM,
        "sample": False,
        "updated_at": None,
    }
    clock.advance(300)
    changed = SIM | {"answer": {"id": "Bawa KTP asli.", "en": "Bring your original ID."}}
    replaced = await client.put(f"{FAQ_URL}/sim", json=changed, headers=admin)
    assert replaced.status_code == 200, replaced.text
    stored = (await client.get(f"{FAQ_URL}/sim", headers=admin)).json()
    assert stored["answer"] == changed["answer"]
    assert stored["updated_at"] == replaced.json()["updated_at"]
    assert stored["updated_at"] != created.json()["updated_at"]
    assert (await client.get(FAQ_URL, headers=admin)).json()["total"] == len(load_shipped()) + 1


async def test_an_admin_deletes_an_entry(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    deleted = await client.delete(f"{FAQ_URL}/privacy", headers=admin)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"{FAQ_URL}/privacy", headers=admin)).status_code == 404
    again = await client.delete(f"{FAQ_URL}/privacy", headers=admin)
    assert again.status_code == 404


async def test_every_write_is_audited(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    await client.put(f"{FAQ_URL}/sim", json=SIM, headers=admin)
    await client.put(f"{FAQ_URL}/sim", json=SIM | {"sample": True}, headers=admin)
    await client.delete(f"{FAQ_URL}/sim", headers=admin)
    await client.delete(f"{FAQ_URL}/sim", headers=admin)  # 404: nothing changed
    await client.get(FAQ_URL, headers=admin)  # reads are not audited
    rows = await faq_audit(runtime)
    assert [(row["action"], row["actor"], row["target"]) for row in rows] == [
        ("faq.put", "admin", "sim"),
        ("faq.put", "admin", "sim"),
        ("faq.delete", "admin", "sim"),
    ]
    assert [json.loads(row["detail"]) for row in rows] == [
        {"created": True, "sample": False},
        {"created": False, "sample": True},
        {},
    ]
    assert all(row["officer_id"] is not None for row in rows)


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", SIM), ("PUT", {}), ("DELETE", None)], ids=["put", "bad", "delete"]
)
async def test_an_officer_may_not_write(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    runtime: Runtime,
    method: str,
    body: dict[str, Any] | None,
) -> None:
    response = await client.request(method, f"{FAQ_URL}/skck_fee", json=body, headers=officer)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert (await client.get(f"{FAQ_URL}/skck_fee", headers=officer)).json()["sample"] is True
    assert await faq_audit(runtime) == []


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PUT", SIM), ("DELETE", None)])
async def test_strangers_get_401(
    client: httpx.AsyncClient, method: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, f"{FAQ_URL}/sim", json=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("faq_id", "body", "where"),
    [
        ("Bad Id!", SIM, ["path", "faq_id"]),
        ("x" * 41, SIM, ["path", "faq_id"]),
        ("sim", SIM | {"answer": {"id": "Hanya Indonesia."}}, ["body", "answer", "en"]),
        ("sim", SIM | {"questions": {"id": [], "en": ["x"]}}, ["body", "questions", "id"]),
        ("sim", SIM | {"questions": {"id": ["  "], "en": ["x"]}}, ["body", "questions", "id", 0]),
        ("sim", SIM | {"title": {"id": "x" * 25, "en": "x"}}, ["body", "title", "id"]),
        ("sim", SIM | {"answer": {"id": "x" * 3001, "en": "x"}}, ["body", "answer", "id"]),
        ("sim", SIM | {"answers": SIM["answer"]}, ["body", "answers"]),
    ],
    ids=["id", "long-id", "locale", "no-question", "blank", "title", "answer", "extra"],
)
async def test_a_bad_entry_is_422_with_a_reason_and_nothing_changes(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    runtime: Runtime,
    faq_id: str,
    body: dict[str, Any],
    where: list[Any],
) -> None:
    response = await client.put(f"{FAQ_URL}/{faq_id}", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == where
    assert (await client.get(FAQ_URL, headers=admin)).json()["total"] == len(load_shipped())
    assert await faq_audit(runtime) == []


async def test_the_bots_cache_sees_edits_within_its_ttl(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    cache = FaqCache()
    async with runtime.db.connect() as conn:
        before = await cache.refresh(conn, clock.now())
    assert before.classify("syarat perpanjang sim").intent != "faq:sim"

    assert (await client.put(f"{FAQ_URL}/sim", json=SIM, headers=admin)).status_code == 201
    async with runtime.db.connect() as conn:
        assert await cache.refresh(conn, clock.now() + timedelta(seconds=1)) is before
        clock.advance(DEFAULT_TTL_SECONDS)
        after = await cache.refresh(conn, clock.now())
    assert after.classify("syarat perpanjang sim").intent == "faq:sim"
    entry = after.get("sim")
    assert entry is not None
    assert entry.answer_in("en") == "Bring your ID card."
    assert entry.title_in("en") == "Driving licence"


async def test_a_cache_starts_from_what_it_is_given_until_refreshed(
    runtime: Runtime, clock: ManualClock
) -> None:
    cache = FaqCache(initial=load_shipped()[:1])
    assert [entry.id for entry in cache.snapshot.entries] == [load_shipped()[0].id]
    assert cache.due(clock.now())
    async with runtime.db.connect() as conn:
        refreshed = await cache.refresh(conn, clock.now())
    assert len(refreshed.entries) == len(load_shipped())
    assert not cache.due(clock.now())


async def test_plain_sql_rows_make_the_same_entries(runtime: Runtime, clock: ManualClock) -> None:
    """The hot path reads `SELECT_FAQS` with its own driver and hands the rows to `update`."""
    async with runtime.db.connect() as conn:
        stored = await list_faqs(conn)
        raw = (await conn.exec_driver_sql(SELECT_FAQS)).all()
    assert faqs_from_rows(raw) == stored
    stamps = [entry.updated_at for entry in stored]
    assert all(stamp is not None for stamp in stamps)
    as_sqlite3 = [
        (*row[:5], f"{stamp:%Y-%m-%d %H:%M:%S.%f}") for row, stamp in zip(raw, stamps, strict=True)
    ]
    assert faqs_from_rows(as_sqlite3) == stored
    assert [entry.updated_at for entry in faqs_from_rows(as_sqlite3)] == stamps
    cache = FaqCache()
    assert cache.update(faqs_from_rows(raw), clock.now()).entries == tuple(stored)


async def test_an_unchanged_table_keeps_the_built_classifier(
    runtime: Runtime, clock: ManualClock
) -> None:
    cache = FaqCache(ttl_seconds=0)
    async with runtime.db.connect() as conn:
        first = await cache.refresh(conn, clock.now())
        clock.advance(1)
        assert await cache.refresh(conn, clock.now()) is first
        assert [entry.id for entry in await list_faqs(conn)] == [e.id for e in first.entries]
