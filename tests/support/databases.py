"""A fresh database for every test, migrated once per test session.

Running the migrations is the slowest part of starting the app, and every
test used to pay for it. Now the session migrates one template, and each
test gets a copy: on SQLite a copy of the template's file, on PostgreSQL the
template's schema with its rows (those the migrations seed) and sequences.
The app's own start-up migration then finds the copy up to date.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import (
    URL,
    ColumnElement,
    MetaData,
    Text,
    cast,
    func,
    literal,
    literal_column,
    make_url,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.database import create_engine, reading
from bot.storage.migrate import upgrade_database


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        if engine.dialect.name == "sqlite":
            # Fold the write-ahead log into the file, so copying the file alone copies everything.
            # Outside a transaction (`reading`), or SQLite reports the log busy.
            async with reading(engine) as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class SQLiteTemplate:
    """A migrated SQLite file that tests copy."""

    path: Path

    @classmethod
    def build(cls, directory: Path) -> SQLiteTemplate:
        path = directory / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        # The last connection to close removes the log; a leftover would hold writes.
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, f"{wal} was not checkpointed"
        return cls(path)

    def copy_to(self, path: Path) -> str:
        """The URL of a migrated database at `path`."""
        shutil.copyfile(self.path, path)
        return f"sqlite+aiosqlite:///{path}"


class PostgreSQLDatabases:
    """The test database of `url`, a migrated copy of a template at every test.

    The session migrates `<name>_template` (same server) once, and writes a
    script that puts the template's rows (those the migrations seed) and
    sequence values back. A test then gets the test database either created
    from the template (`CREATE DATABASE ... TEMPLATE`, about 0.15 s) or, when
    the test before it left the schema as migrated, emptied and refilled by
    that script in one round trip (about 10 ms): the same rows, the same next
    ids. Only `empty()` hands out a schema a test may change; tests that
    change the schema of a migrated database would have to use it too.
    Both databases are dropped and created again, so `url` must name a
    database that holds nothing else.
    """

    def __init__(self, url: URL, restore: str) -> None:
        self.url = url
        self._restore = restore
        self._as_migrated = False  # whether the test database holds the template's schema

    @property
    def name(self) -> str:
        assert self.url.database, f"{self.url} names no database"
        return self.url.database

    @classmethod
    def build(cls, url: str) -> PostgreSQLDatabases:
        parsed = make_url(url)
        return cls(parsed, asyncio.run(_migrated_template(parsed)))

    async def fresh(self) -> str:
        """The URL of the test database, holding just what the template holds."""
        if self._as_migrated:
            connection = await asyncpg.connect(_dsn(self.url))
            try:
                await connection.execute(self._restore)  # one script: one round trip
            finally:
                await connection.close()
        else:
            await _recreate(self.url, template=_template_of(self.url))
            self._as_migrated = True
        return self.url.render_as_string(hide_password=False)

    async def empty(self) -> str:
        """The URL of the test database with no tables at all."""
        await _recreate(self.url, template=None)
        self._as_migrated = False
        return self.url.render_as_string(hide_password=False)


def _template_of(url: URL) -> str:
    return f"{url.database}_template"


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _migrated_template(url: URL) -> str:
    """Migrate the template; the script that restores its contents."""
    template = url.set(database=_template_of(url))
    await _recreate(template, template=None)
    await _migrate(template.render_as_string(hide_password=False))
    engine = create_async_engine(template, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await _restore_script(conn)
    finally:
        await engine.dispose()


async def _restore_script(conn: AsyncConnection) -> str:
    """SQL that makes a database with this schema hold what `conn`'s holds now.

    Postgres quotes every name and value itself (`format`'s %I and %L).
    """
    metadata = MetaData()
    await conn.run_sync(metadata.reflect)
    tables = [table for table in metadata.sorted_tables if table.name != "alembic_version"]
    # Ends the connections a failed test left open, which could hold locks.
    script = [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid();",
        "BEGIN;",
    ]
    for table in reversed(tables):  # rows that refer to others first
        script.append(await conn.scalar(select(func.format("DELETE FROM %I;", _text(table.name)))))
    insert = (
        "INSERT INTO %I OVERRIDING SYSTEM VALUE"
        " SELECT * FROM json_populate_recordset(NULL::%I, %L);"
    )
    for table in tables:
        rows, name = table.alias("r"), _text(table.name)
        found = await conn.scalar(
            select(func.format(insert, name, name, func.json_agg(literal_column("r"))))
            .select_from(rows)
            .having(func.count() > 0)
        )
        if found is not None:
            script.append(found)
    setvals = await conn.scalars(
        text(
            "SELECT format('SELECT setval(%L, %s, %L);', format('%I.%I', schemaname, sequencename),"
            " coalesce(last_value, start_value), last_value IS NOT NULL)"
            " FROM pg_sequences WHERE schemaname = current_schema()"
        )
    )
    script.extend(setvals)
    script.append("COMMIT;")
    return "\n".join(script)


def _text(value: str) -> ColumnElement[str]:
    """A parameter Postgres knows the type of (asyncpg prepares every statement)."""
    return cast(literal(value), Text)


async def _recreate(url: URL, *, template: str | None) -> None:
    """Drop `url`'s database and create it again, empty or as a copy of `template`."""
    # CREATE and DROP DATABASE cannot run inside a transaction, nor while
    # connected to the database itself: they run from the server's
    # maintenance database. FORCE ends connections a failed test left open.
    engine = create_async_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    quote = engine.dialect.identifier_preparer.quote
    name = quote(url.database or "")
    copy = f" TEMPLATE {quote(template)}" if template else ""
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {name}{copy}"))
    finally:
        await engine.dispose()
