"""The I/O around the pure engine: one inbound event, one transaction.

Inside a single transaction the runner records the event (its unique key
makes a redelivery a no-op), finds or creates the contact, loads the
conversation, lets the engine decide, applies the effects and queues the
replies. Only after commit does the caller answer the platform, and the
outbox sender is woken.

Two events from one citizen never interleave: an in-process lock per
contact orders them here, and on PostgreSQL the contact row is locked
`FOR UPDATE` for the length of the transaction, which orders them across
workers too (SQLite's `BEGIN IMMEDIATE` already serialises writers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import casework
from bot.clock import Clock
from bot.engine.core import Engine, Reply, Turn
from bot.engine.effects import AddToCase, OpenCase, SetBroadcastOptIn, SetLocale
from bot.engine.state import ConversationState
from bot.media import MediaStore, Upload
from bot.messages import Inbound
from bot.outbox.queue import enqueue
from bot.references import new_reference
from bot.storage.database import insert_ignoring_duplicates, is_postgresql
from bot.storage.models import Contact, Conversation, InboundEvent

contacts = Contact.__table__  # type: ignore[attr-defined]
conversations = Conversation.__table__  # type: ignore[attr-defined]
inbound_events = InboundEvent.__table__  # type: ignore[attr-defined]


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one inbound event."""

    processed: bool  # False: a redelivery, already handled before
    stale_press: bool = False  # a button of an earlier prompt, not acted on


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    locale: str
    is_new: bool


