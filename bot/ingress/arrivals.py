"""A batch's first reads and writes, for all its events at once (`open_batch`).

Before the engine runs, a batch checks the identity of the events that ask
for it, records the others (which of them are new), touches or creates the
contacts of the new ones, and reads each known contact's conversation state
and latest cases. On PostgreSQL that is two statements for the whole batch
(arrays in, rows out): the checks, the records and the touches in one, the
reads in the next, which must start after the touches got their locks (see
`OPENING`). Per-event statements were round trips plus asyncpg's
per-statement work in the server's one process, most of the hot path's cost
there, and each statement of a batch is a round trip its lane waits for. On
SQLite a statement costs microseconds and no round trip, so each stays a
short statement per event or contact; both give the same rows.

Contacts are touched in the order of their first event in the batch (the
runner sorts a batch by channel and sender), one statement for all of them
on PostgreSQL, so two workers' batches lock rows in the same order and
cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.direct import Row, Tx

Key = tuple[str, str]  # (channel, external id)

# Known under this id (and this phone) with nothing held for them, or nobody on the channel
# known by either id: one round trip. Each lookup names the channel and one key, so both
# databases search an index for it: `channel = :channel AND (… OR …)` read every contact of
# the channel on SQLite, and PostgreSQL did the same even with the channel in every OR arm.
SETTLED = """SELECT EXISTS (SELECT 1 FROM contacts c WHERE c.channel = :channel
AND c.external_id = :external_id {same_phone}
AND NOT EXISTS (SELECT 1 FROM outbox held WHERE held.contact_id = c.id AND held.status = 'held'))
OR (NOT EXISTS (SELECT 1 FROM contacts WHERE channel = :channel AND external_id = :external_id)
{nor_phone})"""
SETTLED_BY_ID = SETTLED.format(same_phone="", nor_phone="")
SETTLED_BY_ID_AND_PHONE = SETTLED.format(
    same_phone="AND c.phone = :phone",
    nor_phone="AND NOT EXISTS (SELECT 1 FROM contacts WHERE channel = :channel "
    "AND external_id = :phone) "
    "AND NOT EXISTS (SELECT 1 FROM contacts WHERE channel = :channel AND phone = :phone)",
)
# The same for each event `e` of a batch, inside the batch's opening statement (PostgreSQL).
# Each lookup ends in OFFSET 0: without it PostgreSQL may answer a NOT EXISTS by hashing the
# whole table once per statement (a "hashed SubPlan": a scan of every contact of every channel,
# which its statistics rate cheap while the table is small, and which grows with it).
SETTLED_EACH = """EXISTS (SELECT 1 FROM contacts c WHERE c.channel = e.channel
AND c.external_id = e.sender AND (e.phone IS NULL OR c.phone = e.phone)
AND NOT EXISTS (SELECT 1 FROM outbox held WHERE held.contact_id = c.id AND held.status = 'held')
OFFSET 0)
OR (NOT EXISTS (SELECT 1 FROM contacts WHERE channel = e.channel
AND external_id = e.sender OFFSET 0)
AND (e.phone IS NULL
OR NOT EXISTS (SELECT 1 FROM contacts WHERE channel = e.channel AND external_id = e.phone
OFFSET 0)
AND NOT EXISTS (SELECT 1 FROM contacts WHERE channel = e.channel AND phone = e.phone
OFFSET 0)))"""
SEEN = """INSERT INTO inbound_events (channel, external_id, received_at)
VALUES (:channel, :external_id, :now) ON CONFLICT DO NOTHING RETURNING id"""
TOUCH_CONTACT = """UPDATE contacts SET last_inbound_at = :now, reachable = :yes,
display_name = COALESCE(:name, display_name), phone = COALESCE(:phone, phone)
WHERE channel = :channel AND external_id = :external_id
RETURNING id, locale, broadcast_opt_in, broadcast_opted_out_at"""
NEW_CONTACT = """INSERT INTO contacts (channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
VALUES (:channel, :external_id, :name, :phone, :locale, :no, :now, :no, :yes, :now, :now)
ON CONFLICT DO NOTHING RETURNING id, locale, broadcast_opt_in, broadcast_opted_out_at"""
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
# A batch's opening on PostgreSQL, in one round trip: the identity of each event that asks
# for it checked (`checked`, against the contacts as they were before the statement; nothing
# is written for an unsettled event), the other events recorded (`seen`: the new ones), and
# the contact of each new event touched or created once, with the last name and number it
# came with, in the order of its first event (`touched`: a known contact's own id goes in,
# so the upsert takes no number from the sequence for it; `xmax = 0` tells a row this
# statement inserted from one it updated). The rows say what they are: 'event' rows name a
# new event, 'unsettled' rows an event whose contact its channel must reconcile first,
# 'contact' rows a contact touched.
#
# The conversations are read by the next statement (`STATES_AND_CASES`), not this one: a
# touch may wait for another worker's transaction that holds the same contact, and a read
# in the statement that waited would see that contact's conversation as it was before the
# other worker's turn (a statement's snapshot is taken when it starts).
OPENING = """WITH given AS (SELECT * FROM unnest(CAST(:channels AS text[]),
CAST(:external_ids AS text[]), CAST(:senders AS text[]), CAST(:names AS text[]),
CAST(:phones AS text[]), CAST(:verify AS boolean[]))
WITH ORDINALITY AS e(channel, external_id, sender, name, phone, verify, n)),
checked AS (SELECT e.*, NOT e.verify OR ({settled}) AS settled FROM given e),
e AS (SELECT * FROM checked WHERE settled),
seen AS (INSERT INTO inbound_events (channel, external_id, received_at)
SELECT e.channel, e.external_id, CAST(:now AS timestamptz) FROM e ORDER BY e.n
ON CONFLICT DO NOTHING RETURNING channel, external_id),
v AS (SELECT e.channel, e.sender AS external_id,
(array_remove(array_agg(e.name ORDER BY e.n DESC), NULL))[1] AS name,
(array_remove(array_agg(e.phone ORDER BY e.n DESC), NULL))[1] AS phone, min(e.n) AS n
FROM e JOIN seen ON seen.channel = e.channel AND seen.external_id = e.external_id
GROUP BY e.channel, e.sender),
touched AS (INSERT INTO contacts AS c (id, channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
SELECT COALESCE((SELECT o.id FROM contacts o
                 WHERE o.channel = v.channel AND o.external_id = v.external_id),
                nextval(pg_get_serial_sequence('contacts', 'id'))),
       v.channel, v.external_id, v.name, v.phone, :locale, false, CAST(:now AS timestamptz),
       false, true, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM v ORDER BY v.n
ON CONFLICT (channel, external_id) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,
reachable = true, display_name = COALESCE(excluded.display_name, c.display_name),
phone = COALESCE(excluded.phone, c.phone)
RETURNING c.channel, c.external_id, c.id, c.locale, c.broadcast_opt_in,
c.broadcast_opted_out_at, c.xmax = 0 AS is_new)
SELECT 'event', seen.channel, seen.external_id, CAST(NULL AS integer), CAST(NULL AS text),
CAST(NULL AS boolean), CAST(NULL AS timestamptz), CAST(NULL AS boolean) FROM seen
UNION ALL
SELECT 'unsettled', checked.channel, checked.external_id, NULL, NULL, NULL, NULL, NULL
FROM checked WHERE NOT checked.settled
UNION ALL
SELECT 'contact', t.channel, t.external_id, t.id, t.locale, t.broadcast_opt_in,
t.broadcast_opted_out_at, t.is_new FROM touched t"""
OPEN_ALL = OPENING.format(settled=SETTLED_EACH)
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


@dataclass(frozen=True, slots=True)
class Heard:
    """An event of a batch: its key, and its contact's, with the name and number it came with."""

    channel: str
    event_id: str
    sender_id: str
    name: str | None
    phone: str | None
    verify: bool = False  # its identity checked first (`Inbound.verify_identity`)

    @property
    def key(self) -> Key:
        """(channel, event id): how the batch's results name it."""
        return self.channel, self.event_id


@dataclass(frozen=True, slots=True)
class Opened:
    """What a batch found when it opened (`open_batch`)."""

    unsettled: set[Key]  # (channel, event id) of the events whose identity is not settled
    fresh: set[Key]  # of the events not recorded before (none of them unsettled)
    contacts: dict[Key, Contact]  # by (channel, sender id): the contact of each new event
    known: dict[int, Known]  # by contact id: each of those contacts that is not new


def open_batch(tx: Tx, heard: Sequence[Heard], at: Any, default_locale: str) -> Opened:
    """Check the identity of each of `heard` (distinct events, in the batch's order) that
    asks for it, against the database as it was before the batch; record the others; touch
    (lock, on PostgreSQL) or create the contact of each new one; read the state and cases
    of those contacts that are not new. Nothing is written for an unsettled event."""
    if not heard:
        return Opened(set(), set(), {}, {})
    if tx.dialect == "postgresql":
        return _open_all(tx, heard, at, default_locale)
    unsettled = {one.key for one in heard if one.verify and not _settled(tx, one)}
    fresh = {
        one.key
        for one in heard
        if one.key not in unsettled
        and tx.rows(SEEN, {"channel": one.channel, "external_id": one.event_id, "now": at})
    }
    contacts = {
        (one.channel, one.external_id): _touch_one(tx, one, at, default_locale)
        for one in _touches([one for one in heard if one.key in fresh])
    }
    known = {c.id: conversation(tx, c.id) for c in contacts.values() if not c.is_new}
    return Opened(unsettled, fresh, contacts, known)


def _settled(tx: Tx, one: Heard) -> bool:
    """Known under this id with this phone and nothing held for them, or entirely new."""
    values = {"channel": one.channel, "external_id": one.sender_id}
    statement = SETTLED_BY_ID
    if one.phone is not None:
        values["phone"] = one.phone
        statement = SETTLED_BY_ID_AND_PHONE
    [(settled,)] = tx.rows(statement, values)
    return bool(settled)


def _open_all(tx: Tx, heard: Sequence[Heard], at: Any, default_locale: str) -> Opened:
    values = {
        "channels": [one.channel for one in heard],
        "external_ids": [one.event_id for one in heard],
        "senders": [one.sender_id for one in heard],
        "names": [one.name for one in heard],
        "phones": [one.phone for one in heard],
        "verify": [one.verify for one in heard],
        "locale": default_locale,
        "now": at,
    }
    unsettled: set[Key] = set()
    fresh: set[Key] = set()
    contacts: dict[Key, Contact] = {}
    for what, channel, external_id, *row in tx.rows(OPEN_ALL, values):
        key = (str(channel), str(external_id))
        if what == "contact":
            contacts[key] = _contact(row[:4], is_new=bool(row[4]))
        else:
            (fresh if what == "event" else unsettled).add(key)
    known_ids = [contact.id for contact in contacts.values() if not contact.is_new]
    found: dict[int, list[Row]] = {contact_id: [] for contact_id in known_ids}
    if known_ids:
        for contact_id, *row in tx.rows(STATES_AND_CASES, {"contact_ids": known_ids}):
            found[int(contact_id)].append(row)
    return Opened(unsettled, fresh, contacts, {key: _known(rows) for key, rows in found.items()})


def _touches(heard: Sequence[Heard]) -> list[Touch]:
    """Each contact once, in the order of its first event, with the last name and number
    it came with."""
    wanted: dict[Key, Touch] = {}
    for one in heard:
        key = (one.channel, one.sender_id)
        before = wanted.get(key)
        name, phone = one.name, one.phone
        if before is not None:
            name = before.name if name is None else name
            phone = before.phone if phone is None else phone
        wanted[key] = Touch(one.channel, one.sender_id, name, phone)
    return list(wanted.values())


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


def conversation(tx: Tx, contact_id: int) -> Known:
    """One contact's state and latest cases, as they stand now."""
    return _known(tx.rows(STATE_AND_CASES, {"contact_id": contact_id}))


def _known(rows: Sequence[Row]) -> Known:
    return Known(rows[0][0], tuple(tuple(row[1:]) for row in rows if row[1] is not None))
