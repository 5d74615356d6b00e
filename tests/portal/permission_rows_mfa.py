"""Permission rows of the second factor's pages (allauth.mfa, under /accounts/2fa/): each
signed-in person keeps their own authenticators; nobody reaches another's.

A session the harness signs in has no recent sign-in record, so the pages that change a factor
first send everyone to confirm their password (302 to `account_reauthenticate`); pages about a
factor the person does not have are a 404; someone else's security key is a 404.
"""

from tests.support.permissions import LOGIN, SIGNED_IN, Row, statuses

# Signed in: sent to confirm the password (or, for MFA re-authentication, to the password).
CONFIRM = statuses(LOGIN, 302, 302, 302, 302, 302, 302, 302)
# Signed in, about a factor the person does not have.
NONE_YET = statuses(LOGIN, 404, 404, 404, 404, 404, 404, 404)

ROWS = [
    Row("mfa_index", SIGNED_IN),
    Row("account_reauthenticate", SIGNED_IN),
    Row("account_logout", statuses(302, 302, 302, 302, 302, 302, 302, 302), method="post", data={}),
    Row("mfa_authenticate", statuses(302, 302, 302, 302, 302, 302, 302, 302), public=True),
    Row("mfa_reauthenticate", CONFIRM),
    Row("mfa_activate_totp", CONFIRM),
    Row("mfa_deactivate_totp", NONE_YET),
    Row("mfa_view_recovery_codes", NONE_YET),
    Row("mfa_generate_recovery_codes", CONFIRM),
    Row("mfa_download_recovery_codes", NONE_YET),
    Row("mfa_list_webauthn", SIGNED_IN),
    Row("mfa_add_webauthn", CONFIRM),
    Row("mfa_reauthenticate_webauthn", CONFIRM),
    Row("mfa_remove_webauthn", CONFIRM, kwargs={"pk": 999999}),
    Row("mfa_edit_webauthn", CONFIRM, kwargs={"pk": 999999}),
]