class ConversationRunner:
    def __init__(
        self,
        *,
        db: AsyncEngine,
        engine: Engine,
        clock: Clock,
        media: MediaStore,
        default_locale: str,
        on_committed: Callable[[], None],
    ) -> None:
        self.db = db
        self.media = media
        self.engine = engine
        self.clock = clock
        self.default_locale = default_locale
        self.on_committed = on_committed
        self._locks = KeyedLocks()

    async def handle(self, inbound: Inbound, upload: Upload | None = None) -> Handled:
        """Process one event exactly once (a redelivery is not processed again).

        An `upload` (a file the channel received with the event) is stored
        in the same transaction and handed to the engine as the event's media.
        Raises `RejectedFile` when the file is unacceptable; nothing is stored then.
        """
        key = (inbound.channel, inbound.sender_id)
        async with self._locks.hold(key), self.db.begin() as conn:
            handled = await self._handle_in(conn, inbound, upload)
        if handled.processed:
            self.on_committed()
        return handled

    async def _handle_in(
        self, conn: AsyncConnection, inbound: Inbound, upload: Upload | None
    ) -> Handled:
        now = self.clock.now()
        if not await self._first_delivery(conn, inbound.channel, inbound.event_id, now):
            return Handled(processed=False)
        contact = await self.contact_for(conn, inbound, now)
        if upload is not None:
            stored = await self.media.save(conn, contact_id=contact.id, upload=upload, now=now)
            inbound = replace(inbound, media=stored)
        state = await self._load_state(conn, contact.id)
        turn = Turn(
            now=now,
            locale=contact.locale,
            first_contact=contact.is_new,
            open_cases=await casework.open_refs(conn, contact.id),
            new_reference=new_reference,
        )
        reply = self.engine.handle(state, inbound, turn)
        await self._apply(conn, reply, contact.id, inbound.channel, now)
        await self._save_state(conn, contact.id, reply.state, now)
        for message in reply.messages:
            await enqueue(
                conn, contact_id=contact.id, channel=inbound.channel, message=message, now=now
            )
        return Handled(processed=True, stale_press=reply.stale_press)

    async def record_only(self, channel: str, event_id: str) -> bool:
        """Note an event that needs no answer (an edit, a channel post); False if seen before."""
        async with self.db.begin() as conn:
            return await self._first_delivery(conn, channel, event_id, self.clock.now())

    async def set_reachable(
        self, channel: str, event_id: str, external_id: str, *, reachable: bool
    ) -> None:
        """Record that a citizen blocked (or unblocked) pintu on their platform."""
        async with self.db.begin() as conn:
            if await self._first_delivery(conn, channel, event_id, self.clock.now()):
                await conn.execute(
                    update(contacts)
                    .where(contacts.c.channel == channel, contacts.c.external_id == external_id)
                    .values(reachable=reachable)
                )

    async def _first_delivery(
        self, conn: AsyncConnection, channel: str, event_id: str, now: datetime
    ) -> bool:
        return await insert_ignoring_duplicates(
            conn,
            inbound_events,
            {"channel": channel, "external_id": event_id, "received_at": now},
        )

    async def contact_for(
        self, conn: AsyncConnection, inbound: Inbound, now: datetime
    ) -> ContactRow:
        """The sender's contact row, created on first contact and locked for this transaction."""
        created = await insert_ignoring_duplicates(
            conn,
            contacts,
            {
                "channel": inbound.channel,
                "external_id": inbound.sender_id,
                "display_name": inbound.sender_name,
                "phone": inbound.phone,
                "locale": self.default_locale,
                "locale_chosen": False,
                "broadcast_opt_in": False,
                "reachable": True,
                "created_at": now,
            },
        )
        query = select(contacts.c.id, contacts.c.locale).where(
            contacts.c.channel == inbound.channel, contacts.c.external_id == inbound.sender_id
        )
        if is_postgresql(conn):
            query = query.with_for_update()
        row = (await conn.execute(query)).one()
        changes: dict[str, object] = {"last_inbound_at": now, "reachable": True}
        if created:
            changes["privacy_noticed_at"] = now
        if inbound.sender_name:
            changes["display_name"] = inbound.sender_name
        if inbound.phone:
            changes["phone"] = inbound.phone
        await conn.execute(update(contacts).where(contacts.c.id == row.id).values(**changes))
        return ContactRow(id=row.id, locale=row.locale, is_new=created)

    async def _load_state(self, conn: AsyncConnection, contact_id: int) -> ConversationState:
        raw = await conn.scalar(
            select(conversations.c.state).where(conversations.c.contact_id == contact_id)
        )
        return ConversationState.from_json(raw)

    async def _save_state(
        self, conn: AsyncConnection, contact_id: int, state: ConversationState, now: datetime
    ) -> None:
        values = {"state": state.to_json(), "active_flow": state.flow, "updated_at": now}
        updated = await conn.execute(
            update(conversations).where(conversations.c.contact_id == contact_id).values(**values)
        )
        if not updated.rowcount:
            await conn.execute(insert(conversations).values(contact_id=contact_id, **values))

    async def expire_idle(self, idle_seconds: float) -> int:
        """End every flow idle for longer than `idle_seconds`, telling each citizen.

        Each conversation is claimed with a conditional update on its
        `updated_at`, so a citizen who writes meanwhile keeps their form.
        """
        now = self.clock.now()
        cutoff = now - timedelta(seconds=idle_seconds)
        expired = 0
        async with self.db.begin() as conn:
            rows = await conn.execute(
                select(
                    conversations.c.contact_id,
                    conversations.c.state,
                    conversations.c.updated_at,
                    contacts.c.locale,
                    contacts.c.channel,
                )
                .join(contacts, contacts.c.id == conversations.c.contact_id)
                .where(
                    conversations.c.active_flow.is_not(None),
                    conversations.c.updated_at < cutoff,
                )
                .limit(500)
            )
            for row in rows.all():
                reply = self.engine.expire(ConversationState.from_json(row.state), row.locale)
                claimed = await conn.execute(
                    update(conversations)
                    .where(
                        conversations.c.contact_id == row.contact_id,
                        conversations.c.updated_at == row.updated_at,
                    )
                    .values(state=reply.state.to_json(), active_flow=None, updated_at=now)
                )
                if not claimed.rowcount:
                    continue
                for message in reply.messages:
                    await enqueue(
                        conn,
                        contact_id=row.contact_id,
                        channel=row.channel,
                        message=message,
                        now=now,
                    )
                expired += 1
        if expired:
            self.on_committed()
        return expired

    async def _apply(
        self, conn: AsyncConnection, reply: Reply, contact_id: int, channel: str, now: datetime
    ) -> None:
        for effect in reply.effects:
            if isinstance(effect, OpenCase):
                await casework.open_case(
                    conn, effect, contact_id=contact_id, channel=channel, now=now
                )
            elif isinstance(effect, AddToCase):
                await casework.add_citizen_message(conn, effect, contact_id=contact_id, now=now)
            elif isinstance(effect, SetLocale):
                await conn.execute(
                    update(contacts)
                    .where(contacts.c.id == contact_id)
                    .values(locale=effect.locale, locale_chosen=True)
                )
            elif isinstance(effect, SetBroadcastOptIn):
                await conn.execute(
                    update(contacts)
                    .where(contacts.c.id == contact_id)
                    .values(
                        broadcast_opt_in=effect.opt_in,
                        broadcast_opted_out_at=None if effect.opt_in else now,
                    )
                )
