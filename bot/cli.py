"""The `pintu` command (part of the composition root, like `bot.app`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import uvicorn

from backoffice.officers import add_officer_command
from bot.clock import SystemClock
from bot.handlers.console import ConsoleChannel, run_chat
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pintu", description="pintu: the police unit's chat front door"
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser(
        "serve", help="run webhooks, web chat, back-office, sender, scheduler"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL only)")
    serve.set_defaults(run=_serve)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.set_defaults(run=_chat)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(run=_db_upgrade)

    officer = commands.add_parser("officer", help="manage officers").add_subparsers(
        title="officer commands"
    )
    add = officer.add_parser(
        "add", help="create an officer (password asked for, or read from stdin)"
    )
    add.add_argument("username")
    add.add_argument("--role", choices=("officer", "supervisor", "admin"), default="officer")
    add.add_argument("--full-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(run=_officer_add)
    return parser


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.workers > 1 and settings.is_sqlite:
        sys.stderr.write("pintu: several workers need PostgreSQL (PINTU_DATABASE_URL)\n")
        return 2
    print(
        f"pintu: web chat http://{args.host}:{args.port}/chat · "
        f"API docs http://{args.host}:{args.port}/docs",
        flush=True,
    )
    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
    )
    return 0


def _chat(_args: argparse.Namespace) -> int:
    settings = Settings()
    console = ConsoleChannel(sys.stdout)
    run_chat(build_runtime(settings, SystemClock(), {console.channel: console}))
    return 0


def _db_upgrade(_args: argparse.Namespace) -> int:
    async def upgrade() -> None:
        engine = create_engine(Settings().database_url)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    print("pintu: database is up to date")
    return 0


def _officer_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
    asyncio.run(
        add_officer_command(
            Settings(),
            username=args.username,
            password=password,
            role=args.role,
            full_name=args.full_name,
        )
    )
    print(f"pintu: officer {args.username!r} ({args.role}) created")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
