"""Forms for sign-in and tokens: they validate input, nothing more."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, cast

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest

from portal import auth_events, throttle
from portal.errors import ServiceError
from portal.models import Signature
from portal.signatures import MEANING_REQUIRED


class _Throttled:
    """Refuses further sign-in attempts after repeated failures (`portal.throttle`). For the
    sign-in forms, Django's `AuthenticationForm` and the admin's."""

    data: Any
    request: HttpRequest | None
    user_cache: Any

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("username", ""))
        address = auth_events.client_address(self.request)
        if throttle.is_locked(email, address):
            raise forms.ValidationError(throttle.TOO_MANY_ATTEMPTS, code="throttled")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            if self.user_cache is not None:
                # The password was right but the account may not sign in here (the admin's page
                # refuses non-staff accounts): `authenticate` succeeded, so no signal says so.
                auth_events.refuse(
                    request=self.request, email=email, why="the account may not sign in here"
                )
            throttle.record_failure(email, address, request=self.request)
            raise
        throttle.clear(email, address)
        return cleaned


class ThrottledLoginForm(_Throttled, AuthenticationForm):
    """Django's sign-in form, refusing further attempts after repeated failures."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class ThrottledAdminLoginForm(_Throttled, AdminAuthenticationForm):
    """The admin's sign-in page, under the same throttle as the portal's."""


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'LIMS nightly sync'."
    )


class SignatureForm(forms.Form):
    """An electronic signature: the password again, what the signature means, an optional note."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing needs your password each time, even when you are signed in.",
    )
    meaning = forms.ChoiceField(
        label="This signature means",
        choices=[("", "Choose…"), *Signature.Meaning.choices],
        error_messages={"required": MEANING_REQUIRED},
    )
    statement = forms.CharField(
        label="Statement",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: what you confirm by signing.",
    )

    def __init__(self, *args: Any, meanings: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if meanings is not None:
            allowed = [(v, label) for v, label in Signature.Meaning.choices if v in meanings]
            field = cast(forms.ChoiceField, self.fields["meaning"])
            field.choices = [("", "Choose…"), *allowed]
            if len(allowed) == 1:
                field.initial = allowed[0][0]


def add_service_error(
    form: forms.BaseForm, exc: ServiceError, fields: Collection[str] | None = None
) -> None:
    """Show a service's refusal on the form: next to the field it names when the form shows
    that field, otherwise at the top (Django raises for an unknown field name)."""
    shown = form.fields if fields is None else fields
    form.add_error(exc.field if exc.field in shown else None, exc.message)


def submit(form: forms.BaseForm, service: Callable[..., object], **arguments: Any) -> bool:
    """Validate `form` and hand its cleaned data, with `arguments`, to `service`. A refusal
    lands on the form like any validation error. Returns whether the service ran."""
    if not form.is_valid():
        return False
    try:
        service(**arguments, **form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc)
        return False
    return True
