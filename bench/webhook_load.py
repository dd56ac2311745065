"""Webhook load benchmark: pintu's full path against two reference servers.

Each server runs as one uvicorn worker (uvloop, httptools) pinned to core 0;
this process, the load generator, runs on core 1 and keeps ``--connections``
keep-alive connections busy with Telegram updates (unique ``update_id``s over
``--chats`` chats, each chat walking through a complaint). A fake Bot API on
loopback receives what pintu's outbox sender sends, paced at Telegram's rate,
so the backlog grows during the run, as expected.

Printed per server: updates/s, latency p50/p90/p99, non-200 answers, and the
server's peak RSS. For pintu it also checks that every acknowledged update
was committed (inbound events in the database == 200 answers).

    .venv/bin/python -m bench.webhook_load                 # all three, SQLite
    .venv/bin/python -m bench.webhook_load --servers pintu --requests 40000
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789"
TOKEN = "700000001:BENCH-TOKEN"
APP_SECRET = b"bench-app-secret"
GRAPH_TOKEN = "bench-access-token"
PHONE_NUMBER_ID = "106540352242922"
TARGETS = {
    "parse": "bench.reference_servers:create_parse_app",
    "naive": "bench.reference_servers:create_naive_app",
    "pintu": "bot.app:create_app",
}
SCRIPT = (
    "halo",
    "pengaduan",
    "2",
    "Petugas di loket meminta biaya tambahan tanpa kuitansi resmi kemarin siang.",
    "lewati",
    "tidak",
    "kirim",
    "Terima kasih, saya tunggu kabarnya.",
)


@dataclass
class Result:
    server: str
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    peak_rss_kib: int
    committed: int | None
    cpu_seconds: float

    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.requests

    def row(self) -> str:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        committed = "" if self.committed is None else f"{self.committed}"
        return (
            f"| {self.server} | {self.requests / self.seconds:,.0f} | {pct(0.50):.1f} | "
            f"{pct(0.90):.1f} | {pct(0.99):.1f} | {self.failures} | "
            f"{self.peak_rss_kib / 1024:.0f} | {committed} |"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def telegram_update(update_id: int, chats: int) -> bytes:
    chat = 100_000 + update_id % chats
    text = SCRIPT[(update_id // chats) % len(SCRIPT)]
    user = {"id": chat, "is_bot": False, "first_name": "Warga"}
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Warga"},
            "from": user,
            "text": text,
        },
    }
    return json.dumps(update).encode()


def whatsapp_update(update_id: int, chats: int) -> bytes:
    """A signed-to-be Cloud API payload with one text message (real shape)."""
    phone = str(6281200000000 + update_id % chats)
    text = SCRIPT[(update_id // chats) % len(SCRIPT)]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "62711000110", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Warga"}, "wa_id": phone, "user_id": f"ID.{phone[-9:]}"}],
        "messages": [
            {
                "from": phone,
                "from_user_id": f"ID.{phone[-9:]}",
                "id": f"wamid.bench.{update_id}",
                "timestamp": "1790000000",
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    change = {"field": "messages", "value": value}
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(payload).encode()


def request_bytes(channel: str, body: bytes, port: int) -> bytes:
    if channel == "telegram":
        auth = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}"
    else:
        auth = "X-Hub-Signature-256: sha256=" + hmac.new(APP_SECRET, body, "sha256").hexdigest()
    head = (
        f"POST /webhooks/{channel} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{auth}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


UPDATES = {"telegram": telegram_update, "whatsapp": whatsapp_update}


async def one_connection(port: int, requests: list[bytes], latencies: list[float]) -> int:
    """Send `requests` one after another on one keep-alive connection; the non-200 count."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    for request in requests:
        started = time.perf_counter()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):  # the server dropped us: count, reconnect
            failures += 1
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            continue
        latencies.append(time.perf_counter() - started)
        failures += not head.startswith(b"HTTP/1.1 200")
    writer.close()
    return failures


async def load(
    port: int, requests: list[bytes], connections: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    shares = [requests[n::connections] for n in range(connections)]
    started = time.perf_counter()
    failures = await asyncio.gather(*(one_connection(port, s, latencies) for s in shares))
    return time.perf_counter() - started, latencies, sum(failures)


def wait_healthy(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def start(command: list[str], env: dict[str, str], core: int | None) -> subprocess.Popen[bytes]:
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    return subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own interpreter


def run_server(name: str, args: argparse.Namespace, fake_url: str) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"pintu-bench-{name}-"))
    database = workdir / "bench.db"
    port = free_port()
    env = os.environ | {
        "PINTU_DATABASE_URL": args.database or f"sqlite+aiosqlite:///{database}",
        "PINTU_VAR_DIR": str(workdir),
        "PINTU_ADMIN_PASSWORD": "bench-admin-password",
        "PINTU_TELEGRAM_BOT_TOKEN": TOKEN,
        "PINTU_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PINTU_TELEGRAM_API_URL": fake_url,
        "PINTU_WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
        "PINTU_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "PINTU_WHATSAPP_APP_SECRET": APP_SECRET.decode(),
        "PINTU_WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
        "PINTU_WHATSAPP_API_URL": f"{fake_url}/v25.0",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", TARGETS[name], "--host", "127.0.0.1",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = start(command, env, core=0)
    try:
        wait_healthy(port, server)
        update = UPDATES[args.channel]
        warm = [request_bytes(args.channel, update(n, args.chats), port) for n in range(1, 501)]
        asyncio.run(load(port, warm, args.connections))
        first = 10_000
        bodies = [update(first + n, args.chats) for n in range(args.requests)]
        requests = [request_bytes(args.channel, body, port) for body in bodies]
        cpu_before = cpu_seconds(server.pid)
        seconds, latencies, failures = asyncio.run(load(port, requests, args.connections))
        cpu = cpu_seconds(server.pid) - cpu_before
        rss = peak_rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    committed = None
    if name == "pintu" and args.database is None:
        with sqlite3.connect(database) as conn:
            committed = conn.execute("SELECT count(*) FROM inbound_events").fetchone()[0]
    return Result(name, args.requests, seconds, latencies, failures, rss, committed, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="parse,naive,pintu")
    parser.add_argument("--channel", choices=tuple(UPDATES), default="telegram")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--database", help="a PostgreSQL URL instead of a fresh SQLite file")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    fake_port = free_port()
    fake_command = [
        sys.executable, "-m", "bench.fake_bot_api", str(fake_port), TOKEN, GRAPH_TOKEN,
        PHONE_NUMBER_ID,
    ]  # fmt: skip
    fake = start(fake_command, dict(os.environ), 1)
    try:
        wait_healthy(fake_port, fake)
        results = [
            run_server(name, args, f"http://127.0.0.1:{fake_port}")
            for name in args.servers.split(",")
        ]
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print(  # noqa: T201 - a benchmark prints its table
        f"\n{args.channel}: {args.requests} updates, {args.connections} connections, "
        f"{args.chats} chats; "
        f"+500 warm-up (and 500 extra inbound events for pintu)\n\n"
        "| server | updates/s | p50 ms | p90 ms | p99 ms | non-200 | peak RSS MiB | committed |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for result in results:
        print(result.row())  # noqa: T201
    print(  # noqa: T201
        "\nmean latency per server (ms): "
        + ", ".join(f"{r.server} {statistics.fmean(r.latencies) * 1000:.1f}" for r in results)
        + "\nserver CPU per update (ms, less noisy than the rate on a shared machine): "
        + ", ".join(f"{r.server} {r.cpu_ms_per_update():.3f}" for r in results)
    )


if __name__ == "__main__":
    main()
