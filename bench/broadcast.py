"""Broadcast benchmark: enqueue time, send rate against the platforms' limits, server memory.

    .venv/bin/python -m bench.broadcast                         # 10,000 and 100,000 recipients
    .venv/bin/python -m bench.broadcast --recipients 100000 --window 120 --scale 1

For each audience size: a fresh pintu server (uvicorn, SQLite, its outbox
sender and scheduler running, pinned to core 0) and the fake Telegram and
WhatsApp APIs (`bench.limited_fakes`, core 1) that refuse, as the platforms
do, whatever goes over their limits (Telegram 30 messages/s, WhatsApp 80/s
per number; times `--scale`, and pintu's pacing is configured to the same
numbers). The audience — half Telegram, half WhatsApp, all opted in and
inside WhatsApp's window — is written straight into the database; then an
admin schedules the broadcast through the API and the script watches:

- enqueue: from the 201 until every recipient has its outbox row (the
  broadcast's counts add up to the audience);
- send rate: messages the fakes accepted per second, per channel, over
  `--window` seconds starting 2 s after the enqueue ended (or earlier,
  when a channel ran out of messages first), as a share of the limit;
- 429s: sends the fakes refused;
- conversations during the broadcast: five citizens write to pintu on
  Telegram in the middle of the window; the time until the fake Bot API
  accepted the first answer to each;
- peak RSS (VmHWM) of the server process at the end.

Sending a whole 100,000 at the real limits takes about 28 minutes on
Telegram alone; the script stops after the window.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.limited_fakes import WATCHED_FROM
from bench.webhook_load import (
    APP_SECRET,
    GRAPH_TOKEN,
    PHONE_NUMBER_ID,
    SECRET,
    TOKEN,
    free_port,
    peak_rss_kib,
    start,
    wait_healthy,
)
from bot.storage.direct import sqlite_time
from tests.support.fake_telegram import text_update

ADMIN_PASSWORD = "bench-admin-password"
LIMITS = {"telegram": 30.0, "whatsapp": 80.0}
CITIZENS_TALKING = 5


@dataclass
class Result:
    recipients: int
    enqueue_seconds: float
    rates: dict[str, float]
    limits: dict[str, float]
    refused: dict[str, int]
    reply_seconds: list[float]
    peak_rss_mib: float

    def row(self) -> str:
        share = {name: self.rates[name] / self.limits[name] * 100 for name in self.rates}
        replies = (
            f"{statistics.median(self.reply_seconds):.2f} / {max(self.reply_seconds):.2f}"
            if self.reply_seconds
            else "none answered"
        )
        return (
            f"| {self.recipients:,} | {self.enqueue_seconds:.1f} | "
            f"{self.recipients / self.enqueue_seconds:,.0f} | "
            f"{self.rates['telegram']:.1f} ({share['telegram']:.1f} %) | "
            f"{self.rates['whatsapp']:.1f} ({share['whatsapp']:.1f} %) | "
            f"{self.refused['telegram']} / {self.refused['whatsapp']} | {replies} | "
            f"{self.peak_rss_mib:.0f} |"
        )


def seed(database: Path, recipients: int) -> None:
    """`recipients` opted-in citizens, half on Telegram, half on WhatsApp, all recently active."""
    now = sqlite_time(datetime.now(UTC))
    rows = []
    for n in range(recipients):
        if n % 2:
            rows.append(("whatsapp", f"ID.{10**15 + n}", f"62811{n:08d}", now))
        else:
            rows.append(("telegram", str(10**8 + n), None, now))
    with sqlite3.connect(database) as conn:
        conn.executemany(
            """INSERT INTO contacts (channel, external_id, phone, locale, locale_chosen,
            broadcast_opt_in, reachable, last_inbound_at, created_at)
            VALUES (?, ?, ?, 'id', 0, 1, 1, ?, ?)""",
            [(channel, external, phone, at, at) for channel, external, phone, at in rows],
        )


def run(recipients: int, args: argparse.Namespace, fakes_url: str) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix="pintu-bench-broadcast-"))
    database = workdir / "bench.db"
    port = free_port()
    limits = {name: limit * args.scale for name, limit in LIMITS.items()}
    env = os.environ | {
        "PINTU_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PINTU_VAR_DIR": str(workdir),
        "PINTU_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PINTU_BROADCAST_APPROVAL_MIN": str(10**9),  # no second admin in a benchmark
        "PINTU_BROADCAST_SWEEP_SECONDS": "1",
        "PINTU_TELEGRAM_BOT_TOKEN": TOKEN,
        "PINTU_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PINTU_TELEGRAM_API_URL": fakes_url,
        "PINTU_TELEGRAM_MESSAGES_PER_SECOND": str(limits["telegram"]),
        "PINTU_WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
        "PINTU_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "PINTU_WHATSAPP_APP_SECRET": APP_SECRET.decode(),
        "PINTU_WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
        "PINTU_WHATSAPP_API_URL": f"{fakes_url}/v25.0",
        "PINTU_WHATSAPP_MESSAGES_PER_SECOND": str(limits["whatsapp"]),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bot.app:create_app", "--host",
        "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = start(command, env, core=0)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(port, server)
        seed(database, recipients)
        with httpx.Client(base_url=base, timeout=30) as http, httpx.Client(timeout=10) as fakes:
            return _measure(http, fakes, fakes_url, recipients, limits, args, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _measure(
    http: httpx.Client,
    fakes: httpx.Client,
    fakes_url: str,
    recipients: int,
    limits: dict[str, float],
    args: argparse.Namespace,
    pid: int,
) -> Result:
    form = {"username": "admin", "password": ADMIN_PASSWORD}
    token = http.post("/api/v1/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = fakes.get(f"{fakes_url}/stats").json()
    started = time.monotonic()
    body = {"message": {"id": "Pengumuman uji beban.", "en": "Load test notice."}}
    created = http.post("/api/v1/broadcasts", json=body, headers=headers)
    created.raise_for_status()
    url = f"/api/v1/broadcasts/{created.json()['id']}"
    while True:
        counts = http.get(url, headers=headers).json()["counts"]
        if sum(counts.values()) >= recipients:
            break
        time.sleep(0.2)
    enqueue_seconds = time.monotonic() - started
    time.sleep(2)
    half = recipients // 2
    samples = [(time.monotonic(), fakes.get(f"{fakes_url}/stats").json())]
    talked: dict[int, float] = {}
    deadline = samples[0][0] + args.window
    while time.monotonic() < deadline:
        time.sleep(1)
        samples.append((time.monotonic(), fakes.get(f"{fakes_url}/stats").json()))
        if len(talked) < CITIZENS_TALKING and time.monotonic() > samples[0][0] + args.window / 2:
            chat = WATCHED_FROM + len(talked)
            update = text_update(10**9 + chat % 10**6, chat, "halo")
            secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            talked[chat] = time.time()
            http.post("/webhooks/telegram", json=update, headers=secret).raise_for_status()
        if all(_sent(samples[-1][1], before, name) >= half for name in LIMITS):
            break
    time.sleep(2)  # the last citizens' answers
    final = fakes.get(f"{fakes_url}/stats").json()
    answered = final["answered"]
    return Result(
        recipients=recipients,
        enqueue_seconds=enqueue_seconds,
        rates={name: _rate(samples, before, name, half) for name in LIMITS},
        limits=limits,
        refused={name: final["refused"][name] - before["refused"][name] for name in LIMITS},
        reply_seconds=[answered[str(c)] - t for c, t in talked.items() if str(c) in answered],
        peak_rss_mib=peak_rss_kib(pid) / 1024,
    )


def _sent(stats: dict[str, Any], before: dict[str, Any], name: str) -> int:
    return int(stats["accepted"][name]) - int(before["accepted"][name])


def _rate(
    samples: list[tuple[float, dict[str, Any]]], before: dict[str, Any], name: str, total: int
) -> float:
    """Accepted per second over the window, ending at the last sample before the
    channel ran out of messages (a drained queue is no measure of the pace)."""
    first_at, first = samples[0]
    busy = [(at, stats) for at, stats in samples if _sent(stats, before, name) < total]
    if len(busy) < 2:
        return float("nan")
    last_at, last = busy[-1]
    return (_sent(last, before, name) - _sent(first, before, name)) / (last_at - first_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", default="10000,100000")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of sending measured")
    parser.add_argument("--scale", type=float, default=1.0, help="times the real limits")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    fakes_port = free_port()
    command = [
        sys.executable, "-m", "bench.limited_fakes", str(fakes_port), TOKEN, GRAPH_TOKEN,
        PHONE_NUMBER_ID, str(args.scale),
    ]  # fmt: skip
    results = []
    for recipients in (int(each) for each in args.recipients.split(",")):
        fakes = start(command, dict(os.environ), 1)  # fresh limits and counters per size
        try:
            wait_healthy(fakes_port, fakes)
            results.append(run(recipients, args, f"http://127.0.0.1:{fakes_port}"))
        finally:
            fakes.terminate()
            fakes.wait(timeout=10)
    print(  # noqa: T201 - a benchmark prints its table
        f"\nlimits x{args.scale:g}, window {args.window:g} s\n\n"
        "| recipients | enqueue s | enqueued/s | Telegram msg/s (of limit) | "
        "WhatsApp msg/s (of limit) | refused TG / WA | reply s median / max | peak RSS MiB |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for result in results:
        print(result.row())  # noqa: T201
    print(json.dumps([result.__dict__ for result in results], default=str))  # noqa: T201


if __name__ == "__main__":
    main()
