"""Group commit: a burst of events runs in one transaction, and that changes nothing.

The hot path leaves a batch's conversation states and outbox rows to be
written at the batch's end (`bot.ingress.hotpath.Pending`); a citizen's
second message in the same batch must still see the state the first one
left, and their replies must leave in the order they were written. On
PostgreSQL the batches run on several lanes; a citizen's events stay in one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url

from bot.domain.messages import Inbound, InboundKind
from bot.ingress.hotpath import Handled
from bot.runtime import Runtime
from bot.storage.tables import contacts, conversations, outbox

DESCRIPTION = "Petugas di loket meminta biaya tambahan tanpa kuitansi resmi kemarin siang."


def said(sender: str, number: int, text: str) -> Inbound:
    return Inbound(
        channel="web", sender_id=sender, event_id=f"{sender}-{number}", kind=InboundKind.TEXT,
        text=text,
    )  # fmt: skip


async def burst(runtime: Runtime, events: list[Inbound]) -> list[Handled]:
    """Hand every event in at once, in this order: they share the writer's next batch."""
    return list(await asyncio.gather(*(runtime.runner.handle(event) for event in events)))


async def replies_to(runtime: Runtime, sender: str) -> list[str]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.payload)
            .join(contacts, contacts.c.id == outbox.c.contact_id)
            .where(contacts.c.external_id == sender)
            .order_by(outbox.c.id)
        )
        return [json.loads(payload)["text"] for (payload,) in rows]


async def test_a_citizens_messages_in_one_batch_each_see_the_state_the_one_before_left(
    runtime: Runtime,
) -> None:
    steps = ["halo", "pengaduan", "2", DESCRIPTION]
    others = [said(f"other-{n}", 1, "halo") for n in range(20)]
    events = [said("siti", n, text) for n, text in enumerate(steps)]
    mixed = [event for pair in zip(others, events, strict=False) for event in pair]
    handled = await burst(runtime, mixed + others[len(events) :])
    assert all(result.processed for result in handled)
    replies = await replies_to(runtime, "siti")
    assert len(replies) == len(steps)  # one message a turn, in the order of the turns
    assert "Selamat datang" in replies[0]
    assert "pengaduan" in replies[1].lower()
    assert "Ceritakan apa yang terjadi" in replies[2]  # the category was taken
    assert "foto" in replies[3]  # the description too: the form went on
    async with runtime.db.connect() as conn:
        states = (await conn.execute(select(conversations.c.active_flow))).scalars().all()
    assert len(states) == 21  # one row per citizen, however many turns in the batch


async def test_a_redelivery_in_the_same_batch_is_handled_once(runtime: Runtime) -> None:
    event = said("budi", 1, "halo")
    first, again = await burst(runtime, [event, event])
    assert (first.processed, again.processed) == (True, False)
    assert len(await replies_to(runtime, "budi")) == 1


async def test_copies_of_one_event_among_others_in_one_batch_are_handled_once(
    runtime: Runtime,
) -> None:
    first, second = said("budi", 1, "halo"), said("budi", 2, "pengaduan")
    handled = await burst(runtime, [first, said("ani", 1, "halo"), first, second, second])
    assert [result.processed for result in handled] == [True, True, False, True, False]
    replies = await replies_to(runtime, "budi")
    assert len(replies) == 2
    assert "pengaduan" in replies[1].lower()  # the second event saw the first one's state


async def test_a_new_citizen_greeted_once_when_two_of_their_messages_share_a_batch(
    runtime: Runtime,
) -> None:
    handled = await burst(runtime, [said("sari", 1, "halo"), said("sari", 2, "halo")])
    assert all(result.processed for result in handled)
    replies = await replies_to(runtime, "sari")
    assert sum("Selamat datang" in reply for reply in replies) == 1
    async with runtime.db.connect() as conn:
        found = await conn.execute(select(contacts.c.id).where(contacts.c.external_id == "sari"))
        assert len(found.all()) == 1


