"""Looking up an application and subscribing to it, inside a conversation turn.

A citizen's lookup happens in the middle of the status flow, so it runs on
the hot path's transaction (`bot.storage.direct.Tx`), together with the
conversation step that asked for it: the attempt is recorded exactly when
the answer is. The rules (what counts against whom, when lookups pause)
are `bot.applications.weigh`'s, so every storage path answers alike.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

from bot.domain.applications import ApplicationKind, Found, LookupResult, normalize_number
from bot.services.applications import (
    CONTACT_COUNTED,
    CONTACT_FAILURES,
    LOOKUP_PAUSED_ACTION,
    NUMBER_COUNTED,
    NUMBER_FAILURES,
    SYSTEM_ACTOR,
    WINDOW,
    Outcome,
    weigh,
)
from bot.storage.direct import Params, Tx, stored_date, stored_time

logger = logging.getLogger(__name__)

_CONTACT_OUTCOMES = ", ".join(f"'{outcome}'" for outcome in CONTACT_COUNTED)
_NUMBER_OUTCOMES = ", ".join(f"'{outcome}'" for outcome in NUMBER_COUNTED)
# The outcomes spliced in are constants of `bot.services.applications`, never input.
BY_CONTACT = f"""SELECT created_at FROM application_lookups WHERE contact_id = :contact_id
AND outcome IN ({_CONTACT_OUTCOMES}) AND created_at > :since
ORDER BY created_at DESC LIMIT :limit"""  # noqa: S608
BY_NUMBER = f"""SELECT created_at FROM application_lookups WHERE kind = :kind
AND number = :number AND outcome IN ({_NUMBER_OUTCOMES}) AND created_at > :since
ORDER BY created_at DESC LIMIT :limit"""  # noqa: S608
APPLICATION = """SELECT id, birth_date, status, note, status_changed_at FROM applications
WHERE kind = :kind AND number = :number"""
RECORD = """INSERT INTO application_lookups (contact_id, kind, number, outcome, created_at)
VALUES (:contact_id, :kind, :number, :outcome, :now)"""
AUDIT = """INSERT INTO audit_log (officer_id, actor, action, target, detail, created_at)
VALUES (NULL, :actor, :action, :target, :detail, :now)"""
SUBSCRIBE = """INSERT INTO application_subscriptions (contact_id, application_id, created_at)
VALUES (:contact_id, :application_id, :now) ON CONFLICT DO NOTHING"""


def lookup(
    tx: Tx,
    *,
    contact_id: int,
    kind: ApplicationKind,
    number: str,
    birth_date: date,
    now: datetime,
) -> LookupResult:
    """Weigh one attempt and record it (`bot.services.applications`). `number` must pass
    `normalize_number` (ValueError otherwise: ask again, it is no attempt)."""
    valid = normalize_number(number)
    if valid is None:
        raise ValueError(f"not an application number: {number!r}")
    since = tx.time(now - WINDOW)
    by_contact = _times(tx, BY_CONTACT, {"contact_id": contact_id}, since, CONTACT_FAILURES)
    on_number = {"kind": kind.value, "number": valid}
    by_number = _times(tx, BY_NUMBER, on_number, since, NUMBER_FAILURES)
    row = tx.rows(APPLICATION, on_number)
    right = None
    if row and stored_date(row[0][1]) == birth_date:
        app_id, _, status, note, changed = row[0]
        right = Found(int(app_id), kind, valid, status, note, stored_time(changed))
    outcome, result = weigh(by_contact, by_number, right)
    values = on_number | {"contact_id": contact_id, "outcome": outcome.value}
    tx.execute(RECORD, values | {"now": tx.time(now)})
    if outcome is Outcome.WRONG and len(by_number) + 1 == NUMBER_FAILURES:
        _report_paused_number(tx, kind, valid, now)
    return result


def subscribe(tx: Tx, *, contact_id: int, application_id: int, now: datetime) -> bool:
    """Tell this contact of the application's status changes from now on; False
    when they already were. Offer it only after a `Found` lookup."""
    values = {"contact_id": contact_id, "application_id": application_id, "now": tx.time(now)}
    return tx.execute(SUBSCRIBE, values) > 0


def _times(tx: Tx, sql: str, whose: Params, since: object, limit: int) -> list[datetime]:
    """When the latest `limit` counted failures in the window happened, newest first."""
    rows = tx.rows(sql, whose | {"since": since, "limit": limit})
    return [stored_time(moment) for (moment,) in rows]


def _report_paused_number(tx: Tx, kind: ApplicationKind, number: str, now: datetime) -> None:
    detail = {
        "kind": kind.value,
        "number": number,
        "failures": NUMBER_FAILURES,
        "window_minutes": int(WINDOW.total_seconds() // 60),
    }
    values = {
        "actor": SYSTEM_ACTOR,
        "action": LOOKUP_PAUSED_ACTION,
        "target": f"{kind.value}:{number}",
        "detail": json.dumps(detail, sort_keys=True),
        "now": tx.time(now),
    }
    tx.execute(AUDIT, values)
    logger.warning(
        "status lookups of one %s number paused after %d wrong answers within %s",
        kind.value,
        NUMBER_FAILURES,
        WINDOW,
    )
