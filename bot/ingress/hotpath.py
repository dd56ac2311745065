"""One inbound event, inside a group-committed transaction: the hot path's SQL.

`process` runs synchronously on a `Tx` (see `bot.storage.direct`): it records
the event (its unique key makes a redelivery a no-op), finds or creates the
contact (the UPDATE also locks its row on PostgreSQL, ordering one citizen's
events across workers), loads the conversation, lets the pure engine decide,
applies the effects and writes the outbox rows.

Common case: three short statements per event (record, touch the contact,
read its state and recent cases in one query); the new conversation states
and outbox rows of a whole batch are written at its end, one
``executemany`` each (`Pending`), which on PostgreSQL is one round trip
instead of two per event. Pending writes are flushed before any effect
runs, so everything an effect writes or reads comes after the replies
before it, in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain.applications import ApplicationKind, LookupResult
from bot.domain.messages import Inbound, MediaRef
from bot.domain.references import new_reference
from bot.domain.sla import SlaPolicy
from bot.domain.surveys import StartSurvey, SurveyProgress
from bot.engine.core import Engine
from bot.engine.effects import (
    AddToCase,
    AnswerSurvey,
    CompleteSurvey,
    NameContact,
    OpenCase,
    PlaceAnswer,
    RaiseAlarm,
    SetBroadcastOptIn,
    SetLocale,
    ShareLocation,
    Subscribe,
)
from bot.engine.faq import FaqSnapshot
from bot.engine.flow import CaseBrief
from bot.engine.stored import state_from_json, state_to_json
from bot.engine.turn import Reply, Turn
from bot.media.store import StoredFile
from bot.outbox.queue import outbox_rows
from bot.services import application_lookup, broadcast_control, sla_clock, surveys, units
from bot.services.casework import CITIZEN, OPEN_STATUSES, CaseStatus
from bot.services.duplicates import link_duplicates
from bot.storage.direct import Tx, stored_time

SEEN = """INSERT INTO inbound_events (channel, external_id, received_at)
VALUES (:channel, :external_id, :now) ON CONFLICT DO NOTHING RETURNING id"""
# Known under this id (and this phone) with nothing held for them, or nobody on the channel
# known by either id: one round trip. Every OR arm names the channel: then SQLite searches
# an index per arm, where `channel = :channel AND (… OR …)` reads every contact of the channel.
SETTLED = """SELECT EXISTS (SELECT 1 FROM contacts c WHERE c.channel = :channel
AND c.external_id = :external_id {same_phone}
AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.status = 'held'))
OR NOT EXISTS (SELECT 1 FROM contacts WHERE (channel = :channel AND external_id = :external_id)
{or_phone})"""
SETTLED_BY_ID = SETTLED.format(same_phone="", or_phone="")
SETTLED_BY_ID_AND_PHONE = SETTLED.format(
    same_phone="AND c.phone = :phone",
    or_phone="OR (channel = :channel AND external_id = :phone) "
    "OR (channel = :channel AND phone = :phone)",
)
TOUCH_CONTACT = """UPDATE contacts SET last_inbound_at = :now, reachable = :yes,
display_name = COALESCE(:name, display_name), phone = COALESCE(:phone, phone)
WHERE channel = :channel AND external_id = :external_id
RETURNING id, locale, broadcast_opt_in, broadcast_opted_out_at"""
NEW_CONTACT = """INSERT INTO contacts (channel, external_id, display_name, phone, locale,
locale_chosen, privacy_noticed_at, broadcast_opt_in, reachable, last_inbound_at, created_at)
VALUES (:channel, :external_id, :name, :phone, :locale, :no, :now, :no, :yes, :now, :now)
ON CONFLICT DO NOTHING RETURNING id, locale"""
# The conversation's state (NULL if none yet) beside each of the 50 latest cases (one row of
# NULLs if none): one round trip for both.
STATE_AND_CASES = """SELECT cv.state, c.ref, c.kind, c.status, c.updated_at
FROM (SELECT CAST(:contact_id AS INTEGER) AS contact_id) k
LEFT JOIN conversations cv ON cv.contact_id = k.contact_id
LEFT JOIN (SELECT ref, kind, status, updated_at, id FROM cases WHERE contact_id = :contact_id
ORDER BY updated_at DESC, id DESC LIMIT 50) c ON 1 = 1
ORDER BY c.updated_at DESC, c.id DESC"""
SAVE_STATE = """INSERT INTO conversations (contact_id, state, active_flow, updated_at)
VALUES (:contact_id, :state, :flow, :now) ON CONFLICT (contact_id) DO UPDATE
SET state = excluded.state, active_flow = excluded.active_flow, updated_at = excluded.updated_at"""
OUTBOX = """INSERT INTO outbox (channel, contact_id, case_message_id, payload, priority, status,
attempts, next_attempt_at, created_at) VALUES (:channel, :contact_id, :case_message_id,
:payload, :priority, :status, :attempts, :next_attempt_at, :created_at)"""
NEW_MEDIA = """INSERT INTO media (contact_id, sha256, path, mime_type, size, clean_path,
created_at) VALUES (:contact_id, :sha256, :path, :mime_type, :size, :clean_path, :now)
RETURNING id"""
NEW_CASE = """INSERT INTO cases (ref, kind, status, contact_id, channel, anonymous, category,
description, answers, priority, latitude, longitude, address, occurred_at, occurred_text,
unit_id, confidential, created_at, updated_at) VALUES (:ref, :kind, :status, :contact_id,
:channel, :anonymous, :category, :description, :answers, :priority, :latitude, :longitude,
:address, :occurred_at, :occurred_text, :unit_id, :confidential, :now, :now) RETURNING id"""
# Completing the urgent case opened at the alarm: its priority and SLA clocks stand.
COMPLETE_DRAFT = """UPDATE cases SET category = :category, description = :description,
answers = :answers, latitude = :latitude, longitude = :longitude, address = :address,
occurred_at = :occurred_at, occurred_text = :occurred_text, updated_at = :now
WHERE ref = :ref AND contact_id = :contact_id RETURNING id"""
SET_PLACE = """UPDATE cases SET latitude = :latitude, longitude = :longitude, address = :address,
updated_at = :now WHERE ref = :ref AND contact_id = :contact_id RETURNING id"""
STATUS_CHANGE = """INSERT INTO case_status_changes (case_id, from_status, to_status, actor,
created_at) VALUES (:case_id, :from_status, :to_status, :actor, :now)"""
SET_CASE_STATUS = "UPDATE cases SET status = :status, updated_at = :now WHERE id = :case_id"
LINK_MEDIA = """UPDATE media SET case_id = :case_id
WHERE id = :media_id AND contact_id = :contact_id"""
OWN_CASE = "SELECT id, status FROM cases WHERE ref = :ref AND contact_id = :contact_id"
CITIZEN_MESSAGE = """INSERT INTO case_messages (case_id, direction, author, text, media_id,
delivery_status, created_at) VALUES (:case_id, 'in', :author, :text, :media_id, 'received',
:now)"""
NAME_CONTACT = """UPDATE contacts SET display_name = :name, phone = COALESCE(:phone, phone)
WHERE id = :contact_id"""
SET_LOCALE = "UPDATE contacts SET locale = :locale, locale_chosen = :yes WHERE id = :contact_id"
SET_OPT_IN = """UPDATE contacts SET broadcast_opt_in = :opt_in, broadcast_opted_out_at = :at
WHERE id = :contact_id"""


UNSPECIFIED = "unspecified"  # the category of an urgent case until the citizen names it


class DutyAlerts(Protocol):
    """The duty desk, as the hot path tells it of urgent cases (`bot.duty.service`)."""

    def raise_alert(
        self, tx: Tx, *, case_id: int, ref: str, category: str | None, now: datetime
    ) -> None: ...

    def share_location(
        self,
        tx: Tx,
        *,
        case_id: int,
        latitude: float | None,
        longitude: float | None,
        address: str | None,
        now: datetime,
    ) -> None: ...


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


class Pending:
    """A batch's writes that wait for its end: conversation states and outbox rows."""

    def __init__(self) -> None:
        self.states: dict[int, dict[str, Any]] = {}  # the latest per contact
        self.outbox: list[dict[str, Any]] = []

    def state(self, contact_id: int) -> str | None:
        """The state this batch gave the contact, if it did."""
        pending = self.states.get(contact_id)
        return None if pending is None else str(pending["state"])

    def flush(self, tx: Tx) -> None:
        if self.states:
            tx.execute_many(SAVE_STATE, list(self.states.values()))
            self.states.clear()
        if self.outbox:
            tx.execute_many(OUTBOX, self.outbox)
            self.outbox.clear()


