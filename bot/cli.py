"""The `pintu` command (part of the composition root, like `bot.app`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import uvicorn

from backoffice.cli_support import (
    add_officer_command,
    disable_officer_command,
    list_officers_command,
    reset_password_command,
)
from backoffice.officers import OfficerError
from bot.app import telegram_from
from bot.domain.clock import SystemClock
from bot.domain.i18n import Translator
from bot.handlers.console import ConsoleChannel, chat_loop, console_identity
from bot.handlers.telegram import register_webhook
from bot.logs import logging_config
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database

PRIVATE_UMASK = 0o077
"""Whatever the service creates (database, media, exports) is for its own user only."""


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

    telegram_commands = commands.add_parser("telegram", help="Telegram channel setup")
    set_webhook = telegram_commands.add_subparsers(title="telegram commands").add_parser(
        "set-webhook", help="register URL as the webhook, with the secret and the command menu"
    )
    set_webhook.add_argument("url", help="public HTTPS URL ending in /webhooks/telegram")
    set_webhook.set_defaults(run=_telegram_set_webhook)

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
    add.add_argument("--unit", default=None, help="the unit's code (default: the root unit)")
    add.set_defaults(run=_officer_add)
    disable = officer.add_parser("disable", help="disable an officer; their tokens stop at once")
    disable.add_argument("username")
    disable.set_defaults(run=_officer_disable)
    reset = officer.add_parser(
        "reset-password", help="give an officer a new random password (shown once)"
    )
    reset.add_argument("username")
    reset.set_defaults(run=_officer_reset_password)
    listing = officer.add_parser("list", help="every officer: username, role, unit, active")
    listing.set_defaults(run=_officer_list)
    return parser


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.workers > 1 and settings.is_sqlite:
        sys.stderr.write("pintu: several workers need PostgreSQL (PINTU_DATABASE_URL)\n")
        return 2
    os.umask(PRIVATE_UMASK)
    print(  # noqa: T201 - for the operator
        f"pintu: web chat http://{args.host}:{args.port}/chat · "
        f"officers' inbox http://{args.host}:{args.port}/backoffice/ · "
        f"API docs http://{args.host}:{args.port}/docs",
        flush=True,
    )
    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The same proxies the web chat reads forwarded addresses from (`client_address`):
        # uvicorn then takes the scheme (https behind TLS) from them, and from no one else.
        proxy_headers=bool(settings.trusted_proxy_networks),
        forwarded_allow_ips=settings.trusted_proxies,
        log_config=logging_config(settings.log_format, settings.log_level),
    )
    return 0


def _chat(_args: argparse.Namespace) -> int:
    settings = Settings()
    console = ConsoleChannel(sys.stdout)
    runtime = build_runtime(settings, SystemClock(), {console.channel: console})
    asyncio.run(_talk(runtime, console_identity(settings.var_dir)))
    return 0


async def _talk(runtime: Runtime, sender_id: str) -> None:
    """The terminal conversation, with this process's own outbox sender beside it."""
    await upgrade_database(runtime.db)
    background = asyncio.create_task(runtime.sender.run_forever())
    try:
        await chat_loop(runtime, sender_id, sys.stdin, sys.stdout)
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await runtime.close()


def _db_upgrade(_args: argparse.Namespace) -> int:
    async def upgrade() -> None:
        engine = create_engine(Settings().database_url)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    print("pintu: database is up to date")  # noqa: T201 - for the operator
    return 0


def _telegram_set_webhook(args: argparse.Namespace) -> int:
    settings = Settings()
    channel = telegram_from(settings)
    if channel is None or settings.telegram_webhook_secret is None:
        sys.stderr.write("pintu: set PINTU_TELEGRAM_BOT_TOKEN and PINTU_TELEGRAM_WEBHOOK_SECRET\n")
        return 2
    secret = settings.telegram_webhook_secret.get_secret_value()
    translator = Translator(settings.locales_dir, settings.default_locale, settings.timezone)

    async def register() -> None:
        try:
            await register_webhook(channel, url=args.url, secret=secret, translator=translator)
        finally:
            await channel.close()

    asyncio.run(register())
    print(f"pintu: Telegram webhook set to {args.url}")  # noqa: T201 - for the operator
    return 0


def _officer_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        typed = sys.stdin.readline().rstrip("\n")
    else:
        typed = getpass.getpass(f"Password for {args.username} (empty: generate one): ")
    try:
        generated = asyncio.run(
            add_officer_command(
                Settings(),
                username=args.username,
                password=typed or None,
                role=args.role,
                full_name=args.full_name,
                unit=args.unit,
            )
        )
    except OfficerError as error:
        sys.stderr.write(f"pintu: {error}\n")
        return 1
    print(f"pintu: officer {args.username!r} ({args.role}) created")  # noqa: T201
    if generated is not None:
        print(f"pintu: password (shown only now): {generated}")  # noqa: T201
    return 0


def _officer_disable(args: argparse.Namespace) -> int:
    try:
        asyncio.run(disable_officer_command(Settings(), username=args.username))
    except OfficerError as error:
        sys.stderr.write(f"pintu: {error}\n")
        return 1
    print(f"pintu: officer {args.username!r} disabled; their tokens are refused")  # noqa: T201
    return 0


def _officer_reset_password(args: argparse.Namespace) -> int:
    try:
        password = asyncio.run(reset_password_command(Settings(), username=args.username))
    except OfficerError as error:
        sys.stderr.write(f"pintu: {error}\n")
        return 1
    print(f"pintu: new password for {args.username!r} (shown only now): {password}")  # noqa: T201
    return 0


def _officer_list(_args: argparse.Namespace) -> int:
    for view in asyncio.run(list_officers_command(Settings())):
        state = "active" if view.active else "disabled"
        print(f"{view.username}\t{view.role}\t{view.unit}\t{state}\t{view.full_name}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
