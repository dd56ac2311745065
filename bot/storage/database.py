"""The async engine, tuned per dialect.

SQLite runs in WAL mode with `synchronous=NORMAL`, and every transaction
starts with `BEGIN IMMEDIATE`: a transaction that reads and then writes would
otherwise fail with "database is locked" instead of waiting its turn. Reads
that need no transaction use `reading`, which takes no lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage.files import private_dir, private_file

SQLITE_BUSY_TIMEOUT_MS = 10_000
READS_ONLY = "pintu_reads_only"


def create_engine(database_url: str) -> AsyncEngine:
    """Build the engine for `database_url`, creating the SQLite directory if needed.

    Errors never carry the statement's parameters (`hide_parameters`): they are
    logged, and the parameters are citizens' words and phone numbers. The
    SQLite file is the service user's alone; SQLite gives its -wal and -shm
    files the database file's permissions.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
        )
    if url.database and url.database != ":memory:":
        private_dir(Path(url.database).parent)
        private_file(Path(url.database))
    # Each pooled SQLite connection is a thread: keep enough of them open that
    # concurrent webhooks never churn through opening and closing them.
    engine = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=32,
        max_overflow=16,
        hide_parameters=True,
    )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(READS_ONLY):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


async def insert_ignoring_duplicates(
    conn: AsyncConnection, table: Table, values: dict[str, Any]
) -> bool:
    """Insert a row unless it collides with a unique key; True when inserted."""
    dialect = conn.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    result = await conn.execute(statement)
    return bool(result.rowcount)


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads that need no transaction of their own.

    On SQLite every transaction takes the write lock (`BEGIN IMMEDIATE`);
    frequent polls (the outbox's "anything due?", web long polls) must not,
    or they queue behind, and slow down, the writers.
    """
    async with engine.connect() as conn:
        # Our own option, not an isolation level: SQLAlchemy would reset an
        # isolation level by closing the pooled connection afterwards.
        yield await conn.execution_options(**{READS_ONLY: True})


class WriteGate:
    """Takes turns between this process's SQLite writers before SQLite has to.

    When two connections want SQLite's single write lock, the loser sleeps in
    SQLite's busy handler (1, 2, 5 … 100 ms), long after the winner is done.
    The hot path's writer and the outbox sender pass through this gate
    instead, a fair asyncio lock, so they follow each other at once. On
    PostgreSQL, which locks rows, the gate is open.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    async def __aenter__(self) -> None:
        if self._lock is not None:
            await self._lock.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        if self._lock is not None:
            self._lock.release()


def is_postgresql(conn: AsyncConnection | AsyncEngine) -> bool:
    return conn.dialect.name == "postgresql"


async def connection_alive(conn: AsyncConnection) -> bool:
    """Whether `conn` still reaches the database (a session's advisory locks live
    and die with it: a holder asks this to know it still holds them)."""
    try:
        await conn.execute(text("SELECT 1"))
        await conn.commit()
    except Exception:
        return False
    return True
