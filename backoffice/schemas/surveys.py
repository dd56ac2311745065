"""What `/api/v1/surveys` returns.

Texts are shown in the unit's default language; numbers are exact decimals rounded to two
places, sent as JSON numbers. Results follow DESIGN §5
(`survey`, `service`, `responses`, `elements`, `ikm`, `grade`), with the
response counts and rate beside them; suggestions carry no personal data.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class SurveyOptionPublic(BaseModel):
    id: str
    label: str


class SurveyQuestionPublic(BaseModel):
    code: str
    kind: str  # scale | choice | text
    prompt: str
    element: str | None
    optional: bool
    options: list[SurveyOptionPublic]


class SurveyPublic(BaseModel):
    code: str
    title: str
    services: list[str]
    questions: list[SurveyQuestionPublic]


class SurveysPublic(BaseModel):
    items: list[SurveyPublic]


class ElementResult(BaseModel):
    code: str
    label: str
    average: float | None  # the NRR, 1-4; null when nobody answered it
    answers: int


class SurveyResults(BaseModel):
    survey: str
    service: str | None  # null: every service
    from_date: date | None
    to_date: date | None
    responses: int  # completed responses
    respondents: int  # unique citizens among them
    invited: int  # unique citizens sent an invitation in the period
    response_rate: float | None  # share of `invited` who completed one; null with none invited
    suggestions_count: int
    elements: list[ElementResult]
    ikm: float | None  # the converted index, 25-100, two decimals
    grade: str | None  # A-D


class SuggestionPublic(BaseModel):
    service: str
    text: str
    answered_at: datetime


class SuggestionsPublic(BaseModel):
    items: list[SuggestionPublic]
    total: int
