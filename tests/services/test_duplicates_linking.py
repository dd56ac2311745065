"""`link_duplicates` against the real database, run through the hot path's writer.

Each report is inserted as the incident flow inserts it and linked in the
same transaction (`tests.support.incidents`); the clock moves between reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.services.duplicates import link_duplicates
from tests.support.incidents import (
    ACCIDENT,
    JAKABARING,
    TEN_REPORTS_OF_ONE_ACCIDENT,
    file_report,
)

COMPLETE_DRAFT = """UPDATE cases SET description = :description, latitude = :latitude,
longitude = :longitude WHERE id = :case_id"""
LINKS = "SELECT case_id, other_case_id, score FROM case_links ORDER BY case_id, other_case_id"


async def links(runtime: Runtime) -> list[tuple[int, int]]:
    rows: list[Any] = await runtime.runner.writer.run(lambda tx: tx.rows(LINKS, {}))
    return [(row[0], row[1]) for row in rows]


async def test_ten_reports_of_one_accident_are_all_linked(
    runtime: Runtime, clock: ManualClock
) -> None:
    filed = []
    for number, description in enumerate(TEN_REPORTS_OF_ONE_ACCIDENT):
        filed.append(await file_report(runtime, description, km_north=0.05 * (number % 4)))
        clock.advance(9 * 60)

    assert [report.links for report in filed] == list(range(10))
    ids = [report.case_id for report in filed]
    assert await links(runtime) == [
        (newer, earlier) for i, newer in enumerate(ids) for earlier in ids[:i]
    ]


async def test_scores_are_stored_and_linking_twice_adds_nothing(runtime: Runtime) -> None:
    first = await file_report(runtime)
    second = await file_report(runtime, "ada kecelakaan motor vs truk di simpang jakabaring")

    again = await runtime.runner.writer.run(
        lambda tx: link_duplicates(tx, case_id=second.case_id, now=runtime.clock.now())
    )
    rows = await runtime.runner.writer.run(lambda tx: tx.rows(LINKS, {}))

    assert again == 0
    assert [(row[0], row[1]) for row in rows] == [(second.case_id, first.case_id)]
    assert 90 <= rows[0][2] <= 100


async def test_different_events_at_the_same_corner_are_not_linked(
    runtime: Runtime, clock: ManualClock
) -> None:
    await file_report(runtime)
    clock.advance(10 * 60)
    theft = await file_report(runtime, "jambret hp di simpang jakabaring", category="theft")
    clock.advance(10 * 60)
    fire = await file_report(runtime, "kebakaran ruko di simpang jakabaring", category="other")

    assert (theft.links, fire.links) == (0, 0)
    assert await links(runtime) == []


async def test_the_same_words_far_away_are_not_linked(runtime: Runtime, clock: ManualClock) -> None:
    await file_report(runtime)
    clock.advance(5 * 60)
    far = await file_report(runtime, km_north=5.0)
    farther = await file_report(runtime, km_north=-30.0)

    assert (far.links, farther.links) == (0, 0)


async def test_the_same_words_on_another_day_are_not_linked(
    runtime: Runtime, clock: ManualClock
) -> None:
    await file_report(runtime)
    clock.advance(2 * 24 * 3600)
    next_days = await file_report(runtime)
    clock.advance(5 * 3600)
    hours_later = await file_report(runtime)

    assert (next_days.links, hours_later.links) == (0, 0)


async def test_a_late_report_is_linked_by_when_it_happened(
    runtime: Runtime, clock: ManualClock
) -> None:
    first = await file_report(runtime)
    clock.advance(6 * 3600)
    late = await file_report(
        runtime, "tadi pagi ada tabrakan di jakabaring", occurred_ago=timedelta(hours=6)
    )

    assert late.links == 1
    assert await links(runtime) == [(late.case_id, first.case_id)]


async def test_address_only_reports_are_linked_by_their_addresses(
    runtime: Runtime, clock: ManualClock
) -> None:
    typed = await file_report(
        runtime, "kecelakaan motor", km_north=None, address="Simpang Jakabaring"
    )
    clock.advance(10 * 60)
    typed_again = await file_report(
        runtime, "motor ditabrak truk", km_north=None, address="jakabaring dekat lampu merah"
    )
    clock.advance(10 * 60)
    pinned = await file_report(runtime)
    clock.advance(10 * 60)
    elsewhere = await file_report(
        runtime, "kecelakaan motor", km_north=None, address="simpang polda"
    )
    nowhere = await file_report(runtime, "kecelakaan motor", km_north=None)

    assert (typed_again.links, pinned.links, elsewhere.links, nowhere.links) == (1, 2, 0, 0)
    assert await links(runtime) == [
        (typed_again.case_id, typed.case_id),
        (pinned.case_id, typed.case_id),
        (pinned.case_id, typed_again.case_id),
    ]


async def test_an_urgent_draft_completed_later_is_linked_to_reports_made_meanwhile(
    runtime: Runtime, clock: ManualClock
) -> None:
    draft = await file_report(runtime, "", km_north=None)  # opened at the alarm, still empty
    clock.advance(5 * 60)
    meanwhile = await file_report(runtime)
    complete = await runtime.runner.writer.run(
        lambda tx: (
            tx.execute(
                COMPLETE_DRAFT,
                {
                    "case_id": draft.case_id,
                    "description": ACCIDENT,
                    "latitude": JAKABARING[0],
                    "longitude": JAKABARING[1],
                },
            ),
            link_duplicates(tx, case_id=draft.case_id, now=runtime.clock.now()),
            link_duplicates(tx, case_id=meanwhile.case_id, now=runtime.clock.now()),
        )
    )

    assert (draft.links, meanwhile.links) == (0, 0)
    assert complete == (1, 1, 0)
    assert await links(runtime) == [(meanwhile.case_id, draft.case_id)]


async def test_closed_incidents_are_linked_and_complaints_never(
    runtime: Runtime, clock: ManualClock
) -> None:
    closed = await file_report(runtime, status="closed")
    complaint = await file_report(runtime, kind="complaint", category="officer_conduct")
    clock.advance(15 * 60)
    new = await file_report(runtime)

    assert (complaint.links, new.links) == (0, 1)
    assert await links(runtime) == [(new.case_id, closed.case_id)]


async def test_a_case_that_is_not_an_incident_or_missing_links_nothing(
    runtime: Runtime,
) -> None:
    await file_report(runtime)
    complaint = await file_report(runtime, kind="complaint")
    now = runtime.clock.now()

    made = await runtime.runner.writer.run(
        lambda tx: (
            link_duplicates(tx, case_id=complaint.case_id, now=now)
            + link_duplicates(tx, case_id=10_000, now=now)
        )
    )

    assert made == 0
    assert await links(runtime) == []
