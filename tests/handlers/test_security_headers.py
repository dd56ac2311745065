"""Security headers on the web chat (page, files, API, errors) and the officers' inbox."""

from __future__ import annotations

import re

import httpx
import pytest

from backoffice.web.headers import CONTENT_SECURITY_POLICY as INBOX_POLICY
from bot.handlers.web import CONTENT_SECURITY_POLICY as CHAT_POLICY
from tests.support.web import WebCitizen

CHAT_PATHS = [
    ("GET", "/chat"),
    ("GET", "/chat/static/chat.js"),
    ("GET", "/chat/static/chat.css"),
    ("GET", "/chat/static/nothing.js"),  # a 404 is framed no more than a page
    ("GET", "/chat/api/strings"),
    ("POST", "/chat/api/session"),
    ("GET", "/chat/api/messages"),  # 401 without a token
]


@pytest.mark.parametrize(("method", "path"), CHAT_PATHS)
async def test_every_chat_answer_forbids_framing_sniffing_and_inline_code(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code < 500
    headers = response.headers
    assert headers["content-security-policy"] == CHAT_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_chat_policy_allows_no_inline_code_and_no_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CHAT_POLICY.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in CHAT_POLICY


async def test_the_page_and_its_meta_policy_agree_with_the_header(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/chat")).text
    [meta] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    # frame-ancestors works only as a header; the rest must be the same policy.
    assert meta == CHAT_POLICY.replace("; frame-ancestors 'none'", "")
    assert "style=" not in page
    assert "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


async def test_api_answers_of_a_session_carry_the_headers(citizen: WebCitizen) -> None:
    response = await citizen.post({"text": "halo"})
    assert response.status_code == 202
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/backoffice/login", "/docs", "/backoffice/nothing"])
async def test_the_inbox_forbids_framing(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["content-security-policy"] == INBOX_POLICY
    assert "frame-ancestors 'none'" in INBOX_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
