"""Query plans, read the same way by every test that checks one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.direct import Params, Tx, run_on


async def sqlite_plan(db: AsyncEngine, statement: str, values: Params) -> list[str]:
    """SQLite's plan of `statement` (EXPLAIN QUERY PLAN), one line per step."""

    def steps(tx: Tx) -> list[str]:
        return [str(row[-1]) for row in tx.rows(f"EXPLAIN QUERY PLAN {statement}", values)]

    async with db.connect() as conn:
        return await run_on(conn, steps)


def postgresql_plan(explained: Any) -> dict[str, Any]:
    """The root node of an ``EXPLAIN (FORMAT JSON)`` answer (decoded or not by the driver)."""
    found = explained if isinstance(explained, list) else json.loads(explained)
    return dict(found[0]["Plan"])


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`node` and every node beneath it."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
