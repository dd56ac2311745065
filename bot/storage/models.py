"""The tables of pintu, as SQLModel classes.

Times are aware UTC (see `bot.domain.clock`); SQLModel's `UTCDateTime` keeps them
so. JSON-ish data is kept as text, so the same schema works unchanged on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# The largest id the database holds: ids are INTEGER, 32 bits on PostgreSQL
# (asyncpg refuses a larger parameter before the query runs).
MAX_ROW_ID = 2**31 - 1


HAS_PHONE = "phone IS NOT NULL"


class Contact(SQLModel, table=True):
    """A citizen as seen on one channel."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        # WhatsApp payloads in the older format name the citizen by phone number only.
        # Partial, so that it serves lookups by phone only: on a table never analysed,
        # PostgreSQL took it for lookups by external id too, reading the whole channel.
        Index(
            "ix_contacts_channel_phone",
            "channel",
            "phone",
            postgresql_where=text(HAS_PHONE),
            sqlite_where=text(HAS_PHONE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    locale: str = Field(default="id", max_length=8)
    locale_chosen: bool = False
    privacy_noticed_at: datetime | None = None
    broadcast_opt_in: bool = False
    broadcast_opted_out_at: datetime | None = None
    reachable: bool = True
    last_inbound_at: datetime | None = None
    created_at: datetime


class Conversation(SQLModel, table=True):
    """Where one contact's conversation stands; survives restarts."""

    __tablename__ = "conversations"

    contact_id: int = Field(primary_key=True, foreign_key="contacts.id")
    state: str = Field(default="{}", sa_type=Text)
    active_flow: str | None = Field(default=None, max_length=32)  # for the idle sweep
    updated_at: datetime = Field(index=True)


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=16, unique=True)
    kind: str = Field(max_length=16, index=True)
    status: str = Field(max_length=24, index=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=16)
    anonymous: bool = False
    category: str = Field(max_length=40)
    description: str = Field(sa_type=Text)
    answers: str = Field(default="{}", sa_type=Text)
    priority: str = Field(default="normal", max_length=16)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, sa_type=Text)
    resolution: str | None = Field(default=None, sa_type=Text)
    occurred_at: datetime | None = None  # incidents: the start of when it happened, if understood
    occurred_text: str | None = Field(default=None, sa_type=Text)  # the citizen's own words
    sla_due_at: datetime | None = Field(default=None, index=True)  # first answer due by
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)  # None: the root
    assignee_id: int | None = Field(default=None, foreign_key="officers.id", index=True)
    confidential: bool = False  # rahasia: only the unit's supervisors, the assignee and admins
    created_at: datetime = Field(index=True)
    updated_at: datetime
    closed_at: datetime | None = None
    # The SLA clocks (`bot.domain.sla`): due and met times, the pause, and a summary for queries.
    first_response_at: datetime | None = None  # the first officer reply
    follow_up_due_at: datetime | None = None
    followed_up_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolved_at: datetime | None = None
    waiting_since: datetime | None = None  # waiting for the citizen since (the clocks stand)
    sla_clock: str | None = Field(default=None, max_length=24)  # the clock running now
    sla_next_due_at: datetime | None = Field(default=None, index=True)  # its due time
    sla_soon_at: datetime | None = None  # from then on it is "due soon"
    sla_missed: bool = False  # some clock was met after its due time


