"""`/docs` works without internet: Swagger UI's files come from the package."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Route, expect

from backoffice.web.headers import CONTENT_SECURITY_POLICY
from tests.support.browser import DESKTOP, browser_page, chromium_or_skip, served

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


async def test_the_docs_page_refers_only_to_its_own_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assets = ASSET.findall(page.text)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/"), asset
        assert not asset.startswith("//"), asset
        served_file = await client.get(asset)
        assert served_file.status_code == 200, asset
    assert "<script>" not in page.text
    assert (await client.get("/openapi.json")).status_code == 200


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    async with served(app) as url:
        yield url


async def test_swagger_ui_renders_with_every_other_origin_unreachable(base_url: str) -> None:
    chromium = chromium_or_skip()
    elsewhere: list[str] = []
    refused: list[str] = []

    async def only_here(route: Route) -> None:
        if route.request.url.startswith(base_url):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    async with browser_page(chromium, base_url, DESKTOP) as page:
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        await page.route("**/*", only_here)
        await page.goto("/docs")
        await expect(page.get_by_text("/api/v1/cases/{ref}/replies").first).to_be_visible()
        await expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    assert elsewhere == []
    assert refused == []


def test_the_vendored_files_say_their_version_and_licence() -> None:
    static = Path(__file__).resolve().parents[3] / "backoffice" / "web" / "static"
    vendored = (static / "VENDORED.md").read_text()
    assert "htmx.org | 2.0.11 | 0BSD" in vendored
    assert "swagger-ui-dist | 5.36.0 | Apache-2.0" in vendored
    assert "Apache License" in (static / "swagger" / "LICENSE").read_text()
