"""The engine and the flows load no database, HTTP, web-framework or platform
library, directly or through anything they import (DESIGN §2)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import bot.flows

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "sqlalchemy",
    "sqlmodel",
    "httpx",
    "fastapi",
    "starlette",
    "telegram",
    "asyncpg",
    "aiosqlite",
    "uvicorn",
)


def pure_modules() -> list[str]:
    flows = [f"bot.flows.{info.name}" for info in pkgutil.iter_modules(bot.flows.__path__)]
    return ["bot.engine.core", "bot.engine.stored", "bot.flows", *flows]


def test_the_engine_and_every_flow_load_no_io_library() -> None:
    probe = (
        "import importlib, json, sys\n"
        f"for name in {pure_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "bot" in loaded  # the probe did import pintu
    assert loaded & set(FORBIDDEN) == set()