class CaseLink(SQLModel, table=True):
    """Two incident reports that look like the same event (place, time, words)."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)  # the newer report
    other_case_id: int = Field(foreign_key="cases.id", index=True)  # the earlier one
    score: float
    created_at: datetime


class DutyAlert(SQLModel, table=True):
    """An urgent report put before the duty desk, until a duty officer acknowledges it."""

    __tablename__ = "duty_alerts"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", unique=True)
    desk: str = Field(max_length=64)  # id of the desk in the duty-desk data file
    raised_at: datetime
    sends: int = 0  # alerts put in the outbox for the duty group so far
    escalation_level: int = 0
    next_send_at: datetime | None = Field(default=None, index=True)  # None once acknowledged
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = Field(default=None, max_length=200)
    location_sent_at: datetime | None = None
    # when the duty group was first told (alone or in a grouped message); None: waiting
    # for the group's next turn (`bot.duty.dispatch`), or no group configured yet
    announced_at: datetime | None = None


class DutyDispatch(SQLModel, table=True):
    """One alert message put in the outbox for the duty group: the pace of the group's
    alerts is read from these, and "acknowledge all" acknowledges the alerts listed."""

    __tablename__ = "duty_dispatches"

    id: int | None = Field(default=None, primary_key=True)
    sent_at: datetime = Field(index=True)
    level: int = 0  # 0: new alerts, else the escalation level of a reminder
    alert_ids: str = Field(max_length=2000)  # comma-separated duty_alerts ids


class CaseStatusChange(SQLModel, table=True):
    """Every lifecycle change of a case, with who made it."""

    __tablename__ = "case_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    actor: str = Field(max_length=100)
    created_at: datetime


class CaseMessage(SQLModel, table=True):
    """One entry of a case timeline: citizen message, officer reply or note."""

    __tablename__ = "case_messages"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    direction: str = Field(max_length=8)
    author: str = Field(max_length=100)
    officer_id: int | None = Field(default=None, foreign_key="officers.id")
    text: str = Field(sa_type=Text)
    media_id: int | None = Field(default=None, foreign_key="media.id")
    delivery_status: str | None = Field(default=None, max_length=24)
    created_at: datetime


class Media(SQLModel, table=True):
    """A file a citizen sent; the original is kept unaltered with its hash."""

    __tablename__ = "media"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=400)
    mime_type: str = Field(max_length=100)
    size: int
    # A copy without metadata (GPS, device), what officers see of anonymous reports.
    clean_path: str | None = Field(default=None, max_length=400)
    created_at: datetime


class InboundEvent(SQLModel, table=True):
    """A webhook event already processed; the unique key makes redelivery a no-op."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    received_at: datetime


UNSENT = "status IN ('pending', 'sending')"  # an outbox row still to be sent


class OutboxMessage(SQLModel, table=True):
    """An outgoing message; it exists as a row before any send is tried."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The sender's claim order: one channel's pending rows, urgent first, then oldest.
        Index("ix_outbox_queue", "status", "channel", text("priority DESC"), "id"),
        # Status webhooks name the message by the platform's id for it.
        Index("ix_outbox_external_message", "channel", "external_message_id"),
        # Whether an earlier message to the same contact holds one back (the sender's
        # claim): only the unsent ones, never the contact's whole history.
        Index(
            "ix_outbox_unsent_by_contact",
            "contact_id",
            "id",
            postgresql_where=text(UNSENT),
            sqlite_where=text(UNSENT),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    case_message_id: int | None = Field(default=None, foreign_key="case_messages.id")
    payload: str = Field(sa_type=Text)
    priority: int = 0
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_until: datetime | None = None
    external_message_id: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    sent_at: datetime | None = None


class DeadLetter(SQLModel, table=True):
    """A payload that could not be parsed, handled or sent, kept for an admin."""

    __tablename__ = "dead_letters"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    reason: str = Field(sa_type=Text)
    payload: str = Field(sa_type=Text)
    created_at: datetime
    replayed_at: datetime | None = None


class Unit(SQLModel, table=True):
    """A police unit: the root (Polda), Polres under it, Polsek under those.

    `area` (JSON, optional) is where the unit's incidents happen: a polygon of
    `[latitude, longitude]` points, or a centre and a radius in kilometres.
    """

    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    area: str | None = Field(default=None, sa_type=Text)
    created_at: datetime


class CannedReply(SQLModel, table=True):
    """A reply admins prepared for officers to send; `texts` maps a locale to its
    text (JSON), with `{ref}` and `{officer}` filled in when it is used."""

    __tablename__ = "canned_replies"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=100, unique=True)
    texts: str = Field(sa_type=Text)
    created_at: datetime
    updated_at: datetime


class Officer(SQLModel, table=True):
    __tablename__ = "officers"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=400)
    role: str = Field(default="officer", max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)  # None: the root
    active: bool = True
    created_at: datetime


class OfficerToken(SQLModel, table=True):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "officer_tokens"

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officers.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    expires_at: datetime


class LoginFailure(SQLModel, table=True):
    """A wrong password for a username (known or not), counted towards its lockout.

    The failure that makes five within the lockout time carries `locked_until`;
    rows no longer in any window are deleted as new failures come in.
    """

    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    failed_at: datetime = Field(index=True)
    locked_until: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """One officer action. Never carries citizens' personal data."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int | None = Field(default=None, foreign_key="officers.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="{}", sa_type=Text)
    created_at: datetime = Field(index=True)


