"""Fixtures of the web inbox's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.support.inbox import InboxOfficer


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> AsyncIterator[InboxOfficer]:
    officer = await InboxOfficer.signed_in(client, "admin", ADMIN_PASSWORD)
    yield officer
    await officer.close()
