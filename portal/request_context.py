"""The id that ties together everything one request (or one task) wrote.

The portal generates the id; a client's own `X-Request-ID` is kept beside it, labelled as the
client's, so that a client can correlate without being able to choose what the audit trail
calls the request.
"""

import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_client_request_id: ContextVar[str] = ContextVar("client_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def current_client_request_id() -> str:
    return _client_request_id.get()


def set_request_id(value: str | None = None, *, client: str = "") -> str:
    """Start a request's (or task's) context: `value` is the portal's own id (a new one when
    None), `client` what the client called it."""
    value = value or uuid.uuid4().hex
    _request_id.set(value)
    _client_request_id.set(client)
    return value
