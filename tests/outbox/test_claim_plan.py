"""The sender's claim reads only a contact's unsent messages, not their history.

For each due row the claim asks whether an earlier row to the same contact
is still pending or being sent (`bot.outbox.sender._BEHIND`). Through the
index on `contact_id` alone, both databases read every message the contact
was ever sent: a cost that grew with each citizen's history and with the
backlog (a 20-s load run left 30 rows per contact, and each claim read
about 1,300 rows).

SQLite takes a partial index only where the query repeats its condition, so
the claim does (both are checked here).
"""

from __future__ import annotations

import re

from sqlalchemy import text

from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.plans import plan_nodes, postgresql_plan, sqlite_plan

CONTACTS = 200
HISTORY = 50  # messages already sent to each contact, before two that wait

# Rows numbered 1..:last by a recursive query, which both databases know.
CONTACT_ROWS = """WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n
WHERE x < CAST(:last AS INTEGER))
INSERT INTO contacts (id, channel, external_id, locale, locale_chosen, broadcast_opt_in,
reachable, created_at)
SELECT x, 'telegram', CAST(7000 + x AS TEXT), 'id', false, false, true, :now FROM n"""
OUTBOX_ROWS = """WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n
WHERE x < CAST(:last AS INTEGER))
INSERT INTO outbox (id, channel, contact_id, payload, priority, status, attempts,
next_attempt_at, created_at)
SELECT x, 'telegram', 1 + (x - 1) % CAST(:contacts AS INTEGER), '{}', 0,
CASE WHEN x <= CAST(:sent AS INTEGER) THEN 'sent' ELSE 'pending' END, 0, :now, :now FROM n"""


def literal(sql: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        sql = sql.replace(f":{name}", value)
    return sql


async def fill(runtime: Runtime) -> None:
    """Contacts with a history each, and two messages waiting for each."""
    per_contact = HISTORY + 2
    async with runtime.db.begin() as conn:
        await conn.execute(
            text(CONTACT_ROWS),
            {"now": runtime.clock.now(), "last": CONTACTS},
        )
        await conn.execute(
            text(OUTBOX_ROWS),
            {
                "now": runtime.clock.now(),
                "last": CONTACTS * per_contact,
                "contacts": CONTACTS,
                "sent": CONTACTS * HISTORY,
            },
        )
        await conn.execute(text("ANALYZE"))


async def test_the_claim_reads_a_contacts_unsent_messages_only(
    settings: Settings, runtime: Runtime
) -> None:
    await fill(runtime)
    due = runtime.sender._due_sql
    if settings.database_url.startswith("postgresql"):
        sql = literal(due, {"now": "now()", "channel": "'telegram'", "limit": "4"})
        async with runtime.db.begin() as conn:
            plan = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one()
        root = postgresql_plan(plan)
        earlier = [node for node in plan_nodes(root) if node.get("Alias") == "earlier"]
        assert earlier, root
        assert all(node.get("Index Name") == "ix_outbox_unsent_by_contact" for node in earlier), (
            earlier
        )
        return
    values = {"now": runtime.clock.now().isoformat(" "), "channel": "telegram", "limit": 4}
    found = await sqlite_plan(runtime.db, due, values)
    earlier = [step for step in found if re.search(r"\bearlier\b", step)]
    assert earlier, found
    assert all("ix_outbox_unsent_by_contact" in step for step in earlier), found
