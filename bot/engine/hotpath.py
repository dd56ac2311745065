"""One inbound event, inside a group-committed transaction: the hot path's SQL.

`process` runs synchronously on a `Tx` (see `bot.storage.direct`): it records
the event (its unique key makes a redelivery a no-op), finds or creates the
contact (the UPDATE also locks its row on PostgreSQL, ordering one citizen's
events across workers), loads the conversation, lets the pure engine decide,
applies the effects and writes the outbox rows. Common case: seven short
statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.casework import CITIZEN, OPEN_STATUSES, CaseStatus
from bot.engine.core import Engine, Reply, Turn
from bot.engine.effects import AddToCase, OpenCase, SetBroadcastOptIn, SetLocale
from bot.engine.state import ConversationState
from bot.faq import FaqSnapshot
from bot.media import StoredFile
from bot.messages import Inbound, MediaRef
from bot.outbox.queue import outbox_rows
from bot.references import new_reference
from bot.storage.direct import Tx

_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)

SEEN = """INSERT INTO inbound_events (channel, external_id, received_at)
VALUES (:channel, :external_id, :now) ON CONFLICT DO NOTHING RETURNING id"""
SETTLED = """SELECT c.id FROM contacts c WHERE c.channel = :channel
AND c.external_id = :external_id {same_phone}
AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.status = 'held')"""
ANYONE = """SELECT 1 FROM contacts WHERE channel = :channel
AND (external_id = :external_id {or_phone})"""
TOUCH_CONTACT = """UPDATE contacts SET last_inbound_at = :now, reachable = :yes,
display_name = COALESCE(:name, display_name), phone = COALESCE(:phone, phone)
WHERE channel = :channel AND external_id = :external_id RETURNING id, locale"""
NEW_CONTACT = """INSERT INTO contacts (channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
VALUES (:channel, :external_id, :name, :phone, :locale, :no, :now, :no, :yes, :now, :now)
ON CONFLICT DO NOTHING RETURNING id, locale"""
LOAD_STATE = "SELECT state FROM conversations WHERE contact_id = :contact_id"
# The statuses spliced in are constants of `bot.casework`, never input.
OPEN_REFS = f"""SELECT ref FROM cases WHERE contact_id = :contact_id AND status IN ({_OPEN})
ORDER BY updated_at DESC, id DESC"""  # noqa: S608
SAVE_STATE = """UPDATE conversations SET state = :state, active_flow = :flow, updated_at = :now
WHERE contact_id = :contact_id"""
NEW_STATE = """INSERT INTO conversations (contact_id, state, active_flow, updated_at)
VALUES (:contact_id, :state, :flow, :now)"""
OUTBOX = """INSERT INTO outbox (channel, contact_id, case_message_id, payload, priority, status,
attempts, next_attempt_at, created_at) VALUES (:channel, :contact_id, :case_message_id,
:payload, :priority, :status, :attempts, :next_attempt_at, :created_at)"""
NEW_MEDIA = """INSERT INTO media (contact_id, sha256, path, mime_type, size, clean_path,
created_at) VALUES (:contact_id, :sha256, :path, :mime_type, :size, :clean_path, :now)
RETURNING id"""
NEW_CASE = """INSERT INTO cases (ref, kind, status, contact_id, channel, anonymous, category,
description, answers, priority, created_at, updated_at) VALUES (:ref, :kind, :status,
:contact_id, :channel, :anonymous, :category, :description, :answers, 'normal', :now, :now)
RETURNING id"""
STATUS_CHANGE = """INSERT INTO case_status_changes (case_id, from_status, to_status, actor,
created_at) VALUES (:case_id, :from_status, :to_status, :actor, :now)"""
SET_CASE_STATUS = "UPDATE cases SET status = :status, updated_at = :now WHERE id = :case_id"
LINK_MEDIA = """UPDATE media SET case_id = :case_id
WHERE id = :media_id AND contact_id = :contact_id"""
OWN_CASE = "SELECT id, status FROM cases WHERE ref = :ref AND contact_id = :contact_id"
CITIZEN_MESSAGE = """INSERT INTO case_messages (case_id, direction, author, text, media_id,
delivery_status, created_at) VALUES (:case_id, 'in', :author, :text, :media_id, 'received',
:now)"""
SET_LOCALE = "UPDATE contacts SET locale = :locale, locale_chosen = :yes WHERE id = :contact_id"
SET_OPT_IN = """UPDATE contacts SET broadcast_opt_in = :opt_in, broadcast_opted_out_at = :at
WHERE id = :contact_id"""


class IdentityUnsettled(Exception):
    """The contact must be reconciled by its channel first (see `Inbound.verify_identity`).

    Raised before anything is written; the channel fixes the contact in a
    transaction of its own and hands the event in again.
    """


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one inbound event."""

    processed: bool  # False: a redelivery, already handled before
    stale_press: bool = False  # a button of an earlier prompt, not acted on


@dataclass(frozen=True, slots=True)
class _Contact:
    id: int
    locale: str
    is_new: bool


def process(
    tx: Tx,
    inbound: Inbound,
    stored: StoredFile | None,
    *,
    engine: Engine,
    faq: FaqSnapshot,
    now: datetime,
    default_locale: str,
) -> Handled:
    at = tx.time(now)
    if inbound.verify_identity and not _identity_settled(tx, inbound):
        raise IdentityUnsettled(inbound.event_id)
    seen = tx.rows(SEEN, {"channel": inbound.channel, "external_id": inbound.event_id, "now": at})
    if not seen:
        return Handled(processed=False)
    contact = _contact(tx, inbound, at, default_locale)
    if stored is not None:
        inbound = replace(inbound, media=_record_media(tx, stored, contact.id, at))
    raw_state = tx.rows(LOAD_STATE, {"contact_id": contact.id})
    state = ConversationState.from_json(raw_state[0][0] if raw_state else None)
    refs = tuple(row[0] for row in tx.rows(OPEN_REFS, {"contact_id": contact.id}))
    turn = Turn(
        now=now,
        locale=contact.locale,
        first_contact=contact.is_new,
        open_cases=refs,
        new_reference=new_reference,
        faq=faq,
    )
    reply = engine.handle(state, inbound, turn)
    _apply(tx, reply, contact.id, inbound.channel, at)
    values = {"contact_id": contact.id, "state": reply.state.to_json(), "now": at}
    values["flow"] = reply.state.flow
    if not (raw_state and tx.execute(SAVE_STATE, values)):
        tx.execute(NEW_STATE, values)
    rows = [
        row | {"next_attempt_at": at, "created_at": at}
        for message in reply.messages
        for row in outbox_rows(
            contact_id=contact.id, channel=inbound.channel, message=message, now=now
        )
    ]
    if rows:
        tx.execute_many(OUTBOX, rows)
    return Handled(processed=True, stale_press=reply.stale_press)


def _identity_settled(tx: Tx, inbound: Inbound) -> bool:
    """Known under this id with this phone and nothing held for them, or entirely new."""
    values = {"channel": inbound.channel, "external_id": inbound.sender_id}
    settled, anyone = SETTLED.format(same_phone=""), ANYONE.format(or_phone="")
    if inbound.phone is not None:
        values["phone"] = inbound.phone
        settled = SETTLED.format(same_phone="AND c.phone = :phone")
        anyone = ANYONE.format(or_phone="OR external_id = :phone OR phone = :phone")
    return bool(tx.rows(settled, values)) or not tx.rows(anyone, values)


def _contact(tx: Tx, inbound: Inbound, at: Any, default_locale: str) -> _Contact:
    values = {
        "channel": inbound.channel,
        "external_id": inbound.sender_id,
        "name": inbound.sender_name,
        "phone": inbound.phone,
        "now": at,
        "yes": True,
        "no": False,
        "locale": default_locale,
    }
    found = tx.rows(TOUCH_CONTACT, values)
    if found:
        return _Contact(found[0][0], found[0][1], is_new=False)
    created = tx.rows(NEW_CONTACT, values)
    if created:
        return _Contact(created[0][0], created[0][1], is_new=True)
    found = tx.rows(TOUCH_CONTACT, values)  # another worker created it a moment ago
    return _Contact(found[0][0], found[0][1], is_new=False)


def _record_media(tx: Tx, stored: StoredFile, contact_id: int, at: Any) -> MediaRef:
    values = {
        "contact_id": contact_id,
        "sha256": stored.sha256,
        "path": stored.path,
        "mime_type": stored.mime_type,
        "size": stored.size,
        "clean_path": stored.clean_path,
        "now": at,
    }
    [(media_id,)] = tx.rows(NEW_MEDIA, values)
    return MediaRef(media_id=int(media_id), mime_type=stored.mime_type, sha256=stored.sha256)


def _apply(tx: Tx, reply: Reply, contact_id: int, channel: str, at: Any) -> None:
    for effect in reply.effects:
        if isinstance(effect, OpenCase):
            _open_case(tx, effect, contact_id, channel, at)
        elif isinstance(effect, AddToCase):
            _add_to_case(tx, effect, contact_id, at)
        elif isinstance(effect, SetLocale):
            tx.execute(SET_LOCALE, {"locale": effect.locale, "yes": True, "contact_id": contact_id})
        elif isinstance(effect, SetBroadcastOptIn):
            opted_out = None if effect.opt_in else at
            values = {"opt_in": effect.opt_in, "at": opted_out, "contact_id": contact_id}
            tx.execute(SET_OPT_IN, values)


def _open_case(tx: Tx, effect: OpenCase, contact_id: int, channel: str, at: Any) -> None:
    values = {
        "ref": effect.ref,
        "kind": effect.kind,
        "status": CaseStatus.NEW.value,
        "contact_id": contact_id,
        "channel": channel,
        "anonymous": effect.anonymous,
        "category": effect.category,
        "description": effect.description,
        "answers": json.dumps(effect.answers, ensure_ascii=False),
        "now": at,
    }
    [(case_id,)] = tx.rows(NEW_CASE, values)
    _status_change(tx, case_id, None, CaseStatus.NEW, at)
    for media_id in effect.media_ids:
        tx.execute(LINK_MEDIA, {"case_id": case_id, "media_id": media_id, "contact_id": contact_id})


def _add_to_case(tx: Tx, effect: AddToCase, contact_id: int, at: Any) -> None:
    """File a citizen's follow-up in their own case (never in someone else's)."""
    found = tx.rows(OWN_CASE, {"ref": effect.ref, "contact_id": contact_id})
    if not found:
        return
    case_id, status = found[0]
    message = {"case_id": case_id, "author": CITIZEN, "text": effect.text, "now": at}
    tx.execute(CITIZEN_MESSAGE, message | {"media_id": effect.media_id})
    if effect.media_id is not None:
        link = {"case_id": case_id, "media_id": effect.media_id, "contact_id": contact_id}
        tx.execute(LINK_MEDIA, link)
    new_status = CaseStatus.IN_PROGRESS if status == CaseStatus.WAITING_CITIZEN else status
    tx.execute(SET_CASE_STATUS, {"status": str(new_status), "now": at, "case_id": case_id})
    if new_status != status:
        _status_change(tx, case_id, status, new_status, at)


def _status_change(tx: Tx, case_id: int, old: str | None, new: str, at: Any) -> None:
    values = {"case_id": case_id, "from_status": old, "to_status": str(new), "actor": CITIZEN}
    tx.execute(STATUS_CHANGE, values | {"now": at})