async def test_a_later_message_in_the_batch_sees_what_an_earlier_ones_effect_changed(
    runtime: Runtime,
) -> None:
    greeting = said("anna", 1, "Hello, good morning, I need some help please")
    handled = await burst(runtime, [greeting, said("anna", 2, "halo")])
    assert all(result.processed for result in handled)
    replies = await replies_to(runtime, "anna")
    assert "Welcome" in replies[0]  # the greeting chose English for her contact
    assert sum("Welcome" in reply for reply in replies) == 1
    assert replies[-1].startswith("How can we help?")  # her second turn read English back


async def test_a_first_message_while_another_worker_creates_the_same_contact(
    runtime: Runtime,
) -> None:
    """The other worker's new contact is not committed yet: this batch waits for it
    and then handles the message as from a known contact, with one contact row."""
    async with runtime.db.connect() as other:
        await other.begin()
        await other.execute(
            insert(contacts).values(
                channel="web", external_id="dewi", locale="id", created_at=datetime.now(UTC)
            )
        )
        waiting = asyncio.create_task(runtime.runner.handle(said("dewi", 1, "halo")))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # nothing answered before its batch committed
        await other.commit()
    handled = await waiting
    assert handled.processed
    replies = await replies_to(runtime, "dewi")
    assert not any("Selamat datang" in reply for reply in replies)  # not a first contact here
    async with runtime.db.connect() as conn:
        found = await conn.execute(select(contacts.c.id).where(contacts.c.external_id == "dewi"))
        assert len(found.all()) == 1


async def test_a_message_while_another_workers_turn_commits_reads_the_state_it_left(
    runtime: Runtime,
) -> None:
    """Another worker's turn for the same citizen holds their contact until it commits:
    this batch waits for it, and then reads the conversation that turn left, not the
    one before (a read in the statement that waited would see the older one)."""
    await burst(runtime, [said("rina", 1, "halo")])
    await burst(runtime, [said("guide", 1, "halo"), said("guide", 2, "pengaduan")])
    async with runtime.db.connect() as conn:
        ids = dict((await conn.execute(select(contacts.c.external_id, contacts.c.id))).all())
    asked = select(conversations.c.state).where(conversations.c.contact_id == ids["guide"])
    async with runtime.db.connect() as other:  # the other worker: rina said "pengaduan" there
        await other.begin()
        await other.execute(
            update(contacts)
            .where(contacts.c.id == ids["rina"])
            .values(last_inbound_at=datetime.now(UTC))
        )
        await other.execute(
            update(conversations)
            .where(conversations.c.contact_id == ids["rina"])
            .values(state=asked.scalar_subquery(), active_flow="complaint")
        )
        waiting = asyncio.create_task(runtime.runner.handle(said("rina", 2, "2")))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await other.commit()
    assert (await waiting).processed
    replies = await replies_to(runtime, "rina")
    assert "Ceritakan apa yang terjadi" in replies[-1]  # "2" answered the complaint's question


@pytest.fixture
def one_lane(database_url: str) -> None:
    """Skips on PostgreSQL: its lanes are chosen by sender id, so two ids may take two."""
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("two sender ids may take two lanes, so two batches")


async def test_a_citizen_under_two_ids_in_one_batch_is_reconciled_not_doubled(
    one_lane: None, runtime: Runtime
) -> None:
    """A WhatsApp number, then the same number with a new user id, in one batch: the
    second is checked against what the first wrote, so the channel reconciles it
    (`IdentityUnsettled`) instead of a second contact holding the same number."""
    by_number, by_user_id = (
        Inbound(
            channel="whatsapp", sender_id=sender, event_id=f"wamid-{sender}",
            kind=InboundKind.TEXT, text="halo", phone="6281234567890", verify_identity=True,
        )
        for sender in ("6281234567890", "bsuid-ID.1")
    )  # fmt: skip
    results = await asyncio.gather(
        *(runtime.runner.handle(event) for event in (by_user_id, by_number)),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == [
        "Handled",
        "IdentityUnsettled",
    ]
    async with runtime.db.connect() as conn:
        found = await conn.execute(
            select(contacts.c.external_id).where(contacts.c.phone == "6281234567890")
        )
        assert len(found.all()) == 1
