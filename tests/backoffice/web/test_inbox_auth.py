"""Signing in and out of the web inbox, its headers and its error pages."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from backoffice.officers import Role
from backoffice.web.headers import CONTENT_SECURITY_POLICY
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log
from tests.conftest import ADMIN_PASSWORD
from tests.support.inbox import InboxOfficer, csrf_of
from tests.support.office import officer_with_role, sign_in


async def test_the_inbox_sends_who_is_not_signed_in_to_the_login_form(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/backoffice/")
    assert response.status_code == 303
    assert response.headers["location"] == "/backoffice/login"

    form = await client.get("/backoffice/login")
    assert form.status_code == 200
    assert '<html lang="id">' in form.text
    assert '<label for="username">Nama pengguna</label>' in form.text
    assert '<label for="password">Kata sandi</label>' in form.text
    assert form.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert form.headers["x-content-type-options"] == "nosniff"
    assert form.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in form.text
    assert "style=" not in form.text


async def test_signing_in_sets_a_strict_session_cookie_and_shows_the_queue(
    client: httpx.AsyncClient,
) -> None:
    officer = InboxOfficer(client)
    response = await officer.log_in("admin", ADMIN_PASSWORD)
    assert response.status_code == 303
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("pintu_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert "Path=/backoffice" in cookie
    assert "Secure" not in cookie  # plain HTTP here; HTTPS requests get Secure

    queue = await client.get("/backoffice/")
    assert queue.status_code == 200
    assert "Antrean kasus" in queue.text
    assert queue.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_the_session_cookie_is_secure_over_https(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://pintu.test") as http:
        response = await InboxOfficer(http).log_in("admin", ADMIN_PASSWORD)
    assert response.status_code == 303
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert any(c.startswith("pintu_session=") and "Secure" in c for c in cookies)


async def test_a_wrong_password_is_said_plainly(client: httpx.AsyncClient) -> None:
    response = await InboxOfficer(client).log_in("admin", "not-the-password")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert (await client.get("/backoffice/")).status_code == 303


async def test_the_login_form_refuses_a_post_without_its_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/backoffice/login")
    response = await client.post(
        "/backoffice/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert "kedaluwarsa" in response.text
    assert (await client.get("/backoffice/")).status_code == 303


async def test_logout_needs_the_csrf_token(admin: InboxOfficer) -> None:
    refused = await admin.post("/backoffice/logout", csrf=False)
    assert refused.status_code == 403
    forged = await admin.post("/backoffice/logout", {"csrf": "0" * 64}, csrf=False)
    assert forged.status_code == 403
    assert (await admin.get("/backoffice/")).status_code == 200


async def test_the_language_switch_speaks_english(admin: InboxOfficer) -> None:
    switched = await admin.get("/backoffice/language/en", next="/backoffice/")
    assert switched.status_code == 303
    page = await admin.get("/backoffice/")
    assert '<html lang="en">' in page.text
    assert "Case queue" in page.text
    elsewhere = await admin.get("/backoffice/language/id", next="https://evil.example/")
    assert elsewhere.headers["location"] == "/backoffice/"


async def test_unknown_pages_get_the_inbox_404_page(admin: InboxOfficer) -> None:
    response = await admin.get("/backoffice/no-such-page")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_static_files_are_served_with_the_headers(client: httpx.AsyncClient) -> None:
    htmx = await client.get("/backoffice/static/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.headers["x-content-type-options"] == "nosniff"
    css = await client.get("/backoffice/static/inbox.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_csrf_tokens_differ_per_seed() -> None:
    from backoffice.web.session import csrf_matches, csrf_token

    token = csrf_token(b"key", "session-a")
    assert csrf_matches(b"key", "session-a", token)
    assert not csrf_matches(b"key", "session-b", token)
    assert not csrf_matches(b"key", None, token)
    assert csrf_of(f'<input name="csrf" value="{token}">') == token


async def test_logout_ends_the_session_at_once_even_for_a_copied_cookie(
    admin: InboxOfficer, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = admin.http.cookies.get("pintu_session", path="/backoffice")
    assert token
    client.cookies.set("pintu_session", token, path="/backoffice")
    assert (await client.get("/backoffice/")).status_code == 200  # a copy of the cookie works
    out = await admin.post("/backoffice/logout")
    assert out.status_code == 303
    assert out.headers["location"] == "/backoffice/login"
    assert (await admin.get("/backoffice/")).status_code == 303
    replayed = await client.get("/backoffice/")
    assert replayed.status_code == 303
    api = await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401  # the very token the API issued
    async with runtime.db.connect() as conn:
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert "auth.logout" in actions


async def test_the_lockout_is_shown_plainly_and_holds_the_right_password_too(
    client: httpx.AsyncClient,
) -> None:
    officer = InboxOfficer(client)
    for _ in range(5):
        assert (await officer.log_in("admin", "wrong-password")).status_code == 401
    locked = await officer.log_in("admin", ADMIN_PASSWORD)
    assert locked.status_code == 429
    assert "Terlalu banyak kata sandi salah" in locked.text
    assert "15 menit" in locked.text
    assert int(locked.headers["retry-after"]) == 900
    assert (await client.get("/backoffice/")).status_code == 303


async def test_a_disabled_officer_is_signed_out_of_the_inbox(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    await officer_with_role(client, runtime, clock, Role.OFFICER)
    officer = await InboxOfficer.signed_in(client, "officer", "officer-password")
    assert (await officer.get("/backoffice/")).status_code == 200
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    disabled = await client.patch("/api/v1/officers/officer", json={"active": False}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert (await officer.get("/backoffice/")).status_code == 303
    poll = await officer.http.get("/backoffice/queue/rows", headers={"HX-Request": "true"})
    assert poll.status_code == 401
    assert poll.headers["hx-redirect"] == "/backoffice/login"
    await officer.close()
