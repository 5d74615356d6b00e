"""Forms for sign-in and tokens, the bounded fields every form uses, and the one step from a
form to its service. Forms validate input, nothing more."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, cast

import django_filters
from allauth.account.forms import LoginForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from portal import auth_events, bounds, throttle
from portal.errors import ServiceError
from portal.models import ApiToken, Signature
from portal.signatures import MEANING_REQUIRED

# --- Bounded fields (portal/bounds.py): every form's text, dates and amounts ------------------


class LineField(forms.CharField):
    """One line of printable text: a title, a name, a lot number."""

    default_validators = [bounds.validate_line]


class TextField(forms.CharField):
    """Text that may run over lines (a description, a reason): no other control characters."""

    widget = forms.Textarea
    default_validators = [bounds.validate_text]


def _window_attrs(widget: forms.Widget, earliest: str, latest: str, kind: str) -> dict[str, str]:
    """A native picker's own limits, so that the browser offers only the window."""
    if widget.attrs.get("type", getattr(widget, "input_type", "")) == kind:
        return {"min": earliest, "max": latest}
    return {}


class DateField(forms.DateField):
    """A date in the window (`bounds.validate_date`)."""

    default_validators = [bounds.validate_date]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        earliest, latest = bounds.EARLIEST_DATE.isoformat(), bounds.LATEST_DATE.isoformat()
        return super().widget_attrs(widget) | _window_attrs(widget, earliest, latest, "date")


class DateTimeField(forms.DateTimeField):
    """A moment in the window (`bounds.validate_moment`), typed in the reader's time zone."""

    default_validators = [bounds.validate_moment]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        earliest = f"{bounds.EARLIEST_DATE.isoformat()}T00:00"
        latest = f"{bounds.LATEST_DATE.isoformat()}T23:59"
        window = _window_attrs(widget, earliest, latest, "datetime-local")
        return super().widget_attrs(widget) | window


class AmountField(forms.DecimalField):
    """An amount as its column holds it: two places, at most twelve digits before them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=bounds.AMOUNT_DIGITS, decimal_places=bounds.AMOUNT_PLACES, **kwargs
        )


class DateFilter(django_filters.DateFilter):
    """A date query parameter (`?since=`), bounded like any date: a bad one is the filter
    form's error naming the parameter, never a query that fails."""

    field_class = DateField


class _Throttled:
    """Refuses further sign-in attempts after repeated failures (`portal.throttle`). For the
    sign-in forms, allauth's (the portal's page) and the admin's."""

    data: Any
    request: HttpRequest | None
    email_field = "username"

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get(self.email_field, ""))
        address = auth_events.client_address(self.request)
        if throttle.is_locked(email, address):
            raise forms.ValidationError(throttle.TOO_MANY_ATTEMPTS, code="throttled")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            if getattr(self, "user_cache", None) is not None:
                # The password was right but the account may not sign in here (the admin's page
                # refuses non-staff accounts): `authenticate` succeeded, so no signal says so.
                auth_events.refuse(
                    request=self.request, email=email, why="the account may not sign in here"
                )
            throttle.record_failure(email, address, request=self.request)
            raise
        throttle.clear(email, address)
        return cleaned


def _email_field() -> forms.EmailField:
    """Accounts sign in with their email address."""
    return forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class ThrottledAllauthLoginForm(_Throttled, LoginForm):
    """The portal's sign-in page: allauth's form (so that allauth's second-factor stage runs
    after the password) under the portal's throttle, the one rule for repeated failures
    (allauth's own login rate limits are off in settings)."""

    email_field = "login"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"] = _email_field()


class ThrottledAdminLoginForm(_Throttled, AdminAuthenticationForm):
    """The admin's sign-in page, under the same throttle as the portal's."""

    username = _email_field()


class TokenCreateForm(forms.Form):
    """A token's name and limits; `api_token_create` checks the expiry window and that each
    program is one the owner sees (the choices here are those programs already)."""

    name = LineField(max_length=100, help_text="What the token is for, e.g. 'LIMS nightly sync'.")
    expires_on = DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day the token works (site time). Empty: 90 days from today; at "
        "most a year.",
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read only: the token may fetch data but any change (POST, PUT, PATCH, "
        "DELETE) is refused.",
    )
    programs = forms.ModelMultipleChoiceField(
        queryset=ApiToken.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick programs to restrict the token to them; none ticked: every program "
        "you see, now and later.",
    )

    def __init__(self, *args: Any, programs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["programs"]).queryset = programs


class DelegationForm(forms.Form):
    """Who decides change orders on the lead's behalf, and when; `delegation_create` checks
    the rest (an active colleague, a period that starts today or later, no overlap)."""

    delegate = forms.ModelChoiceField(
        queryset=ApiToken.objects.none(),
        label="Colleague",
        help_text="An active member of your organisation. They may approve or reject change "
        "orders during the period; each decision records that it was taken on your behalf.",
    )
    starts_on = DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}), help_text="First day."
    )
    ends_on = DateField(
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day (included, site time).",
    )

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["delegate"]).queryset = colleagues


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
    statement = TextField(
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
    form: forms.BaseForm,
    exc: ServiceError | ValidationError,
    fields: Collection[str] | None = None,
) -> None:
    """Show a service's refusal on the form: next to the field it names when the form shows
    that field, otherwise at the top (Django raises for an unknown field name). A row's own
    validation (`full_clean` in the change primitive) may name several fields."""
    shown = form.fields if fields is None else fields
    if isinstance(exc, ServiceError):
        form.add_error(exc.field if exc.field in shown else None, exc.message)
        return
    named = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    for field, messages in named.items():
        form.add_error(field if field in shown else None, messages)


def submit(form: forms.BaseForm, service: Callable[..., object], **arguments: Any) -> bool:
    """Validate `form` and hand its cleaned data, with `arguments`, to `service`. A refusal
    lands on the form like any validation error. Returns whether the service ran."""
    if not form.is_valid():
        return False
    try:
        service(**arguments, **form.cleaned_data)
    except (ServiceError, ValidationError) as exc:
        add_service_error(form, exc)
        return False
    return True
