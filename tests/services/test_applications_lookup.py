"""`bot.services.applications` as the status flow uses it: lookups that never reveal
whether a number exists, their throttles per contact and per number,
subscriptions, and reading what citizens type."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice.audit import AuditAction
from bot.domain.applications import (
    NOT_FOUND,
    ApplicationKind,
    Found,
    LookupResult,
    Paused,
    describe,
    normalize_number,
    parse_birth_date,
)
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.services import applications
from bot.services.application_lookup import lookup, subscribe
from bot.services.applications import (
    CONTACT_FAILURES,
    LOOKUP_PAUSED_ACTION,
    NUMBER_FAILURES,
    WINDOW,
    forget_lookups,
    put_application,
    unsubscribe,
)
from bot.storage.direct import Params, Row, Tx
from bot.storage.tables import audit_log, contacts
from bot.storage.tables import lookups as lookups_table

SKCK = ApplicationKind.SKCK
NUMBER = "SKCK/123/XI/2026"
UNKNOWN = "SKCK/999/XI/2026"
BORN = date(1990, 8, 17)
WRONG = date(1990, 8, 18)
_external_ids = itertools.count(1)


async def new_contact(conn: AsyncConnection, clock: ManualClock) -> int:
    result = await conn.execute(
        insert(contacts)
        .values(
            channel="web",
            external_id=f"browser-{next(_external_ids)}",
            locale="id",
            locale_chosen=False,
            broadcast_opt_in=False,
            reachable=True,
            created_at=clock.now(),
        )
        .returning(contacts.c.id)
    )
    return int(result.scalar_one())


@pytest.fixture
async def application_id(runtime: Runtime, clock: ManualClock) -> int:
    async with runtime.db.begin() as conn:
        stored = await put_application(
            conn,
            kind=SKCK,
            number=NUMBER,
            status="Sedang diverifikasi",
            applicant_name="Budi Santoso",
            birth_date=BORN,
            note="Tunggu kabar berikutnya.",
            translator=runtime.translator,
            now=clock.now(),
        )
    return stored.application.id


@pytest.fixture
async def contact(runtime: Runtime, clock: ManualClock) -> int:
    async with runtime.db.begin() as conn:
        return await new_contact(conn, clock)


async def ask(
    runtime: Runtime,
    clock: ManualClock,
    contact_id: int,
    number: str = NUMBER,
    born: date = BORN,
    kind: ApplicationKind = SKCK,
) -> LookupResult:
    seen = SEEN.get()
    return await runtime.runner.writer.run(
        lambda tx: lookup(
            Recording(tx, seen),
            contact_id=contact_id,
            kind=kind,
            number=number,
            birth_date=born,
            now=clock.now(),
        )
    )


async def fail(runtime: Runtime, clock: ManualClock, contact_id: int, times: int) -> None:
    for _ in range(times):
        assert await ask(runtime, clock, contact_id, born=WRONG) == NOT_FOUND
        clock.advance(60)


async def new_contacts(runtime: Runtime, clock: ManualClock, count: int) -> list[int]:
    async with runtime.db.begin() as conn:
        return [await new_contact(conn, clock) for _ in range(count)]


SEEN: ContextVar[list[str] | None] = ContextVar("SEEN", default=None)


class Recording:
    """A `Tx` that notes the SQL it runs (parameters left out)."""

    def __init__(self, tx: Tx, seen: list[str] | None) -> None:
        self.tx = tx
        self.dialect = tx.dialect
        self.seen = seen if seen is not None else []

    def rows(self, sql: str, params: Params) -> list[Row]:
        self.seen.append(sql)
        return self.tx.rows(sql, params)

    def execute(self, sql: str, params: Params) -> int:
        self.seen.append(sql)
        return self.tx.execute(sql, params)

    def execute_many(self, sql: str, params: list[Params]) -> None:
        self.seen.append(sql)
        self.tx.execute_many(sql, params)

    def time(self, moment: datetime) -> Any:
        return self.tx.time(moment)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL lookups run from now on, parameters left out."""
    seen: list[str] = []
    token = SEEN.set(seen)
    yield seen
    SEEN.reset(token)


