"""pintu's HTTP/1.1 transport (`bot.handlers.http11`) against real servers on loopback.

A small scripted server stands in for the platforms: it reads each request,
notes which connection it came on, and answers with bytes the test chose —
framed by length, chunked, to the end of the connection, or broken.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.handlers.http11 import KeepAliveTransport, direct_transport

FIVE_SECONDS = httpx.Timeout(5)
Answer = Callable[[bytes], Awaitable[bytes | None]]  # the request's head and body → raw answer


def ok(body: bytes = b'{"ok":true}', *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra]
    return b"\r\n".join([*head, b"Content-Length: %d" % len(body), b"", body])


@dataclass
class Server:
    """Answers each request with `answer(request)`; None closes the connection unanswered."""

    answer: Answer
    connections: int = 0
    requests: list[tuple[int, bytes]] = field(default_factory=list)  # (connection, request)
    close_after_answer: bool = False
    url: str = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append((number, request))
                raw = await self.answer(request)
                if raw is None:
                    break
                writer.write(raw)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(
    answer: Answer, *, tls: ssl.SSLContext | None = None, close_after_answer: bool = False
) -> AsyncIterator[Server]:
    server = Server(answer, close_after_answer=close_after_answer)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    port = listening.sockets[0].getsockname()[1]
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    async with listening:
        yield server


def always(raw: bytes) -> Answer:
    async def answer(_request: bytes) -> bytes:
        return raw

    return answer


@asynccontextmanager
async def client(
    transport: KeepAliveTransport, limits: httpx.Timeout = FIVE_SECONDS
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=transport, timeout=limits) as http:
        yield http


async def test_requests_to_one_origin_share_a_connection() -> None:
    async with serving(always(ok())) as server, client(KeepAliveTransport(4)) as http:
        first = await http.post(server.url + "/bot1/sendMessage", json={"text": "halo"})
        second = await http.get(server.url + "/bot1/getMe?x=1")
    assert (first.status_code, first.json(), second.json()) == (200, {"ok": True}, {"ok": True})
    assert [number for number, _ in server.requests] == [1, 1]
    posted, got = (request for _, request in server.requests)
    assert posted.startswith(b"POST /bot1/sendMessage HTTP/1.1\r\n")
    assert posted.endswith(b'{"text":"halo"}')
    assert b"Content-Length: 15" in posted
    assert got.startswith(b"GET /bot1/getMe?x=1 HTTP/1.1\r\n")
    assert b"Host: 127.0.0.1:" in posted


async def test_a_chunked_answer_is_read_whole_and_its_connection_kept() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"ok\r\n'
        b'7\r\n":true}\r\n'
        b"0\r\nX-Trailer: yes\r\n\r\n"
    )
    async with serving(always(chunked)) as server, client(KeepAliveTransport(4)) as http:
        answers = [await http.get(server.url + "/a"), await http.get(server.url + "/b")]
    assert [answer.json() for answer in answers] == [{"ok": True}, {"ok": True}]
    assert server.connections == 1


async def test_an_answer_to_the_end_of_the_connection_is_read_and_the_connection_not_kept() -> None:
    to_the_end = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsampai habis"
    async with (
        serving(always(to_the_end), close_after_answer=True) as server,
        client(KeepAliveTransport(4)) as http,
    ):
        texts = [(await http.get(server.url + "/")).text for _ in range(2)]
    assert texts == ["sampai habis", "sampai habis"]
    assert server.connections == 2


async def test_connection_close_is_honoured() -> None:
    async with (
        serving(always(ok(b"{}", b"Connection: close"))) as server,
        client(KeepAliveTransport(4)) as http,
    ):
        for _ in range(3):
            assert (await http.get(server.url + "/")).json() == {}
    assert server.connections == 3


async def test_no_body_after_head_or_204_and_the_connection_kept() -> None:
    async def answer(request: bytes) -> bytes:
        if request.startswith(b"HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        return b"HTTP/1.1 204 No Content\r\n\r\n"

    async with serving(answer) as server, client(KeepAliveTransport(4)) as http:
        head = await http.head(server.url + "/")
        empty = await http.delete(server.url + "/")
        again = await http.head(server.url + "/")
    assert (head.status_code, head.content, empty.status_code, again.status_code) == (
        200,
        b"",
        204,
        200,
    )
    assert server.connections == 1


async def test_an_interim_answer_is_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b'{"n":1}')
    async with serving(always(answer)) as server, client(KeepAliveTransport(4)) as http:
        assert (await http.get(server.url + "/")).json() == {"n": 1}


async def test_a_connection_idle_too_long_is_not_reused() -> None:
    now = [1000.0]
    transport = KeepAliveTransport(4, keepalive_seconds=5, clock=lambda: now[0])
    async with serving(always(ok())) as server, client(transport) as http:
        await http.get(server.url + "/")
        now[0] += 4.9
        await http.get(server.url + "/")
        now[0] += 5.0
        await http.get(server.url + "/")
    assert [number for number, _ in server.requests] == [1, 1, 2]


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async with (
        serving(always(ok()), close_after_answer=True) as server,
        client(KeepAliveTransport(4)) as http,
    ):
        for _ in range(3):
            await http.get(server.url + "/")
            await asyncio.sleep(0.05)  # for the server's FIN to reach the client on loopback
    assert [number for number, _ in server.requests] == [1, 2, 3]


async def test_at_most_max_connections_requests_at_once() -> None:
    in_flight, most = 0, 0

    async def slow(_request: bytes) -> bytes:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ok()

    async with serving(slow) as server, client(KeepAliveTransport(2)) as http:
        answers = await asyncio.gather(*(http.get(server.url + "/") for _ in range(8)))
    assert [answer.status_code for answer in answers] == [200] * 8
    assert (most, server.connections) == (2, 2)


async def test_a_body_given_up_closes_its_connection_and_frees_its_slot() -> None:
    big = b"x" * 300_000
    async with serving(always(ok(big))) as server, client(KeepAliveTransport(1)) as http:
        async with http.stream("GET", server.url + "/") as response:
            async for first in response.aiter_raw():
                assert first
                break
        assert (await http.get(server.url + "/")).content == big
    assert server.connections == 2


async def test_a_cancelled_request_frees_its_slot() -> None:
    answered = asyncio.Event()

    async def never_first(request: bytes) -> bytes:
        if b"/hang" in request:
            await asyncio.Event().wait()
        answered.set()
        return ok()

    async with serving(never_first) as server, client(KeepAliveTransport(1)) as http:
        hanging = asyncio.create_task(http.get(server.url + "/hang"))
        await _until(lambda: bool(server.requests))
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
        assert (await http.get(server.url + "/next")).status_code == 200
    assert answered.is_set()


async def test_a_body_sent_in_chunks_goes_with_its_length() -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield b"satu "
        yield b"dua"

    async with serving(always(ok())) as server, client(KeepAliveTransport(1)) as http:
        await http.post(server.url + "/upload", content=pieces())
    ((_, request),) = server.requests
    assert b"Content-Length: 8\r\n" in request
    assert request.endswith(b"\r\n\r\nsatu dua")
    assert b"transfer-encoding" not in request.lower()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", httpx.RemoteProtocolError),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
            httpx.RemoteProtocolError,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", httpx.RemoteProtocolError),
    ],
)
async def test_a_broken_answer_is_a_protocol_error(raw: bytes, error: type[Exception]) -> None:
    async with (
        serving(always(raw), close_after_answer=True) as server,
        client(KeepAliveTransport(1)) as http,
    ):
        with pytest.raises(error):
            await http.get(server.url + "/")


async def test_no_answer_at_all_is_a_protocol_error_and_the_next_request_goes_through() -> None:
    calls = 0

    async def first_unanswered(_request: bytes) -> bytes | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 else ok()

    async with serving(first_unanswered) as server, client(KeepAliveTransport(1)) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(server.url + "/")
        assert (await http.get(server.url + "/")).status_code == 200


async def test_timeouts_and_refusals_are_httpx_errors() -> None:
    async def silent(_request: bytes) -> bytes:
        await asyncio.Event().wait()
        raise AssertionError

    short_read = httpx.Timeout(5, read=0.05)
    async with serving(silent) as server, client(KeepAliveTransport(1), short_read) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url + "/")
    short_wait = httpx.Timeout(5, pool=0.05)
    async with serving(silent) as server, client(KeepAliveTransport(1), short_wait) as http:
        stuck = asyncio.create_task(http.get(server.url + "/"))
        await _until(lambda: len(server.requests) == 1)
        with pytest.raises(httpx.PoolTimeout):
            await http.get(server.url + "/")
        stuck.cancel()
    async with client(KeepAliveTransport(1)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(server.url + "/")  # the server is gone now
        with pytest.raises(httpx.UnsupportedProtocol):
            await KeepAliveTransport(1).handle_async_request(httpx.Request("GET", "ftp://x/"))


async def test_tls_with_a_trusted_certificate_and_refused_without(tmp_path: Path) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = await asyncio.create_subprocess_exec(
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        *("-keyout", str(key), "-out", str(certificate)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await openssl.wait() == 0
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(certificate, key)
    trusting = ssl.create_default_context(cafile=str(certificate))
    async with serving(always(ok()), tls=served) as server:
        async with client(KeepAliveTransport(1, ssl_context=trusting)) as http:
            answers = [await http.get(server.url + "/") for _ in range(2)]
        async with client(KeepAliveTransport(1)) as http:  # httpx's default trust store
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(server.url + "/")
    assert [answer.json() for answer in answers] == [{"ok": True}] * 2
    assert server.connections == 1  # kept for both; the refused handshake never got this far


def test_a_configured_proxy_leaves_the_calls_to_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert isinstance(direct_transport(4), KeepAliveTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.polres.example:3128")
    assert direct_transport(4) is None


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("never happened")
