"""Webhook load benchmark: pintu's full path against two reference servers.

Each server runs as one uvicorn worker (uvloop, httptools) pinned to core 0;
this process, the load generator, runs on core 1 and keeps ``--connections``
keep-alive connections busy for ``--seconds`` with updates of one traffic mix
(unique update ids): ``complaint`` (1,000 chats, each walking through a
complaint), ``freetext`` (1,000 chats sending short free text: greetings,
questions, numbers, "ok", emoji, Cyrillic; one in ten ``/start``) or
``first`` (every update from a chat never seen before). A fake Bot API and
Graph API on loopback receive what pintu's outbox sender sends, paced at the
platforms' rates, so the backlog grows during the run, as expected.

Rounds are interleaved (naive, pintu, naive, pintu, ...) so a change in the
machine's load hits both. Printed per run: updates/s, latency p50/p90/p99,
non-200 answers, the server's CPU time per update and peak RSS; for pintu
that every acknowledged update was committed (inbound events in the database
== 200 answers) and, with ``--officer``, the time from an officer's reply
posted through the back-office API to the fake platform receiving it, while
the webhook is under load (the case is on the other channel than the load:
on the loaded channel a normal-priority reply queues behind the backlog that
the platform's rate limit builds, which measures Telegram's 30/s, not pintu).

    .venv/bin/python -m bench.webhook_load                       # parse, naive, pintu on SQLite
    .venv/bin/python -m bench.webhook_load --servers naive,pintu --mix freetext --rounds 3
    .venv/bin/python -m bench.webhook_load --database postgresql+asyncpg://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.webhook_load --matrix              # `make bench`: one table
    .venv/bin/python -m bench.webhook_load --matrix --code /tmp/main  # + "before": pintu from there
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import itertools
import json
import math
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

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789"
TOKEN = "700000001:BENCH-TOKEN"
APP_SECRET = b"bench-app-secret"
GRAPH_TOKEN = "bench-access-token"
PHONE_NUMBER_ID = "106540352242922"
ADMIN_PASSWORD = "bench-admin-password"
TARGETS = {
    "parse": "bench.reference_servers:create_parse_app",
    "naive": "bench.reference_servers:create_naive_app",
    "pintu": "bot.app:create_app",
    "before": "bot.app:create_app",  # pintu from the checkout given with --code
}
PINTUS = ("pintu", "before")
SCRIPT = (
    "halo",
    "pengaduan",
    "2",
    "Petugas di loket meminta biaya tambahan tanpa kuitansi resmi kemarin siang.",
    "lewati",
    "ya",  # anonymous
    "tidak",  # not confidential
    "kirim",
)


@dataclass
class Result:
    server: str
    channel: str
    mix: str
    database: str
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    peak_rss_kib: int
    committed: int | None  # pintu: inbound events recorded during the measured load
    cpu_seconds: float
    officer: list[float] | None = None  # seconds per officer reply (inf: never arrived)

    def rate(self) -> float:
        return self.requests / self.seconds

    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / max(1, self.requests)

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def officer_median_ms(self) -> str:
        if not self.officer:
            return ""
        return f"{statistics.median(self.officer) * 1000:.0f}"

    def row(self, run: int) -> str:
        acknowledged = self.requests - self.failures
        committed = "" if self.committed is None else f"{self.committed}/{acknowledged}"
        return (
            f"| {run} | {self.database} | {self.channel} | {self.mix} | {self.server} | "
            f"{self.rate():,.0f} | {self.pct(0.50):.1f} | {self.pct(0.90):.1f} | "
            f"{self.pct(0.99):.1f} | {self.failures} | {self.cpu_ms_per_update():.2f} | "
            f"{self.peak_rss_kib / 1024:.0f} | {committed} | {self.officer_median_ms()} |"
        )


HEADER = (
    "| run | db | channel | mix | server | updates/s | p50 ms | p90 ms | p99 ms | non-200 "
    "| CPU ms/update | peak RSS MiB | committed | officer reply ms (median) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


FREE_TEXT = (
    "halo",
    "selamat pagi pak",
    "ok",
    "terima kasih",
    "bagaimana cara membuat SKCK?",
    "jam berapa kantor buka?",
    "123",
    "081234567890",
    "\U0001f44d",
    "\U0001f64f\U0001f64f",
    "привет",
    "как дела?",
    "apa kabar",
    "saya mau tanya",
    "di mana kantor polsek terdekat?",
    "ya",
    "siap",
    "hello",
    "what time do you open?",
    "2",
    "5000",
    "\U0001f600 halo",
    "info dong",
    "p",
)
MIXES = ("complaint", "freetext", "first")


def message_for(mix: str, update_id: int, chats: int) -> tuple[int, str]:
    """(chat number, text) of update `update_id` in traffic mix `mix`.

    complaint: each of `chats` chats walks through a complaint; freetext: the
    same chats send short free text, one update in ten ``/start``; first:
    every update comes from a chat never seen before.
    """
    if mix == "complaint":
        return update_id % chats, SCRIPT[(update_id // chats) % len(SCRIPT)]
    text = "/start" if update_id % 10 == 0 else FREE_TEXT[(update_id * 7919) % len(FREE_TEXT)]
    return (update_id if mix == "first" else update_id % chats), text


def telegram_update(update_id: int, chat_number: int, text: str) -> bytes:
    chat = 100_000 + chat_number
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


def whatsapp_update(update_id: int, chat_number: int, text: str) -> bytes:
    """A signed-to-be Cloud API payload with one text message (real shape)."""
    phone = str(6281200000000 + chat_number)
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
    return json.dumps(payload, ensure_ascii=False).encode()


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
OTHER = {"telegram": "whatsapp", "whatsapp": "telegram"}
WALK_SETTLES = 12.0  # seconds for the case's walk's answers to reach the fake platform
REPLY_EVERY = 1.5  # seconds between an officer's replies


@dataclass
class Traffic:
    """Which updates to send: a channel, a mix, and the next update id."""

    channel: str
    mix: str
    chats: int
    port: int
    next_id: itertools.count[int]

    def request(self, update_id: int | None = None) -> bytes:
        update_id = next(self.next_id) if update_id is None else update_id
        chat, text = message_for(self.mix, update_id, self.chats)
        body = UPDATES[self.channel](update_id, chat, text)
        return request_bytes(self.channel, body, self.port)


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    """Send one request on a keep-alive connection; the response's head."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return head


