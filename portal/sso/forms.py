"""Forms of single sign-on: they validate input, the services decide."""

from __future__ import annotations

from django import forms

from portal import bounds
from portal.forms import LineField
from portal.sso import services


class SsoStartForm(forms.Form):
    email = forms.EmailField(
        label="Work email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        help_text="The portal finds your organisation's sign-in by the domain of your email.",
    )


class ProviderForm(forms.Form):
    server_url = forms.URLField(
        label="Issuer URL",
        max_length=500,
        validators=[bounds.validate_line],
        assume_scheme="https",
        help_text="The provider's issuer, e.g. https://login.helix.example/realms/staff: the "
        "portal reads /.well-known/openid-configuration under it.",
    )
    client_id = LineField(
        label="Client ID",
        max_length=191,
        help_text="Issued by the sponsor's IT for the portal.",
    )
    secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=191,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Never shown again once saved. Leave empty to keep the current secret.",
    )
    required = forms.BooleanField(
        label="Single sign-on mandatory",
        required=False,
        help_text="Members may no longer sign in with a password (electronic signatures still "
        "ask for it).",
    )

    def provider(self) -> services.Provider:
        data = self.cleaned_data
        return services.Provider(
            server_url=data["server_url"],
            client_id=data["client_id"],
            secret=data["secret"],
            required=data["required"],
        )


class ProviderRemoveForm(forms.Form):
    reason = LineField(
        max_length=500,
        help_text="Recorded in the audit trail.",
        error_messages={"required": services.REASON_REQUIRED},
    )
