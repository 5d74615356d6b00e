"""What every comms service shares."""

from __future__ import annotations

from portal import access
from portal.access import Action
from portal.errors import NotAllowed
from portal.models import User
from programs.models import Program


def require(
    user: User, action: Action, program: Program, message: str, field: str | None = None
) -> None:
    """Refuse with the service's own message (403 in the API) unless the one door allows.
    API views call it too, before reading the input: a stranger's garbage hears 403, not
    what is wrong with it."""
    if not access.may(user, action, program):
        raise NotAllowed(message, field=field)
