"""Survey responses in a citizen's conversation: the hot path's SQL.

Every function runs on a `Tx`, inside the transaction of the turn that gave
the answer, so an answer is stored the moment it is given and a survey left
half-way keeps what it had. A response is one citizen's answers to one survey
about one service; the open (not completed) one is continued until it is
completed, whichever conversation the answers come in.

Where a start leads (`progress`):

- an invitation's button with its id: that invitation's survey and service;
  the answers already given to it, or "already done" once it was completed;
- a button without an id: the citizen's open response to that survey, else a
  fresh one about the service in general;
- the survey command (`/survei`, "survei"): the citizen's open response, else
  the latest invitation they were sent (`RECENT_INVITATION`) and did not
  answer, else the default survey about the service in general.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.survey_forms import Survey, parse_surveys
from bot.domain.surveys import DEFAULT_SURVEY, StartSurvey, SurveyProgress, fresh_survey
from bot.engine.effects import AnswerSurvey, CompleteSurvey
from bot.storage.direct import Tx

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "surveys.json"
RECENT_INVITATION = timedelta(days=30)  # the survey command still answers an invitation this old

INVITATION = """SELECT survey_code, service FROM survey_invitations
WHERE id = :invitation_id AND contact_id = :contact_id"""
OF_INVITATION = """SELECT id, completed_at FROM survey_responses
WHERE contact_id = :contact_id AND invitation_id = :invitation_id ORDER BY id DESC LIMIT 1"""
OPEN_OF_SURVEY = """SELECT id, survey_code, service, invitation_id FROM survey_responses
WHERE contact_id = :contact_id AND completed_at IS NULL {same} ORDER BY id DESC LIMIT 1"""
UNANSWERED_INVITATION = """SELECT i.id, i.survey_code, i.service FROM survey_invitations i
WHERE i.contact_id = :contact_id AND i.status = 'sent' AND i.sent_at >= :since
AND NOT EXISTS (SELECT 1 FROM survey_responses r WHERE r.invitation_id = i.id)
ORDER BY i.sent_at DESC, i.id DESC LIMIT 1"""
ANSWERS = "SELECT question, mark, choice, text FROM survey_answers WHERE response_id = :response_id"
OPEN_RESPONSE = """SELECT id, invitation_id FROM survey_responses WHERE contact_id = :contact_id
AND survey_code = :survey AND service = :service AND completed_at IS NULL
ORDER BY id DESC LIMIT 1"""
NEW_RESPONSE = """INSERT INTO survey_responses (survey_code, service, contact_id, invitation_id,
channel, locale, started_at) VALUES (:survey, :service, :contact_id, :invitation_id, :channel,
:locale, :now) RETURNING id"""
LINK_INVITATION = """UPDATE survey_responses SET invitation_id = :invitation_id
WHERE id = :response_id AND invitation_id IS NULL"""
SAVE_ANSWER = """INSERT INTO survey_answers (response_id, question, mark, choice, text,
answered_at) VALUES (:response_id, :question, :mark, :choice, :text, :now)
ON CONFLICT (response_id, question) DO UPDATE SET mark = excluded.mark,
choice = excluded.choice, text = excluded.text, answered_at = excluded.answered_at"""
COMPLETE = "UPDATE survey_responses SET completed_at = :now WHERE id = :response_id"


def load_surveys(path: Path | None = None) -> dict[str, Survey]:
    """The survey definitions of `path` (default: the shipped `bot/data/surveys.json`)."""
    with (path or SHIPPED).open(encoding="utf-8") as handle:
        data: Any = json.load(handle)
    return parse_surveys(data)


def progress(
    tx: Tx, *, contact_id: int, start: StartSurvey | None, now: datetime
) -> SurveyProgress:
    """Which survey a start leads this citizen to, and their answers to it so far."""
    who = {"contact_id": contact_id}
    if start is not None and start.invitation_id is not None:
        invited = tx.rows(INVITATION, who | {"invitation_id": start.invitation_id})
        if invited:
            return _of_invitation(tx, contact_id, start.invitation_id, *invited[0])
    if start is not None:
        sql = OPEN_OF_SURVEY.format(same="AND survey_code = :survey")
        found = tx.rows(sql, who | {"survey": start.code})
    else:
        found = tx.rows(OPEN_OF_SURVEY.format(same=""), who)
    if found:
        response_id, code, service, invitation_id = found[0]
        return SurveyProgress(code, service, invitation_id, _answers(tx, response_id))
    if start is None:
        since = tx.time(now - RECENT_INVITATION)
        invited = tx.rows(UNANSWERED_INVITATION, who | {"since": since})
        if invited:
            invitation_id, code, service = invited[0]
            return SurveyProgress(code, service, invitation_id)
        return fresh_survey(StartSurvey(DEFAULT_SURVEY))
    return fresh_survey(StartSurvey(start.code))


def _of_invitation(
    tx: Tx, contact_id: int, invitation_id: int, code: str, service: str
) -> SurveyProgress:
    values = {"contact_id": contact_id, "invitation_id": invitation_id}
    answered = tx.rows(OF_INVITATION, values)
    if answered and answered[0][1] is not None:
        return SurveyProgress(code, service, invitation_id, completed=True)
    if answered:
        return SurveyProgress(code, service, invitation_id, _answers(tx, answered[0][0]))
    found = tx.rows(OPEN_RESPONSE, {"contact_id": contact_id, "survey": code, "service": service})
    answers = _answers(tx, found[0][0]) if found else {}
    return SurveyProgress(code, service, invitation_id, answers)


def _answers(tx: Tx, response_id: int) -> dict[str, str]:
    answers: dict[str, str] = {}
    for question, mark, choice, text in tx.rows(ANSWERS, {"response_id": response_id}):
        value = str(mark) if mark is not None else choice if choice is not None else text
        if value is not None:
            answers[question] = value
    return answers


def record_answer(
    tx: Tx, *, contact_id: int, channel: str, locale: str, answer: AnswerSurvey, now: datetime
) -> None:
    """Store one answer in the citizen's open response (opened now if there is none)."""
    response_id = _open_response(
        tx, contact_id, channel, locale, answer.survey, answer.service, answer.invitation_id, now
    )
    values = {
        "response_id": response_id,
        "question": answer.question,
        "mark": answer.mark,
        "choice": answer.choice,
        "text": answer.text,
        "now": tx.time(now),
    }
    tx.execute(SAVE_ANSWER, values)


def complete(
    tx: Tx, *, contact_id: int, channel: str, locale: str, done: CompleteSurvey, now: datetime
) -> None:
    """The citizen reached the end: their open response is complete."""
    response_id = _open_response(
        tx, contact_id, channel, locale, done.survey, done.service, done.invitation_id, now
    )
    tx.execute(COMPLETE, {"response_id": response_id, "now": tx.time(now)})


def _open_response(
    tx: Tx,
    contact_id: int,
    channel: str,
    locale: str,
    survey: str,
    service: str,
    invitation_id: int | None,
    now: datetime,
) -> int:
    values: dict[str, Any] = {"contact_id": contact_id, "survey": survey, "service": service}
    found = tx.rows(OPEN_RESPONSE, values)
    if found:
        response_id = int(found[0][0])
        if found[0][1] is None and invitation_id is not None:
            link = {"response_id": response_id, "invitation_id": invitation_id}
            tx.execute(LINK_INVITATION, link)
        return response_id
    values |= {
        "invitation_id": invitation_id,
        "channel": channel,
        "locale": locale,
        "now": tx.time(now),
    }
    [(response_id,)] = tx.rows(NEW_RESPONSE, values)
    return int(response_id)
