"""What happens to a broadcast's queued copies: paused, resumed, cancelled, withdrawn
from a citizen who opted out; its progress counted; its cron's next run.

A copy is a `broadcast_recipients` row and the outbox row it points to. The
outbox row's status says where the copy is (pending, sending, held, sent,
dead…, plus `paused` and `cancelled` for broadcasts); the platform's later
reports (delivered, read) are kept on the recipient row (`delivery`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.storage.direct import Row, Tx

_COPIES = "SELECT outbox_id FROM broadcast_recipients WHERE broadcast_id = :broadcast_id"
PAUSE = f"""UPDATE outbox SET status = 'paused'
WHERE status = 'pending' AND id IN ({_COPIES})"""  # noqa: S608 - constants
RESUME = f"""UPDATE outbox SET status = 'pending', next_attempt_at = :now
WHERE status = 'paused' AND id IN ({_COPIES})"""  # noqa: S608 - constants
CANCEL = f"""UPDATE outbox SET status = 'cancelled'
WHERE status IN ('pending', 'paused', 'held') AND id IN ({_COPIES})"""  # noqa: S608
WITHDRAW = """UPDATE outbox SET status = 'cancelled'
WHERE contact_id = :contact_id AND status IN ('pending', 'paused', 'held') AND id IN
(SELECT outbox_id FROM broadcast_recipients WHERE contact_id = :contact_id AND status = 'queued')
RETURNING id"""
WITHDRAW_RANGE = """UPDATE outbox SET status = 'cancelled'
WHERE status IN ('pending', 'paused', 'held') AND id IN (SELECT outbox_id FROM broadcast_recipients
JOIN contacts ON contacts.id = broadcast_recipients.contact_id
WHERE broadcast_recipients.broadcast_id = :broadcast_id AND broadcast_recipients.run = :run
AND broadcast_recipients.contact_id BETWEEN :first AND :last
AND broadcast_recipients.status = 'queued' AND contacts.broadcast_opt_in = :no)
RETURNING id"""
OPTED_OUT = "UPDATE broadcast_recipients SET status = 'opted_out' WHERE outbox_id = :outbox_id"
COUNTS = """SELECT broadcast_recipients.status, outbox.status, broadcast_recipients.delivery,
count(*) FROM broadcast_recipients LEFT JOIN outbox ON outbox.id = broadcast_recipients.outbox_id
WHERE broadcast_recipients.broadcast_id = :broadcast_id
GROUP BY broadcast_recipients.status, outbox.status, broadcast_recipients.delivery"""
STILL_QUEUED = """SELECT 1 FROM broadcast_recipients JOIN outbox
ON outbox.id = broadcast_recipients.outbox_id
WHERE broadcast_recipients.broadcast_id = :broadcast_id AND broadcast_recipients.run = :run
AND outbox.status IN ('pending', 'sending', 'paused') LIMIT 1"""

COUNT_KEYS = ("queued", "sent", "delivered", "read", "failed", "opted_out", "skipped", "cancelled")
_OUTBOX_COUNTED = {
    "pending": "queued",
    "sending": "queued",
    "paused": "queued",
    "held": "queued",
    "sent": "sent",
    "dead": "failed",
    "failed": "failed",
    "skipped": "skipped",
    "cancelled": "cancelled",
}


def pause(tx: Tx, broadcast_id: int) -> None:
    """Hold the copies not yet claimed by the outbox sender (those being sent go out)."""
    tx.execute(PAUSE, {"broadcast_id": broadcast_id})


def resume(tx: Tx, broadcast_id: int, now: datetime) -> None:
    tx.execute(RESUME, {"broadcast_id": broadcast_id, "now": tx.time(now)})


def cancel(tx: Tx, broadcast_id: int) -> None:
    """Drop every copy not sent yet."""
    tx.execute(CANCEL, {"broadcast_id": broadcast_id})


def withdraw(tx: Tx, contact_id: int) -> int:
    """The citizen opted out: their unsent copies of every broadcast are dropped
    and counted `opted_out`. The number dropped."""
    return _opted_out(tx, tx.rows(WITHDRAW, {"contact_id": contact_id}))


def withdraw_range(tx: Tx, broadcast_id: int, run: int, *, first: int, last: int) -> int:
    """`withdraw` for the recipients of one batch who have opted out by now."""
    values = {"broadcast_id": broadcast_id, "run": run, "first": first, "last": last, "no": False}
    return _opted_out(tx, tx.rows(WITHDRAW_RANGE, values))


def _opted_out(tx: Tx, dropped: list[Row]) -> int:
    """Count the dropped copies (outbox ids) as `opted_out`; how many."""
    if dropped:
        tx.execute_many(OPTED_OUT, [{"outbox_id": row[0]} for row in dropped])
    return len(dropped)


def still_queued(tx: Tx, broadcast_id: int, run: int) -> bool:
    """Whether some copy of this run is still waiting to be sent."""
    return bool(tx.rows(STILL_QUEUED, {"broadcast_id": broadcast_id, "run": run}))


def counts(tx: Tx, broadcast_id: int) -> dict[str, int]:
    """Progress over every run: `sent` counts what the platform accepted, of which
    `delivered` reached the citizen's device and `read` was read (so read ≤ delivered ≤ sent)."""
    totals = dict.fromkeys(COUNT_KEYS, 0)
    for recipient_status, outbox_status, delivery, number in tx.rows(
        COUNTS, {"broadcast_id": broadcast_id}
    ):
        if recipient_status in ("opted_out", "skipped"):
            totals[recipient_status] += number
            continue
        key = _OUTBOX_COUNTED.get(outbox_status or "")
        if key is None:
            continue
        totals[key] += number
        if key == "sent" and delivery in ("delivered", "read"):
            totals["delivered"] += number
            totals["read"] += number if delivery == "read" else 0
    return totals


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """The trigger of a "m h dom mon dow" expression in `timezone` (ValueError if invalid)."""
    return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))


def next_run(expression: str, timezone: str, after: datetime) -> datetime | None:
    """When the cron `expression` fires next, strictly after `after` (None: never again).

    Cron fires on whole seconds; APScheduler answers the first at or after the
    moment given, so a run that began at its fire time is not due again at once.
    """
    later = after + timedelta(seconds=1)
    fire: datetime | None = cron_trigger(expression, timezone).get_next_fire_time(None, later)
    return fire
