"""Forms for sign-in and tokens: they validate input, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal import throttle


class ThrottledLoginForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts after repeated failures."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean(self) -> dict[str, Any]:
        email = self.data.get("username", "")
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if throttle.is_locked(email, address):
            raise forms.ValidationError(throttle.TOO_MANY_ATTEMPTS, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(email, address)
            raise
        throttle.clear(email, address)
        return cleaned


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'LIMS nightly sync'."
    )