@dataclass(frozen=True, slots=True)
class _Contact:
    id: int
    locale: str
    is_new: bool
    broadcasts_decided: bool  # subscribed, or declined or stopped them once


def process(
    tx: Tx,
    inbound: Inbound,
    stored: StoredFile | None,
    *,
    engine: Engine,
    faq: FaqSnapshot,
    now: datetime,
    default_locale: str,
    duty: DutyAlerts,
    sla: SlaPolicy,
    internal_affairs: str = "propam",
    pending: Pending | None = None,
) -> Handled:
    """Handle one event; `internal_affairs` is the code of the unit complaints
    about officers' conduct are filed to (`bot.services.units`). With
    `pending`, the state and outbox rows are left there for the batch to
    flush; without, they are written before this returns."""
    batch = Pending() if pending is None else pending
    at = tx.time(now)
    if inbound.verify_identity and not _identity_settled(tx, inbound):
        raise IdentityUnsettled(inbound.event_id)
    seen = tx.rows(SEEN, {"channel": inbound.channel, "external_id": inbound.event_id, "now": at})
    if not seen:
        return Handled(processed=False)
    contact = _contact(tx, inbound, at, default_locale)
    if stored is not None:
        inbound = replace(inbound, media=_record_media(tx, stored, contact.id, at))
    found = tx.rows(STATE_AND_CASES, {"contact_id": contact.id})
    raw_state = batch.state(contact.id)
    state = state_from_json(raw_state if raw_state is not None else found[0][0])
    cases = tuple(
        CaseBrief(ref, kind, status, stored_time(updated))
        for _state, ref, kind, status, updated in found
        if ref is not None
    )

    def lookup(kind: ApplicationKind, number: str, born: date) -> LookupResult:
        return application_lookup.lookup(
            tx, contact_id=contact.id, kind=kind, number=number, birth_date=born, now=now
        )

    def survey_progress(start: StartSurvey | None) -> SurveyProgress:
        return surveys.progress(tx, contact_id=contact.id, start=start, now=now)

    turn = Turn(
        now=now,
        locale=contact.locale,
        first_contact=contact.is_new,
        open_cases=tuple(case.ref for case in cases if case.status in OPEN_STATUSES),
        new_reference=new_reference,
        faq=faq,
        lookup=lookup,
        cases=cases,
        channel=inbound.channel,
        surveys=survey_progress,
        broadcasts_decided=contact.broadcasts_decided,
    )
    reply = engine.handle(state, inbound, turn)
    if reply.effects:
        batch.flush(tx)  # what the effects write comes after the replies before
        _Effects(tx, contact.id, inbound.channel, now, duty, sla, internal_affairs).apply(reply)
    batch.states[contact.id] = {
        "contact_id": contact.id,
        "state": state_to_json(reply.state),
        "flow": reply.state.flow,
        "now": at,
    }
    batch.outbox.extend(
        row | {"next_attempt_at": at, "created_at": at}
        for message in reply.messages
        for row in outbox_rows(
            contact_id=contact.id, channel=inbound.channel, message=message, now=now
        )
    )
    if pending is None:
        batch.flush(tx)
    return Handled(processed=True, stale_press=reply.stale_press)


