"""The hot path's identity check reads only the contacts a message's ids name.

Every WhatsApp message is checked (`bot.ingress.arrivals.open_batch`):
a new citizen's first message too, and that one reads the most. Written as
``channel = :channel AND (external_id = … OR phone = …)``, SQLite searched
the channel alone and read every contact of the channel, a cost that grew
with the number of citizens (0.4 ms a message at 8,000 contacts). With the
channel named in every OR arm, PostgreSQL still did (0.8 ms at 3,000).
"""

from __future__ import annotations

import re

import pytest

from bot.ingress.arrivals import OPEN_ALL, SETTLED_BY_ID, SETTLED_BY_ID_AND_PHONE
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.plans import plan_nodes, postgresql_plan, sqlite_plan

ONE_EVENT = {"channel": "'whatsapp'", "external_id": "'ID.1'", "phone": "'6281200000001'"}

# A search of `contacts` by one of its keys: (channel, external_id) or (channel, phone).
BY_KEY = re.compile(
    r"SEARCH (c|contacts) USING (COVERING )?INDEX \w+ \(channel=\? AND (external_id|phone)=\?\)"
)


@pytest.mark.parametrize("statement", [SETTLED_BY_ID, SETTLED_BY_ID_AND_PHONE])
async def test_the_identity_check_searches_contacts_by_their_keys_only(
    settings: Settings, runtime: Runtime, statement: str
) -> None:
    if settings.database_url.startswith("postgresql"):
        await check_postgresql_plan(runtime, statement)
        return
    values = {"channel": "whatsapp", "external_id": "ID.1", "phone": "6281200000001"}
    steps = await sqlite_plan(runtime.db, statement, values)
    reads = [step for step in steps if re.search(r"\b(c|contacts)\b", step)]
    assert reads, steps
    assert all(BY_KEY.fullmatch(step) for step in reads), steps


async def test_the_batch_identity_check_searches_contacts_by_their_keys_only(
    settings: Settings, runtime: Runtime
) -> None:
    """A batch's events checked in one statement (PostgreSQL): still by their keys only,
    also for a big batch (PostgreSQL hashed every contact for each NOT EXISTS instead,
    reading the whole table once per batch)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statement: SQLite checks each event on its own (above)")
    batch = range(300)
    values = {
        "channels": "ARRAY[" + ", ".join("'whatsapp'" for _ in batch) + "]",
        "external_ids": "ARRAY[" + ", ".join(f"'wamid.{n}'" for n in batch) + "]",
        "senders": "ARRAY[" + ", ".join(f"'ID.new{n}'" for n in batch) + "]",
        "names": "ARRAY[" + ", ".join("NULL" for _ in batch) + "]",
        "phones": "ARRAY[" + ", ".join(f"'62899{n}'" for n in batch) + "]",
        "verify": "ARRAY[" + ", ".join("true" for _ in batch) + "]",
        "locale": "'id'",
        "now": "now()",
    }
    await check_postgresql_plan(runtime, OPEN_ALL, values)


async def check_postgresql_plan(
    runtime: Runtime, statement: str, values: dict[str, str] | None = None
) -> None:
    """Among 3,000 WhatsApp contacts (analysed), every read of `contacts` is a key's
    index scan: never a scan of the whole channel."""
    literal = statement
    for name, value in (values or ONE_EVENT).items():
        literal = literal.replace(f":{name}", value)
    async with runtime.db.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO contacts (channel, external_id, phone, locale, locale_chosen, "
            "broadcast_opt_in, reachable, created_at) SELECT 'whatsapp', 'ID.' || n, "
            "'62812' || n, 'id', false, false, true, now() FROM generate_series(2, 3001) n"
        )
        await conn.exec_driver_sql("ANALYZE contacts")
        plan = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {literal}")).scalar_one()
    reads = [
        node
        for node in plan_nodes(postgresql_plan(plan))
        if node.get("Relation Name") == "contacts" and node["Node Type"] != "ModifyTable"
    ]
    assert reads, plan
    assert all(node["Node Type"] in ("Index Scan", "Index Only Scan") for node in reads), reads
