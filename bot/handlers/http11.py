"""An HTTP/1.1 transport for httpx on asyncio streams, for the platforms' send path.

Under load the outbox sender makes 80 WhatsApp calls a second (30 for
Telegram), and httpx's own transport — httpcore on anyio — spent about
1.3 ms of CPU on each: cancel scopes and task lookups for every read and
write, and a pass over every pooled connection, with a system call each, as
a request starts and ends (bench/README.md). This transport speaks the same
HTTP/1.1 on plain asyncio streams: a request is written in one piece, the
response read by its framing (Content-Length, chunked, or to the end), and
the connection kept for the next request to the same origin.

It keeps httpx's contract: `httpx.Request` in, `httpx.Response` out with a
streamed body, the request's own timeouts (connect, write, read, pool), and
httpx's exceptions, so callers (`GraphClient`, python-telegram-bot) see no
difference. What it does not do is speak HTTP/2 or go through a proxy:
`direct_transport` gives none when the environment names a proxy, and the
callers use httpx's client as it is.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx

HEAD_LIMIT = 64 * 1024  # status line and headers of one response
CHUNK = 64 * 1024
NO_BODY = frozenset({204, 304})
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

Origin = tuple[str, str, int]


def direct_transport(max_connections: int) -> KeepAliveTransport | None:
    """This transport; None when the environment names a proxy (``HTTPS_PROXY`` and
    the like), which only httpx's client and its own transport go through."""
    if any(scheme != "no" for scheme in urllib.request.getproxies()):  # NO_PROXY alone: none
        return None
    return KeepAliveTransport(max_connections=max_connections)


@dataclass(eq=False)
class _Connection:
    origin: Origin
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float, keepalive_seconds: float) -> bool:
        """Still open at both ends and not idle too long (servers close idle
        connections: uvicorn after 5 s, so httpx's default expiry is 5 s too)."""
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and now - self.idle_since < keepalive_seconds
        )

    def close(self) -> None:
        self.writer.close()


@dataclass(eq=False)
class KeepAliveTransport(httpx.AsyncBaseTransport):
    """At most `max_connections` requests in flight; their connections kept per
    origin while idle for less than `keepalive_seconds`."""

    max_connections: int
    keepalive_seconds: float = 5.0
    ssl_context: ssl.SSLContext | None = None
    clock: Callable[[], float] = time.monotonic
    _idle: dict[Origin, list[_Connection]] = field(default_factory=dict)
    _slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.max_connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in time") from None
        connection: _Connection | None = None
        try:
            connection = await self._connection(request.url, timeouts.get("connect"))
            await _write_request(connection.writer, request, timeouts.get("write"))
            return await _read_response(connection, request, timeouts.get("read"), self._release)
        except BaseException:
            if connection is not None:
                connection.close()
            self._slots.release()
            raise

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def _connection(self, url: httpx.URL, within: float | None) -> _Connection:
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        idle = self._idle.get(origin, [])
        now = self.clock()
        while idle:
            connection = idle.pop()
            if connection.usable(now, self.keepalive_seconds):
                return connection
            connection.close()
        return await self._connect(origin, within)

    async def _connect(self, origin: Origin, within: float | None) -> _Connection:
        scheme, host, port = origin
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"no {scheme!r} URLs here")
        tls = None
        if scheme == "https":
            if self.ssl_context is None:
                self.ssl_context = httpx.create_ssl_context()
            tls = self.ssl_context
        try:
            async with asyncio.timeout(within):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=HEAD_LIMIT
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host} in time") from None
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(f"{type(error).__name__}: {error}") from None
        return _Connection(origin, reader, writer)

    def _release(self, connection: _Connection, reusable: bool) -> None:
        """A response's body was read to its end (`reusable`) or given up."""
        if reusable:
            connection.idle_since = self.clock()
            self._idle.setdefault(connection.origin, []).append(connection)
        else:
            connection.close()
        self._slots.release()


async def _write_request(
    writer: asyncio.StreamWriter, request: httpx.Request, within: float | None
) -> None:
    body = await request.aread()
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    chunked = False
    for name, value in request.headers.raw:
        if name.lower() == b"transfer-encoding":
            chunked = True  # the body is known here: send it with its length instead
            continue
        lines.append(name + b": " + value)
    if chunked:
        lines.append(b"Content-Length: %d" % len(body))
    try:
        async with asyncio.timeout(within):
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("the request could not be sent in time") from None
    except OSError as error:
        raise httpx.WriteError(f"{type(error).__name__}: {error}") from None


