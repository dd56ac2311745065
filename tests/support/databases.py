"""A fresh database for every test, migrated once per test session.

Running the migrations is the slowest part of starting the app, and every
test used to pay for it. Now the session migrates one template, and each
test gets a copy: on SQLite a copy of the template's file, on PostgreSQL a
database created from the template (`CREATE DATABASE ... TEMPLATE`), which
copies the migrated schema and the rows the migrations seed. The app's own
start-up migration then finds the copy up to date.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
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


@dataclass(frozen=True)
class PostgreSQLDatabases:
    """The test database of `url`, recreated for every test from a migrated template.

    The template is `url`'s database with `_template` appended, on the same
    server; both are dropped and created again by the tests, so `url` must
    name a database that holds nothing else.
    """

    url: URL

    @property
    def name(self) -> str:
        assert self.url.database, f"{self.url} names no database"
        return self.url.database

    @property
    def template(self) -> str:
        return f"{self.name}_template"

    @classmethod
    def build(cls, url: str) -> PostgreSQLDatabases:
        databases = cls(make_url(url))
        asyncio.run(databases._build_template())
        return databases

    async def _build_template(self) -> None:
        await self._recreate(self.template, template=None)
        await _migrate(self.url.set(database=self.template).render_as_string(hide_password=False))

    async def fresh(self) -> str:
        """The URL of the test database, just copied from the migrated template."""
        await self._recreate(self.name, template=self.template)
        return self.url.render_as_string(hide_password=False)

    async def empty(self) -> str:
        """The URL of the test database with no tables at all."""
        await self._recreate(self.name, template=None)
        return self.url.render_as_string(hide_password=False)

    async def _recreate(self, name: str, *, template: str | None) -> None:
        # CREATE and DROP DATABASE cannot run inside a transaction, nor while
        # connected to the database itself: they run from the server's
        # maintenance database. FORCE ends connections a failed test left open.
        engine = create_async_engine(
            self.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        quote = engine.dialect.identifier_preparer.quote
        copy = f" TEMPLATE {quote(template)}" if template else ""
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
                await conn.execute(text(f"CREATE DATABASE {quote(name)}{copy}"))
        finally:
            await engine.dispose()
