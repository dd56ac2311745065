"""Chat latency benchmark: citizens filing complaints through rate-limited platform fakes.

pintu runs as one uvicorn worker (uvloop, httptools) pinned to core 0. This
process, on core 1, serves the fake Telegram Bot API and the fake WhatsApp
Graph API on loopback, each refusing sends over the platform's rate limits as
the platform does (`tests/support/platform_limits.py`: Telegram about one
message a second per chat with bursts of 3 and 30 a second in all, answered
with 429 and a retry_after; WhatsApp 80 a second per number and one per 6 s
per user with bursts of 45, answered with 130429 and 131056), and plays the
citizens: each posts a message to the webhook, waits for the bot's answer,
then answers the next question, through a whole complaint.

Measured per citizen message: the time from the webhook POST to the fake
platform accepting the bot's first answer to it. Printed: p50/p95/p99 per
channel, the bot's accepted sends per second, the platforms' refusals, and
pintu's peak RSS.

    .venv/bin/python -m bench.chat_latency                    # 100 citizens, half on each
    .venv/bin/python -m bench.chat_latency --code /tmp/main   # the server from another checkout
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

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
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.loopback import running
from tests.support.platform_limits import PlatformLimits, telegram_limits, whatsapp_limits

ROOT = Path(__file__).resolve().parent.parent
# A complaint typed step by step, as `bench.webhook_load` walks it.
SCRIPT = (
    "halo",
    "pengaduan",
    "2",
    "Petugas di loket meminta biaya tambahan tanpa kuitansi resmi kemarin siang.",
    "lewati",
    "tidak",
    "kirim",
)


@dataclass
class Inbox:
    """What the fake platform accepted for one citizen, as it arrived."""

    arrived: list[float] = field(default_factory=list)
    news: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self) -> None:
        self.arrived.append(time.perf_counter())
        self.news.set()


@dataclass
class Citizen:
    channel: str
    number: int
    inbox: Inbox = field(default_factory=Inbox)

    @property
    def key(self) -> str:
        """How the fake platform names this citizen: chat id, or "+" and phone."""
        if self.channel == "telegram":
            return str(300_000 + self.number)
        return f"+{6281300000000 + self.number}"

    def body(self, update_id: int, text: str) -> bytes:
        if self.channel == "telegram":
            chat = int(self.key)
            message = {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Warga"},
                "from": {"id": chat, "is_bot": False, "first_name": "Warga"},
                "text": text,
            }
            return json.dumps({"update_id": update_id, "message": message}).encode()
        phone = self.key.lstrip("+")
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "62711000110", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": phone}],
            "messages": [
                {
                    "from": phone,
                    "id": f"wamid.latency.{update_id}",
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
        change = {"field": "messages", "value": value}
        entry = [{"id": "1", "changes": [change]}]
        return json.dumps({"object": "whatsapp_business_account", "entry": entry}).encode()

    def headers(self, body: bytes) -> dict[str, str]:
        if self.channel == "telegram":
            return {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        signature = hmac.new(APP_SECRET, body, "sha256").hexdigest()
        return {"X-Hub-Signature-256": f"sha256={signature}"}


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    by_step: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    after_refusal: list[float] = field(default_factory=list)  # refusal to next accepted send
    unanswered: dict[str, int] = field(default_factory=dict)
    sends: int = 0
    started: float = 0.0
    ended: float = 0.0


async def file_complaint(
    citizen: Citizen, http: httpx.AsyncClient, run: Run, args: argparse.Namespace, delay: float
) -> None:
    """Post each step, note when the first answer arrived, answer once the bot is quiet."""
    await asyncio.sleep(delay)
    for step, text in enumerate(SCRIPT):
        seen = len(citizen.inbox.arrived)
        citizen.inbox.news.clear()
        body = citizen.body(citizen.number * 100 + step + 1, text)
        posted = time.perf_counter()
        response = await http.post(
            f"/webhooks/{citizen.channel}", content=body, headers=citizen.headers(body)
        )
        response.raise_for_status()
        if not await _news(citizen.inbox, seen, args.answer_timeout):
            run.unanswered[citizen.channel] = run.unanswered.get(citizen.channel, 0) + 1
            continue
        latency = citizen.inbox.arrived[seen] - posted
        run.latencies[citizen.channel].append(latency)
        run.by_step.setdefault((citizen.channel, step), []).append(latency)
        while await _news(citizen.inbox, len(citizen.inbox.arrived), args.quiet):
            pass  # the rest of the bot's turn
        await asyncio.sleep(random.uniform(0, 2 * args.think))


async def _news(inbox: Inbox, seen: int, within: float) -> bool:
    """Whether more than `seen` messages have arrived, waiting up to `within` seconds."""
    deadline = time.perf_counter() + within
    while len(inbox.arrived) <= seen:
        inbox.news.clear()
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        try:
            async with asyncio.timeout(left):
                await inbox.news.wait()
        except TimeoutError:
            return len(inbox.arrived) > seen
    return True


@asynccontextmanager
async def platforms(
    citizens: dict[str, Citizen], run: Run
) -> AsyncIterator[tuple[FakeBotAPI, FakeGraphAPI]]:
    def arrived(limits: PlatformLimits, key: object) -> None:
        run.sends += 1
        citizens[str(key)].inbox.add()
        refused = limits.refused_at.pop(str(key), None)
        if refused is not None:
            run.after_refusal.append(limits.clock() - refused)

    telegram, whatsapp = telegram_limits(), whatsapp_limits()
    bot_api = FakeBotAPI(
        token=TOKEN, limits=telegram, on_sent=lambda key, _: arrived(telegram, key)
    )
    graph = FakeGraphAPI(
        token=GRAPH_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        limits=whatsapp,
        on_sent=lambda key, _: arrived(whatsapp, key),
    )
    async with running(bot_api), running(graph):
        yield bot_api, graph


def server_env(workdir: Path, bot_api: FakeBotAPI, graph: FakeGraphAPI) -> dict[str, str]:
    return os.environ | {
        "PINTU_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "PINTU_VAR_DIR": str(workdir),
        "PINTU_ADMIN_PASSWORD": "bench-admin-password",
        "PINTU_TELEGRAM_BOT_TOKEN": TOKEN,
        "PINTU_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PINTU_TELEGRAM_API_URL": bot_api.url,
        "PINTU_WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
        "PINTU_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "PINTU_WHATSAPP_APP_SECRET": APP_SECRET.decode(),
        "PINTU_WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
        "PINTU_WHATSAPP_API_URL": graph.url,
    }


async def measure(args: argparse.Namespace) -> None:
    channels = ("telegram", "whatsapp")
    everyone = [Citizen(channels[n % 2], n) for n in range(args.citizens)]
    citizens = {citizen.key: citizen for citizen in everyone}
    run = Run(latencies={channel: [] for channel in channels})
    async with platforms(citizens, run) as (bot_api, graph):
        workdir = Path(tempfile.mkdtemp(prefix="pintu-latency-"))
        port = free_port()
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "bot.app:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
            "--http", "httptools", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        env = server_env(workdir, bot_api, graph)
        server = start_in(args.code, command, env)
        try:
            await asyncio.to_thread(wait_healthy, port, server)
            limits = httpx.Limits(max_connections=args.citizens)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
            ) as http:
                run.started = time.perf_counter()
                await asyncio.gather(
                    *(
                        file_complaint(c, http, run, args, random.uniform(0, args.ramp))
                        for c in everyone
                    )
                )
                run.ended = time.perf_counter()
            rss = peak_rss_kib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(args, run, {"telegram": bot_api.limits, "whatsapp": graph.limits}, rss)


def start_in(code: Path | None, command: list[str], env: dict[str, str]) -> Any:
    """Start the server pinned to core 0, importing `bot` from `code` when given."""
    if code is None:
        return start(command, env, core=0)
    env = env | {"PYTHONPATH": str(code)}
    return start(["env", "-C", str(code), *command], env, core=0)


def report(
    args: argparse.Namespace,
    run: Run,
    limits: dict[str, PlatformLimits | None],
    rss_kib: int,
) -> None:
    seconds = run.ended - run.started
    print(  # noqa: T201 - a benchmark prints its table
        f"\n{args.citizens} citizens (half on each channel), {len(SCRIPT)} messages each, "
        f"start spread over {args.ramp:g} s, answer {args.quiet:g} s after the bot's last "
        f"message + think time 0-{2 * args.think:g} s; {seconds:.1f} s in all\n\n"
        "| channel | messages | p50 s | p95 s | p99 s | max s | unanswered | "
        "refused: chat / overall |\n|---|---|---|---|---|---|---|---|"
    )
    for channel, latencies in run.latencies.items():
        ordered = sorted(latencies) or [float("nan")]

        def pct(p: float, ordered: list[float] = ordered) -> float:
            return percentile(ordered, p)

        refused = limits[channel]
        counts = refused.refusals if refused else {}
        print(  # noqa: T201
            f"| {channel} | {len(latencies)} | {pct(0.50):.2f} | {pct(0.95):.2f} | "
            f"{pct(0.99):.2f} | {ordered[-1]:.2f} | "
            f"{run.unanswered.get(channel, 0)} | "
            f"{counts.get('chat', 0)} / {counts.get('overall', 0)} |"
        )
    print("\np95 s per step (1 = the first message):")  # noqa: T201
    for channel in run.latencies:
        steps = sorted(step for name, step in run.by_step if name == channel)
        p95s = (percentile(sorted(run.by_step[channel, step]), 0.95) for step in steps)
        print(f"  {channel}: " + ", ".join(f"{p:.2f}" for p in p95s))  # noqa: T201
    waits = sorted(run.after_refusal)
    if waits:
        print(  # noqa: T201
            f"\nafter a refusal, the chat's next accepted send came after (s): "
            f"min {waits[0]:.2f}, p50 {percentile(waits, 0.5):.2f}, max {waits[-1]:.2f} "
            f"({len(waits)} refusals followed by a send)"
        )
    print(  # noqa: T201
        f"\nbot's accepted sends: {run.sends} "
        f"({run.sends / seconds:.1f}/s); pintu's peak RSS: {rss_kib / 1024:.0f} MiB"
    )


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--ramp", type=float, default=0.0, help="start spread (s)")
    parser.add_argument("--think", type=float, default=0.5, help="mean extra think time (s)")
    parser.add_argument("--quiet", type=float, default=1.5, help="bot quiet this long: turn over")
    parser.add_argument("--answer-timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--code", type=Path, help="run the server from this checkout")
    args = parser.parse_args()
    random.seed(args.seed)
    os.sched_setaffinity(0, {1})
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
