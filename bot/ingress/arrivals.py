"""A batch's first reads and writes, for all its events at once.

Before the engine runs, a batch records its events (which of them are new),
touches or creates their contacts, and reads each contact's conversation
state and latest cases. On PostgreSQL each of the three is ONE statement for
the whole batch (arrays in, rows out): per-event statements were round trips
plus asyncpg's per-statement work in the server's one process, most of the
hot path's cost there. On SQLite a statement costs microseconds and no round
trip, so each stays a short statement per event or contact; both give the
same rows.

Contacts are touched in the order they are given (the runner sorts a batch
by channel and sender), one statement for all of them on PostgreSQL, so two
workers' batches lock rows in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.direct import Row, Tx

Key = tuple[str, str]  # (channel, external id)

SEEN = """INSERT INTO inbound_events (channel, external_id, received_at)
VALUES (:channel, :external_id, :now) ON CONFLICT DO NOTHING RETURNING id"""
SEEN_ALL = """INSERT INTO inbound_events (channel, external_id, received_at)
SELECT e.channel, e.external_id, CAST(:now AS timestamptz)
FROM unnest(CAST(:channels AS text[]), CAST(:external_ids AS text[])) AS e(channel, external_id)
ON CONFLICT DO NOTHING RETURNING channel, external_id"""

TOUCH_CONTACT = """UPDATE contacts SET last_inbound_at = :now, reachable = :yes,
display_name = COALESCE(:name, display_name), phone = COALESCE(:phone, phone)
WHERE channel = :channel AND external_id = :external_id
RETURNING id, locale, broadcast_opt_in, broadcast_opted_out_at"""
NEW_CONTACT = """INSERT INTO contacts (channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
VALUES (:channel, :external_id, :name, :phone, :locale, :no, :now, :no, :yes, :now, :now)
ON CONFLICT DO NOTHING RETURNING id, locale, broadcast_opt_in, broadcast_opted_out_at"""
# Every contact of a batch touched or created, in the order given. A known contact's own id
# goes in, so the upsert takes no number from the sequence for it (only a new contact does,
# or one created by another worker a moment ago); `xmax = 0` tells a row this statement
# inserted from one it updated.
TOUCH_ALL = """INSERT INTO contacts AS c (id, channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
SELECT COALESCE((SELECT o.id FROM contacts o
                 WHERE o.channel = v.channel AND o.external_id = v.external_id),
                nextval(pg_get_serial_sequence('contacts', 'id'))),
       v.channel, v.external_id, v.name, v.phone, :locale, false, CAST(:now AS timestamptz),
       false, true, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM unnest(CAST(:channels AS text[]), CAST(:external_ids AS text[]), CAST(:names AS text[]),
            CAST(:phones AS text[])) WITH ORDINALITY AS v(channel, external_id, name, phone, n)
ORDER BY v.n
ON CONFLICT (channel, external_id) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,
reachable = true, display_name = COALESCE(excluded.display_name, c.display_name),
phone = COALESCE(excluded.phone, c.phone)
RETURNING c.channel, c.external_id, c.id, c.locale, c.broadcast_opt_in,
c.broadcast_opted_out_at, c.xmax = 0"""
A_CONTACT = """SELECT id, locale, broadcast_opt_in, broadcast_opted_out_at FROM contacts
WHERE id = :contact_id"""

# The conversation's state (NULL if none yet) beside each of the 50 latest cases (one row of
# NULLs if none): one round trip for both.
STATE_AND_CASES = """SELECT cv.state, c.ref, c.kind, c.status, c.updated_at
FROM (SELECT CAST(:contact_id AS INTEGER) AS contact_id) k
LEFT JOIN conversations cv ON cv.contact_id = k.contact_id
LEFT JOIN (SELECT ref, kind, status, updated_at, id FROM cases WHERE contact_id = :contact_id
ORDER BY updated_at DESC, id DESC LIMIT 50) c ON 1 = 1
ORDER BY c.updated_at DESC, c.id DESC"""
# Each contact's rows looked up on their own (LATERAL, fenced by OFFSET 0): as a join, a
# plan made before the tables were first analysed hashed the whole of `conversations`.
STATES_AND_CASES = """SELECT k.contact_id, cv.state, c.ref, c.kind, c.status, c.updated_at
FROM unnest(CAST(:contact_ids AS integer[])) AS k(contact_id)
LEFT JOIN LATERAL (SELECT state FROM conversations WHERE contact_id = k.contact_id
OFFSET 0) cv ON true
LEFT JOIN LATERAL (SELECT ref, kind, status, updated_at, id FROM cases
WHERE contact_id = k.contact_id ORDER BY updated_at DESC, id DESC LIMIT 50) c ON true
ORDER BY k.contact_id, c.updated_at DESC, c.id DESC"""


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    locale: str
    is_new: bool
    broadcasts_decided: bool  # subscribed, or declined or stopped them once


@dataclass(frozen=True, slots=True)
class Touch:
    """A contact a batch heard from: its key, and the name and number it came with."""

    channel: str
    external_id: str
    name: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Known:
    """A contact's stored conversation state (None: none yet) and its latest cases."""

    state: str | None
    cases: tuple[Row, ...]  # (ref, kind, status, updated_at), the latest first


NOTHING_YET = Known(None, ())


def record(tx: Tx, events: Sequence[Key], at: Any) -> set[Key]:
    """Record `events` (distinct); the ones not recorded before."""
    if not events:
        return set()
    if tx.dialect == "postgresql":
        channels, external_ids = zip(*events, strict=True)
        values = {"channels": list(channels), "external_ids": list(external_ids), "now": at}
        return {(str(row[0]), str(row[1])) for row in tx.rows(SEEN_ALL, values)}
    return {
        (channel, event_id)
        for channel, event_id in events
        if tx.rows(SEEN, {"channel": channel, "external_id": event_id, "now": at})
    }


def touch(tx: Tx, wanted: Sequence[Touch], at: Any, default_locale: str) -> dict[Key, Contact]:
    """Touch (lock, on PostgreSQL) or create each contact of `wanted` (distinct), in order."""
    if not wanted:
        return {}
    if tx.dialect == "postgresql":
        values = {
            "channels": [one.channel for one in wanted],
            "external_ids": [one.external_id for one in wanted],
            "names": [one.name for one in wanted],
            "phones": [one.phone for one in wanted],
            "locale": default_locale,
            "now": at,
        }
        return {
            (channel, external_id): _contact(row, is_new=bool(row[-1]))
            for channel, external_id, *row in tx.rows(TOUCH_ALL, values)
        }
    return {
        (one.channel, one.external_id): _touch_one(tx, one, at, default_locale) for one in wanted
    }


def _touch_one(tx: Tx, one: Touch, at: Any, default_locale: str) -> Contact:
    values = {
        "channel": one.channel,
        "external_id": one.external_id,
        "name": one.name,
        "phone": one.phone,
        "now": at,
        "yes": True,
        "no": False,
        "locale": default_locale,
    }
    found = tx.rows(TOUCH_CONTACT, values)
    if found:
        return _contact(found[0], is_new=False)
    created = tx.rows(NEW_CONTACT, values)
    if created:
        return _contact(created[0], is_new=True)
    return _contact(tx.rows(TOUCH_CONTACT, values)[0], is_new=False)  # another worker's, just now


def again(tx: Tx, contact_id: int) -> Contact:
    """A contact as it stands now (after an effect of this batch changed it)."""
    return _contact(tx.rows(A_CONTACT, {"contact_id": contact_id})[0], is_new=False)


def _contact(row: Sequence[Any], *, is_new: bool) -> Contact:
    # Decided in Python: SQLite 3.40 answers `opted_out_at IS NOT NULL` wrongly in RETURNING.
    contact_id, locale, opted_in, opted_out_at = row[:4]
    decided = bool(opted_in) or opted_out_at is not None
    return Contact(int(contact_id), str(locale), is_new=is_new, broadcasts_decided=decided)


def conversations(tx: Tx, contact_ids: Sequence[int]) -> dict[int, Known]:
    """Each contact's state and latest cases (`NOTHING_YET` for one without either)."""
    if not contact_ids:
        return {}
    if tx.dialect == "postgresql":
        rows = tx.rows(STATES_AND_CASES, {"contact_ids": list(contact_ids)})
        found: dict[int, list[Row]] = {}
        for contact_id, *row in rows:
            found.setdefault(int(contact_id), []).append(row)
        return {contact_id: _known(found[contact_id]) for contact_id in contact_ids}
    return {contact_id: conversation(tx, contact_id) for contact_id in contact_ids}


def conversation(tx: Tx, contact_id: int) -> Known:
    """One contact's state and latest cases, as they stand now."""
    return _known(tx.rows(STATE_AND_CASES, {"contact_id": contact_id}))


def _known(rows: Sequence[Row]) -> Known:
    return Known(rows[0][0], tuple(tuple(row[1:]) for row in rows if row[1] is not None))