async def one_connection(traffic: Traffic, until: float, latencies: list[float]) -> int:
    """Send updates one after another on one keep-alive connection until `until`;
    the non-200 count."""
    reader, writer = await asyncio.open_connection("127.0.0.1", traffic.port)
    failures = 0
    while time.perf_counter() < until:
        request = traffic.request()
        started = time.perf_counter()
        try:
            head = await exchange(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError):  # the server dropped us: count, reconnect
            failures += 1
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", traffic.port)
            continue
        latencies.append(time.perf_counter() - started)
        failures += not head.startswith(b"HTTP/1.1 200")
    writer.close()
    return failures


async def load(
    traffic: Traffic, seconds: float, connections: int, officer: Officer | None = None
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    replies = asyncio.create_task(officer.reply_until(until)) if officer else None
    failures = await asyncio.gather(
        *(one_connection(traffic, until, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    if replies is not None:
        await replies
    return elapsed, latencies, sum(failures)


class Officer:
    """An officer answering a case on the channel that carries no load, every 1.5 s
    (Telegram lets a bot send one message a second to a chat)."""

    def __init__(self, base_url: str, channel: str, fake_url: str) -> None:
        self.base_url = base_url
        self.channel = channel
        self.fake_url = fake_url
        self.sent: dict[str, float] = {}
        self.run = time.time_ns() // 1000

    def open_case(self, port: int) -> None:
        """A citizen on `channel` files a complaint through the webhook; sign in."""
        chat = 7_000_000

        async def walk() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for step, text in enumerate(SCRIPT):
                body = UPDATES[self.channel](900_000_000 + step, chat, text)
                await exchange(reader, writer, request_bytes(self.channel, body, port))
            writer.close()

        asyncio.run(walk())
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            form = {"username": "admin", "password": ADMIN_PASSWORD}
            token = http.post("/api/v1/auth/token", data=form).json()["access_token"]
            self.headers = {"Authorization": f"Bearer {token}"}
            items = http.get("/api/v1/cases", headers=self.headers).json()["items"]
            self.ref = items[0]["ref"]
        # The walk's own answers leave at the platform's pace for one chat (Telegram: one
        # a second after a burst of three): the officer's replies must not queue behind them.
        time.sleep(WALK_SETTLES)

    async def reply_until(self, until: float) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            number = 0
            while time.perf_counter() < until - REPLY_EVERY:
                await asyncio.sleep(REPLY_EVERY)
                number += 1
                marker = f"BENCHREPLY-{self.run}{number:04d}"  # the fake outlives a run
                self.sent[marker] = time.time()
                answer = await http.post(
                    f"/api/v1/cases/{self.ref}/replies",
                    json={"text": f"Kami sedang menanganinya ({marker})."},
                    headers=self.headers,
                )
                if answer.status_code != 201:
                    raise RuntimeError(f"officer reply answered {answer.status_code}")

    def latencies(self) -> list[float]:
        time.sleep(2)  # a reply sent at the end of the load may still be on its way
        arrived = httpx.get(f"{self.fake_url}/bench/arrivals").json()
        return [arrived.get(marker, math.inf) - sent for marker, sent in self.sent.items()]


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


def start(
    command: list[str], env: dict[str, str], core: int | None, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    return subprocess.Popen(command, env=env, cwd=cwd)  # noqa: S603 - our own interpreter


def psql(url: str, sql: str, database: str = "postgres") -> str:
    """Run one statement with `psql` against the server of `url`; its output."""
    parsed = make_url(url)
    command = [
        "psql", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
        "-U", parsed.username or "postgres", "-d", database, "-tAc", sql,
    ]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def fresh_database(url: str | None, workdir: Path) -> str:
    """A URL of an empty database: a new SQLite file, or the PostgreSQL one recreated."""
    if url is None:
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    name = make_url(url).database
    psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(url, f'CREATE DATABASE "{name}"')
    return url


def count_inbound(url: str) -> int:
    sql = "SELECT count(*) FROM inbound_events"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(str(parsed.database)) as conn:
            return int(conn.execute(sql).fetchone()[0])
    return int(psql(url, sql, database=str(parsed.database)))


@dataclass(frozen=True)
class Setup:
    channel: str
    mix: str
    database: str | None
    seconds: float
    connections: int
    chats: int
    officer: bool
    profile: Path | None = None  # py-spy's collapsed stacks of pintu's measured load go here
    code: Path | None = None  # pintu from this checkout (the reference servers stay ours)

    @property
    def database_name(self) -> str:
        return "sqlite" if self.database is None else "postgres"


def run_server(name: str, setup: Setup, fake_url: str) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"pintu-bench-{name}-"))
    database = fresh_database(setup.database, workdir)
    port = free_port()
    env = os.environ | {
        "PINTU_DATABASE_URL": database,
        "PINTU_VAR_DIR": str(workdir),
        "PINTU_ADMIN_PASSWORD": ADMIN_PASSWORD,
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
    cwd = ROOT
    if name == "before":  # `bot` imported from that checkout
        if setup.code is None:
            raise SystemExit("the server 'before' needs --code")
        cwd, env = setup.code, env | {"PYTHONPATH": str(setup.code)}
    server = start(command, env, core=0, cwd=cwd)
    officer = None
    profiler = None
    try:
        wait_healthy(port, server)
        warm = Traffic(setup.channel, setup.mix, setup.chats, port, itertools.count(1))
        asyncio.run(load(warm, 1.0, setup.connections))  # about 500 updates
        warmed = next(warm.next_id) - 1
        if make_url(database).get_backend_name() == "postgresql":
            # A running service's tables have statistics (autovacuum analyses a table soon
            # after its first rows); a database created a second ago has none, and plans
            # cached for empty tables read all of a growing one until autovacuum's next turn.
            psql(database, "ANALYZE", make_url(database).database or "postgres")
        if setup.officer and name in PINTUS:
            officer = Officer(f"http://127.0.0.1:{port}", OTHER[setup.channel], fake_url)
            officer.open_case(port)
        traffic = Traffic(setup.channel, setup.mix, setup.chats, port, itertools.count(10_000_000))
        if setup.profile is not None and name in PINTUS:
            profiler = profile(name, server.pid, setup)
        cpu_before = cpu_seconds(server.pid)
        seconds, latencies, failures = asyncio.run(
            load(traffic, setup.seconds, setup.connections, officer)
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        rss = peak_rss_kib(server.pid)
        replies = officer.latencies() if officer else None
        if profiler is not None:
            profiler.wait(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
    requests = len(latencies) + failures
    committed = None
    if name in PINTUS:
        # inbound events beyond the warm-up's (and the officer's case's) ones
        committed = count_inbound(database) - (len(SCRIPT) if officer else 0) - warmed
    return Result(
        name, setup.channel, setup.mix, setup.database_name, requests, seconds, latencies,
        failures, rss, committed, cpu, replies,
    )  # fmt: skip


def profile(name: str, pid: int, setup: Setup) -> subprocess.Popen[bytes]:
    """Sample every thread of `pid` with py-spy (not a dependency: install it to profile)."""
    assert setup.profile is not None
    setup.profile.mkdir(parents=True, exist_ok=True)
    out = setup.profile / f"{name}-{setup.database_name}-{setup.channel}-{setup.mix}.txt"
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, if installed there
    command = [
        str(beside) if beside.exists() else "py-spy",
        "record", "--pid", str(pid), "--duration", str(int(setup.seconds)),
        "--rate", "200", "--format", "raw", "--output", str(out), "--threads",
    ]  # fmt: skip
    return start(command, dict(os.environ), core=1)


def summary(results: list[Result]) -> str:
    """Per setup and pintu (and `before`): the median of the rounds, and its rate against
    the naive server's in the same runs."""
    lines = [
        "| db | channel | mix | code | naive updates/s | pintu updates/s | pintu ÷ naive "
        "| p99 ms (worst round) | CPU ms/update | officer reply ms (median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = dict.fromkeys((r.database, r.channel, r.mix) for r in results)
    for key in keys:
        runs = [r for r in results if (r.database, r.channel, r.mix) == key]
        naive = [r.rate() for r in runs if r.server == "naive"]
        base = statistics.median(naive) if naive else math.nan
        for name in PINTUS:
            pintu = [r for r in runs if r.server == name]
            if not pintu:
                continue
            rate = statistics.median(r.rate() for r in pintu)
            replies = [s for r in pintu for s in (r.officer or [])]
            reply = f"{statistics.median(replies) * 1000:.0f}" if replies else ""
            lines.append(
                f"| {key[0]} | {key[1]} | {key[2]} | {name} | {base:,.0f} | {rate:,.0f} | "
                f"{rate / base:.2f} | {max(r.pct(0.99) for r in pintu):.1f} | "
                f"{statistics.median(r.cpu_ms_per_update() for r in pintu):.2f} | {reply} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="parse,naive,pintu")
    parser.add_argument("--channel", default="telegram", help="telegram, whatsapp or both")
    parser.add_argument("--mix", default="complaint", help=f"one or more of {','.join(MIXES)}")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--database", help="a PostgreSQL URL (recreated per run) instead of SQLite")
    parser.add_argument("--postgres", help="with --matrix: also every setup on this PostgreSQL URL")
    parser.add_argument("--officer", action="store_true", help="time officers' replies too")
    parser.add_argument(
        "--code", type=Path, help="the server 'before' is pintu from this checkout (e.g. main's)"
    )
    parser.add_argument(
        "--profile", type=Path, help="a directory for py-spy samples of pintu's measured load"
    )
    parser.add_argument(
        "--matrix",
        action="store_true",
        help="naive and pintu, both channels, the free-text and first-message mixes, officer "
        "replies, SQLite (and --postgres); the summary table only",
    )
    args = parser.parse_args()
    channels = ("telegram", "whatsapp") if args.channel == "both" else (args.channel,)
    mixes = tuple(args.mix.split(","))
    databases: tuple[str | None, ...] = (args.database,)
    servers = args.servers.split(",")
    officer = args.officer
    if args.matrix:
        channels, mixes, officer = ("telegram", "whatsapp"), ("freetext", "first"), True
        servers = ["naive", "before", "pintu"] if args.code else ["naive", "pintu"]
        databases = (None, args.postgres) if args.postgres else (None,)
    os.sched_setaffinity(0, {1})
    fake_port = free_port()
    fake_command = [
        sys.executable, "-m", "bench.fake_bot_api", str(fake_port), TOKEN, GRAPH_TOKEN,
        PHONE_NUMBER_ID,
    ]  # fmt: skip
    fake = start(fake_command, dict(os.environ), 1)
    results: list[Result] = []
    print(  # noqa: T201 - a benchmark prints its table
        f"\n{args.connections} connections, {args.seconds:g} s a run after ~1 s of warm-up, "
        f"{args.chats} chats, {args.rounds} interleaved round(s)\n"
    )
    if not args.matrix:
        print(HEADER)  # noqa: T201
    try:
        wait_healthy(fake_port, fake)
        for database in databases:
            for channel in channels:
                for mix in mixes:
                    setup = Setup(
                        channel, mix, database, args.seconds, args.connections, args.chats,
                        officer, args.profile, args.code,
                    )  # fmt: skip
                    for run in range(1, args.rounds + 1):
                        for name in servers:
                            result = run_server(name, setup, f"http://127.0.0.1:{fake_port}")
                            results.append(result)
                            # the matrix prints each run as it ends on stderr, the summary on stdout
                            out = sys.stderr if args.matrix else sys.stdout
                            print(result.row(run), file=out, flush=True)
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print("\n" + summary(results))  # noqa: T201


if __name__ == "__main__":
    main()
