"""Login flood benchmark: 200 concurrent wrong passwords at the real Argon2 cost.

Each password check holds Argon2's 64 MiB for a few hundred milliseconds.
Without a cap every sign-in waits for one and as many run as the thread pool
has threads; with `PINTU_PASSWORD_CHECKS_CONCURRENT` (default 2) and
`PINTU_PASSWORD_CHECKS_WAITING` (default 16) a few run, a few wait, and the
rest get 503 with Retry-After at once. Each configuration runs in a process
of its own (the app in-process, requests through httpx's ASGI transport, a
fresh SQLite database); printed: the answers by status, the wall time, the
most checks that ran at once, and the process's peak RSS (VmHWM).

    .venv/bin/python -m bench.login_flood
    .venv/bin/python -m bench.login_flood --requests 500
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from backoffice.security import PasswordChecks
from bot.app import create_app
from bot.settings import Settings

CONFIGURATIONS = {"capped": (2, 16), "uncapped": (10_000, 10_000)}


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def flood(concurrent: int, waiting: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp}/pintu.db",
            var_dir=Path(tmp),
            admin_password="bench-admin-password",
            secret_key="bench-secret",
            password_checks_concurrent=concurrent,
            password_checks_waiting=waiting,
        )
        app = create_app(settings, run_workers=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                before = peak_rss_mib()
                started = time.perf_counter()
                answers = await asyncio.gather(
                    *(
                        http.post(
                            "/api/v1/auth/token",
                            data={"username": f"guess{n}", "password": "wrong-password"},
                        )
                        for n in range(requests)
                    )
                )
                elapsed = time.perf_counter() - started
            checks: PasswordChecks = app.state.password_checks
            statuses = collections.Counter(answer.status_code for answer in answers)
            print(  # noqa: T201 - the benchmark's output
                f"checks at once <= {concurrent:>5}, waiting <= {waiting:>5}: "
                f"{dict(sorted(statuses.items()))}, {elapsed:.1f} s, "
                f"most at once {checks.peak}, peak RSS {before:.0f} -> {peak_rss_mib():.0f} MiB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=sorted(CONFIGURATIONS))
    args = parser.parse_args()
    if args.only is not None:
        asyncio.run(flood(*CONFIGURATIONS[args.only], args.requests))
        return
    for name in CONFIGURATIONS:  # one process each: peak RSS is per process
        command = [sys.executable, "-m", "bench.login_flood", "--only", name]
        subprocess.run([*command, "--requests", str(args.requests)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
