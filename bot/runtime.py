"""The long-lived objects of one pintu process, built once from the settings."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.channel import ChannelHandler
from bot.domain.clock import Clock
from bot.domain.i18n import Translator
from bot.domain.sla import SlaPolicy
from bot.domain.survey_forms import Survey
from bot.domain.workdays import WorkingCalendar
from bot.duty.desks import load_desks
from bot.duty.dispatch import Pace
from bot.duty.service import DutyService
from bot.engine.core import Engine
from bot.flows import FLOWS, MENU
from bot.flows.survey import survey_flows
from bot.ingress.intake import Intake
from bot.ingress.runner import ConversationRunner
from bot.media.store import MediaStore
from bot.outbox.ownership import AdvisoryLocks, SoleSender
from bot.outbox.retries import RetryPolicy
from bot.outbox.sender import OutboxSender
from bot.services.broadcasts import BroadcastSender
from bot.services.surveys import load_surveys
from bot.settings import Settings
from bot.storage.database import WriteGate, create_engine, is_postgresql
from bot.storage.direct import writer_for
from bot.storage.files import private_dir, write_private

log = logging.getLogger(__name__)

# Runs a dead letter's payload through the way in it came from, again.
Replay = Callable[[bytes], Awaitable[object]]


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: AsyncEngine
    translator: Translator
    runner: ConversationRunner
    sender: OutboxSender
    intake: Intake
    secret_key: bytes
    evidence_key: bytes  # keys the evidence hash of anonymous reports' files
    duty: DutyService
    surveys: dict[str, Survey]  # the survey definitions (`bot/data/surveys.json`)
    broadcasts: BroadcastSender
    sla: SlaPolicy
    # By dead-letter source (`telegram:webhook`, …): set by the app for each channel on.
    replays: dict[str, Replay] = field(default_factory=dict)

    async def close(self) -> None:
        await self.runner.close()
        await self.db.dispose()


def build_runtime(
    settings: Settings,
    clock: Clock,
    handlers: dict[str, ChannelHandler],
    *,
    collected: frozenset[str] = frozenset(),
) -> Runtime:
    """Wire storage, engine, runner and sender for the channels in `handlers`.

    `collected` names the channels whose sending is recording (the citizen
    collects; no platform behind): every worker sends those, while each
    platform channel is sent by one worker at a time (`bot.outbox.ownership`).
    """
    db = create_engine(settings.database_url)
    gate = WriteGate(db)
    writer = writer_for(settings.database_url, db)
    translator = Translator(settings.locales_dir, settings.default_locale, settings.timezone)
    sender = OutboxSender(
        db=db,
        writer=writer,
        handlers=handlers,
        clock=clock,
        policy=RetryPolicy(
            max_attempts=settings.outbox_max_attempts,
            backoff_base=settings.outbox_backoff_base_seconds,
            backoff_max=settings.outbox_backoff_max_seconds,
            outage_max=settings.outbox_outage_retry_seconds,
        ),
        poll_seconds=settings.outbox_poll_seconds,
        gate=gate,
        rights=(
            AdvisoryLocks(
                db,
                retry_seconds=settings.sender_takeover_seconds,
                locked=frozenset(handlers) - collected,
            )
            if is_postgresql(db)
            else SoleSender()
        ),
    )
    duty = build_duty(settings, db, gate, translator, clock, handlers, on_committed=sender.wake)
    surveys = load_surveys()
    sla = build_sla(settings)
    engine = Engine(
        flows=FLOWS | survey_flows(surveys),
        menu=MENU,
        translator=translator,
        idle_seconds=settings.conversation_idle_seconds,
        desks=duty.desks,
        flood_limit=settings.flood_messages_per_minute,
    )
    runner = ConversationRunner(
        db=db,
        writer=writer,
        gate=gate,
        engine=engine,
        clock=clock,
        media=MediaStore(settings.media_dir, settings.max_upload_bytes),
        default_locale=translator.default_locale,
        duty=duty,
        sla=sla,
        on_committed=sender.wake,
        internal_affairs=settings.internal_affairs_unit,
    )
    secret_key = load_secret_key(settings)
    return Runtime(
        settings=settings,
        clock=clock,
        db=db,
        translator=translator,
        runner=runner,
        sender=sender,
        intake=Intake(db=db, runner=runner, sender=sender, clock=clock),
        secret_key=secret_key,
        evidence_key=evidence_key(settings, secret_key),
        duty=duty,
        surveys=surveys,
        broadcasts=BroadcastSender(
            writer=writer,
            clock=clock,
            translator=translator,
            channels=tuple(handlers),
            batch_size=settings.broadcast_batch_size,
            whatsapp_template=settings.whatsapp_broadcast_template,
            timezone=settings.timezone,
            on_committed=sender.wake,
            concurrent_writers=is_postgresql(db),
        ),
        sla=sla,
    )


def build_sla(settings: Settings) -> SlaPolicy:
    """The SLA clocks' rules, on working days in `PINTU_TIMEZONE`."""
    return SlaPolicy(
        calendar=WorkingCalendar(settings.timezone),
        first_response_days=settings.sla_first_response_days,
        follow_up_days=settings.sla_follow_up_days,
        resolution_days=settings.sla_resolution_days,
        incident_minutes=settings.sla_incident_minutes,
        due_soon_share=settings.sla_due_soon_share,
    )


def build_duty(
    settings: Settings,
    db: AsyncEngine,
    gate: WriteGate,
    translator: Translator,
    clock: Clock,
    handlers: dict[str, ChannelHandler],
    *,
    on_committed: Callable[[], None],
) -> DutyService:
    """The duty desk; its Telegram group only when the Telegram channel is on too."""
    group = settings.duty_telegram_chat_id
    if group is not None and "telegram" not in handlers:
        log.warning(
            "PINTU_DUTY_TELEGRAM_CHAT_ID is set but Telegram is off "
            "(no PINTU_TELEGRAM_BOT_TOKEN): duty alerts go to the back-office only"
        )
        group = None
    return DutyService(
        desks=load_desks(settings.duty_desks_file),
        db=db,
        gate=gate,
        translator=translator,
        clock=clock,
        group_chat_id=group,
        ack_seconds=settings.duty_ack_seconds,
        max_escalations=settings.duty_max_escalations,
        pace=Pace(
            window=timedelta(seconds=settings.duty_alert_group_seconds),
            per_minute=settings.duty_alert_max_per_minute,
        ),
        on_committed=on_committed,
    )


def load_secret_key(settings: Settings) -> bytes:
    """The configured key, or one generated once into the var directory."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path: Path = settings.var_dir / "secret_key"
    if not path.exists():
        private_dir(path.parent)
        write_private(path, secrets.token_urlsafe(32).encode())
    return path.read_text().strip().encode()


def evidence_key(settings: Settings, secret_key: bytes) -> bytes:
    """`PINTU_EVIDENCE_KEY`, or a key derived from the secret key (so one secret
    to keep is enough; set it explicitly to keep evidence hashes across a change
    of the secret key)."""
    if settings.evidence_key is not None:
        return settings.evidence_key.get_secret_value().encode()
    return hmac.new(secret_key, b"pintu evidence key v1", hashlib.sha256).digest()