class FaqEntry(SQLModel, table=True):
    """One question-and-answer entry as admins edit it (seeded from `bot/data/faq.json`).

    Texts are per locale, kept as JSON objects: `title` and `answer` map a
    locale to a text, `questions` a locale to a list of phrasings.
    """

    __tablename__ = "faq_entries"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(sa_type=Text)
    questions: str = Field(sa_type=Text)
    answer: str = Field(sa_type=Text)
    sample: bool = False
    updated_at: datetime


class Application(SQLModel, table=True):
    """An application (SKCK, crowd permit, SP2HP) as the front office publishes it.

    `status` is the front office's own wording, shown to citizens verbatim;
    `birth_date` is the second factor a citizen must give to see it.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    number: str = Field(max_length=40)
    applicant_name: str = Field(max_length=200)
    birth_date: date
    status: str = Field(sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime


class ApplicationLookup(SQLModel, table=True):
    """A citizen's attempt to see an application's status; failures throttle lookups.

    Keyed by the number asked for, not by an application, so numbers that do
    not exist are throttled exactly like numbers that do.
    """

    __tablename__ = "application_lookups"
    __table_args__ = (
        Index("ix_application_lookups_contact", "contact_id", "created_at"),
        Index("ix_application_lookups_number", "kind", "number", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id")
    kind: str = Field(max_length=16)
    number: str = Field(max_length=40)
    outcome: str = Field(max_length=16)
    created_at: datetime


class ApplicationSubscription(SQLModel, table=True):
    """A citizen who asked to be told when an application's status changes."""

    __tablename__ = "application_subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "application_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id")
    application_id: int = Field(foreign_key="applications.id", index=True)
    created_at: datetime


class SurveyInvitation(SQLModel, table=True):
    """A citizen asked (or about to be asked) to take a survey, and why.

    `case_id` is unique: a case's service is rated at most once. Invitations
    due later (after a case's closing) wait here for the scheduler, so they
    survive restarts and every worker sees them.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (Index("ix_survey_invitations_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    survey_code: str = Field(max_length=32)
    service: str = Field(
        max_length=32
    )  # complaints | incidents | skck | crowd_permits | sp2hp | general
    reason: str = Field(max_length=16)  # case_closed | application | command | broadcast
    case_id: int | None = Field(default=None, foreign_key="cases.id", unique=True)
    application_id: int | None = Field(default=None, foreign_key="applications.id")
    broadcast_id: int | None = Field(default=None, foreign_key="broadcasts.id")
    status: str = Field(default="scheduled", max_length=16)  # scheduled | sent | skipped
    skip_reason: str | None = Field(default=None, max_length=32)  # why it was not sent
    due_at: datetime
    sent_at: datetime | None = None
    created_at: datetime


class SurveyResponse(SQLModel, table=True):
    """One citizen's answers to one survey about one service; complete once `completed_at`."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_results", "survey_code", "service", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_code: str = Field(max_length=32)
    service: str = Field(max_length=32)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    invitation_id: int | None = Field(default=None, foreign_key="survey_invitations.id", index=True)
    channel: str = Field(max_length=16)
    locale: str = Field(max_length=8)
    started_at: datetime
    completed_at: datetime | None = None


