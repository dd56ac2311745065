"""Direct SQL for the hot path, run as one synchronous batch per transaction.

The webhook path commits many small transactions; paying SQLAlchemy's async
machinery per statement would make it several times slower than the database
(DESIGN §4). So the runner hands a whole batch of events to a `Writer`,
which runs one synchronous function inside one transaction:

- `SqliteWriter`: a plain `sqlite3` connection owned by one thread; a batch
  costs one hop to that thread, each statement microseconds.
- `SqlAlchemyWriter`: for PostgreSQL (and anything else), the same function
  on the sync face of an `AsyncConnection` (`run_sync`). It has several
  *lanes*, each a connection of its own held open (no pool checkout and
  pre-ping per batch), so the webhook's batches overlap their round trips
  instead of queueing behind one connection.

`run_on` runs such a function inside a transaction an async caller already
holds, so code that both paths need is written once, on a `Tx`.

Both speak the same SQL: ``:name`` parameters (understood by `sqlite3` and by
SQLAlchemy's `text`), ``ON CONFLICT`` and ``RETURNING`` (SQLite ≥ 3.35,
PostgreSQL). `Tx.time` converts datetimes to the stored form of each.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import await_only, greenlet_spawn

from bot.storage.database import SQLITE_BUSY_TIMEOUT_MS

Row = Sequence[Any]
Params = dict[str, Any]
T = TypeVar("T")


class Tx(Protocol):
    """One open transaction, seen synchronously."""

    dialect: str
    """SQLAlchemy's name for the database: "sqlite" or "postgresql"."""

    queued: set[str]
    """The channels this transaction put outbox rows for: whose sending to wake
    once it has committed (`bot.outbox.queue.put` and the like note them)."""

    def rows(self, sql: str, params: Params) -> list[Row]: ...

    def execute(self, sql: str, params: Params) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    def execute_many(self, sql: str, params: list[Params]) -> None: ...

    def time(self, moment: datetime) -> Any:
        """`moment` as this database stores it."""
        ...


class Writer(Protocol):
    lanes: int
    """How many transactions the writer can run at once (`run`'s `lane`)."""

    async def run(self, work: Callable[[Tx], T], lane: int | None = None) -> T:
        """Run `work` in one transaction, committed when it returns.

        `lane` (0 … lanes - 1) is for a caller that runs one transaction at
        a time per lane; work in the same lane runs in order.
        """
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
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.queued: set[str] = set()

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

    lanes = 1  # SQLite has one write lock: one writer, one transaction at a time

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pintu-writer")
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[[Tx], T], lane: int | None = None) -> T:
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
        self.dialect = connection.dialect.name
        self._sqlite = self.dialect == "sqlite"
        self.queued: set[str] = set()

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


# -- PostgreSQL through asyncpg itself, on a lane --------------------------------------

_NAMED = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # `text`'s own rule for a bind parameter


