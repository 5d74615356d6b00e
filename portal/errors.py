"""The exceptions services raise when a rule is broken, one per answer a client can act on.

- `ServiceError` / `Invalid`: the input is wrong (a cross-field rule included): 400 naming the
  field, the form shows it inline. Nothing was changed.
- `Conflict`: the input is fine but the record's current state refuses it (a transition not
  allowed from here, a decision already taken, a stale version): 409.
- `NotAllowed`: the user can see the record but may not do this to it: 403. A record the user
  may not see is never refused: it is not found (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    """A rule was broken. The message is meant for the user; `field` names the input at fault."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:  # a refusal a client tells apart from the others of its status
            self.code = code


class Invalid(ServiceError):
    """The input breaks a rule of its own (a date out of range, awareness before occurrence)."""


class Conflict(ServiceError):
    """The record's current state does not allow this change."""

    status_code = 409
    code = "conflict"


class NotAllowed(ServiceError, PermissionDenied):
    """The user may see the record but may not do this to it."""

    status_code = 403
    code = "permission_denied"
