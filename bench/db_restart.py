"""PostgreSQL restarted under webhook traffic: pintu answers 503 while it is away and recovers.

A fault run, not a speed benchmark. pintu runs as one uvicorn worker on a
fresh PostgreSQL database with a fake Bot API on loopback; ``--chats`` Telegram
chats post free-text updates in order, each redelivering an update until it is
answered 2xx (as Telegram does). After ``--restart-after`` seconds the
PostgreSQL cluster is restarted (``pg_ctlcluster … restart``: it disturbs every
other user of the server, so run this alone). Printed: the answers by status,
how long the webhook was refused and how soon after PostgreSQL was back it
answered 200 again, whether every update answered 2xx is stored, and whether
every reply queued reached the fake platform.

    .venv/bin/python -m bench.db_restart --database postgresql+asyncpg://postgres@127.0.0.1/pintu_restart
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.webhook_load import (
    FREE_TEXT,
    SECRET,
    TOKEN,
    free_port,
    fresh_database,
    psql,
    start,
    wait_healthy,
)

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


class Traffic:
    """Each chat's updates in order; an update is posted again until answered 2xx."""

    def __init__(self, chats: int) -> None:
        self.chats = chats
        self.answers: Counter[str] = Counter()
        self.acked = 0
        self.refused_at: list[float] = []  # when a webhook was not answered 2xx
        self.ok_at: list[float] = []
        self._ids = iter(range(1, 10**9))

    async def chat(self, client: httpx.AsyncClient, chat: int, until: float) -> None:
        number = 0
        while time.monotonic() < until:
            update_id = next(self._ids)
            text = FREE_TEXT[(chat + number) % len(FREE_TEXT)]
            number += 1
            body = json.dumps(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": update_id,
                        "date": int(time.time()),
                        "chat": {"id": 500_000 + chat, "type": "private"},
                        "from": {"id": 500_000 + chat, "is_bot": False, "first_name": "Warga"},
                        "text": text,
                    },
                }
            )
            while True:  # Telegram redelivers until it gets a 2xx
                try:
                    response = await client.post("/webhooks/telegram", content=body)
                    status = str(response.status_code)
                except httpx.TransportError as error:
                    status = type(error).__name__
                self.answers[status] += 1
                if status.startswith("2"):
                    self.acked += 1
                    self.ok_at.append(time.monotonic())
                    break
                self.refused_at.append(time.monotonic())
                await asyncio.sleep(0.5)
            await asyncio.sleep(0.05)


def restart_postgresql() -> tuple[float, float]:
    """Restart the local cluster; when the restart began and when it had finished."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    began = time.monotonic()
    subprocess.run(  # noqa: S603 - a fixed command
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],  # noqa: S607
        check=True,
    )
    return began, time.monotonic()


async def run(args: argparse.Namespace, port: int) -> tuple[Traffic, float, float]:
    traffic = Traffic(args.chats)
    until = time.monotonic() + args.seconds
    limits = httpx.Limits(max_connections=args.chats)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=HEADERS, limits=limits, timeout=30
    ) as client:
        chats = [asyncio.create_task(traffic.chat(client, n, until)) for n in range(args.chats)]
        await asyncio.sleep(args.restart_after)
        began, back = await asyncio.to_thread(restart_postgresql)
        await asyncio.gather(*chats)
    return traffic, began, back


def count(database: str, sql: str) -> int:
    return int(psql(database, sql, database=database.rsplit("/", 1)[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/pintu_restart"
    )
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--restart-after", type=float, default=5.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pintu-restart-"))
    database = fresh_database(args.database, workdir)
    fake_port, port = free_port(), free_port()
    fake = start(
        [sys.executable, "-m", "bench.fake_bot_api", str(fake_port), TOKEN, "x", "1"], {}, None
    )
    env = os.environ | {
        "PINTU_DATABASE_URL": database,
        "PINTU_VAR_DIR": str(workdir),
        "PINTU_ADMIN_PASSWORD": "restart-admin-password",
        "PINTU_TELEGRAM_BOT_TOKEN": TOKEN,
        "PINTU_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PINTU_TELEGRAM_API_URL": f"http://127.0.0.1:{fake_port}",
        "PINTU_OUTBOX_POLL_SECONDS": "0.5",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bot.app:create_app", "--host",
        "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = start(command, env, None)
    try:
        wait_healthy(fake_port, fake)
        wait_healthy(port, server)
        traffic, began, back = asyncio.run(run(args, port))
        deadline = time.monotonic() + 60
        unsent = "SELECT count(*) FROM outbox WHERE status <> 'sent'"
        while count(database, unsent) and time.monotonic() < deadline:
            time.sleep(0.5)
        events = count(database, "SELECT count(*) FROM inbound_events")
        rows = count(database, "SELECT count(*) FROM outbox")
        left = count(database, unsent)
    finally:
        server.terminate()
        server.wait(timeout=30)
        fake.terminate()
        fake.wait(timeout=30)
    during = [t for t in traffic.refused_at if t >= began - 1]
    first_ok_after = min((t for t in traffic.ok_at if t >= back), default=float("nan"))
    lines = (
        f"answers by status: {dict(traffic.answers)}",
        f"PostgreSQL restart took {back - began:.1f} s; webhooks refused for "
        f"{(max(during) - min(during)) if during else 0:.1f} s; first 200 "
        f"{first_ok_after - back:.2f} s after it was back",
        f"updates answered 2xx: {traffic.acked}; stored: {events} "
        f"({'all' if events == traffic.acked else 'MISMATCH'}); replies queued: {rows}, "
        f"unsent after the drain: {left}",
    )
    print("\n".join(lines))  # noqa: T201 - a fault run prints its counts
    if events != traffic.acked or left or traffic.answers.get("500"):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
