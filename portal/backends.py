"""Password sign-in for open accounts only (21 CFR 11.10(d)).

Replaces Django's ModelBackend in settings.AUTHENTICATION_BACKENDS: an account that
`portal.account_state` calls closed (deactivated, or past its access end date in site time)
does not sign in, even with the right password. The refusal is audited with its reason and
the sign-in form says it plainly; with a wrong password it stays the usual "wrong email or
password", so the reason is shown only to someone who knows the password.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from portal import account_state, auth_events
from portal.models import User

CLOSED = (
    "This account can no longer sign in: {why}. If you still need access, ask your "
    "organisation's portal administrator."
)


class OpenAccountBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = str(username or kwargs.get(User.USERNAME_FIELD) or "").strip()
        if not email or password is None:
            return None
        user = User.objects.select_related("membership").filter(email__iexact=email).first()
        if user is None:
            User().set_password(password)  # the same work as for an account: no timing tell
            return None
        if not user.check_password(password):
            return None
        why = account_state.closed_because(user)
        if why:
            auth_events.refuse(request=request, email=email, why=why)
            raise ValidationError(CLOSED.format(why=why), code="account_closed")
        return user

    def get_user(self, user_id: Any) -> Any:
        """The session's user even when the account has closed since: the session limits
        middleware (portal.session_limits) then ends the session, audited with the reason,
        instead of the user silently turning anonymous. The membership comes in the same query:
        every page reads it, and its organisation, which the second-factor rule reads."""
        return User.objects.select_related("membership__organisation").filter(pk=user_id).first()

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and account_state.is_open(user)
