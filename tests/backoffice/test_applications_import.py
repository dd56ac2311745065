"""Bulk import of the front office's export, the list and the status history, over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log
from tests.backoffice.test_applications_api import BODY, contact_id_of, subscribe_to
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen

URL = "/api/v1/applications"
IMPORT_URL = f"{URL}/import"
NUMBER = "SKCK/123/XI/2026"

# Semicolons and a byte-order mark, as a spreadsheet saves it; an extra column is ignored.
EXPORT = (
    "\ufeffkind;number;status;applicant_name;birth_date;note;loket\n"
    "skck;SKCK/124/XI/2026;Berkas diterima;Siti Aminah;1988-02-03;;3\n"  # line 2: new
    "ktp;KTP/1;Selesai;Andi;1990-01-01;;1\n"  # line 3: no such kind
    "skck;SKCK/125/XI/2026;Selesai;Rudi;17-08-1990;;2\n"  # line 4: a date as typed by hand
    f"skck;{NUMBER};SELESAI - ambil di loket 3;Budi Santoso;1990-08-17;Bawa KTP asli.;3\n"
    "\n"  # a blank line: skipped, not a row
    f"skck;{NUMBER.lower()};SELESAI - ambil di loket 3;Budi Santoso;1990-08-17;Bawa KTP asli.;3\n"
    "skck;SKCK/126/XI/2026;;Dewi;1991-05-06;;1\n"  # line 8: no status
    "skck;SKCK/127/XI/2026;Diproses;Eko;2030-01-01;;1\n"  # line 9: born in the future
)


@pytest.fixture
async def supervisor(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> dict[str, str]:
    return await officer_with_role(client, runtime, clock, Role.SUPERVISOR)


def results(report: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [(row["row"], row["result"], row["reason"]) for row in report["rows"]]


async def test_a_csv_export_with_bad_rows_is_imported_row_by_row(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    supervisor: dict[str, str],
) -> None:
    citizen = await WebCitizen.open(client)
    contact_id = await contact_id_of(citizen, runtime, locale="id")
    created = await client.put(f"{URL}/skck/{NUMBER}", json=BODY, headers=supervisor)
    assert created.status_code == 201
    await subscribe_to(runtime, clock, NUMBER, contact_id)
    await citizen.read(wait=0.2)

    clock.advance(3600)
    files = {"file": ("ekspor-harian.csv", EXPORT.encode(), "text/csv")}
    response = await client.post(IMPORT_URL, files=files, headers=supervisor)
    assert response.status_code == 200, response.text
    report = response.json()
    assert results(report) == [
        (2, "created", None),
        (3, "rejected", "kind: one of skck, izin_keramaian, sp2hp"),
        (4, "rejected", "birth_date: Value error, write the date as YYYY-MM-DD"),
        (5, "updated", None),
        (7, "unchanged", None),  # the same row again, its number in lower case
        (8, "rejected", "status: Field required"),
        (9, "rejected", "birth_date: a date of birth cannot be in the future"),
    ]
    assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (
        1,
        1,
        1,
        4,
    )
    assert report["notified"] == 1
    assert [row["notified"] for row in report["rows"]] == [0, 0, 0, 1, 0, 0, 0]
    assert report["rows"][1]["kind"] == "ktp"
    assert report["rows"][4]["number"] == NUMBER

    # The subscriber is told exactly as a PUT tells them.
    [told] = await citizen.read()
    assert "Status: SELESAI - ambil di loket 3" in told["text"]
    assert "Langkah berikutnya: Bawa KTP asli." in told["text"]

    history = await client.get(f"{URL}/skck/{NUMBER}/history", headers=supervisor)
    assert history.status_code == 200, history.text
    steps = history.json()["history"]
    assert [(s["from_status"], s["to_status"], s["source"], s["actor"]) for s in steps] == [
        (None, "Sedang diverifikasi", "api", "supervisor"),
        ("Sedang diverifikasi", "SELESAI - ambil di loket 3", "import", "supervisor"),
    ]
    assert steps[1]["at"].startswith("2026-11-27T04:00:00")

    async with runtime.db.connect() as conn:
        [entry] = (
            await conn.execute(select(audit_log).where(audit_log.c.action == "applications.import"))
        ).all()
    assert json.loads(entry.detail) == {
        "format": "csv",
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected": 4,
        "notified": 1,
    }


async def test_a_json_export_as_the_raw_body(
    client: httpx.AsyncClient, supervisor: dict[str, str]
) -> None:
    export = {
        "applications": [
            {
                "kind": "izin_keramaian",
                "number": "IK/7/2026",
                "status": "Disetujui",
                "applicant_name": "Panitia 17an",
                "birth_date": "1980-01-01",
                "completed": True,
            },
            "not an object",
            {"kind": "sp2hp", "number": "nomor saya 123", "status": "x"},
            {
                "kind": "sp2hp",
                "number": "LP/1/2026",
                "status": "Penyidikan",
                "birth_date": "1970-01-01",
            },
        ]
    }
    response = await client.post(
        IMPORT_URL,
        content=json.dumps(export),
        headers=supervisor | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert results(response.json()) == [
        (1, "created", None),
        (2, "rejected", "not an object"),
        (
            3,
            "rejected",
            "number: 1 to 40 letters, digits, '.', '_', '-' and inner '/', with at most one word",
        ),
        (4, "rejected", "applicant_name: Field required"),
    ]
    listed = await client.get(URL, params={"kind": "izin_keramaian"}, headers=supervisor)
    assert [item["number"] for item in listed.json()["items"]] == ["IK/7/2026"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "reason"),
    [
        (b"kind,number\nskck,1\n", "text/csv", 400, "missing columns: status"),
        (b"\xff\xfe\x00", "text/csv", 400, "not UTF-8"),
        (b"{", "application/json", 400, "not valid JSON"),
        (b'{"a": 1}', "application/json", 400, "expected a list"),
        (b"<xml/>", "application/xml", 415, "send a CSV"),
    ],
)
async def test_an_unreadable_file_is_a_4xx_with_a_reason(
    client: httpx.AsyncClient,
    supervisor: dict[str, str],
    content: bytes,
    content_type: str,
    status: int,
    reason: str,
) -> None:
    response = await client.post(
        IMPORT_URL, content=content, headers=supervisor | {"Content-Type": content_type}
    )
    assert response.status_code == status
    assert reason in response.json()["detail"]


async def test_too_large_and_too_many_rows_are_refused(
    client: httpx.AsyncClient, supervisor: dict[str, str]
) -> None:
    header = "kind,number,status,applicant_name,birth_date\n"
    many = header + "skck,S/1,x,y,1990-01-01\n" * 5001
    response = await client.post(
        IMPORT_URL, content=many, headers=supervisor | {"Content-Type": "text/csv"}
    )
    assert response.status_code == 400
    assert "at most 5000 rows" in response.json()["detail"]
    huge = header + "x" * 1_100_000
    files = {"file": ("besar.csv", huge.encode(), "text/csv")}
    assert (await client.post(IMPORT_URL, files=files, headers=supervisor)).status_code == 413


async def test_only_supervisors_and_admins_import_and_everyone_signed_in_reads(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, supervisor: dict[str, str]
) -> None:
    officer = await officer_with_role(client, runtime, clock, Role.OFFICER)
    csv = b"kind,number,status,applicant_name,birth_date\nskck,S/1,x,y,1990-01-01\n"
    refused = await client.post(
        IMPORT_URL, content=csv, headers=officer | {"Content-Type": "text/csv"}
    )
    assert refused.status_code == 403
    assert (await client.post(IMPORT_URL, content=csv)).status_code == 401
    await client.post(IMPORT_URL, content=csv, headers=supervisor | {"Content-Type": "text/csv"})
    listed = await client.get(URL, params={"q": "s/1"}, headers=officer)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["number"] == "S/1"
    assert set(item) == {"kind", "number", "status", "note", "status_changed_at", "updated_at"}
    assert (await client.get(f"{URL}/skck/S/9/history", headers=officer)).status_code == 404


async def test_the_list_filters_by_kind_status_and_words_newest_first(
    client: httpx.AsyncClient, clock: ManualClock, supervisor: dict[str, str]
) -> None:
    for number, status in (("A/1", "Diproses"), ("A/2", "Selesai"), ("A/3", "Diproses ulang")):
        clock.advance(60)
        put = await client.put(
            f"{URL}/skck/{number}", json=BODY | {"status": status}, headers=supervisor
        )
        assert put.status_code == 201
    clock.advance(60)
    await client.put(f"{URL}/sp2hp/B/1", json=BODY, headers=supervisor)

    async def numbers(**params: Any) -> list[str]:
        response = await client.get(URL, params=params, headers=supervisor)
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert await numbers() == ["B/1", "A/3", "A/2", "A/1"]
    assert await numbers(kind="skck", status="diproses") == ["A/3", "A/1"]
    assert await numbers(q="santoso", kind="sp2hp") == ["B/1"]
    assert await numbers(per_page=2, page=2) == ["A/2", "A/1"]
    assert (await client.get(URL, params={"kind": "ktp"}, headers=supervisor)).status_code == 422
