"""Every table as a typed `sqlalchemy.Table`, for SQL Core statements.

SQLModel sets `__table__` on each model class as it is created but does not
declare it, so `Model.__table__` is `Any` to a type checker. This module
takes each table once, checks that it is one, and gives it a name the
statements read well with (``select(cases.c.reference)``).
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from bot.storage.models import (
    AllowanceBucket,
    Application,
    ApplicationLookup,
    ApplicationStatusChange,
    ApplicationSubscription,
    AuditEntry,
    Broadcast,
    BroadcastRecipient,
    CannedReply,
    Case,
    CaseLink,
    CaseMessage,
    CaseStatusChange,
    Contact,
    Conversation,
    DeadLetter,
    DutyAlert,
    DutyDispatch,
    FaqEntry,
    InboundEvent,
    LoginFailure,
    Media,
    Officer,
    OfficerToken,
    OutboxMessage,
    RevokedBrowser,
    SlaAlert,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    Unit,
)


def table_of(model: type[SQLModel]) -> Table:
    """The table SQLModel made for `model`."""
    table = vars(model).get("__table__")
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


allowances = table_of(AllowanceBucket)
applications = table_of(Application)
lookups = table_of(ApplicationLookup)
subscriptions = table_of(ApplicationSubscription)
audit_log = table_of(AuditEntry)
cases = table_of(Case)
case_links = table_of(CaseLink)
case_messages = table_of(CaseMessage)
status_changes = table_of(CaseStatusChange)
contacts = table_of(Contact)
conversations = table_of(Conversation)
dead_letters = table_of(DeadLetter)
alerts = table_of(DutyAlert)
dispatches = table_of(DutyDispatch)
faq_entries = table_of(FaqEntry)
inbound_events = table_of(InboundEvent)
login_failures = table_of(LoginFailure)
media = table_of(Media)
officers = table_of(Officer)
officer_tokens = table_of(OfficerToken)
outbox = table_of(OutboxMessage)
broadcasts = table_of(Broadcast)
broadcast_recipients = table_of(BroadcastRecipient)
survey_invitations = table_of(SurveyInvitation)
survey_responses = table_of(SurveyResponse)
survey_answers = table_of(SurveyAnswer)
units = table_of(Unit)
sla_alerts = table_of(SlaAlert)
application_changes = table_of(ApplicationStatusChange)
canned_replies = table_of(CannedReply)
revoked_browsers = table_of(RevokedBrowser)
