"""Where every channel's events go: the books a channel itself never keeps.

A channel parses a request into events (`bot.domain.channel`); `Intake`
takes them from there, each on its own:

- `Said`: the attachment is fetched (through the channel) and stored, and the
  event handed to the `ConversationRunner`, exactly once. Only when the
  conversation can take a file (`Engine.takes_file`: a photo step, a note to
  a case, a follow-up) is it fetched and stored at all; otherwise the event
  is handed in without it and the citizen asked to send it when a photo is
  asked for. A fetched file that is refused, and any file that could not be
  written (a full disk), is handed in without it (the engine explains).
  When the citizen's ids disagree with their contact, the contact is
  reconciled first (`bot.ingress.identity`).
- `Seen`, `Reachability`: recorded, deduplicated by event id.
- `DeliveryReport`: deduplicated by message id and status, then advances the
  message's delivery or, for a failure, goes to the outbox sender as if its
  send had failed.
- `Unreadable`, and any event whose handling fails: a dead letter.

`receive` never raises while the database works: a platform is answered 2xx
once everything is committed or buried, so it stops redelivering. While the
database is away it raises `DatabaseUnavailable` (answered 503: redeliver).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.channel import (
    ChannelHandler,
    DeliveryReport,
    Event,
    Reachability,
    Said,
    Seen,
)
from bot.domain.clock import Clock
from bot.domain.messages import FileRefusal, Inbound
from bot.engine.stored import state_from_json
from bot.ingress.hotpath import Handled, IdentityUnsettled
from bot.ingress.identity import reconcile
from bot.ingress.runner import ConversationRunner
from bot.media.store import RejectedFile, StorageFailed, Upload
from bot.outbox import delivery
from bot.outbox.deadletters import bury_now
from bot.outbox.sender import OutboxSender
from bot.services.casework import OPEN_STATUSES
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import run_on
from bot.storage.faults import DatabaseUnavailable, is_unavailable
from bot.storage.tables import cases, contacts, conversations, inbound_events

log = logging.getLogger(__name__)


class Intake:
    def __init__(
        self, *, db: AsyncEngine, runner: ConversationRunner, sender: OutboxSender, clock: Clock
    ) -> None:
        self.db = db
        self.runner = runner
        self.sender = sender
        self.clock = clock

    async def receive(
        self, channel: ChannelHandler, events: Sequence[Event]
    ) -> list[Handled | None]:
        """Handle every event on its own; what a `Said` became (None for the rest).

        Never raises, but `DatabaseUnavailable` while the database is away: an
        event that cannot be handled becomes a dead letter.
        """
        outcomes: list[Handled | None] = []
        for event in events:
            outcome = None
            try:
                outcome = await self._receive(channel, event)
            except Exception as error:  # never a 5xx: keep the event for an admin instead
                await self.bury_failed(channel.channel, _kind(event), error, _kept(event))
            outcomes.append(outcome)
        return outcomes

    async def _receive(self, channel: ChannelHandler, event: Event) -> Handled | None:
        if isinstance(event, Said):
            return await self.handle(channel, event)
        if isinstance(event, Seen):
            await self.runner.record_only(channel.channel, event.event_id)
        elif isinstance(event, Reachability):
            await self.runner.set_reachable(
                channel.channel, event.event_id, event.external_id, reachable=event.reachable
            )
        elif isinstance(event, DeliveryReport):
            await self._report(channel.channel, event)
        else:
            await self.bury(channel.channel, event.reason, event.payload)
        return None

    async def handle(
        self,
        channel: ChannelHandler,
        said: Said,
        *,
        admit: Callable[[int], Awaitable[None]] | None = None,
    ) -> Handled:
        """Hand one message in; returns after it is committed.

        A file the citizen posted to pintu itself (`Attachment.data`) that is
        refused raises `RejectedFile`: the citizen is there to be told. Such a
        file's size goes to `admit` before it is stored, which may raise to
        refuse it (the web chat's quotas); nothing is handed in then.
        """
        upload, fetched = None, False
        attachment, inbound = said.attachment, said.inbound
        if attachment is not None and not await self._takes_file(channel.channel, inbound):
            attachment = None
            inbound = replace(inbound, file_refused=FileRefusal.NOT_EXPECTED)
        if attachment is not None and attachment.data is not None:
            if admit is not None:
                await admit(len(attachment.data))
            upload = Upload(attachment.data, attachment.declared_type, posted=True)
        elif attachment is not None:
            data = await channel.fetch(attachment)
            upload, fetched = (Upload(data) if data else None), True
        if said.identity is not None:
            inbound = replace(inbound, verify_identity=True)
        try:
            return await self._hand_in(inbound, upload, retry_without_file=fetched)
        except IdentityUnsettled:  # rare: a new BSUID, a changed number, messages held
            assert said.identity is not None  # only a verified identity is ever unsettled
            external_id, released = await reconcile(
                self.db,
                channel.channel,
                said.identity,
                sent_at=said.sent_at,
                now=self.clock.now(),
            )
            if released:
                self.sender.wake()
            settled = replace(inbound, sender_id=external_id, verify_identity=False)
            return await self._hand_in(settled, upload, retry_without_file=fetched)

    async def _hand_in(
        self, inbound: Inbound, upload: Upload | None, *, retry_without_file: bool
    ) -> Handled:
        try:
            return await self.runner.handle(inbound, upload)
        except RejectedFile:
            if not retry_without_file:
                raise
            refused = replace(inbound, file_refused=FileRefusal.NOT_ACCEPTED)
            return await self.runner.handle(refused)  # the engine explains the refusal
        except StorageFailed as failed:
            log.error("%s file not stored: %s", inbound.channel, failed)
            refused = replace(inbound, file_refused=FileRefusal.NOT_SAVED)
            return await self.runner.handle(refused)  # the report goes on without it

    async def _takes_file(self, channel: str, inbound: Inbound) -> bool:
        """Whether the citizen's conversation, as it stands, would use a file."""
        open_case = select(cases.c.id).where(
            cases.c.contact_id == contacts.c.id, cases.c.status.in_(OPEN_STATUSES)
        )
        query = (
            select(conversations.c.state, open_case.exists().label("open_cases"))
            .select_from(contacts.outerjoin(conversations))
            .where(contacts.c.channel == channel, contacts.c.external_id == inbound.sender_id)
        )
        async with self.db.connect() as conn:
            found = (await conn.execute(query)).first()
        if found is None:
            return False  # a stranger: nothing is asked of them yet
        state = state_from_json(found.state)
        return self.runner.engine.takes_file(state, has_open_cases=bool(found.open_cases))

    async def _report(self, channel: str, report: DeliveryReport) -> None:
        now = self.clock.now()
        retry = False
        async with self.db.begin() as conn:
            seen = {"channel": channel, "external_id": report.event_id, "received_at": now}
            if not await insert_ignoring_duplicates(conn, inbound_events, seen):
                return
            failure = report.failure
            if failure is not None:
                retry = await run_on(
                    conn,
                    lambda tx: self.sender.record_late_failure(
                        tx, channel=channel, external_message_id=report.message_id, failure=failure
                    ),
                )
            else:
                await run_on(
                    conn,
                    lambda tx: delivery.record_report(
                        tx,
                        channel=channel,
                        external_message_id=report.message_id,
                        status=report.status,
                    ),
                )
        if retry:
            self.sender.wake()

    async def bury_failed(self, channel: str, what: str, error: Exception, payload: str) -> None:
        """Keep a payload whose handling raised `error`, for an admin; but while the
        database is away raise `DatabaseUnavailable` (503: the platform redelivers it)."""
        if is_unavailable(error):
            raise DatabaseUnavailable from error
        reason = f"{what} could not be handled: {type(error).__name__}"
        # The type and place only: messages of database errors carry the
        # statement's parameters, which can be a citizen's phone number.
        log.error("%s %s (%s)", channel, reason, _where(error))
        await self.bury(channel, reason, payload)

    async def bury(self, channel: str, reason: str, payload: str) -> None:
        """Keep what a channel's platform sent, unhandled, for an admin."""
        await bury_now(
            self.db,
            source=f"{channel}:webhook",
            reason=reason,
            payload=payload,
            now=self.clock.now(),
        )


def _kind(event: Event) -> str:
    if isinstance(event, Said):
        return "message"
    return "status" if isinstance(event, DeliveryReport) else "event"


def _kept(event: Event) -> str:
    """The payload to keep for `event`; never raises (it runs when something already went wrong)."""
    keep = getattr(event, "keep", None)
    try:
        return keep() if keep is not None else repr(event)[:10_000]
    except Exception as error:  # a payload too deep to serialise, say
        return f"(payload not kept: {type(error).__name__})"


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
