"""Statistics and the public transparency page on one known data set, checked by hand.

The suite's clock starts on Friday 27 November 2026, 10:00 WIB (t0). Five cases:

    case  kind       received         first answer        resolved           SLA
    A     complaint  t0               +2 h (Fri 12:00)    +26 h (Sat 12:00)  met
    B     complaint  t0               +144 h (Thu 3 Dec)  +168 h (Fri 4 Dec) breached (1)
    E     complaint  t0               +24 h (Sat 10:00)   open               breached (2)
    D     incident   t0 + 2 h, urgent +10 min             +1 h               met (3)
    C     complaint  Thu 3 Dec 10:00  none                open               undecided (4)

(1) its first answer was due Wed 2 Dec 10:00; (2) its follow-up, 5 working days after
the first answer, was due at the end of Fri 4 Dec; (3) answered within its 15 minutes;
(4) due Tue 8 Dec: neither met nor breached yet.

The figures are read on Monday 7 December 2026, 10:00 WIB. A and B rate the service
after their cases are closed: A all 4, B all 3, so every element averages 3.5 and the
IKM is 3.5 x 25 = 87.50 (grade B, 76.61-88.30).

November 2026, complaints (A, B, E): received 3, resolved 2 (A, B);
first answers 2, 24, 144 h: median 24, 90th percentile (nearest rank: the ceil(0.9 x 3) =
3rd smallest) 144; resolutions 26, 168 h: median 97, p90 (the 2nd of 2) 168;
SLA met 1 of 3 decided: 0.3333.
November, incidents (D): 1 received, 1 resolved; first answer 10 min = 0.17 h; resolved
in 1 h; met 1 of 1.
December, complaints (C): 1 received, nothing else yet.
All together: received 5, resolved 3; first answers 0.1667, 2, 24, 144 h: median
(2 + 24) / 2 = 13, p90 the 4th = 144; resolutions 1, 26, 168: median 26, p90 168;
met 2 of 4 decided: 0.5.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from typing import Any

import httpx
import pytest

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.scheduler import send_survey_invitations
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.support.journeys import DESCRIPTION, file_complaint
from tests.support.office import officer_with_role, sign_in
from tests.support.web import NAME, PHONE, WebCitizen, texts

HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"token_ttl_seconds": 30 * DAY})


async def reply(client: httpx.AsyncClient, auth: dict[str, str], ref: str) -> None:
    response = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": "Sedang kami tangani."}, headers=auth
    )
    assert response.status_code == 201, response.text


async def close(client: httpx.AsyncClient, auth: dict[str, str], ref: str) -> None:
    response = await client.post(
        f"/api/v1/cases/{ref}/close", json={"resolution": "Sudah ditangani."}, headers=auth
    )
    assert response.status_code == 200, response.text


async def rate(citizen: WebCitizen, mark: str) -> None:
    """The citizen takes the survey they were invited to after their case closed."""
    received = ""
    while "survei kepuasan" not in received:  # after the replies and the closing notice
        batch = await citizen.read()
        assert batch, received
        received += texts(batch)
    await citizen.press("Mulai survei")
    for _ in range(9):
        await citizen.say(mark)
    assert "Terima kasih, Bapak/Ibu!" in texts(await citizen.say("lewati"))


@pytest.fixture
async def known(client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock) -> dict[str, str]:
    """The data set of the module docstring, built through the chat and the API."""
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    a, b, e, d, c = [await WebCitizen.open(client) for _ in range(5)]
    refs = {"A": await file_complaint(a), "B": await file_complaint(b)}
    refs["E"] = await file_complaint(e)
    clock.advance(2 * HOUR)  # Fri 12:00
    said = texts(await d.say("tolong ada begal di jalan sudirman sekarang"))
    assert "110" in said
    listed = (await client.get("/api/v1/cases", params={"kind": "incident"}, headers=admin)).json()
    [urgent] = listed["items"]
    refs["D"] = urgent["ref"]
    await reply(client, admin, refs["A"])
    clock.advance(10 * 60)  # 12:10
    await reply(client, admin, refs["D"])
    clock.advance(50 * 60)  # 13:00
    await close(client, admin, refs["D"])
    clock.advance(21 * HOUR)  # Sat 28 Nov 10:00
    await reply(client, admin, refs["E"])
    clock.advance(2 * HOUR)  # Sat 12:00
    await close(client, admin, refs["A"])
    clock.advance(HOUR)
    assert await send_survey_invitations(runtime) == 2  # A's and D's
    await rate(a, "4")
    clock.advance(4 * DAY + 21 * HOUR)  # Thu 3 Dec 10:00
    await reply(client, admin, refs["B"])
    refs["C"] = await file_complaint(c)
    clock.advance(DAY)  # Fri 4 Dec 10:00
    await close(client, admin, refs["B"])
    clock.advance(HOUR)
    assert await send_survey_invitations(runtime) == 1
    await rate(b, "3")
    clock.advance(3 * DAY - HOUR)  # Mon 7 Dec 10:00
    return refs


def durations(count: int, median: float | None, p90: float | None) -> dict[str, Any]:
    return {"count": count, "median_hours": median, "p90_hours": p90}


async def test_statistics_per_month_and_kind_checked_by_hand(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, known: dict[str, str]
) -> None:
    supervisor = await officer_with_role(client, runtime, clock, Role.SUPERVISOR)
    response = await client.get(
        "/api/v1/statistics", params={"group_by": "kind"}, headers=supervisor
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["period"], body["group_by"]) == (
        "2026-01-01",
        "2026-12-07",
        "month",
        ["kind"],
    )
    common = {"category": None, "unit": None, "status": None}
    november_complaints = {
        "period": "2026-11",
        "kind": "complaint",
        **common,
        "received": 3,
        "resolved": 2,
        "first_response": durations(3, 24.0, 144.0),
        "resolution": durations(2, 97.0, 168.0),
        "sla_met": 1,
        "sla_breached": 2,
        "sla_met_share": 0.3333,
        "ikm": 87.5,
        "ikm_grade": "B",
        "ikm_responses": 2,
    }
    november_incidents = {
        "period": "2026-11",
        "kind": "incident",
        **common,
        "received": 1,
        "resolved": 1,
        "first_response": durations(1, 0.17, 0.17),
        "resolution": durations(1, 1.0, 1.0),
        "sla_met": 1,
        "sla_breached": 0,
        "sla_met_share": 1.0,
        "ikm": None,
        "ikm_grade": None,
        "ikm_responses": 0,
    }
    december_complaints = {
        "period": "2026-12",
        "kind": "complaint",
        **common,
        "received": 1,
        "resolved": 0,
        "first_response": durations(0, None, None),
        "resolution": durations(0, None, None),
        "sla_met": 0,
        "sla_breached": 0,
        "sla_met_share": None,
        "ikm": None,
        "ikm_grade": None,
        "ikm_responses": 0,
    }
    assert body["rows"] == [november_complaints, november_incidents, december_complaints]
    assert body["total"] == {
        "period": None,
        "kind": None,
        **common,
        "received": 5,
        "resolved": 3,
        "first_response": durations(4, 13.0, 144.0),
        "resolution": durations(3, 26.0, 168.0),
        "sla_met": 2,
        "sla_breached": 2,
        "sla_met_share": 0.5,
        "ikm": 87.5,
        "ikm_grade": "B",
        "ikm_responses": 2,
    }

    by_status = await client.get(
        "/api/v1/statistics",
        params={"period": "all", "group_by": ["status", "unit"], "from": "2026-12-01"},
        headers=supervisor,
    )
    # C is about an officer's conduct (the helper's default category): filed to internal affairs.
    assert [(r["status"], r["unit"], r["received"]) for r in by_status.json()["rows"]] == [
        ("new", "propam", 1)
    ]
    weekly = await client.get("/api/v1/statistics", params={"period": "week"}, headers=supervisor)
    assert [(r["period"], r["received"]) for r in weekly.json()["rows"]] == [
        ("2026-W48", 4),
        ("2026-W49", 1),
    ]


async def test_statistics_as_csv(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, known: dict[str, str]
) -> None:
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    for url, params in (
        ("/api/v1/statistics", {"group_by": "kind", "format": "csv"}),
        ("/api/v1/statistics.csv", {"group_by": "kind"}),
    ):
        response = await client.get(url, params=params, headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 3
        assert rows[0] == {
            "period": "2026-11",
            "kind": "complaint",
            "category": "",
            "unit": "",
            "status": "",
            "received": "3",
            "resolved": "2",
            "first_response_count": "3",
            "first_response_median_hours": "24.0",
            "first_response_p90_hours": "144.0",
            "resolution_count": "2",
            "resolution_median_hours": "97.0",
            "resolution_p90_hours": "168.0",
            "sla_met": "1",
            "sla_breached": "2",
            "sla_met_share": "0.3333",
            "ikm": "87.5",
            "ikm_grade": "B",
            "ikm_responses": "2",
        }


async def test_who_may_read_statistics_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    officer = await officer_with_role(client, runtime, clock, Role.OFFICER)
    assert (await client.get("/api/v1/statistics", headers=officer)).status_code == 403
    assert (await client.get("/api/v1/statistics")).status_code == 401
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    for params in (
        {"from": "2026-12-01", "to": "2026-11-01"},
        {"from": "2000-01-01", "to": "2026-11-01"},
        {"period": "day"},
        {"group_by": "reporter"},
        {"format": "xml"},
        {"from": "yesterday"},
    ):
        response = await client.get("/api/v1/statistics", params=params, headers=admin)
        assert response.status_code == 422, (params, response.text)
    empty = (await client.get("/api/v1/statistics", headers=admin)).json()
    assert empty["rows"] == []
    assert empty["total"]["received"] == 0


async def test_the_transparency_page_and_json_on_the_same_data(
    client: httpx.AsyncClient, known: dict[str, str]
) -> None:
    response = await client.get("/transparansi.json")
    assert response.status_code == 200
    data = response.json()
    assert (data["from_month"], data["to_month"], len(data["months"])) == ("2026-01", "2026-12", 12)
    november, december = data["months"][-2:]
    assert november == {
        "month": "2026-11",
        "complaints": {
            "received": 3,
            "resolved": 2,
            "median_first_response_hours": 24.0,
            "sla_met_share": 0.3333,
        },
        "incidents": {
            "received": 1,
            "resolved": 1,
            "median_first_response_hours": 0.17,
            "sla_met_share": 1.0,
        },
        "ikm": 87.5,
        "grade": "B",
        "survey_responses": 2,
    }
    assert december["complaints"] == {
        "received": 1,
        "resolved": 0,
        "median_first_response_hours": None,
        "sla_met_share": None,
    }
    assert data["months"][0]["complaints"]["received"] == 0

    page = await client.get("/transparansi")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # no script may run at all
    html = page.text
    [style] = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp  # the page's one style, and nothing else
    assert '<html lang="id">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "November 2026" in html
    assert "Diterima: 3" in html
    assert "Selesai ditangani: 2" in html
    assert "Tanggapan pertama (median): 24 jam" in html
    assert "Tanggapan pertama (median): 10 menit" in html
    assert "Tepat waktu: 33,3%" in html
    assert "IKM 87,50 (mutu B) dari 2 survei" in html
    english = (await client.get("/transparansi", params={"lang": "en"})).text
    assert '<html lang="en">' in english
    assert "IKM 87.50 (grade B) from 2 surveys" in english
    assert (await client.get("/transparansi", params={"lang": "fr"})).status_code == 422

    for public in (html, english, response.text):
        assert not REFERENCE_PATTERN.search(public)  # no case is named
        for personal in (NAME, PHONE, DESCRIPTION[:30], "begal", "Sudah ditangani"):
            assert personal not in public
