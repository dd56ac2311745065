"""Bad input at the HTTP edge: clear 4xx answers, never a 5xx, nothing stored lost."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.storage.tables import inbound_events
from tests.support.web import WebCitizen, texts


async def test_healthz_answers_ok_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/cases" in spec["paths"]


async def test_web_chat_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/chat")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_chat_api_refuses_missing_and_forged_tokens(client: httpx.AsyncClient) -> None:
    body = {"client_id": "abcdefgh", "text": "halo"}
    missing = await client.post("/chat/api/messages", json=body)
    forged = await client.post(
        "/chat/api/messages", json=body, headers={"Authorization": "Bearer someone.forged"}
    )
    assert missing.status_code == forged.status_code == 401
    assert "token" in forged.json()["detail"]


async def test_empty_and_malformed_messages_get_422_with_reason(citizen: WebCitizen) -> None:
    empty = await citizen.post({"text": "   "})
    assert empty.status_code == 422
    assert "non-empty text" in empty.json()["detail"]
    bad_id = await citizen.post({"client_id": "<script>", "text": "halo"})
    assert bad_id.status_code == 422
    not_json = await citizen.http.post(
        "/chat/api/messages",
        content=b"{nope",
        headers=citizen.headers | {"content-type": "application/json"},
    )
    assert not_json.status_code == 422


async def test_oversized_body_is_refused_with_413(citizen: WebCitizen, runtime: Runtime) -> None:
    limit = runtime.settings.max_request_bytes
    response = await citizen.post({"text": "a" * (limit + 10)})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


async def test_emoji_sql_and_markup_are_kept_verbatim(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    text = "Robert'); DROP TABLE cases;-- 🚓🙏 <b>tebal</b> petugas tidak datang sama sekali"
    await citizen.say(text)
    await citizen.press("Lewati")
    await citizen.press("Tidak, tampilkan nama saya")
    summary = await citizen.give_name()
    assert text in texts(summary)


async def test_unknown_text_outside_a_flow_gets_menu_not_error(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    greeted = await citizen.say("🤔🤔🤔")  # a first message is simply welcomed
    assert "belum mengerti" not in texts(greeted)
    answer = await citizen.say("🤔🤔🤔")
    assert "belum mengerti" in texts(answer)
    assert answer[-1]["choices"]
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbound_events)) == 2
