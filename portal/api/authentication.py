"""Token authentication against hashed keys, and the token's limits.

A token is refused (401, with the reason in the error's message) when its key is unknown, when
it was revoked, when it has expired, and when its owner may no longer use the portal
(`portal.account_state`: deactivated, or past the membership's access end date): at once, on
the next request, since every request looks the token and its owner up again. Each refusal of
a known token is an authentication event in the audit trail.

A token that authenticates carries its limits on the user it returns: `token_program_ids` (the
programs it is restricted to, which `portal.access.viewer` applies to everything the request
reads) and, through `request.auth`, its scope, which `TokenScope` enforces on every API view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from portal import account_state, auth_events
from portal.models import ApiToken, User

if TYPE_CHECKING:
    from rest_framework.views import APIView

LAST_USED_RESOLUTION = timedelta(minutes=1)

TOKEN_UNKNOWN = "Invalid token."
TOKEN_REVOKED = "This token was revoked on {at:%d %B %Y}: ask your sponsor lead for a new one."
TOKEN_EXPIRED = "This token expired on {at:%d %B %Y}: ask your sponsor lead for a new one."
TOKEN_OWNER_CLOSED = "This token's owner may no longer use the portal: {why}."
TOKEN_READ_ONLY = (
    "This token is read only: it may send GET, HEAD and OPTIONS requests, not {method}. "
    "Ask your sponsor lead for a read-write token."
)


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; the key is hashed and looked up, never stored in clear.
    DRF makes one instance per request, so the request can wait here for the key's check."""

    http_request: HttpRequest | None = None

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        self.http_request = request._request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        restrictions = ApiToken.programs.through.objects.filter(apitoken_id=OuterRef("pk"))
        token = (
            ApiToken.objects.select_related("user__membership")
            .annotate(restricted=Exists(restrictions))
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(TOKEN_UNKNOWN)
        now = timezone.now()
        refused = ""
        if token.revoked_at is not None:
            refused = TOKEN_REVOKED.format(at=timezone.localtime(token.revoked_at))
        elif now >= token.expires_at:
            refused = TOKEN_EXPIRED.format(at=timezone.localtime(token.expires_at))
        elif why := account_state.closed_because(token.user, now):
            refused = TOKEN_OWNER_CLOSED.format(why=why)
        if refused:
            auth_events.token_refused(request=self.http_request, token=token, why=refused)
            raise exceptions.AuthenticationFailed(refused)
        address = auth_events.client_address(self.http_request) or None
        stale = token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION
        if stale:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
        user = token.user
        if token.restricted:  # one more query, only for a token restricted to programs
            program_ids = frozenset(token.programs.values_list("pk", flat=True))
            user.token_program_ids = program_ids  # type: ignore[attr-defined]
        return user, token


class TokenScope(permissions.BasePermission):
    """A read-only token may only read. Every API view has this permission (the settings'
    default, and the views that name their own list it too), so a new view cannot forget it."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        read_only = isinstance(token, ApiToken) and token.is_read_only
        if read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(
                TOKEN_READ_ONLY.format(method=request.method), code="read_only_token"
            )
        return True


def api_user(request: Request) -> User:
    """The signed-in user of a view behind IsAuthenticated (the API's default permission)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
