"""The API's types for the requests desk (诉求): filing, answering, transferring and rating
a request, and the dashboard's figures. Each ``XPublic`` is read from the service's frozen
row; rates are exact decimals written as text, never floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

from huiqi.web.api.fields import NotBlank, NotBoolean, RequestBody
from huiqi.web.api.times import Utc

Words = Annotated[str, Field(max_length=4000)]


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RequestCreate(RequestBody):
    """A request: its category, text, and the policy or grant it concerns if any (files
    come with it in a multipart body, field ``files``)."""

    uscc: Annotated[str | None, Field(max_length=18)] = None
    category: Annotated[str, Field(max_length=32)]
    text: Words
    policy_id: Annotated[str | None, Field(max_length=120)] = None
    grant_id: Annotated[int | None, Field(ge=1, le=2**62), NotBoolean] = None


class ReplyCreate(RequestBody):
    text: Words


class TransferCreate(RequestBody):
    department: Annotated[str, Field(max_length=200)]
    reason: Words


class RequestWithdraw(RequestBody):
    """Why the enterprise withdraws its request (optional)."""

    reason: Annotated[str | None, Field(max_length=2000)] = None


class RequestClose(RequestBody):
    """Why the department closes a request unanswered (the enterprise reads it)."""

    reason: Annotated[str, Field(min_length=1, max_length=2000), NotBlank]


class RequestRating(RequestBody):
    """1–5 stars; 1 or 2 reopen the request once."""

    stars: Annotated[int, Field(ge=1, le=5), NotBoolean]
    comment: Annotated[str | None, Field(max_length=2000)] = None


class StepPublic(_Row):
    kind: str
    actor: str
    text: str | None
    at: Utc
    stars: int | None = Field(default=None, description="a 'rated' step's stars (1–5)")


class RequestFilePublic(_Row):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        """Where the API serves the file (to those who may read the request)."""
        return f"/api/v1/request-files/{self.id}"


class RequestPublic(_Row):
    id: int
    uscc: str
    category: str
    text: str
    policy_id: str | None
    grant_id: int | None
    department: str
    status: str
    channel: str
    hotline_id: str | None
    filed_at: Utc
    filed_on: dt.date
    ack_due: dt.date
    answer_due: dt.date
    acknowledged_at: Utc | None
    answered_at: Utc | None
    answered_on_time: bool | None
    reply: str | None
    reopened: int
    closed_at: Utc | None
    escalated: bool
    stars: int | None
    steps: list[StepPublic]
    attachments: list[RequestFilePublic]


class CategoryPublic(_Row):
    code: str
    label_zh: str
    label_en: str
    department: str
    ack_days: int
    answer_days: int
    remind_days: int


class VolumePublic(_Row):
    key: str
    requests: int
    open: int
    answered: int
    on_time: int


class DeskStatsPublic(_Row):
    since: dt.date | None
    until: dt.date | None
    requests: int
    by_category: list[VolumePublic]
    by_department: list[VolumePublic]
    answered: int
    on_time: int
    on_time_rate: Decimal | None
    ratings: int
    average_stars: Decimal | None
    by_stars: tuple[int, int, int, int, int]
    satisfied_rate: Decimal | None
    repeat_requests: int
    repeat_enterprises: int


class OfficerMessagePublic(_Row):
    """A message of the officer's console inbox: a reminder (the deadline ``due`` is near)
    or an escalation (it has passed) of the request to ``task`` (acknowledge or answer);
    ``done`` once the request no longer waits for that step (answered, closed, withdrawn,
    transferred away, or given a new deadline): a done message is not unread."""

    id: int
    kind: str
    request_id: int
    department: str
    task: str
    due: dt.date
    created_at: Utc
    read_at: Utc | None
    done: bool
