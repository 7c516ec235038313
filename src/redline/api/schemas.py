"""Request bodies of the REST API (``<Noun>Create``); responses are in ``schemas_read``."""

from __future__ import annotations

import json
import math
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic_core
from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from redline.domain import ActionType, IncidentEvent, Level, Route
from redline.domain.action_params import check_action_params
from redline.services.review import ReviewDecision
from redline.services.tokens import Role

__all__ = [
    "INT32",
    "ActionCreate",
    "Body",
    "ClosedWindowCreate",
    "DeploymentCreate",
    "FeedbackCreate",
    "ModelVersionCreate",
    "Name",
    "NoteCreate",
    "Part",
    "ReviewDecisionCreate",
    "ReviewRequestCreate",
    "ServedCreate",
    "SignalCreate",
    "SnoozeCreate",
    "Text",
    "TokenCreate",
    "TransitionCreate",
    "UtcTime",
    "WindowBatchCreate",
    "check_json",
    "load_checked_json",
]

INT32 = 2**31 - 1


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


#: A name as the store keeps it: 1-200 characters, no control characters.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
#: Free text a person writes (reasons, notes): no NUL, which no database stores.
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$")]
#: A timezone-aware time, converted to UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]
Count = Annotated[int, Field(ge=0, le=INT32)]
Number = Annotated[float, Field(allow_inf_nan=False)]


def check_json(data: Any) -> None:
    """Refuse what no store keeps: NUL or unencodable characters, non-finite numbers."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or (not item.isascii() and not _encodable(item)):
                raise ValueError("strings must be UTF-8 text without NUL characters")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


#: JSON escapes that decode to what no store keeps: NUL, or half of a surrogate pair.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
#: Digits as 0, ``E`` as ``e`` and what may end a number as ``,``: a number that may parse to
#: infinity then shows as an exponent of 3+ digits (``e000,``; a hex string's ``e123`` is not
#: followed by ``,``) or 200+ digits in a row; any other number is finite (< 1e299).
_NUMBER_SHAPE = bytes.maketrans(b"123456789E]} \t\r\n", b"000000000e,,,,,,")
_BIG_EXPONENT = re.compile(rb"e\+?000+(?:,|$)")
_LONG_DIGITS = b"0" * 200
#: The body ``load_checked_json`` parsed and found storable, so ``Body`` need not walk it again.
_CHECKED: ContextVar[object] = ContextVar("redline_checked_json", default=None)


def load_checked_json(raw: bytes) -> Any:
    """Parse a JSON request body, checking while parsing what ``check_json`` checks after.

    Strict UTF-8 JSON (no raw control characters, no NaN or Infinity) without a ``\\u0000``
    or surrogate escape, and without a number that may overflow, holds nothing ``check_json``
    refuses: it is parsed by pydantic-core's parser (~4x faster than ``json``, the same
    values), and the parsed object is marked so that ``Body`` skips its walk. Anything else
    is parsed as before, so refusals keep their messages. JSONDecodeError for malformed JSON.
    """
    if _SUSPECT_ESCAPE.search(raw) is None and not _may_overflow(raw):
        try:
            data = pydantic_core.from_json(raw, allow_inf_nan=False)
        except ValueError:
            pass  # malformed, or a BOM: parsed below for the usual error or value
        else:
            if isinstance(data, dict):
                _CHECKED.set(data)
            return data
    return _load_walked_json(raw)


def _may_overflow(raw: bytes) -> bool:
    shape = raw.translate(_NUMBER_SHAPE)
    return _LONG_DIGITS in shape or _BIG_EXPONENT.search(shape) is not None


def _load_walked_json(raw: bytes) -> Any:
    """Parse as Starlette would; mark the body checked only when every number is finite."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return json.loads(raw)
    odd: list[str] = []

    def number(literal: str) -> float:
        value = float(literal)
        if value - value:  # NaN for inf and NaN, 0.0 for every finite value
            odd.append(literal)
        return value

    data = json.loads(text.removeprefix("\ufeff"), parse_float=number, parse_constant=number)
    if not odd and _SUSPECT_ESCAPE.search(raw) is None and isinstance(data, dict):
        _CHECKED.set(data)
    return data


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Part(BaseModel):
    """A part nested in a request body: unknown fields refused; the body checks its JSON."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Body(Part):
    """Base of every request body: unknown fields refused, JSON the store can keep.

    The check walks the whole body once; nested parts are ``Part``s, so no value is walked twice.
    """

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if data is not _CHECKED.get():  # the very object load_checked_json parsed and checked
            check_json(data)
        return data


class SignalCreate(Part):
    """A monitor's finding sent with its window (the model is the one in the path)."""

    monitor: Name
    kind: Name
    column: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")] | None = None
    statistic: Name
    value: Number
    threshold: Number
    level: Level
    window_start: UtcTime | None = None
    window_end: UtcTime | None = None
    n_rows: Count = 0
    evidence: dict[str, Any] = Field(default_factory=dict)