async def test_the_right_combination_shows_the_status(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    started = clock.now()
    clock.advance(60)
    found = await ask(runtime, clock, contact, number=" skck/123/xi/2026 ")
    assert found == Found(
        application_id=application_id,
        kind=SKCK,
        number=NUMBER,
        status="Sedang diverifikasi",
        note="Tunggu kabar berikutnya.",
        status_changed_at=started,
    )


async def test_wrong_birth_date_and_unknown_number_look_the_same(
    runtime: Runtime,
    clock: ManualClock,
    application_id: int,
    contact: int,
    statements: list[str],
) -> None:
    wrong_date = await ask(runtime, clock, contact, born=WRONG)
    wrong_date_sql = list(statements)
    statements.clear()
    unknown = await ask(runtime, clock, contact, number=UNKNOWN)
    assert wrong_date == unknown == NOT_FOUND
    assert type(wrong_date) is type(unknown)
    assert statements == wrong_date_sql
    statements.clear()
    assert isinstance(await ask(runtime, clock, contact), Found)
    assert statements == wrong_date_sql  # a right answer runs the same queries too
    other_kind = await ask(runtime, clock, contact, kind=ApplicationKind.SP2HP)
    assert other_kind == NOT_FOUND


async def test_a_malformed_number_is_no_attempt(runtime: Runtime, contact: int) -> None:
    with pytest.raises(ValueError, match="not an application number"):
        await runtime.runner.writer.run(
            lambda tx: lookup(
                tx,
                contact_id=contact,
                kind=SKCK,
                number="SKCK 12*",
                birth_date=BORN,
                now=runtime.clock.now(),
            )
        )
    async with runtime.db.begin() as conn:
        assert await conn.scalar(select(func.count()).select_from(lookups_table)) == 0


async def test_a_contact_is_paused_after_five_failures_in_an_hour(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    first_failure = clock.now()
    await fail(runtime, clock, contact, CONTACT_FAILURES - 1)
    assert await ask(runtime, clock, contact, number=UNKNOWN) == NOT_FOUND  # unknown counts too
    paused = Paused(until=first_failure + WINDOW)
    assert await ask(runtime, clock, contact) == paused  # even the right answer
    assert await ask(runtime, clock, contact, number=UNKNOWN) == paused
    [other] = await new_contacts(runtime, clock, 1)
    assert isinstance(await ask(runtime, clock, other), Found)

    clock.advance((paused.until - clock.now()).total_seconds() - 1)
    assert await ask(runtime, clock, contact) == paused  # tries while paused change nothing
    clock.advance(1)
    assert isinstance(await ask(runtime, clock, contact), Found)


async def test_failures_leave_the_window_one_by_one(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    await fail(runtime, clock, contact, CONTACT_FAILURES)  # minutes 0 to 4
    clock.advance(WINDOW.total_seconds() - 5 * 60 + 10)  # 60:10: minute 0's has left
    assert await ask(runtime, clock, contact, born=WRONG) == NOT_FOUND  # five again
    assert isinstance(await ask(runtime, clock, contact), Paused)
    clock.advance(60)  # 61:10: minute 1's has left
    assert isinstance(await ask(runtime, clock, contact), Found)


async def test_a_number_is_paused_after_ten_failures_from_anyone(
    runtime: Runtime,
    clock: ManualClock,
    application_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guessers = await new_contacts(runtime, clock, 5)
    first_failure = clock.now()
    with caplog.at_level(logging.WARNING, logger="bot.services.applications"):
        for guesser in guessers:
            await fail(runtime, clock, guesser, NUMBER_FAILURES // len(guessers))
    owner, later = await new_contacts(runtime, clock, 2)
    assert await ask(runtime, clock, owner) == NOT_FOUND  # paused: answered as a wrong guess
    assert await ask(runtime, clock, owner, number=UNKNOWN) == NOT_FOUND  # others are not

    async with runtime.db.connect() as conn:
        rows = (
            await conn.execute(select(audit_log).where(audit_log.c.action == LOOKUP_PAUSED_ACTION))
        ).all()
    assert [(row.actor, row.officer_id, row.target) for row in rows] == [
        ("pintu", None, f"skck:{NUMBER}")
    ]
    assert json.loads(rows[0].detail) == {
        "kind": "skck",
        "number": NUMBER,
        "failures": NUMBER_FAILURES,
        "window_minutes": 60,
    }
    [line] = [record.getMessage() for record in caplog.records]
    assert "paused" in line
    assert NUMBER not in line

    clock.advance((first_failure + WINDOW - clock.now()).total_seconds())
    assert isinstance(await ask(runtime, clock, later), Found)


async def test_an_unknown_number_is_paused_the_same_way(
    runtime: Runtime, clock: ManualClock, application_id: int
) -> None:
    guessers = await new_contacts(runtime, clock, 5)
    for guesser in guessers:
        for _ in range(NUMBER_FAILURES // len(guessers)):
            assert await ask(runtime, clock, guesser, number=UNKNOWN) == NOT_FOUND
    async with runtime.db.connect() as conn:
        targets = await conn.scalars(
            select(audit_log.c.target).where(audit_log.c.action == LOOKUP_PAUSED_ACTION)
        )
        assert list(targets) == [f"skck:{UNKNOWN}"]


async def test_answers_during_a_number_pause_count_against_the_contact_only(
    runtime: Runtime, clock: ManualClock, application_id: int
) -> None:
    guessers = await new_contacts(runtime, clock, 2)
    for guesser in guessers:
        await fail(runtime, clock, guesser, NUMBER_FAILURES // 2)
    [owner] = await new_contacts(runtime, clock, 1)
    for _ in range(CONTACT_FAILURES):
        assert await ask(runtime, clock, owner) == NOT_FOUND
    assert isinstance(await ask(runtime, clock, owner, number=UNKNOWN), Paused)
    async with runtime.db.connect() as conn:
        paused_entries = await conn.scalar(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == LOOKUP_PAUSED_ACTION)
        )
    assert paused_entries == 1


async def test_old_attempts_are_forgotten(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    await fail(runtime, clock, contact, 3)
    clock.advance(WINDOW.total_seconds())
    await fail(runtime, clock, contact, 1)
    async with runtime.db.begin() as conn:
        assert await forget_lookups(conn, now=clock.now()) == 3
        assert await conn.scalar(select(func.count()).select_from(lookups_table)) == 1


async def test_subscribing_and_unsubscribing(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    for expected in (True, False):
        subscribed = await runtime.runner.writer.run(
            lambda tx: subscribe(
                tx, contact_id=contact, application_id=application_id, now=clock.now()
            )
        )
        assert subscribed is expected
    async with runtime.db.begin() as conn:
        assert await applications.subscriber_count(conn, application_id=application_id) == 1
        assert await unsubscribe(conn, contact_id=contact, application_id=application_id)
        assert not await unsubscribe(conn, contact_id=contact, application_id=application_id)
        assert await applications.subscriber_count(conn, application_id=application_id) == 0


async def test_describe_shows_the_status_verbatim(
    runtime: Runtime, clock: ManualClock, application_id: int, contact: int
) -> None:
    found = await ask(runtime, clock, contact)
    assert isinstance(found, Found)
    text = describe(runtime.translator, "en", found)
    assert text == (
        f"SKCK (police clearance certificate) no. {NUMBER}\n"
        "Status: Sedang diverifikasi\n"
        f"Updated: {runtime.translator.datetime('en', found.status_changed_at)}\n"
        "Next step: Tunggu kabar berikutnya."
    )
    assert "WIB" in text  # Asia/Jakarta time


def test_the_audit_action_is_the_back_offices() -> None:
    assert AuditAction.APPLICATION_LOOKUP_PAUSED.value == LOOKUP_PAUSED_ACTION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17-08-1990", date(1990, 8, 17)),
        ("17/08/1990", date(1990, 8, 17)),
        ("17.08.1990", date(1990, 8, 17)),
        ("1990-08-17", date(1990, 8, 17)),
        ("1990/8/17", date(1990, 8, 17)),
        ("7-8-1990", date(1990, 8, 7)),
        (" 17 - 08 - 1990 ", date(1990, 8, 17)),
        ("17 Agustus 1990", date(1990, 8, 17)),
        ("17 agustus 1990", date(1990, 8, 17)),
        ("17 AGT 1990", date(1990, 8, 17)),
        ("17 Agst 1990", date(1990, 8, 17)),
        ("17 Aug 1990", date(1990, 8, 17)),
        ("17 August 1990", date(1990, 8, 17)),
        ("17-Aug-1990", date(1990, 8, 17)),
        ("August 17, 1990", date(1990, 8, 17)),
        ("17th August 1990", date(1990, 8, 17)),
        ("1 Mei 1985", date(1985, 5, 1)),
        ("1 May 1985", date(1985, 5, 1)),
        ("5 Okt 2001", date(2001, 10, 5)),
        ("5 Oct. 2001", date(2001, 10, 5)),
        ("25 Desember 1970", date(1970, 12, 25)),
        ("3 Pebruari 1960", date(1960, 2, 3)),
        ("29-02-2000", date(2000, 2, 29)),
        ("29-02-1999", None),
        ("31 April 1990", None),
        ("17-13-1990", None),
        ("17-08-90", date(1990, 8, 17)),  # a two-digit year: the latest such year
        ("17 agustus 90", date(1990, 8, 17)),
        ("17-08-05", date(2005, 8, 17)),
        ("08/17/1990", None),
        ("17 Agustusan 1990", None),
        ("17 1990", None),
        ("1990", None),
        ("", None),
        ("besok", None),
        ("01-01-1899", None),
        ("28-11-2026", None),  # after today
    ],
)
def test_birth_dates_as_citizens_type_them(text: str, expected: date | None) -> None:
    assert parse_birth_date(text, today=date(2026, 11, 27)) == expected


def test_without_today_only_the_calendar_limits() -> None:
    assert parse_birth_date("1-1-2999") == date(2999, 1, 1)
    assert parse_birth_date("1-1-2999", today=date(2026, 1, 1) + timedelta(days=1)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SKCK/123/XI/2026", "SKCK/123/XI/2026"),
        (" skck / 123 / xi / 2026 ", "SKCK/123/XI/2026"),
        ("lp-b.77_x", "LP-B.77_X"),
        ("9" * 40, "9" * 40),
        ("9" * 41, None),
        ("", None),
        ("/123", None),
        ("123/", None),
        ("12//3", None),
        ("12*3", None),
        ("nomor saya 123", None),
        ("skck 123 xi 2026", "SKCK/123/XI/2026"),  # spaces part segments too
        ("SKCK 123 XII 2026", "SKCK/123/XII/2026"),
    ],
)
def test_application_numbers_as_citizens_type_them(text: str, expected: str | None) -> None:
    assert normalize_number(text) == expected
