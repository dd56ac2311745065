"""Direct SQL for the hot path, run as one synchronous batch per transaction.

The webhook path commits many small transactions; paying SQLAlchemy's async
machinery per statement would make it several times slower than the database
(DESIGN §4). So the runner hands a whole batch of events to a `Writer`,
which runs one synchronous function inside one transaction:

- `SqliteWriter`: a plain `sqlite3` connection owned by one thread; a batch
  costs one hop to that thread, each statement microseconds.
- `SqlAlchemyWriter`: for PostgreSQL (and anything else), the same function
  on the sync face of an `AsyncConnection` (`run_sync`).

`run_on` runs such a function inside a transaction an async caller already
holds, so code that both paths need is written once, on a `Tx`.

Both speak the same SQL: ``:name`` parameters (understood by `sqlite3` and by
SQLAlchemy's `text`), ``ON CONFLICT`` and ``RETURNING`` (SQLite ≥ 3.35,
PostgreSQL). `Tx.time` converts datetimes to the stored form of each.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.database import SQLITE_BUSY_TIMEOUT_MS

Row = Sequence[Any]
Params = dict[str, Any]
T = TypeVar("T")


class Tx(Protocol):
    """One open transaction, seen synchronously."""

    def rows(self, sql: str, params: Params) -> list[Row]: ...

    def execute(self, sql: str, params: Params) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    def execute_many(self, sql: str, params: list[Params]) -> None: ...

    def time(self, moment: datetime) -> Any:
        """`moment` as this database stores it."""
        ...


class Writer(Protocol):
    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in one transaction, committed when it returns."""
        ...

    async def close(self) -> None: ...


def stored_time(value: Any) -> datetime:
    """A datetime column as a `Tx` reads it back (text on sqlite3), as aware UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"not a stored time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored_date(value: Any) -> date:
    """A date column as a `Tx` reads it back (text on sqlite3)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


# -- SQLite -----------------------------------------------------------------------


class _SqliteTx:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def rows(self, sql: str, params: Params) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Params) -> int:
        return self._connection.execute(sql, params).rowcount

    def execute_many(self, sql: str, params: list[Params]) -> None:
        self._connection.executemany(sql, params)

    def time(self, moment: datetime) -> str:
        return sqlite_time(moment)


def sqlite_time(moment: datetime) -> str:
    """The form SQLAlchemy's SQLite DATETIME stores (SQLModel keeps UTC in it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteWriter:
    """Runs batches on one `sqlite3` connection in its own thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pintu-writer")
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    def _transaction(self, work: Callable[[Tx], T]) -> T:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(_SqliteTx(connection))
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self._path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
            )
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                connection.execute(f"PRAGMA {pragma}")
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        await asyncio.get_running_loop().run_in_executor(self._thread, shut)
        self._thread.shutdown(wait=True)


# -- anything SQLAlchemy speaks (PostgreSQL) ----------------------------------------


class _SqlAlchemyTx:
    def __init__(self, connection: Connection, statements: dict[str, TextClause]) -> None:
        self._connection = connection
        self._statements = statements
        self._sqlite = connection.dialect.name == "sqlite"

    def _text(self, sql: str) -> TextClause:
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._statements[sql] = text(sql)
        return statement

    def rows(self, sql: str, params: Params) -> list[Row]:
        return list(self._connection.execute(self._text(sql), params).all())

    def execute(self, sql: str, params: Params) -> int:
        return self._connection.execute(self._text(sql), params).rowcount

    def execute_many(self, sql: str, params: list[Params]) -> None:
        self._connection.execute(self._text(sql), params)

    def time(self, moment: datetime) -> datetime | str:
        # Bound through `text`, a datetime reaches SQLite in the driver's own
        # form, which is not the one SQLAlchemy's DATETIME columns hold.
        return sqlite_time(moment) if self._sqlite else moment.astimezone(UTC)


class SqlAlchemyWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._statements: dict[str, TextClause] = {}

    async def run(self, work: Callable[[Tx], T]) -> T:
        async with self._engine.begin() as conn:
            return await conn.run_sync(lambda sync: work(_SqlAlchemyTx(sync, self._statements)))

    async def close(self) -> None:
        return None


_SHARED_STATEMENTS: dict[str, TextClause] = {}


async def run_on(conn: AsyncConnection, work: Callable[[Tx], T]) -> T:
    """Run `work` inside the transaction `conn` holds (it commits with it)."""
    return await conn.run_sync(lambda sync: work(_SqlAlchemyTx(sync, _SHARED_STATEMENTS)))


def writer_for(database_url: str, engine: AsyncEngine) -> Writer:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteWriter(Path(url.database))
    return SqlAlchemyWriter(engine)