class SurveyAnswer(SQLModel, table=True):
    """One answer: a mark on the 1-4 scale, a choice, or free text (the suggestion)."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_responses.id", index=True)
    question: str = Field(max_length=32)
    mark: int | None = None
    choice: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime


class Broadcast(SQLModel, table=True):
    """An announcement and/or survey invitation to the citizens who opted in.

    `message` maps a locale to its text (JSON), `audience` holds the optional
    `channel`, `locale` and `active_within_days` (JSON). A cron broadcast runs
    again and again: `run` counts its runs, `next_run_at` is the next one.
    `cursor` is the highest contact id already enqueued in the current run,
    so a restart goes on where it stopped.
    """

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="officers.id")
    approved_by_id: int | None = Field(default=None, foreign_key="officers.id")
    status: str = Field(max_length=24, index=True)
    message: str = Field(sa_type=Text)
    survey_code: str | None = Field(default=None, max_length=32)
    audience: str = Field(default="{}", sa_type=Text)
    audience_size: int = 0
    send_at: datetime | None = None
    cron: str | None = Field(default=None, max_length=100)
    next_run_at: datetime | None = Field(default=None, index=True)
    run: int = 0
    cursor: int = 0
    # The scheduler sending a run holds it until then (a lease), so no other one can.
    claimed_until: datetime | None = None
    run_started_at: datetime | None = None  # who opts out after this is counted `opted_out`
    created_at: datetime
    updated_at: datetime


class BroadcastRecipient(SQLModel, table=True):
    """One citizen's copy of one run of a broadcast; unique, so nobody gets a run twice."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (UniqueConstraint("broadcast_id", "run", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcasts.id")
    run: int
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)
    status: str = Field(default="queued", max_length=16)  # queued | opted_out | skipped
    delivery: str | None = Field(default=None, max_length=16)  # delivered | read (the platform's)
    created_at: datetime


class SlaAlert(SQLModel, table=True):
    """A clock of a case that ran out (or an SP2HP letter due), put before its unit's
    supervisors; unique per case, clock and due time, so it is raised once."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("case_id", "clock", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    clock: str = Field(max_length=24)  # first_response | follow_up | resolution | sp2hp
    due_at: datetime
    raised_at: datetime = Field(index=True)
    sends: int = 0  # messages put in the outbox for the duty group


class ApplicationStatusChange(SQLModel, table=True):
    """One status an application went through, from the API or an import."""

    __tablename__ = "application_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="applications.id", index=True)
    from_status: str | None = Field(default=None, sa_type=Text)
    to_status: str = Field(sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    source: str = Field(max_length=16)  # api | import
    actor: str = Field(max_length=64)
    created_at: datetime


class AllowanceBucket(SQLModel, table=True):
    """What one key (a client address, a web session) has left of an allowance.

    A token bucket shared by every worker (`bot.services.allowances`): `level`
    at `at`, refilled with time. The key is an HMAC of the address or session,
    never the address itself. A row whose bucket is full again (`full_at`) is
    removed by the scheduler.
    """

    __tablename__ = "allowances"

    kind: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=64)
    level: float
    at: datetime
    full_at: datetime = Field(index=True)  # when the bucket is full again: then it goes


class RevokedBrowser(SQLModel, table=True):
    """A web-chat browser whose citizen chose "hapus percakapan ini": its token is refused.

    Kept only as long as a token could still be valid (`PINTU_WEB_TOKEN_DAYS`
    after revoking), then removed by the scheduler.
    """

    __tablename__ = "revoked_browsers"

    browser_id: str = Field(primary_key=True, max_length=64)
    revoked_at: datetime = Field(index=True)
