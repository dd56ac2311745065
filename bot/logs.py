"""Logging for a pintu process: one configuration, text or JSON, never personal data.

Every line carries a correlation id: the HTTP request's (see
`bot.handlers.correlation`) or the outbox send's (`correlated` around it), so
the lines one webhook or one send caused can be found together.

What must never reach a log, whatever the level an operator chooses:

- the query string of a request (the WhatsApp handshake carries the verify
  token in it): the access log shows the path only;
- a client's full address (a citizen's, on the web chat): the access log
  shows its network only (IPv4 /24, IPv6 /48), enough to see a flood's source;
- an application's number (an SKCK's, in the back-office's paths): the access
  log shows ``<number>`` in its place;
- a URL's secrets: Telegram's Bot API URLs hold the bot token
  (``/bot<token>/sendMessage``), WhatsApp media links a signature in their
  query; httpx logs every request's URL at INFO;
- a database error's message: it quotes the statement's parameters and
  PostgreSQL's DETAIL the offending values (a phone number in a duplicate
  key); such exceptions are logged with their type and traceback only;
- the data itself: libraries whose DEBUG output is what they carry (SQL rows
  and parameters, Bot API call parameters, multipart fields) are held at a
  level where they log none of it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

NO_CORRELATION = "-"
correlation_id: ContextVar[str] = ContextVar("pintu_correlation_id", default=NO_CORRELATION)

# Their DEBUG (or INFO) lines carry the data they move: held at these levels at least.
QUIET_LIBRARIES = {
    "sqlalchemy": logging.WARNING,  # INFO: statements; DEBUG: result rows
    "aiosqlite": logging.INFO,  # DEBUG: each call with its parameters
    "telegram": logging.INFO,  # DEBUG: every Bot API call with its parameters and answer
    "httpcore": logging.INFO,  # DEBUG: each connection step
    "hpack": logging.WARNING,  # DEBUG: header values
    "multipart": logging.INFO,  # DEBUG: form parts
    "python_multipart": logging.INFO,
}

_BOT_TOKEN = re.compile(r"/(file/)?bot[^/\s]+")
# /applications/{kind}/{number:path}[/history], in the API and the inbox
_APPLICATION_NUMBER = re.compile(r"(/applications/[^/]+/).+?(/history)?$")


@contextlib.contextmanager
def correlated(value: str) -> Iterator[None]:
    """Lines logged inside the block carry `value` as their correlation id."""
    token = correlation_id.set(value)
    try:
        yield
    finally:
        correlation_id.reset(token)


def redact_url(url: object) -> str:
    """`url` without its query string and with a Bot API token taken out of its path."""
    text = str(url).split("?", 1)[0].split("#", 1)[0]
    return _BOT_TOKEN.sub(lambda found: f"/{found.group(1) or ''}bot<token>", text)


class CorrelationId(logging.Filter):
    """Adds `correlation_id` to every record a handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


class AccessPathOnly(logging.Filter):
    """uvicorn's access line with the path only (`redact_url`): query strings carry tokens;
    and with the client's network only (`client_network`).

    uvicorn logs ``(client, method, path with query, http version, status)``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            client = client_network(args[0]) if isinstance(args[0], str) else "-"
            path = _APPLICATION_NUMBER.sub(r"\1<number>\2", redact_url(args[2]))
            record.args = (client, args[1], path, *args[3:])
        return True


def client_network(client: str) -> str:
    """uvicorn's ``host:port`` of a client as its network: ``203.0.113.0/24``, ``2001:db8:1::/48``.

    uvicorn writes an IPv6 client's port after a colon without brackets; taken
    off or not, a /48 is the same network.
    """
    if client.startswith("["):
        host = client[1:].split("]", 1)[0]
    elif ":" in client:
        host = client.rsplit(":", 1)[0]
    else:
        host = client
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return "-"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class RedactedURLs(logging.Filter):
    """httpx's request line with the URL's secrets taken out (`redact_url`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(arg) if _looks_like_url(arg) else arg for arg in record.args
            )
        return True


DATABASE_MODULES = ("sqlalchemy", "sqlite3", "asyncpg", "aiosqlite", "psycopg")


def is_database_error(error: BaseException) -> bool:
    """Raised by the database or its driver (then its message may quote data)."""
    return any(kind.__module__.split(".")[0] in DATABASE_MODULES for kind in type(error).__mro__)


def described(error: BaseException) -> str:
    """`error` for a log line: type and message, the message withheld for a database error."""
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if is_database_error(error):
        return f"{name}: (message withheld: it may quote the statement's data)"
    return f"{name}: {error}" if str(error) else name


def withheld_traceback(error: BaseException) -> str:
    """The traceback of `error` and its causes, as Python prints it, with `described` messages."""
    lines: list[str] = []
    for each, link in reversed(_chain(error)):
        lines.append(link + "Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(each.__traceback__))
        lines.append(described(each) + "\n")
    return "".join(lines).rstrip("\n")


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """`error`, then what caused it, and so on; each with the words that lead from its
    cause to it (as Python prints them between two tracebacks)."""
    chain: list[tuple[BaseException, str]] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen, _ in chain):
        if current.__cause__ is not None:
            chain.append((current, CAUSE))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append((current, CONTEXT))
            current = current.__context__
        else:
            chain.append((current, ""))
            current = None
    return chain


CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


class WithheldDatabaseErrors(logging.Filter):
    """A database error in a record (its exception, or an argument) loses its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if any(is_database_error(each) for each, _ in _chain(error)):
                record.exc_text = withheld_traceback(error)
                record.exc_info = None
        if isinstance(record.args, tuple):
            record.args = tuple(
                described(arg) if isinstance(arg, BaseException) and is_database_error(arg) else arg
                for arg in record.args
            )
        return True


def _looks_like_url(value: object) -> bool:
    return type(value).__name__ == "URL" or (
        isinstance(value, str) and value.startswith(("http://", "https://"))
    )


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, correlation_id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "correlation_id": getattr(record, "correlation_id", correlation_id.get()),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def logging_config(
    log_format: LogFormat = "text", level: str = "INFO", stream: object = "ext://sys.stderr"
) -> dict[str, Any]:
    """The `logging.config.dictConfig` of a pintu process (uvicorn applies it in each worker)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JSONFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    loggers: dict[str, Any] = {
        name: {"level": logging.getLevelName(max(minimum, logging.getLevelName(level)))}
        for name, minimum in QUIET_LIBRARIES.items()
    }
    loggers |= {
        "uvicorn": {"level": level},
        "uvicorn.error": {"level": level},
        "uvicorn.access": {"level": level, "filters": ["access_path_only"]},
        "httpx": {"filters": ["redacted_urls"]},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "correlation_id": {"()": f"{__name__}.CorrelationId"},
            "access_path_only": {"()": f"{__name__}.AccessPathOnly"},
            "redacted_urls": {"()": f"{__name__}.RedactedURLs"},
            "withheld_database_errors": {"()": f"{__name__}.WithheldDatabaseErrors"},
        },
        "formatters": {"pintu": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "pintu",
                "filters": ["correlation_id", "withheld_database_errors"],
                "stream": stream,
            }
        },
        "loggers": loggers,
        "root": {"level": level, "handlers": ["console"]},
    }
