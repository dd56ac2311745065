"""Outbox fault runs: what a minute of platform trouble does to the messages queued.

For each fault, a fresh SQLite database with `--chats` Telegram chats and
`--per-chat` messages queued for each, the real Telegram channel and outbox
sender at the default settings (8 attempts, backoff from 2 s, Telegram's
pace), and the tests' fake Bot API on loopback keeping Telegram's limits. The
fault lasts `--seconds` of the manual clock (no real minute passes; the
sender makes a pass every 0.25 s of it), then the platform is well again and
the run goes on until everything is delivered (or 10 minutes have passed):

- 429 storm: every send refused "Too Many Requests: retry after 5";
- 5xx: every send answered 502 Bad Gateway;
- timeouts: every send left unanswered until the client's timeout (0.5 s,
  real) and not taken by the platform;
- lost answers: the first 20 sends taken by the platform, their answers lost
  (the client times out): the one case in which a message may arrive twice;
- unreachable: nothing listens on the platform's port (connection refused).

Printed per fault: messages queued, delivered, delivered twice, chats out of
order, unsent, buried (dead letters), sends tried, refusals by the fake's rate
limits (pintu's pacing failing), tries sooner than a 429's retry_after, and
the seconds from the platform's recovery to the last delivery.

    .venv/bin/python -m bench.outbox_faults
    .venv/bin/python -m bench.outbox_faults --chats 200 --per-chat 5 --seconds 120
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

from bot.domain.clock import ManualClock
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database
from tests.support.fake_telegram import FakeBotAPI, Scripted
from tests.support.faults import (
    Platform,
    Tally,
    limited_fake,
    queue_conversations,
    run_for,
    tally,
    telegram_sender,
)
from tests.support.loopback import running

RECOVERY_LIMIT = 600.0  # seconds of the manual clock allowed after the fault
FIRST_CHAT = 8_000_000

BAD_GATEWAY = Scripted(502, description="Bad Gateway")
FAULTS: dict[str, Callable[[FakeBotAPI], None]] = {
    "429 storm": lambda api: api.fail_next(
        "sendMessage", *[Scripted(429, retry_after=5, description="Too Many Requests")] * 10**6
    ),
    "5xx": lambda api: api.fail_next(
        "sendMessage", *[Scripted(502, description="Bad Gateway")] * 10**6
    ),
    "timeouts": lambda api: api.fail_next("sendMessage", *[Scripted(504, hang=True)] * 10**6),
    "lost answers": lambda api: api.fail_next("sendMessage", *[Scripted(hang=True)] * 20),
    "unreachable": lambda api: None,
}


async def migrated(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'faults.db'}"
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()
    return url


async def one_fault(name: str, args: argparse.Namespace) -> tuple[Tally, float]:
    """Run the fault `name`; its tally and the seconds from recovery to the last delivery."""
    directory = Path(tempfile.mkdtemp(prefix="pintu-faults-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=await migrated(directory),
        var_dir=directory / "var",
        secret_key="bench-secret-key",
    )
    clock = ManualClock()
    api = limited_fake(clock)
    chats = [FIRST_CHAT + n for n in range(args.chats)]
    async with AsyncExitStack() as stack:
        if name == "unreachable":  # learn a port, then leave it closed
            async with running(api):
                port = int(api.url.rsplit(":", 1)[1])
        else:
            await stack.enter_async_context(running(api))
        runtime = await stack.enter_async_context(telegram_sender(settings, api, clock))
        platform = Platform(api, clock)
        FAULTS[name](api)
        await queue_conversations(runtime, chats, args.per_chat)
        await run_for(runtime, platform, args.seconds)
        api.script.clear()  # the platform is well again
        if name == "unreachable":
            await stack.enter_async_context(running(api, port=port))
        everything = args.chats * args.per_chat

        def done() -> bool:
            return len({(p["chat_id"], p["text"]) for p in api.sent()}) >= everything

        recovery = await run_for(runtime, platform, RECOVERY_LIMIT, done=done)
        await run_for(runtime, platform, 5)  # outcomes recorded, nothing sent twice after
        return await tally(runtime, platform, chats, args.per_chat), recovery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each fault")
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    print(  # noqa: T201 - a benchmark prints its table
        "| fault | queued | delivered | twice | out of order | unsent | buried | sends tried"
        " | refused by limits | early retries | s to deliver after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")  # noqa: T201
    for name in args.faults.split(","):
        result, recovery = asyncio.run(one_fault(name, args))
        print(  # noqa: T201
            f"| {name}, {args.seconds:.0f} s | {result.queued} | {result.delivered}"
            f" | {result.twice} | {result.out_of_order} | {result.unsent} | {result.buried}"
            f" | {result.calls}"
            f" | {result.refused_by_limits} | {result.early_retries} | {recovery:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
