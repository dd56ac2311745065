"""The outbox sender's policy: retry-after honoured, backoff, dead letters, order, priority."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, update

from bot.domain.channel import (
    ContactUnreachable,
    PermanentFailure,
    Recipient,
    SendError,
    SendReceipt,
    TemporaryFailure,
    Throttled,
)
from bot.domain.clock import ManualClock
from bot.domain.messages import Outbound
from bot.outbox.queue import enqueue
from bot.outbox.retries import RetryPolicy
from bot.outbox.sender import OutboxSender
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.migrate import upgrade_database
from bot.storage.tables import contacts, dead_letters, outbox


@dataclass
class ScriptedChannel:
    """A channel whose platform answers as scripted, recording every attempt."""

    channel: str = "scripted"
    script: list[SendError | None] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        self.attempts.append(message.text)
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return SendReceipt(external_id=f"ext-{len(self.attempts)}")


@pytest.fixture
def channel() -> ScriptedChannel:
    return ScriptedChannel()


@pytest.fixture
async def sender_runtime(
    settings: Settings, clock: ManualClock, channel: ScriptedChannel
) -> AsyncIterator[Runtime]:
    runtime = build_runtime(settings, clock, {channel.channel: channel})
    await upgrade_database(runtime.db)
    yield runtime
    await runtime.close()


async def add_contact(runtime: Runtime, external_id: str = "c1") -> int:
    async with runtime.db.begin() as conn:
        result = await conn.execute(
            insert(contacts)
            .values(
                channel="scripted",
                external_id=external_id,
                locale="id",
                locale_chosen=False,
                broadcast_opt_in=True,
                reachable=True,
                created_at=runtime.clock.now(),
            )
            .returning(contacts.c.id)
        )
        return int(result.scalar_one())


async def queue(runtime: Runtime, contact_id: int, text: str, *, urgent: bool = False) -> int:
    """Enqueue one message; the id of its outbox row."""
    async with runtime.db.begin() as conn:
        await enqueue(
            conn,
            contact_id=contact_id,
            channel="scripted",
            message=Outbound(text=text, urgent=urgent),
            now=runtime.clock.now(),
        )
        return int(await conn.scalar(select(func.max(outbox.c.id))) or 0)


async def row(runtime: Runtime, row_id: int) -> dict[str, object]:
    async with runtime.db.connect() as conn:
        found = (await conn.execute(select(outbox).where(outbox.c.id == row_id))).one()
    return dict(found._mapping)


async def test_throttled_send_waits_exactly_retry_after_and_sends_once(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    channel.script = [Throttled("429", retry_after=7)]
    assert await sender_runtime.sender.send_due() == 1
    clock.advance(6.9)
    assert await sender_runtime.sender.send_due() == 0  # not before retry_after
    clock.advance(0.2)
    assert await sender_runtime.sender.send_due() == 1
    assert channel.attempts == ["halo", "halo"]
    sent = await row(sender_runtime, row_id)
    assert sent["status"] == "sent"
    assert sent["external_message_id"] == "ext-2"
    assert sent["attempts"] == 1  # waiting as told is no failed attempt
    assert await sender_runtime.sender.send_due() == 0  # never sent again


async def test_temporary_failures_back_off_then_dead_letter(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    attempts = sender_runtime.settings.outbox_max_attempts
    channel.script = [TemporaryFailure("502 bad gateway")] * attempts
    for _ in range(attempts):
        assert await sender_runtime.sender.send_due() == 1
        clock.advance(sender_runtime.settings.outbox_backoff_max_seconds * 1.3)
    assert len(channel.attempts) == attempts
    dead = await row(sender_runtime, row_id)
    assert dead["status"] == "dead"
    async with sender_runtime.db.connect() as conn:
        [letter] = (await conn.execute(select(dead_letters))).all()
    assert "gave up after" in letter.reason
    assert await sender_runtime.sender.send_due() == 0


async def test_backoff_grows_between_attempts(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    channel.script = [TemporaryFailure("timeout"), TemporaryFailure("timeout")]
    delays = []
    for _ in range(2):
        started = clock.now()
        assert await sender_runtime.sender.send_due() == 1
        due = (await row(sender_runtime, row_id))["next_attempt_at"]
        assert isinstance(due, datetime)
        delays.append((due - started).total_seconds())
        clock.advance(60)
    assert 0 < delays[0] < delays[1]
    assert delays[1] <= sender_runtime.settings.outbox_backoff_max_seconds * 1.2


async def test_permanent_refusal_is_never_retried(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    channel.script = [PermanentFailure("400 bad request: chat not found")]
    await sender_runtime.sender.send_due()
    clock.advance(3600)
    assert await sender_runtime.sender.send_due() == 0
    assert channel.attempts == ["halo"]
    assert (await row(sender_runtime, row_id))["status"] == "dead"
    async with sender_runtime.db.connect() as conn:
        [letter] = (await conn.execute(select(dead_letters))).all()
    assert letter.reason == "400 bad request: chat not found"


async def test_unreachable_contact_is_marked(
    sender_runtime: Runtime, channel: ScriptedChannel
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    channel.script = [ContactUnreachable("403 blocked by the user")]
    await sender_runtime.sender.send_due()
    assert (await row(sender_runtime, row_id))["status"] == "failed"
    async with sender_runtime.db.connect() as conn:
        reachable = await conn.scalar(select(contacts.c.reachable).where(contacts.c.id == contact))
    assert reachable is False


async def test_one_contacts_messages_keep_their_order_across_a_retry(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    await queue(sender_runtime, contact, "first")
    await queue(sender_runtime, contact, "second")
    channel.script = [Throttled("429", retry_after=5)]
    await sender_runtime.sender.send_due()
    assert await sender_runtime.sender.send_due() == 0  # "second" waits behind "first"
    clock.advance(5)
    await sender_runtime.sender.send_due()
    await sender_runtime.sender.send_due()
    assert channel.attempts == ["first", "first", "second"]


async def test_urgent_messages_overtake_queued_ones(
    sender_runtime: Runtime, channel: ScriptedChannel
) -> None:
    sender_runtime.sender.batch_size = 1
    quiet = [await add_contact(sender_runtime, f"c{n}") for n in range(3)]
    for contact in quiet:
        await queue(sender_runtime, contact, f"survey {contact}")
    alarm = await add_contact(sender_runtime, "duty")
    await queue(sender_runtime, alarm, "URGENT", urgent=True)
    await sender_runtime.sender.send_due()
    assert channel.attempts == ["URGENT"]


async def test_crashed_send_is_retried_after_its_lease(
    sender_runtime: Runtime, channel: ScriptedChannel, clock: ManualClock
) -> None:
    contact = await add_contact(sender_runtime)
    row_id = await queue(sender_runtime, contact, "halo")
    async with sender_runtime.db.begin() as conn:  # as if a worker died mid-send
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(status="sending", claimed_until=clock.now(), attempts=1)
        )
    assert await sender_runtime.sender.send_due() == 0
    clock.advance(1)
    assert await sender_runtime.sender.send_due() == 1
    assert (await row(sender_runtime, row_id))["status"] == "sent"


async def test_the_sender_stops_when_cancelled_just_as_it_is_woken(runtime: Runtime) -> None:
    """Python 3.11's `wait_for` swallows a cancellation that arrives as the awaited
    event is set; the sender loop must stop anyway, or shutting down hangs."""
    sender = OutboxSender(
        db=runtime.db,
        writer=runtime.runner.writer,
        handlers={},
        clock=runtime.clock,
        policy=RetryPolicy(max_attempts=1, backoff_base=1.0, backoff_max=1.0),
        poll_seconds=60.0,
        gate=runtime.runner.gate,
    )
    loop = asyncio.create_task(sender.run_forever())
    for _ in range(3):
        await asyncio.sleep(0)  # let it reach its wait for work
    sender.wake()
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=2.0)
    assert done == {loop}
    assert loop.cancelled()