class _Positional:
    """A ``:name`` statement as asyncpg's ``$n`` one, and how to order its parameters."""

    def __init__(self, sql: str) -> None:
        self.names: list[str] = []

        def number(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in self.names:
                self.names.append(name)
            return f"${self.names.index(name) + 1}"

        self.sql = _NAMED.sub(number, sql)

    def args(self, params: Params) -> list[Any]:
        return [params[name] for name in self.names]


class _AsyncpgTx:
    """A `Tx` on a raw asyncpg connection, called from inside `greenlet_spawn`.

    SQLAlchemy's execution layer costs more CPU per statement than asyncpg
    itself; the hot path's statements are plain SQL and need none of it.
    asyncpg prepares and caches each statement once per connection.
    """

    dialect = "postgresql"

    def __init__(self, connection: Any, statements: dict[str, _Positional]) -> None:
        self._connection = connection
        self._statements = statements
        self.queued: set[str] = set()

    def _positional(self, sql: str) -> _Positional:
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._statements[sql] = _Positional(sql)
        return statement

    def rows(self, sql: str, params: Params) -> list[Row]:
        statement = self._positional(sql)
        return list(await_only(self._connection.fetch(statement.sql, *statement.args(params))))

    def execute(self, sql: str, params: Params) -> int:
        statement = self._positional(sql)
        status = await_only(self._connection.execute(statement.sql, *statement.args(params)))
        count = str(status).rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else -1

    def execute_many(self, sql: str, params: list[Params]) -> None:
        statement = self._positional(sql)
        await_only(self._connection.executemany(statement.sql, [statement.args(p) for p in params]))

    def time(self, moment: datetime) -> datetime:
        return moment.astimezone(UTC)


SQLALCHEMY_LANES = 2  # a batch is a few statements now: fewer, bigger batches cost less CPU
SPARE_CONNECTIONS = 2  # held for work without a lane (the outbox sender, broadcasts)


class SqlAlchemyWriter:
    """Each lane holds a connection of its own; work without a lane takes one of a
    few spare held connections (the outbox sender's claims and outcomes are many
    small transactions too: a pool checkout's pre-ping alone was three round
    trips, and SQLAlchemy's execution layer more CPU than asyncpg's)."""

    def __init__(
        self, engine: AsyncEngine, lanes: int = SQLALCHEMY_LANES, spares: int = SPARE_CONNECTIONS
    ) -> None:
        self._engine = engine
        self._statements: dict[str, TextClause] = {}
        self.lanes = lanes
        self._held: list[AsyncConnection | None] = [None] * (lanes + spares)
        self._turns = [asyncio.Lock() for _ in range(lanes + spares)]
        self._spares: asyncio.Queue[int] = asyncio.Queue()
        for spare in range(lanes, lanes + spares):
            self._spares.put_nowait(spare)
        self._asyncpg = engine.dialect.driver == "asyncpg"
        self._positional: dict[str, _Positional] = {}

    def _work(self, work: Callable[[Tx], T]) -> Callable[[Connection], T]:
        return lambda sync: work(_SqlAlchemyTx(sync, self._statements))

    async def run(self, work: Callable[[Tx], T], lane: int | None = None) -> T:
        if lane is not None:
            return await self._on_held(work, lane)
        spare = await self._spares.get()
        try:
            return await self._on_held(work, spare)
        finally:
            self._spares.put_nowait(spare)

    async def _on_held(self, work: Callable[[Tx], T], lane: int) -> T:
        async with self._turns[lane]:
            held = self._held[lane]
            conn = held if held is not None else await self._engine.connect()
            self._held[lane] = conn
            try:
                if self._asyncpg:
                    return await self._on_asyncpg(conn, work)
                async with conn.begin():
                    return await conn.run_sync(self._work(work))
            except BaseException:
                if conn.invalidated or conn.closed:  # the server went away: reconnect next time
                    self._held[lane] = None
                    await conn.close()
                raise

    async def _on_asyncpg(self, conn: AsyncConnection, work: Callable[[Tx], T]) -> T:
        raw: Any = (await conn.get_raw_connection()).driver_connection
        try:
            async with raw.transaction():
                return await greenlet_spawn(work, _AsyncpgTx(raw, self._positional))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            # Seen as SQLAlchemy would show it, parameters hidden (they hold citizens' words).
            lost = raw.is_closed() or not isinstance(error, asyncpg.PostgresError)
            if lost:
                await conn.invalidate()
            raise DBAPIError(
                None, None, error, hide_parameters=True, connection_invalidated=lost
            ) from error

    async def close(self) -> None:
        for lane, conn in enumerate(self._held):
            if conn is not None:
                self._held[lane] = None
                await conn.close()


_SHARED_STATEMENTS: dict[str, TextClause] = {}


async def run_on(conn: AsyncConnection, work: Callable[[Tx], T]) -> T:
    """Run `work` inside the transaction `conn` holds (it commits with it)."""
    return await conn.run_sync(lambda sync: work(_SqlAlchemyTx(sync, _SHARED_STATEMENTS)))


def writer_for(database_url: str, engine: AsyncEngine) -> Writer:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteWriter(Path(url.database))
    return SqlAlchemyWriter(
        engine, lanes=1 if url.get_backend_name() == "sqlite" else SQLALCHEMY_LANES
    )
