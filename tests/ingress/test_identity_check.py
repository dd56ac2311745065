"""The hot path's identity check reads only the contacts a message's ids name.

Every WhatsApp message is checked (`bot.ingress.hotpath._identity_settled`):
a new citizen's first message too, and that one reads the most. Written as
``channel = :channel AND (external_id = … OR phone = …)``, SQLite searched
the channel alone and read every contact of the channel, a cost that grew
with the number of citizens (0.4 ms a message at 8,000 contacts).
"""

from __future__ import annotations

import re

import pytest

from bot.ingress.hotpath import SETTLED_BY_ID, SETTLED_BY_ID_AND_PHONE
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.direct import Tx, run_on

# A search of `contacts` by one of its keys: (channel, external_id) or (channel, phone).
BY_KEY = re.compile(
    r"SEARCH (c|contacts) USING (COVERING )?INDEX \w+ \(channel=\? AND (external_id|phone)=\?\)"
)


@pytest.mark.parametrize("statement", [SETTLED_BY_ID, SETTLED_BY_ID_AND_PHONE])
async def test_the_identity_check_searches_contacts_by_their_keys_only(
    settings: Settings, runtime: Runtime, statement: str
) -> None:
    if settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite's query plan: PostgreSQL combines the OR's indexes by itself")
    values = {"channel": "whatsapp", "external_id": "ID.1", "phone": "6281200000001"}

    def plan(tx: Tx) -> list[str]:
        return [str(row[-1]) for row in tx.rows(f"EXPLAIN QUERY PLAN {statement}", values)]

    async with runtime.db.connect() as conn:
        steps = await run_on(conn, plan)
    reads = [step for step in steps if re.search(r"\b(c|contacts)\b", step)]
    assert reads, steps
    assert all(BY_KEY.fullmatch(step) for step in reads), steps