class FeedbackCreate(Part):
    """A label for an earlier prediction, joined to it by request id."""

    request_id: Name
    label: Any
    at: UtcTime


class ServedCreate(Part):
    """What was served for one request, so a later label can be joined to it."""

    request_id: Name
    value: Any = None
    route: Route


class ReviewRequestCreate(Part):
    """A prediction the Guard held for people (``row``/``value`` stand for ``input``/``output``)."""

    model_config = ConfigDict(populate_by_name=True)

    request_id: Name
    reason: Name = "review"
    input: Any = Field(default=None, validation_alias=AliasChoices("input", "row"))
    output: Any = Field(default=None, validation_alias=AliasChoices("output", "value"))
    confidence: Number | None = None
    threshold: Number | None = None


class ClosedWindowCreate(Part):
    """One closed window: its profile (``WindowProfile.to_dict()``) and what came with it."""

    window: dict[str, Any]
    signals: list[SignalCreate] = Field(default_factory=list)
    feedback: list[FeedbackCreate] = Field(default_factory=list)
    served: list[ServedCreate] = Field(default_factory=list)
    reviews: list[ReviewRequestCreate] = Field(default_factory=list)


class WindowBatchCreate(Body):
    """Closed windows of one model, sent together; each is stored once, by window id."""

    windows: list[ClosedWindowCreate] = Field(min_length=1, max_length=1000)


class TransitionCreate(Body):
    """Move an incident by an event, saying why."""

    event: IncidentEvent
    reason: Text = ""
    #: Resolve with the containment kept as the new normal, for this reason (a person's call).
    accept_containment: Text = ""


class NoteCreate(Body):
    """A note for the incident's timeline."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=r"\S")]


class ActionCreate(Body):
    """A containment action on a model; the same idempotency key applies it once."""

    type: ActionType
    params: dict[str, Any] = Field(default_factory=dict)
    incident: Name | None = None
    idempotency_key: Name | None = None

    @model_validator(mode="after")
    def _checked_params(self) -> ActionCreate:
        self.params = check_action_params(self.type, self.params)  # a 422 naming the parameter
        return self


class ReviewDecisionCreate(Body):
    """A reviewer's decision; ``final_output`` is the correct answer for an override."""

    decision: ReviewDecision
    final_output: Any = None
    reviewer: Name | None = None


class SnoozeCreate(Body):
    """Signals whose fingerprint matches ``pattern`` open no incident until ``until``."""

    pattern: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"^[^\x00]+$")]
    until: UtcTime
    reason: Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=r"\S")]


class ModelVersionCreate(Body):
    """Register an artifact on the server's disk (or ``module:function``) as a version."""

    version: Name
    artifact: Annotated[
        str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]+$")
    ]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    training_data_version: Name | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class DeploymentCreate(Body):
    """Make an alias of a model serve a registered version."""

    version: Name
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]
    alias: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\w+$")] = (
        "production"
    )
    incident: Name | None = None


class TokenCreate(Body):
    """A new API token: who or what uses it, and its role."""

    name: Name
    role: Role