def _identity_settled(tx: Tx, inbound: Inbound) -> bool:
    """Known under this id with this phone and nothing held for them, or entirely new."""
    values = {"channel": inbound.channel, "external_id": inbound.sender_id}
    statement = SETTLED_BY_ID
    if inbound.phone is not None:
        values["phone"] = inbound.phone
        statement = SETTLED_BY_ID_AND_PHONE
    [(settled,)] = tx.rows(statement, values)
    return bool(settled)


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
    if not found:
        created = tx.rows(NEW_CONTACT, values)
        if created:
            [(contact_id, locale)] = created
            return _Contact(contact_id, locale, is_new=True, broadcasts_decided=False)
        found = tx.rows(TOUCH_CONTACT, values)  # another worker created it a moment ago
    # Decided in Python: SQLite 3.40 answers `opted_out_at IS NOT NULL` wrongly in RETURNING.
    [(contact_id, locale, opted_in, opted_out_at)] = found
    decided = bool(opted_in) or opted_out_at is not None
    return _Contact(contact_id, locale, is_new=False, broadcasts_decided=decided)


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


class _Effects:
    """Records what one turn's reply asks for, in the turn's transaction."""

    def __init__(
        self,
        tx: Tx,
        contact_id: int,
        channel: str,
        now: datetime,
        duty: DutyAlerts,
        sla: SlaPolicy,
        internal_affairs: str,
    ):
        self.tx = tx
        self.internal_affairs = internal_affairs
        self.contact_id = contact_id
        self.channel = channel
        self.now = now
        self.at = tx.time(now)
        self.duty = duty
        self.sla = sla

    def apply(self, reply: Reply) -> None:
        tx, contact = self.tx, self.contact_id
        for effect in reply.effects:
            if isinstance(effect, OpenCase):
                self.open_case(effect)
            elif isinstance(effect, RaiseAlarm):
                self.raise_alarm(effect)
            elif isinstance(effect, ShareLocation):
                self.share_location(effect)
            elif isinstance(effect, AddToCase):
                self.add_to_case(effect)
            elif isinstance(effect, Subscribe):
                application_lookup.subscribe(
                    tx, contact_id=contact, application_id=effect.application_id, now=self.now
                )
            elif isinstance(effect, NameContact):
                values = {"name": effect.name, "phone": effect.phone, "contact_id": contact}
                tx.execute(NAME_CONTACT, values)
            elif isinstance(effect, SetLocale):
                tx.execute(
                    SET_LOCALE, {"locale": effect.locale, "yes": True, "contact_id": contact}
                )
            elif isinstance(effect, SetBroadcastOptIn):
                opted_out = None if effect.opt_in else self.at
                values = {"opt_in": effect.opt_in, "at": opted_out, "contact_id": contact}
                tx.execute(SET_OPT_IN, values)
                if not effect.opt_in:  # at once: not even a copy already queued goes out
                    broadcast_control.withdraw(tx, contact)
            elif isinstance(effect, AnswerSurvey | CompleteSurvey):
                self.survey(effect, reply.locale)

    def survey(self, effect: AnswerSurvey | CompleteSurvey, locale: str) -> None:
        """A survey answer is stored the moment it is given (`bot.services.surveys`)."""
        tx, contact, channel, now = self.tx, self.contact_id, self.channel, self.now
        if isinstance(effect, AnswerSurvey):
            surveys.record_answer(
                tx, contact_id=contact, channel=channel, locale=locale, answer=effect, now=now
            )
        else:
            surveys.complete(
                tx, contact_id=contact, channel=channel, locale=locale, done=effect, now=now
            )

    def open_case(self, effect: OpenCase) -> None:
        place = effect.place
        values = {
            "ref": effect.ref,
            "contact_id": self.contact_id,
            "category": effect.category,
            "description": effect.description,
            "answers": json.dumps(effect.answers, ensure_ascii=False),
            "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None,
            "address": place.address if place else None,
            "occurred_at": self.tx.time(effect.occurred_at) if effect.occurred_at else None,
            "occurred_text": effect.occurred_text,
            "now": self.at,
        }
        if effect.draft:
            found = self.tx.rows(COMPLETE_DRAFT, values)
            if not found:
                return
            # The desk heard of its place when it was given.
            case_id = int(found[0][0])
        else:
            unit_id = units.filing_unit(
                self.tx,
                kind=effect.kind,
                category=effect.category,
                internal_affairs=self.internal_affairs,
            )
            case_id = self.new_case(
                values
                | {
                    "kind": effect.kind,
                    "anonymous": effect.anonymous,
                    "priority": effect.priority,
                    "unit_id": unit_id,
                    "confidential": effect.confidential,
                }
            )
        for media_id in effect.media_ids:
            link = {"case_id": case_id, "media_id": media_id, "contact_id": self.contact_id}
            self.tx.execute(LINK_MEDIA, link)
        if effect.kind == "incident":
            if place is not None:
                self.route(case_id, place)
            link_duplicates(self.tx, case_id=case_id, now=self.now)

    def route(self, case_id: int, place: PlaceAnswer) -> None:
        """An incident goes to the unit whose area holds its place (if any has one)."""
        if place.latitude is not None and place.longitude is not None:
            units.route_by_place(
                self.tx, case_id=case_id, latitude=place.latitude, longitude=place.longitude
            )

    def new_case(self, values: dict[str, Any]) -> int:
        values = values | {"status": CaseStatus.NEW.value, "channel": self.channel}
        [(case_id,)] = self.tx.rows(NEW_CASE, values)
        self.status_change(case_id, None, CaseStatus.NEW)
        sla_clock.start(
            self.tx,
            self.sla,
            case_id=int(case_id),
            kind=values["kind"],
            priority=values["priority"],
            now=self.now,
        )
        return int(case_id)

    def raise_alarm(self, effect: RaiseAlarm) -> None:
        """Open the urgent case at once, before the report is complete, and alert the desk."""
        values = {
            "ref": effect.ref,
            "kind": "incident",
            "contact_id": self.contact_id,
            "anonymous": False,
            "category": UNSPECIFIED,
            "description": effect.description,
            "answers": "{}",
            "priority": "urgent",
            "latitude": None,
            "longitude": None,
            "address": None,
            "occurred_at": self.at,
            "occurred_text": None,
            "unit_id": None,
            "confidential": False,
            "now": self.at,
        }
        case_id = self.new_case(values)
        if effect.description:
            # The first words stay in the timeline: the finished report's description
            # replaces the case's, and officers search for what was said at the alarm.
            message = {"case_id": case_id, "author": CITIZEN, "text": effect.description}
            self.tx.execute(CITIZEN_MESSAGE, message | {"media_id": None, "now": self.at})
        self.duty.raise_alert(self.tx, case_id=case_id, ref=effect.ref, category=None, now=self.now)

    def share_location(self, effect: ShareLocation) -> None:
        place = effect.place
        values = {
            "ref": effect.ref,
            "contact_id": self.contact_id,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "address": place.address,
            "now": self.at,
        }
        found = self.tx.rows(SET_PLACE, values)
        if found:
            self.route(int(found[0][0]), place)
            self.tell_desk(int(found[0][0]), place)

    def tell_desk(self, case_id: int, place: PlaceAnswer) -> None:
        """The duty desk learns where an urgent case is (nothing for other cases)."""
        self.duty.share_location(
            self.tx,
            case_id=case_id,
            latitude=place.latitude,
            longitude=place.longitude,
            address=place.address,
            now=self.now,
        )

    def add_to_case(self, effect: AddToCase) -> None:
        """File a citizen's follow-up in their own case (never in someone else's)."""
        tx, at = self.tx, self.at
        found = tx.rows(OWN_CASE, {"ref": effect.ref, "contact_id": self.contact_id})
        if not found:
            return
        case_id, status = found[0]
        message = {"case_id": case_id, "author": CITIZEN, "text": effect.text, "now": at}
        tx.execute(CITIZEN_MESSAGE, message | {"media_id": effect.media_id})
        if effect.media_id is not None:
            link = {"case_id": case_id, "media_id": effect.media_id, "contact_id": self.contact_id}
            tx.execute(LINK_MEDIA, link)
        new_status = CaseStatus.IN_PROGRESS if status == CaseStatus.WAITING_CITIZEN else status
        tx.execute(SET_CASE_STATUS, {"status": str(new_status), "now": at, "case_id": case_id})
        if new_status != status:
            self.status_change(case_id, status, new_status)
            sla_clock.status_changed(
                tx, self.sla, case_id=case_id, old=status, new=new_status, now=self.now
            )

    def status_change(self, case_id: int, old: str | None, new: str) -> None:
        values = {"case_id": case_id, "from_status": old, "to_status": str(new), "actor": CITIZEN}
        self.tx.execute(STATUS_CHANGE, values | {"now": self.at})
