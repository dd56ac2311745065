"""Faults of the database itself, not of the request: the server is down or
restarting, a connection was cut, the pool is exhausted, SQLite stayed locked
beyond its busy timeout.

Such a fault must not turn a webhook into a dead letter or a 500: the route
answers 503 and the platform redelivers once the database is back
(`bot.app`). The pool's pre-ping throws dead connections
away, so the service recovers by itself.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

# SQLSTATE classes of PostgreSQL that mean "the server, not the statement":
# 08 connection exception, 53 insufficient resources, 57P01-57P03 shutting down
# or starting up (https://www.postgresql.org/docs/current/errcodes-appendix.html).
UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03")
DISCONNECTED = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,  # no pooled connection came free in time
    sqlite3.OperationalError,  # locked beyond the busy timeout, disk I/O, cannot open
    ConnectionError,  # refused, reset, lost: the driver's socket
    TimeoutError,  # connecting took too long
)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used now; try again later."""


def is_unavailable(error: BaseException) -> bool:
    """Whether `error`, or anything that caused it, is a fault of the database itself."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DatabaseUnavailable, *DISCONNECTED)):
            return True
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(UNAVAILABLE_STATES):
            return True
        if type(current).__module__.startswith("asyncpg") and "Interface" in type(current).__name__:
            return True  # "connection is closed", "another operation is in progress"
        current = current.__cause__ or current.__context__
    return False


# what a route may meet when the database is away (`is_unavailable` decides)
CAUGHT = (DatabaseUnavailable, exc.DBAPIError, *DISCONNECTED)
