"""The hot statements read rows by their keys even before PostgreSQL analysed a table.

asyncpg prepares each statement once per connection, and after a few runs
PostgreSQL keeps one generic plan for it, made with the statistics of that
moment. On a new deployment no table has been analysed yet (autovacuum does
it after the first few dozen rows, within a minute or so), and plans made
then were found, during the webhook benchmark, to:

- look contacts up by external id through the phone index, with the
  channel as its only condition (every contact of the channel read, for
  each message);
- hash the whole of `conversations` to find a batch's states;
- read every unsent outbox row for each row the sender considered, and hash
  every contact to address the rows it claimed.

Each such read is now fenced into a lookup by its key. This test makes every
hot statement's generic plan on tables never analysed (copies of the real
ones, indexes included, in a schema of their own) and checks each read.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ingress.arrivals import OPEN_ALL, STATES_AND_CASES
from bot.ingress.hotpath import SAVE_ALL
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.direct import _Positional
from tests.support.plans import plan_nodes, postgresql_plan

TABLES = ("contacts", "conversations", "cases", "inbound_events", "outbox")

# For each statement, what each read of a table must be looked up by (a column of its
# index condition); any read not listed must not be a sequential scan either.
KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "OPEN_ALL": {
        "c": ("external_id",),
        "contacts": ("external_id", "phone"),
        "o": ("external_id",),
    },
    "STATES_AND_CASES": {"conversations": ("contact_id",), "cases": ("contact_id",)},
    "SAVE_ALL": {},
    "due": {"earlier": ("contact_id",)},
    "claimed": {"contacts": ("id",), "outbox": ("id",)},
    "sent_as": {"contacts": ("id",)},
}


def statements(runtime: Runtime) -> dict[str, str]:
    sender = runtime.sender
    return {
        "OPEN_ALL": OPEN_ALL,
        "STATES_AND_CASES": STATES_AND_CASES,
        "SAVE_ALL": SAVE_ALL,
        "due": sender._due_sql,
        "claimed": sender._claimed_sql.format(ids=":id0, :id1"),
        "sent_as": sender._sent_as_sql,
    }


def conditions(node: dict[str, Any]) -> str:
    """A read's index condition (a bitmap read's is on the index scan beneath it)."""
    found = [node.get("Index Cond", "")]
    found += [child.get("Index Cond", "") for child in node.get("Plans", [])]
    return " ".join(found)


async def generic_plans(db: AsyncEngine, named: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each statement's generic plan on copies of the tables, made and dropped in a
    transaction that is rolled back."""
    plans = {}
    async with db.connect() as conn:
        raw: Any = (await conn.get_raw_connection()).driver_connection
        probe = raw.transaction()
        await probe.start()
        try:
            await raw.execute("CREATE SCHEMA never_analysed")
            for table in TABLES:
                await raw.execute(
                    f"CREATE TABLE never_analysed.{table} (LIKE public.{table} INCLUDING ALL)"
                )
            await raw.execute("SET LOCAL search_path = never_analysed")
            await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            for name, sql in named.items():
                positional = _Positional(sql)
                await raw.execute(f"PREPARE probe AS {positional.sql}")
                nulls = ", ".join("NULL" for _ in positional.names)
                plan = await raw.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE probe({nulls})")
                await raw.execute("DEALLOCATE probe")
                plans[name] = postgresql_plan(plan)
        finally:
            await probe.rollback()
    return plans


async def test_hot_statements_read_by_key_on_tables_never_analysed(
    settings: Settings, runtime: Runtime
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip(
            "generic plans of prepared statements are PostgreSQL's; SQLite plans each "
            "statement as it runs (its lookups are checked in test_identity_check and "
            "test_claim_plan)"
        )
    plans = await generic_plans(runtime.db, statements(runtime))
    for name, plan in plans.items():
        for read in (node for node in plan_nodes(plan) if "Relation Name" in node):
            alias = read.get("Alias", read["Relation Name"])
            assert read["Node Type"] != "Seq Scan", (name, alias, read)
            keys = KEYS[name].get(alias, ())
            where = conditions(read)
            assert not keys or any(key in where for key in keys), (name, alias, read)
