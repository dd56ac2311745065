"""An officer in the web inbox over HTTP: cookies kept, forms posted with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class InboxOfficer:
    """One browser's session: an `httpx` client whose cookie jar is this officer's."""

    http: httpx.AsyncClient
    csrf: str = ""

    @classmethod
    async def signed_in(
        cls, app_client: httpx.AsyncClient, username: str, password: str
    ) -> InboxOfficer:
        http = httpx.AsyncClient(transport=app_client._transport, base_url=app_client.base_url)
        officer = cls(http)
        response = await officer.log_in(username, password)
        assert response.status_code == 303, response.text
        await officer.get("/backoffice/")
        return officer

    async def log_in(self, username: str, password: str) -> httpx.Response:
        form = await self.http.get("/backoffice/login")
        return await self.http.post(
            "/backoffice/login",
            data={"username": username, "password": password, "csrf": csrf_of(form.text)},
        )

    async def get(self, path: str, **params: str) -> httpx.Response:
        response = await self.http.get(path, params=params)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        return await self.http.post(path, data=form)

    async def close(self) -> None:
        await self.http.aclose()