async def _read_response(
    connection: _Connection,
    request: httpx.Request,
    within: float | None,
    release: Callable[[_Connection, bool], None],
) -> httpx.Response:
    reader = connection.reader
    while True:
        version, status, reason, headers = _head(await _read(reader.readuntil(b"\r\n\r\n"), within))
        if not 100 <= status < 200:
            break  # an interim answer (100 Continue) is followed by the real one
    lengths = {value.strip() for name, value in headers if name.lower() == b"content-length"}
    codings = b",".join(value for name, value in headers if name.lower() == b"transfer-encoding")
    tokens = b",".join(value for name, value in headers if name.lower() == b"connection")
    keep = version == b"HTTP/1.1" and b"close" not in tokens.lower()
    if request.method == "HEAD" or status in NO_BODY:
        body = _Body(connection, release, within, length=0, keep=keep)
    elif b"chunked" in codings.lower():
        body = _Body(connection, release, within, length=None, keep=keep)
    elif lengths:
        if len(lengths) > 1 or not all(value.isdigit() for value in lengths):
            raise httpx.RemoteProtocolError("a response with an unreadable Content-Length")
        body = _Body(connection, release, within, length=int(lengths.pop()), keep=keep)
    else:  # the body runs to the end of the connection
        body = _Body(connection, release, within, length=-1, keep=False)
    return httpx.Response(
        status,
        headers=headers,
        stream=body,
        request=request,
        extensions={"http_version": version, "reason_phrase": reason},
    )


def _head(data: bytes) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    status_line, *lines = data[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise httpx.RemoteProtocolError("not an HTTP/1.1 response")
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError("an unreadable response header")
        headers.append((name, value.strip()))
    return version, int(code), reason, headers


async def _read(step: Awaitable[bytes], within: float | None) -> bytes:
    """One read of the answer, its failures as httpx names them."""
    try:
        async with asyncio.timeout(within):
            return await step
    except TimeoutError:
        raise httpx.ReadTimeout("no answer in time") from None
    except asyncio.IncompleteReadError:
        raise httpx.RemoteProtocolError("the server closed the connection mid-answer") from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("an answer's head or chunk line too long") from None
    except OSError as error:
        raise httpx.ReadError(f"{type(error).__name__}: {error}") from None


@dataclass(eq=False)
class _Body(httpx.AsyncByteStream):
    """A response's body, read as it is consumed; its connection goes back to the
    pool once the body was read to its end, and is closed if it was given up.

    `length` is the Content-Length, None for a chunked body, and -1 for a body
    that runs to the end of the connection."""

    connection: _Connection
    release: Callable[[_Connection, bool], None]
    within: float | None
    length: int | None
    keep: bool
    _released: bool = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        complete = False
        try:
            if self.length is None:
                async for chunk in self._chunks():
                    yield chunk
            elif self.length < 0:
                while chunk := await _read(self.connection.reader.read(CHUNK), self.within):
                    yield chunk
            else:
                async for chunk in self._exactly(self.length):
                    yield chunk
            complete = True
        finally:
            self._finish(complete and self.keep)

    async def aclose(self) -> None:
        self._finish(False)

    def _finish(self, reusable: bool) -> None:
        if not self._released:
            self._released = True
            self.release(self.connection, reusable)

    async def _exactly(self, length: int) -> AsyncIterator[bytes]:
        reader, left = self.connection.reader, length
        while left:
            chunk = await _read(reader.read(min(left, CHUNK)), self.within)
            if not chunk:
                raise httpx.RemoteProtocolError("the server closed the connection mid-body")
            left -= len(chunk)
            yield chunk

    async def _chunks(self) -> AsyncIterator[bytes]:
        reader = self.connection.reader
        while True:
            line = await _read(reader.readuntil(b"\r\n"), self.within)
            size = line.split(b";", 1)[0].strip()
            if not size or not all(c in HEX_DIGITS for c in size):
                raise httpx.RemoteProtocolError("an unreadable chunk size")
            if int(size, 16) == 0:
                while await _read(reader.readuntil(b"\r\n"), self.within) != b"\r\n":
                    pass  # trailer fields: none that pintu reads
                return
            async for chunk in self._exactly(int(size, 16)):
                yield chunk
            if await _read(reader.readexactly(2), self.within) != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk without its line end")
