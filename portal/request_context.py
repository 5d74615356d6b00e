"""The id that ties together everything one request (or one task) wrote."""

import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str | None = None) -> str:
    value = value or uuid.uuid4().hex
    _request_id.set(value)
    return value
