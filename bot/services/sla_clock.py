"""A case's SLA clocks as stored: started, answered, paused and resumed, finished.

Every function runs on a `Tx` inside the caller's transaction (the hot path
directly, the back-office through `bot.storage.direct.run_on`), so a clock
moves in the same commit as the event that moved it. The rules are
`bot.domain.sla`'s; this module only reads and writes the columns.

Whoever changes a case's status calls `status_changed` with the old and the
new status: entering ``waiting_citizen`` stops the clocks, leaving it pushes
their due times by the time paused, resolving or closing meets them, reopening
runs the resolution clock again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.sla import FINISHED, WAITING_CITIZEN, Clocks, SlaPolicy
from bot.storage.direct import Tx, stored_time

LOAD = """SELECT kind, created_at, sla_due_at, first_response_at, follow_up_due_at,
followed_up_at, resolution_due_at, resolved_at, waiting_since FROM cases WHERE id = :case_id"""
SAVE = """UPDATE cases SET sla_due_at = :first_response_due,
first_response_at = :first_response_at, follow_up_due_at = :follow_up_due,
followed_up_at = :followed_up_at, resolution_due_at = :resolution_due,
resolved_at = :resolved_at, waiting_since = :waiting_since, sla_clock = :clock,
sla_next_due_at = :due, sla_soon_at = :soon, sla_missed = :missed WHERE id = :case_id"""


def start(
    tx: Tx, policy: SlaPolicy, *, case_id: int, kind: str, priority: str, now: datetime
) -> None:
    """Start the clocks of a case just opened."""
    _save(tx, policy, case_id, policy.opened(kind, priority, now), waiting_since=None)


def responded(tx: Tx, policy: SlaPolicy, *, case_id: int, now: datetime) -> None:
    """An officer replied to the citizen: the first response, or the follow-up."""
    kind, clocks, waiting_since = _load(tx, case_id)
    _save(tx, policy, case_id, policy.responded(clocks, kind, now), waiting_since)


def status_changed(
    tx: Tx, policy: SlaPolicy, *, case_id: int, old: str | None, new: str, now: datetime
) -> None:
    """The case went from status `old` to `new` at `now` (nothing when they are equal)."""
    if old == new:
        return
    kind, clocks, waiting_since = _load(tx, case_id)
    if old == WAITING_CITIZEN:
        if waiting_since is not None:
            clocks = policy.resumed(clocks, kind, waiting_since, now)
        waiting_since = None
    if new == WAITING_CITIZEN:
        waiting_since = now
    if new in FINISHED and old not in FINISHED:
        clocks = policy.resolved(clocks, now)
    elif old in FINISHED and new not in FINISHED:
        clocks = policy.reopened(clocks)
    _save(tx, policy, case_id, clocks, waiting_since)


def _load(tx: Tx, case_id: int) -> tuple[str, Clocks, datetime | None]:
    [row] = tx.rows(LOAD, {"case_id": case_id})
    kind, opened, *times, waiting_since = row
    first_due, first_at, follow_due, followed_at, resolution_due, resolved_at = map(_time, times)
    clocks = Clocks(
        opened_at=stored_time(opened),
        first_response_due=first_due,
        first_response_at=first_at,
        follow_up_due=follow_due,
        followed_up_at=followed_at,
        resolution_due=resolution_due,
        resolved_at=resolved_at,
    )
    return str(kind), clocks, _time(waiting_since)


def _save(
    tx: Tx, policy: SlaPolicy, case_id: int, clocks: Clocks, waiting_since: datetime | None
) -> None:
    summary = policy.summary(clocks)
    running = summary.running

    def at(moment: datetime | None) -> Any:
        return None if moment is None else tx.time(moment)

    tx.execute(
        SAVE,
        {
            "case_id": case_id,
            "first_response_due": at(clocks.first_response_due),
            "first_response_at": at(clocks.first_response_at),
            "follow_up_due": at(clocks.follow_up_due),
            "followed_up_at": at(clocks.followed_up_at),
            "resolution_due": at(clocks.resolution_due),
            "resolved_at": at(clocks.resolved_at),
            "waiting_since": at(waiting_since),
            "clock": None if running is None else running.clock.value,
            "due": None if running is None else at(running.due),
            "soon": None if running is None else at(running.soon),
            "missed": summary.missed,
        },
    )


def _time(value: Any) -> datetime | None:
    return None if value is None else stored_time(value)
