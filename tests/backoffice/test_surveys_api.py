"""Survey results as supervisors read them: the regulation's index from what
citizens answered in the chat, per service and period; who may read them."""

from __future__ import annotations

import httpx
import pytest

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen, texts

DAY = 24 * 3600
FIRST_DAY = "2026-11-27"  # the suite's clock starts at 10:00 WIB on this day
SUGGESTION = "Antrean SKCK terlalu panjang, mohon ditambah loket."


async def survey(client: httpx.AsyncClient, marks: list[str], last: str = "lewati") -> None:
    """A new citizen on the web chat takes the survey by typing the nine marks."""
    citizen = await WebCitizen.open(client)
    await citizen.say("survei")
    for mark in marks:
        await citizen.say(mark)
    assert "Terima kasih, Bapak/Ibu!" in texts(await citizen.say(last))


async def results(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, object]:
    response = await client.get("/api/v1/surveys/ikm/results", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_the_worked_example_per_service_and_period(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    # DOMAIN.md §1: two respondents, U1 marks 4 and 3, U2-U9 all 3 -> 76.39, C.
    await survey(client, ["4"] + ["3"] * 8)
    await survey(client, ["3"] * 9)
    half = await WebCitizen.open(client)  # a survey left half-way counts for nothing yet
    await half.say("survei")
    await half.say("1")
    clock.advance(2 * DAY)
    await survey(client, ["4"] * 9, last=SUGGESTION)
    supervisor = await officer_with_role(client, runtime, clock, Role.SUPERVISOR)

    first = await results(client, supervisor, service="general", to=FIRST_DAY)
    assert (first["survey"], first["service"]) == ("ikm", "general")
    assert (first["responses"], first["respondents"]) == (2, 2)
    assert (first["ikm"], first["grade"]) == (76.39, "C")
    assert first["elements"] == [
        {"code": "U1", "label": "Persyaratan", "average": 3.5, "answers": 2},
        *(
            {"code": f"U{n}", "label": label, "average": 3.0, "answers": 2}
            for n, label in enumerate(
                [
                    "Sistem, mekanisme dan prosedur",
                    "Waktu penyelesaian",
                    "Biaya/tarif",
                    "Produk spesifikasi jenis pelayanan",
                    "Kompetensi pelaksana",
                    "Perilaku pelaksana",
                    "Penanganan pengaduan, saran dan masukan",
                    "Sarana dan prasarana",
                ],
                2,
            )
        ),
    ]
    assert (first["invited"], first["response_rate"], first["suggestions_count"]) == (0, None, 0)

    later = await results(client, supervisor, **{"from": "2026-11-29"})
    assert (later["responses"], later["ikm"], later["grade"], later["service"]) == (
        1,
        100.0,
        "A",
        None,
    )
    assert later["suggestions_count"] == 1
    # all three: U1 (4+3+4)/3, the others (3+3+4)/3 -> 91/27 x 25 = 84.26, B
    everything = await results(client, supervisor)
    assert (everything["responses"], everything["ikm"], everything["grade"]) == (3, 84.26, "B")
    nothing = await results(client, supervisor, service="complaints")
    assert (nothing["responses"], nothing["ikm"], nothing["grade"]) == (0, None, None)

    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)
    audit = await client.get("/api/v1/audit", params={"action": "survey.results"}, headers=admin)
    assert audit.json()["total"] == 4
    assert audit.json()["items"][-1]["detail"] == {
        "service": "general",
        "from": None,
        "to": FIRST_DAY,
    }


async def test_suggestions_for_officers_without_who_wrote_them(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await survey(client, ["2"] * 9, last=SUGGESTION)
    await survey(client, ["3"] * 9)
    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)
    response = await client.get("/api/v1/surveys/ikm/suggestions", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1
    [item] = body["items"]
    assert set(item) == {"service", "text", "answered_at"}
    assert (item["service"], item["text"]) == ("general", SUGGESTION)
    empty = await client.get(
        "/api/v1/surveys/ikm/suggestions", params={"service": "skck"}, headers=admin
    )
    assert empty.json() == {"items": [], "total": 0}


async def test_the_surveys_are_listed(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    supervisor = await officer_with_role(client, runtime, clock, Role.SUPERVISOR)
    response = await client.get("/api/v1/surveys", headers=supervisor)
    assert response.status_code == 200, response.text
    [ikm] = response.json()["items"]
    assert ikm["code"] == "ikm"
    assert set(ikm["services"]) == {
        "complaints",
        "incidents",
        "skck",
        "crowd_permits",
        "sp2hp",
        "general",
    }
    assert [q["code"] for q in ikm["questions"]] == [f"U{n}" for n in range(1, 10)] + ["suggestion"]
    u4 = ikm["questions"][3]
    assert (u4["kind"], u4["element"]) == ("scale", "Biaya/tarif")
    assert [o["label"] for o in u4["options"]] == ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    assert ikm["questions"][-1]["kind"] == "text"
    assert ikm["questions"][-1]["optional"] is True


@pytest.mark.parametrize(
    "path", ["/api/v1/surveys", "/api/v1/surveys/ikm/results", "/api/v1/surveys/ikm/suggestions"]
)
async def test_officers_may_not_read_survey_results(
    path: str, client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    officer = await officer_with_role(client, runtime, clock, Role.OFFICER)
    assert (await client.get(path, headers=officer)).status_code == 403
    assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/v1/surveys/nope/results", {}, 404),
        ("/api/v1/surveys/nope/suggestions", {}, 404),
        ("/api/v1/surveys/ikm/results", {"from": "2026-13-01"}, 422),
        ("/api/v1/surveys/ikm/results", {"to": "yesterday"}, 422),
        ("/api/v1/surveys/ikm/results", {"from": "2026-11-28", "to": "2026-11-27"}, 422),
        ("/api/v1/surveys/ikm/results", {"service": "parking"}, 422),
        ("/api/v1/surveys/ikm/suggestions", {"per_page": "0"}, 422),
    ],
)
async def test_bad_requests_get_a_reason(
    path: str,
    params: dict[str, str],
    expected: int,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)
    response = await client.get(path, params=params, headers=admin)
    assert response.status_code == expected, response.text
    assert response.json()["detail"]
