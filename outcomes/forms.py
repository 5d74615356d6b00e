"""Forms of the outcomes pages: they validate input only; the services decide."""

from __future__ import annotations

from django import forms

from portal.forms import DateField, LineField

from . import periods

PERIOD_CHOICES = [*periods.PeriodKind.choices, ("custom", "From a first to a last day")]


class BundleForm(forms.Form):
    """The period of an inspection bundle: a named period, or a first and a last day."""

    period = forms.ChoiceField(
        label="Period", choices=PERIOD_CHOICES, initial=periods.PeriodKind.QUARTER
    )
    key = LineField(
        label="Which one",
        required=False,
        max_length=12,
        help_text="e.g. 2026-11 (month), 2026-Q4 (quarter), 12m-2026-11 (12 months to "
        "November 2026); empty for the current one.",
    )
    first_day = DateField(label="First day", required=False)
    last_day = DateField(label="Last day", required=False)
